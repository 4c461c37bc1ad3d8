import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../shared/config.js';
import { parseIptablesSave } from '../../shared/firewall/iptables/state.js';
import { committedTables, planInit, planRemoval, planRevert, stateAfterInit, tablesEmptyAfterRemoval, withoutOurChains } from '../../shared/firewall/iptables/plan.js';

const config = defaultConfig();

/** Applies a plan's rule lines to a state the way iptables-restore --noflush does, for our subset. */
function apply(state: ReturnType<typeof parseIptablesSave>, plan: string) {
  let table = '';
  for (const line of plan.split('\n')) {
    if (line.startsWith('*')) {
      table = line.slice(1);
      if (!state.has(table)) state.set(table, { chains: new Map(), rules: [] });
      continue;
    }
    const current = state.get(table)!;
    const [op, chain, ...rest] = line.split(' ');
    if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0]!;
      current.chains.set(name, '-');
      current.rules = current.rules.filter((spec) => !spec.startsWith(`${name} `));
    } else if (op === '-N') {
      if (current.chains.has(chain!)) throw new Error(`-N ${chain}: Chain already exists`);
      current.chains.set(chain!, '-');
    } else if (op === '-A') current.rules.push([chain, ...rest].join(' '));
    else if (op === '-I') current.rules.unshift([chain, ...rest.slice(1)].join(' '));
    else if (op === '-D') current.rules.splice(current.rules.indexOf([chain, ...rest].join(' ')), 1);
    else if (op === '-F') current.rules = current.rules.filter((spec) => !spec.startsWith(`${chain} `));
    else if (op === '-X') current.chains.delete(chain!);
  }
  return state;
}

describe('the firewall plan for the seed network (five uplinks, LAN eth0 10.0.0.0/24)', () => {
  it('matches the golden transaction', async () => {
    await expect(planInit(config, new Map())).toMatchFileSnapshot('golden/default-init.iptables');
  });

  it('matches the golden removal after init', async () => {
    await expect(planRemoval(stateAfterInit(config))).toMatchFileSnapshot('golden/default-flush.iptables');
  });

  it('masks every mark it sets or restores, so bits outside 0xff00 survive', () => {
    const lines = planInit(config, new Map()).split('\n').filter((line) => /CONNMARK/.test(line));
    expect(lines.length).toBe(5 * 2 + 2);
    for (const line of lines) expect(line).toMatch(/--set-xmark 0x[0-9a-f]+\/0xff00$|--restore-mark --nfmask 0xff00 --ctmask 0xff00$/);
  });

  it('never re-marks a connection that already has our mark', () => {
    const mangle = planInit(config, new Map()).split('*nat')[0]!.split('\n');
    expect(mangle.filter((line) => line.includes('-j PIN-MARK-IN'))).toEqual(['-A PIN-PREROUTING -m conntrack --ctstate NEW -m connmark --mark 0x0/0xff00 -j PIN-MARK-IN']);
    expect(mangle.filter((line) => line.startsWith('-A PIN-POSTROUTING ')).slice(0, 2)).toEqual([
      '-A PIN-POSTROUTING -m conntrack ! --ctstate NEW -j RETURN',
      '-A PIN-POSTROUTING -m connmark ! --mark 0x0/0xff00 -j RETURN',
    ]);
  });

  it('marks arrivals before it skips LAN destinations, so routed LAN hosts are pinned too', () => {
    const prerouting = planInit(config, new Map()).split('\n').filter((line) => line.startsWith('-A PIN-PREROUTING '));
    expect(prerouting[0]).toMatch(/-j PIN-MARK-IN$/);
    expect(prerouting[1]).toBe('-A PIN-PREROUTING -d 10.0.0.0/24 -j RETURN');
  });

  it('creates absent chains with -N, so a plan made for an empty state fails where our chains exist', () => {
    const plan = planInit(config, new Map());
    expect(plan.match(/^-N PIN-/gm)).toHaveLength(5);
    expect(plan).not.toMatch(/^:PIN-/m);
    expect(() => apply(stateAfterInit(config), plan)).toThrow(/PIN-PREROUTING: Chain already exists/);
  });

  it('does not add a jump again when init runs on top of itself', () => {
    const plan = planInit(config, stateAfterInit(config));
    expect(plan).not.toMatch(/^-[AI] (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) /m);
    const sorted = (state: ReturnType<typeof stateAfterInit>) => [...state].map(([table, { chains, rules }]) => [table, [...chains], [...rules].sort()]);
    expect(sorted(apply(stateAfterInit(config), plan))).toEqual(sorted(stateAfterInit(config)));
  });

  it('removes jumps an outside hand added twice', () => {
    const state = stateAfterInit(config);
    state.get('mangle')!.rules.push('OUTPUT -j PIN-OUTPUT');
    expect(planInit(config, state)).toMatch(/^-D OUTPUT -j PIN-OUTPUT$/m);
  });

  it('leaves out MASQUERADE for uplinks that do not want it', () => {
    const custom = parseConfig('[uplinks]\nnames = ppp0 ppp1\n[uplink ppp1]\nmasquerade = no\n', 'x.conf');
    const nat = planInit(custom, new Map()).split('*nat')[1]!;
    expect(nat).toMatch(/-o ppp0 -j MASQUERADE/);
    expect(nat).not.toMatch(/ppp1/);
  });

  it('restores marks for every LAN interface and skips every LAN network', () => {
    const custom = parseConfig('[lan]\ninterfaces = eth0 eth1\nnetworks = 10.0.0.0/24 10.9.0.0/16\n', 'x.conf');
    const plan = planInit(custom, new Map());
    expect(plan).toMatch(/-A PIN-PREROUTING -d 10\.9\.0\.0\/16 -j RETURN/);
    expect(plan).toMatch(/-A PIN-PREROUTING -i eth1 -j CONNMARK --restore-mark/);
    expect(plan).toMatch(/-A PIN-OUTPUT -d 10\.0\.0\.0\/24 -j RETURN/);
  });
});

describe('removal', () => {
  it('takes away exactly what init added', () => {
    const before = parseIptablesSave('*mangle\n:PREROUTING ACCEPT [0:0]\n:QOS - [0:0]\n-A PREROUTING -j QOS\n-A QOS -j MARK --set-xmark 0x1/0xff\nCOMMIT\n');
    const initialized = apply(structuredClone(before), planInit(config, before));
    expect(apply(initialized, planRemoval(initialized)).get('mangle')).toEqual(before.get('mangle'));
  });

  it('also removes a jump to our chains that someone else added', () => {
    const state = stateAfterInit(config);
    state.get('nat')!.rules.push('POSTROUTING -o ppp9 -j PIN-POSTROUTING');
    expect(planRemoval(state)).toMatch(/^-D POSTROUTING -o ppp9 -j PIN-POSTROUTING$/m);
  });

  it('is empty when nothing of ours is installed', () => {
    expect(planRemoval(parseIptablesSave('*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -j MASQUERADE\nCOMMIT\n'))).toBe('');
  });
});

describe('tables left empty by removal', () => {
  it('are the ones holding only our rules and empty ACCEPT built-in chains', () => {
    const state = stateAfterInit(config);
    for (const table of state.values()) for (const hook of ['PREROUTING', 'POSTROUTING']) table.chains.set(hook, 'ACCEPT');
    expect(tablesEmptyAfterRemoval(state)).toEqual(['mangle', 'nat']);
  });

  it('exclude a table with another rule, a user chain or a DROP policy', () => {
    const withRule = stateAfterInit(config);
    withRule.get('nat')!.rules.push('PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:8080');
    expect(tablesEmptyAfterRemoval(withRule)).toEqual(['mangle']);
    const withChain = stateAfterInit(config);
    withChain.get('mangle')!.chains.set('QOS', '-');
    withChain.get('nat')!.chains.set('OUTPUT', 'DROP');
    expect(tablesEmptyAfterRemoval(withChain)).toEqual([]);
  });
});

describe('a failed first try', () => {
  const plan = planInit(config, new Map());
  const lineOf = (text: string) => plan.split('\n').indexOf(text) + 1;

  it('committed the tables whose COMMIT comes before the line iptables-restore names', () => {
    const natLine = lineOf('-A PIN-POSTROUTING -o ppp2 -j MASQUERADE');
    expect(committedTables(plan, `iptables-restore: line ${natLine} failed: Chain already exists.`)).toEqual(['mangle']);
    expect(committedTables(plan, `iptables-restore v1.8.9 (nf_tables): Chain 'X' does not exist\nError occurred at line: ${natLine}\n`)).toEqual(['mangle']);
    expect(committedTables(plan, 'iptables-restore: line 2 failed: Chain already exists.')).toEqual([]);
  });

  it('committed nothing we know of when the complaint names no line', () => {
    expect(committedTables(plan, 'iptables-restore: unable to initialize table')).toEqual([]);
  });

  it('is taken out of the committed tables only, jumps and chains, leaving the rest', () => {
    const state = stateAfterInit(config);
    state.get('mangle')!.rules.push('PREROUTING -j QOS');
    const original = withoutOurChains(state, ['mangle']);
    expect(original.get('mangle')!.rules).toEqual(['PREROUTING -j QOS']);
    expect([...original.get('mangle')!.chains.keys()]).toEqual([]);
    expect(original.get('nat')).toEqual(state.get('nat'));
  });
});

describe('revert after a transaction that failed half-way', () => {
  const before = parseIptablesSave('*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -j MASQUERADE\nCOMMIT\n');

  it('removes what a first init managed to add before failing', () => {
    const half = apply(structuredClone(before), planInit(config, before).split('*nat')[0]!);
    const reverted = apply(half, planRevert(before, half));
    expect(reverted.get('mangle')).toEqual({ chains: new Map(), rules: [] });
    expect(reverted.get('nat')).toEqual(before.get('nat'));
  });

  it('puts back the previous rules of our chains after a failed re-init', () => {
    const previous = stateAfterInit(config);
    const other = parseConfig('[uplinks]\nnames = ppp0\nmark_mask = 0xf0\n', 'x.conf');
    const half = apply(structuredClone(previous), planInit(other, previous).split('*nat')[0]!);
    const sorted = (rules: string[]) => [...rules].sort();
    const reverted = apply(half, planRevert(previous, half));
    expect(sorted(reverted.get('mangle')!.rules)).toEqual(sorted(previous.get('mangle')!.rules));
  });

  it('is empty when nothing changed', () => {
    expect(planRevert(stateAfterInit(config), stateAfterInit(config))).toBe('');
  });
});
