/**
 * The firewall planner: config -> one `iptables-restore --noflush` transaction.
 * Our rules live in chains of our own, hooked once from the built-in chains, so init can be
 * re-run (declaring a chain in --noflush mode empties it) and flush removes exactly what init added.
 */
import type { Config } from './config.js';
import { ruleChain, ruleTarget, type IptablesState } from './iptables-state.js';
import { hex } from './uplink.js';

export interface OwnChain {
  table: 'mangle' | 'nat';
  name: string;
  /** The built-in chain that jumps to it. */
  hook: string;
  /** Mangle jumps go first so marks are restored before anything else routes; nat goes last so the admin's own exceptions win. */
  position: 'first' | 'last';
}

export const OWN_CHAINS: readonly OwnChain[] = [
  { table: 'mangle', name: 'PIN-PREROUTING', hook: 'PREROUTING', position: 'first' },
  { table: 'mangle', name: 'PIN-INPUT', hook: 'INPUT', position: 'first' },
  { table: 'mangle', name: 'PIN-FORWARD', hook: 'FORWARD', position: 'first' },
  { table: 'mangle', name: 'PIN-OUTPUT', hook: 'OUTPUT', position: 'first' },
  { table: 'mangle', name: 'PIN-POSTROUTING', hook: 'POSTROUTING', position: 'first' },
  { table: 'nat', name: 'PIN-POSTROUTING', hook: 'POSTROUTING', position: 'last' },
];

const TABLES = ['mangle', 'nat'] as const;

/** The rules of each of our chains, keyed "table/chain". */
export function chainRules(config: Config): Map<string, string[]> {
  const mask = hex(config.markMask);
  const restore = `-j CONNMARK --restore-mark --nfmask ${mask} --ctmask ${mask}`;
  const skipLan = config.lanNetworks.map((network) => `-d ${network} -j RETURN`);
  // Only a connection's first packet is marked, and never one that already carries our mark.
  const onlyUnmarkedNew = ['-m conntrack ! --ctstate NEW -j RETURN', `-m connmark ! --mark 0x0/${mask} -j RETURN`];
  const markBy = (direction: '-i' | '-o') =>
    config.uplinks.map((uplink) => `${direction} ${uplink.name} -j CONNMARK --set-xmark ${hex(uplink.mark)}/${mask}`);

  return new Map([
    ['mangle/PIN-PREROUTING', [...skipLan, ...config.lanInterfaces.map((iface) => `-i ${iface} ${restore}`)]],
    ['mangle/PIN-INPUT', [...onlyUnmarkedNew, ...markBy('-i')]],
    ['mangle/PIN-FORWARD', [...onlyUnmarkedNew, ...markBy('-i')]],
    ['mangle/PIN-OUTPUT', [...skipLan, restore]],
    ['mangle/PIN-POSTROUTING', [...onlyUnmarkedNew, ...markBy('-o')]],
    ['nat/PIN-POSTROUTING', config.uplinks.filter((uplink) => uplink.masquerade).map((uplink) => `-o ${uplink.name} -j MASQUERADE`)],
  ]);
}

function jumpSpec(chain: OwnChain): string {
  return `${chain.hook} -j ${chain.name}`;
}

function jumpCount(state: IptablesState, chain: OwnChain): number {
  return state.get(chain.table)?.rules.filter((spec) => spec === jumpSpec(chain)).length ?? 0;
}

/**
 * Init for the current state: our chains (re)declared with their rules, and each jump added only
 * where it is missing, or deduplicated where an outside hand added it twice.
 */
export function planInit(config: Config, state: IptablesState): string {
  const rules = chainRules(config);
  const lines: string[] = [];
  for (const table of TABLES) {
    const chains = OWN_CHAINS.filter((chain) => chain.table === table);
    lines.push(`*${table}`);
    for (const chain of chains) lines.push(`:${chain.name} - [0:0]`);
    for (const chain of chains) for (const spec of rules.get(`${table}/${chain.name}`)!) lines.push(`-A ${chain.name} ${spec}`);
    for (const chain of chains) {
      const present = jumpCount(state, chain);
      if (present === 0) lines.push(chain.position === 'first' ? `-I ${chain.hook} 1 -j ${chain.name}` : `-A ${jumpSpec(chain)}`);
      for (let extra = 1; extra < present; extra++) lines.push(`-D ${jumpSpec(chain)}`);
    }
    lines.push('COMMIT');
  }
  return lines.join('\n') + '\n';
}

/** Everything init added and nothing else: every jump to our chains, then the chains. Empty when nothing is there. */
export function planRemoval(state: IptablesState): string {
  const lines: string[] = [];
  for (const table of TABLES) {
    const present = state.get(table);
    if (!present) continue;
    const ours = OWN_CHAINS.filter((chain) => chain.table === table && present.chains.has(chain.name)).map((chain) => chain.name);
    if (ours.length === 0) continue;
    lines.push(`*${table}`);
    for (const spec of present.rules) {
      const target = ruleTarget(spec);
      if (target && ours.includes(target) && !ours.includes(ruleChain(spec))) lines.push(`-D ${spec}`);
    }
    for (const name of ours) lines.push(`-F ${name}`);
    for (const name of ours) lines.push(`-X ${name}`);
    lines.push('COMMIT');
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

/** What iptables-save reports after init on a machine that had none of our rules: for `show` and tests. */
export function stateAfterInit(config: Config): IptablesState {
  const rules = chainRules(config);
  const state: IptablesState = new Map();
  for (const chain of OWN_CHAINS) {
    const table = state.get(chain.table) ?? { chains: new Map<string, string>(), rules: [] as string[] };
    state.set(chain.table, table);
    table.chains.set(chain.name, '-');
    table.rules.push(jumpSpec(chain), ...rules.get(`${chain.table}/${chain.name}`)!.map((spec) => `${chain.name} ${spec}`));
  }
  return state;
}

/**
 * Tables that hold nothing but our rules and empty ACCEPT built-in chains: init created them
 * (iptables-nft makes a table on first use), so flush deletes them to leave iptables-save as it was.
 */
export function tablesEmptyAfterRemoval(state: IptablesState): string[] {
  return TABLES.filter((table) => {
    const present = state.get(table);
    if (!present) return false;
    const ours = new Set(OWN_CHAINS.filter((chain) => chain.table === table).map((chain) => chain.name));
    const othersEmpty = [...present.chains].every(([name, policy]) => ours.has(name) || policy === 'ACCEPT');
    const onlyOurRules = present.rules.every((spec) => ours.has(ruleChain(spec)) || ours.has(ruleTarget(spec) ?? ''));
    return othersEmpty && onlyOurRules;
  });
}

function countBy(specs: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const spec of specs) counts.set(spec, (counts.get(spec) ?? 0) + 1);
  return counts;
}

/**
 * Brings our chains and the jumps to them back from `now` to `before`. iptables-restore commits
 * each table at its COMMIT, so a transaction that fails in nat may already have changed mangle.
 */
export function planRevert(before: IptablesState, now: IptablesState): string {
  const lines: string[] = [];
  for (const table of TABLES) {
    const was = before.get(table) ?? { chains: new Map<string, string>(), rules: [] as string[] };
    const is = now.get(table) ?? { chains: new Map<string, string>(), rules: [] as string[] };
    const chains = OWN_CHAINS.filter((chain) => chain.table === table);
    const names = new Set(chains.map((chain) => chain.name));
    const jumps = (rules: string[]) => rules.filter((spec) => names.has(ruleTarget(spec) ?? '') && !names.has(ruleChain(spec)));
    const body: string[] = [];
    for (const chain of chains) {
      const rulesOf = (state: typeof was) => state.rules.filter((spec) => ruleChain(spec) === chain.name);
      const changed = !is.chains.has(chain.name) || rulesOf(was).join('\n') !== rulesOf(is).join('\n');
      if (was.chains.has(chain.name) && changed) body.push(`:${chain.name} - [0:0]`, ...rulesOf(was).map((spec) => `-A ${spec}`));
    }
    const wanted = countBy(jumps(was.rules));
    const present = countBy(jumps(is.rules));
    for (const spec of new Set([...wanted.keys(), ...present.keys()])) {
      const missing = (wanted.get(spec) ?? 0) - (present.get(spec) ?? 0);
      const own = chains.find((chain) => jumpSpec(chain) === spec);
      for (let i = 0; i < missing; i++) body.push(own?.position === 'first' ? `-I ${own.hook} 1 -j ${own.name}` : `-A ${spec}`);
      for (let i = 0; i < -missing; i++) body.push(`-D ${spec}`);
    }
    const added = chains.filter((chain) => !was.chains.has(chain.name) && is.chains.has(chain.name)).map((chain) => chain.name);
    body.push(...added.map((name) => `-F ${name}`), ...added.map((name) => `-X ${name}`));
    if (body.length > 0) lines.push(`*${table}`, ...body, 'COMMIT');
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
