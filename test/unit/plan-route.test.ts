import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../shared/config.js';
import { parseIpRules, planUplinkDown, planUplinkUp, type IpRule } from '../../shared/plan-route.js';

const config = defaultConfig();
const ppp1 = config.uplinks[1]!;
const ours: IpRule = { priority: 10001, src: 'all', fwmark: '0x200', fwmask: '0xff00', table: '101' };
const system: IpRule[] = [
  { priority: 0, src: 'all', table: '255' },
  { priority: 32766, src: 'all', table: '254' },
  { priority: 32767, src: 'all', table: '253' },
];

describe('ip-up', () => {
  it('routes the table via PPP_REMOTE and adds exactly one rule', () => {
    expect(planUplinkUp(config, ppp1, { iface: 'ppp1', remote: '192.0.2.2' }, system)).toEqual({
      batch: ['route replace default via 192.0.2.2 dev ppp1 table 101', 'rule add fwmark 0x200/0xff00 table 101 priority 10001'],
      sysctls: [{ key: 'net/ipv4/conf/ppp1/rp_filter', value: '2' }],
    });
  });

  it('routes by device when pppd gave no remote address', () => {
    expect(planUplinkUp(config, ppp1, { iface: 'ppp1' }, system).batch[0]).toBe('route replace default dev ppp1 table 101');
  });

  it('keeps the rule when exactly the right one is there', () => {
    expect(planUplinkUp(config, ppp1, { iface: 'ppp1' }, [...system, ours]).batch).toEqual(['route replace default dev ppp1 table 101']);
  });

  it('replaces duplicates and stale rules for the table by one rule', () => {
    const stale: IpRule = { priority: 500, src: 'all', fwmark: '0x2', table: '101' };
    expect(planUplinkUp(config, ppp1, { iface: 'ppp1' }, [...system, ours, ours, stale]).batch).toEqual([
      'route replace default dev ppp1 table 101',
      'rule del priority 10001 table 101',
      'rule del priority 10001 table 101',
      'rule del priority 500 table 101',
      'rule add fwmark 0x200/0xff00 table 101 priority 10001',
    ]);
  });

  it('does not count a rule with extra selectors as ours', () => {
    const withIif: IpRule = { ...ours, iif: 'eth0' };
    expect(planUplinkUp(config, ppp1, { iface: 'ppp1' }, [withIif]).batch).toContain('rule del priority 10001 table 101');
  });

  it('leaves rp_filter alone when told to', () => {
    const leave = parseConfig('[uplinks]\nrp_filter = leave\n', 'x.conf');
    expect(planUplinkUp(leave, leave.uplinks[0]!, { iface: 'ppp0' }, []).sysctls).toEqual([]);
  });
});

describe('ip-down', () => {
  it('removes every rule pointing at the table and flushes it', () => {
    const other: IpRule = { priority: 10000, src: 'all', fwmark: '0x100', fwmask: '0xff00', table: '100' };
    expect(planUplinkDown(ppp1, [...system, ours, other, ours])).toEqual({
      batch: ['rule del priority 10001 table 101', 'rule del priority 10001 table 101', 'route flush table 101'],
      sysctls: [],
    });
  });

  it('only flushes when there is no rule', () => {
    expect(planUplinkDown(ppp1, system).batch).toEqual(['route flush table 101']);
  });
});

describe('ip -j rule show', () => {
  it('is read as a list', () => {
    expect(parseIpRules(JSON.stringify([ours]))).toEqual([ours]);
    expect(parseIpRules('')).toEqual([]);
    expect(() => parseIpRules('{}')).toThrow(/JSON list/);
  });
});
