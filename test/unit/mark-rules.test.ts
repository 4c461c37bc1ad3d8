import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config.js';
import { foreignMarkRules, markBitsOfRule } from '../../shared/firewall/iptables/mark-rules.js';
import { stateAfterInit } from '../../shared/firewall/iptables/plan.js';
import { parseIptablesSave } from '../../shared/firewall/iptables/state.js';

describe('mark bits of a rule', () => {
  it.each([
    ['MARK --set-xmark 0x10/0xf0', 0xf0],
    ['-m mark --mark 0x1', 0xffffffff],
    ['-m connmark --mark 0x0/0xff00 -j RETURN', 0xff00],
    ['CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff', 0xff],
    ['CONNMARK --save-mark', 0xffffffff],
    ['-j ACCEPT', 0],
  ])('%s', (spec, bits) => {
    expect(markBitsOfRule(spec)).toBe(bits);
  });
});

describe('the rules outside our chains that use mark bits', () => {
  it('leave out our chains and the jumps to them', () => {
    expect(foreignMarkRules(stateAfterInit(defaultConfig()))).toEqual([]);
  });

  it('name each rule as iptables-save prints it, with its bits', () => {
    const save = '*mangle\n:QOS - [0:0]\n-A QOS -j MARK --set-xmark 0x1/0xff\n-A QOS -j ACCEPT\nCOMMIT\n';
    expect(foreignMarkRules(parseIptablesSave(save))).toEqual([{ rule: '-t mangle -A QOS -j MARK --set-xmark 0x1/0xff', bits: 0xff }]);
  });
});
