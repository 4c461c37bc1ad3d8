import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../../shared/config.js';
import { planAllUplinksDown, planUplinkDown, planUplinkUp } from '../../../shared/routes/hook-plan.js';
import { uplinkRoutes } from '../../../shared/routes/route-set.js';

const config = defaultConfig();
const ppp1 = config.uplinks[1]!;

describe('ip-up', () => {
  it('routes the table via PPP_REMOTE and replaces whatever pointed at the table by exactly one rule', () => {
    expect(planUplinkUp(config, ppp1, { iface: 'ppp1', remote: '192.0.2.2' })).toEqual({
      batch: ['route replace default via 192.0.2.2 dev ppp1 table 101', 'rule flush table 101', 'rule add fwmark 0x200/0xff00 table 101 priority 10001'],
      routes: [],
      sysctls: [{ key: 'net/ipv4/conf/ppp1/rp_filter', value: '2' }],
    });
  });

  it('routes by device when pppd gave no remote address', () => {
    expect(planUplinkUp(config, ppp1, { iface: 'ppp1' }).batch[0]).toBe('route replace default dev ppp1 table 101');
  });

  it('uses the mark, table and priority of the config', () => {
    const custom = parseConfig('[uplinks]\nnames = ppp7\nmark_mask = 0xf000\n[uplink ppp7]\ntable = 77\npriority = 700\n', 'x.conf');
    expect(planUplinkUp(custom, custom.uplinks[0]!, { iface: 'ppp7' }).batch).toEqual([
      'route replace default dev ppp7 table 77',
      'rule flush table 77',
      'rule add fwmark 0x8000/0xf000 table 77 priority 700',
    ]);
  });

  it('leaves rp_filter alone when told to', () => {
    const leave = parseConfig('[uplinks]\nrp_filter = leave\n', 'x.conf');
    expect(planUplinkUp(leave, leave.uplinks[0]!, { iface: 'ppp0' }).sysctls).toEqual([]);
  });
});

describe('ip-down', () => {
  it('removes every rule pointing at the table and flushes it', () => {
    expect(planUplinkDown(ppp1, false)).toEqual({ batch: ['rule flush table 101', 'route flush table 101'], routes: [], sysctls: [] });
  });

  it('also flushes our prefix routes when the device is still there (a link-down, a crash)', () => {
    expect(planUplinkDown(ppp1, true).batch).toEqual(['rule flush table 101', 'route flush table 101', 'route flush dev ppp1 proto 112']);
  });
});

describe('ip-up with prefixes', () => {
  it('sends them after the rule and table, in the same batch', () => {
    const routes = uplinkRoutes(ppp1, [{ source: 'routes', distance: 1, prefixes: ['196.21.0.0/19'] }]);
    const plan = planUplinkUp(config, ppp1, { iface: 'ppp1' }, routes);
    expect(plan.batch).toHaveLength(3);
    expect(plan.routes).toEqual(['route replace 196.21.0.0/19 dev ppp1 metric 1001 proto 112']);
  });
});

describe('removing the package', () => {
  it('removes every uplink rule and table and every prefix route of ours', () => {
    expect(planAllUplinksDown(config).batch.slice(-3)).toEqual(['rule flush table 104', 'route flush table 104', 'route flush proto 112']);
  });
});
