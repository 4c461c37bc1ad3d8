import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../../shared/config.js';
import { chooseFirewall } from '../../../shared/firewall/choose.js';
import { foreignNftMarkRules, markBitsOfNftRule } from '../../../shared/firewall/nft/mark-rules.js';
import { planInit, planTable } from '../../../shared/firewall/nft/plan.js';

const golden = (name: string) => readFileSync(new URL(`../golden/${name}`, import.meta.url), 'utf8');

describe('the nft plan', () => {
  it('is the golden table for the five-uplink default network, replacing the old one in the same run', () => {
    expect(planInit(defaultConfig())).toBe(golden('default-init.nft'));
  });

  it('keeps its size per uplink to map elements and two tiny chains: nothing per packet grows', () => {
    const names = Array.from({ length: 64 }, (_, unit) => `ppp${unit}`).join(' ');
    const table = planTable(parseConfig(`[uplinks]\nnames = ${names}\nmark_mask = 0xff0000\n`, 'x.conf'));
    const ruleLines = table.split('\n').filter((line) => /^\t\t(?!type |elements )/.test(line));
    // 11 rules in the 4 base chains whatever the uplinks, one in each value chain: 64 connmark, 65 restore
    expect(ruleLines.length).toBe(11 + 64 + 65);
    expect(table).toContain('ct mark set ct mark and 0xff00ffff or 0x400000');
    expect(table).toContain('meta mark set meta mark and 0xff00ffff or 0x400000');
  });

  it('masquerades only the uplinks that want it, and has no nat chain when none does', () => {
    const some = planTable(parseConfig('[uplinks]\nnames = ppp0 ppp1\n[uplink ppp1]\nmasquerade = no\n', 'x.conf'));
    expect(some).toContain('\t\toifname { "ppp0" } masquerade\n');
    expect(planTable(parseConfig('[uplinks]\nnames = ppp0\nmasquerade = no\n', 'x.conf'))).not.toContain('masquerade');
  });
});

describe('mark bits of other nft rules', () => {
  it('reads what a match sees and what a write changes', () => {
    expect(markBitsOfNftRule('meta mark set mark and 0xffffff00 xor 0x1 counter')).toBe(0xff);
    expect(markBitsOfNftRule('ct mark and 0xff00 == 0x200 counter packets 0 bytes 0')).toBe(0xff00);
    expect(markBitsOfNftRule('meta mark 0x1 accept')).toBe(0xffffffff);
    expect(markBitsOfNftRule('ip daddr 192.0.2.1 accept')).toBe(0);
  });

  it('leaves our table and our iptables chains out', () => {
    const ruleset = [
      'table ip mangle {',
      '\tchain PREROUTING {',
      '\t\ttype filter hook prerouting priority mangle; policy accept;',
      '\t\tmeta mark set mark and 0xffff00ff xor 0x100',
      '\t}',
      '\tchain PIN-MARK-IN {',
      '\t\tct mark set ct mark and 0xffff00ff or 0x100',
      '\t}',
      '}',
      'table inet pin_hooks {',
      '\tchain connmark_0x100 {',
      '\t\tct mark set ct mark and 0xffff00ff or 0x100',
      '\t}',
      '}',
    ].join('\n');
    expect(foreignNftMarkRules(ruleset)).toEqual([{ rule: 'table ip mangle chain PREROUTING: meta mark set mark and 0xffff00ff xor 0x100', bits: 0xff00 }]);
  });
});

describe('choosing the backend', () => {
  it('takes the one the config names', () => {
    expect(chooseFirewall(parseConfig('[firewall]\nbackend = iptables\n', 'x.conf'))).toMatchObject({ backend: { name: 'iptables' }, why: 'as [firewall] backend says' });
    expect(chooseFirewall(parseConfig('[firewall]\nbackend = nft\n', 'x.conf')).backend.name).toBe('nft');
  });

  it('auto: iptables where nft is not installed, and says so', () => {
    expect(chooseFirewall(parseConfig('[paths]\nnft = /nonexistent/nft\n', 'x.conf'))).toMatchObject({ backend: { name: 'iptables' }, why: 'auto: /nonexistent/nft is not installed' });
  });

  it('keeps the copy for nftables.conf where the config says, and only as a .nft file, which the include glob finds', () => {
    expect(defaultConfig().nftFile).toBe('/var/lib/pin-hooks/pin-hooks.nft');
    expect(parseConfig('[firewall]\nnft_file = /etc/nftables.d/pin-hooks.nft\n', 'x.conf').nftFile).toBe('/etc/nftables.d/pin-hooks.nft');
    expect(() => parseConfig('[firewall]\nnft_file = /etc/pin-hooks.conf\n', 'x.conf')).toThrow('x.conf:2: nft_file: "/etc/pin-hooks.conf" does not end in .nft');
  });

  it('refuses a backend it does not know', () => {
    expect(() => parseConfig('[firewall]\nbackend = pf\n', 'x.conf')).toThrow('x.conf:2: backend: "pf" is not auto, nft or iptables');
  });
});
