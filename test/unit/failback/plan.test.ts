import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig, ruleMask } from '../../../shared/config.js';
import { ConfigError } from '../../../shared/errors.js';
import { chainRules } from '../../../shared/firewall/iptables/plan.js';
import { planTable } from '../../../shared/firewall/nft/plan.js';
import { lessPreferred, outboundPins } from '../../../shared/failback/plan.js';
import { planUplinkUp } from '../../../shared/routes/hook-plan.js';

const moving = parseConfig('[uplinks]\nnames = ppp0 ppp1 ppp2\n[uplink ppp0]\nfailback = move\n', 'x.conf');
const [ppp0, ppp1, ppp2] = moving.uplinks as [(typeof moving.uplinks)[0], (typeof moving.uplinks)[0], (typeof moving.uplinks)[0]];

describe('the direction bit', () => {
  it('is the top bit of mark_mask once an uplink moves back, and the ip rules ignore it', () => {
    expect(moving.outboundBit).toBe(0x8000);
    expect(ruleMask(moving)).toBe(0x7f00);
    expect(planUplinkUp(moving, ppp1, { iface: 'ppp1' }).batch[2]).toBe('rule add fwmark 0x200/0x7f00 table 101 priority 10001');
  });

  it('is not there while every uplink keeps its connections: marks and rules as before', () => {
    const config = defaultConfig();
    expect(config.outboundBit).toBe(0);
    expect(ruleMask(config)).toBe(0xff00);
  });

  it('marks outgoing connections only, on both backends', () => {
    const rules = chainRules(moving);
    expect(rules.get('mangle/PIN-POSTROUTING')).toContain('-o ppp1 -j CONNMARK --set-xmark 0x8200/0xff00');
    expect(rules.get('mangle/PIN-MARK-IN')).toContain('-i ppp1 -j CONNMARK --set-xmark 0x200/0xff00');
    const table = planTable(moving);
    expect(table).toContain('"ppp1" : jump connmark_0x8200');
    expect(table).toContain('"ppp1" : jump connmark_0x200');
    expect(table).toContain('0x8200 : jump restore_0x8200');
    expect(table).toContain('meta mark set meta mark and 0xffff00ff or 0x8200');
  });

  it('must leave room for the uplinks: a one-bit mask, or a mark in the top bit, is refused with the fix', () => {
    expect(() => parseConfig('[uplinks]\nnames = ppp0\nmark_mask = 0x100\n[uplink ppp0]\nfailback = move\n', 'x.conf')).toThrow(
      "x.conf:5: failback = move needs a bit of mark_mask 0x100 to tell outgoing pins from incoming ones, beside the uplinks' marks; widen mark_mask, e.g. 0xff00",
    );
    expect(() => parseConfig('[uplinks]\nnames = ppp0 ppp1\n[uplink ppp0]\nfailback = move\n[uplink ppp1]\nmark = 0x80\n', 'x.conf')).toThrow(
      /uplink ppp1: mark 128 does not fit mark_mask 0xff00 beside the direction bit 0x8000 that failback = move takes/,
    );
    expect(() => parseConfig('[uplink ppp0]\nfailback = later\n', 'x.conf')).toThrow(ConfigError);
  });
});

describe('what moves back', () => {
  it('is every other uplink without default_route, those after it in default_route otherwise', () => {
    expect(lessPreferred(moving, ppp0)).toEqual([ppp1, ppp2]);
    const ordered = parseConfig('[uplinks]\nnames = ppp0 ppp1 ppp2\ndefault_route = ppp1 ppp0 ppp2\n[uplink ppp0]\nfailback = move\n', 'x.conf');
    expect(lessPreferred(ordered, ordered.uplinks[0]!).map((uplink) => uplink.name)).toEqual(['ppp2']);
    expect(lessPreferred(ordered, ordered.uplinks[2]!)).toEqual([]);
  });

  it('is matched by the outgoing pin alone: our mark with the direction bit, under our whole mask', () => {
    expect(outboundPins(moving, ppp1)).toBe('0x8200/0xff00');
  });
});
