/**
 * The firewall planner: config -> one `iptables-restore --noflush` transaction.
 * Our rules live in chains of our own, hooked once from the built-in chains, so init can be
 * re-run (declaring a chain in --noflush mode empties it) and flush removes exactly what init added.
 * Per uplink there are three rules (mark by in- and by out-interface, MASQUERADE): the transaction
 * grows by as little as iptables allows.
 */
import type { Config } from '../../config.js';
import { ruleChain, ruleTarget, type IptablesState } from './state.js';
import { hex } from '../../uplink.js';

export type Table = 'mangle' | 'nat';

export interface OwnChain {
  table: Table;
  name: string;
  /**
   * The built-in chain that jumps to it, and where: mangle jumps go first so marks are restored
   * before anything else routes; nat goes last so the admin's own exceptions win. None for a
   * chain only our own chains jump to.
   */
  hook?: { chain: string; position: 'first' | 'last' };
}

export const OWN_CHAINS: readonly OwnChain[] = [
  { table: 'mangle', name: 'PIN-PREROUTING', hook: { chain: 'PREROUTING', position: 'first' } },
  { table: 'mangle', name: 'PIN-MARK-IN' },
  { table: 'mangle', name: 'PIN-OUTPUT', hook: { chain: 'OUTPUT', position: 'first' } },
  { table: 'mangle', name: 'PIN-POSTROUTING', hook: { chain: 'POSTROUTING', position: 'first' } },
  { table: 'nat', name: 'PIN-POSTROUTING', hook: { chain: 'POSTROUTING', position: 'last' } },
];

const TABLES: readonly Table[] = ['mangle', 'nat'];

/** The rules of each of our chains, keyed "table/chain". */
export function chainRules(config: Config): Map<string, string[]> {
  const mask = hex(config.markMask);
  const restore = `-j CONNMARK --restore-mark --nfmask ${mask} --ctmask ${mask}`;
  const skipLan = config.lanNetworks.map((network) => `-d ${network} -j RETURN`);
  // Only a connection's first packet is marked, and never one that already carries our mark.
  const onlyUnmarkedNew = ['-m conntrack ! --ctstate NEW -j RETURN', `-m connmark ! --mark 0x0/${mask} -j RETURN`];
  // Outgoing connections carry the direction bit too (when failback uses it): only those move back.
  const markBy = (direction: '-i' | '-o', bit: number) =>
    config.uplinks.map((uplink) => `${direction} ${uplink.name} -j CONNMARK --set-xmark ${hex(uplink.mark | bit)}/${mask}`);

  // Connections born on an uplink are marked in PREROUTING, before the LAN skip: that serves
  // the router's own services and DNAT or routed LAN hosts alike, with one rule per uplink.
  const markArrivals = `-m conntrack --ctstate NEW -m connmark --mark 0x0/${mask} -j PIN-MARK-IN`;

  return new Map([
    ['mangle/PIN-PREROUTING', [markArrivals, ...skipLan, ...config.lanInterfaces.map((iface) => `-i ${iface} ${restore}`)]],
    ['mangle/PIN-MARK-IN', markBy('-i', 0)],
    ['mangle/PIN-OUTPUT', [...skipLan, restore]],
    ['mangle/PIN-POSTROUTING', [...onlyUnmarkedNew, ...markBy('-o', config.outboundBit)]],
    ['nat/PIN-POSTROUTING', config.uplinks.filter((uplink) => uplink.masquerade).map((uplink) => `-o ${uplink.name} -j MASQUERADE`)],
  ]);
}

type HookedChain = OwnChain & Required<Pick<OwnChain, 'hook'>>;

const isHooked = (chain: OwnChain): chain is HookedChain => chain.hook !== undefined;

const HOOKED = OWN_CHAINS.filter(isHooked);

function jumpSpec(chain: HookedChain): string {
  return `${chain.hook.chain} -j ${chain.name}`;
}

function addJump(chain: HookedChain): string {
  return chain.hook.position === 'first' ? `-I ${chain.hook.chain} 1 -j ${chain.name}` : `-A ${jumpSpec(chain)}`;
}

function jumpCount(state: IptablesState, chain: HookedChain): number {
  return state.get(chain.table)?.rules.filter((spec) => spec === jumpSpec(chain)).length ?? 0;
}

/**
 * Init for the current state: our chains declared with their rules, and each jump added only
 * where it is missing, or deduplicated where an outside hand added it twice. A chain the state
 * lacks is created with -N, which fails if it exists after all: the plan for a state without
 * any of our chains can be applied without reading, and changes nothing in a table that has them.
 */
export function planInit(config: Config, state: IptablesState): string {
  const rules = chainRules(config);
  const lines: string[] = [];
  for (const table of TABLES) {
    const chains = OWN_CHAINS.filter((chain) => chain.table === table);
    const present = state.get(table)?.chains;
    lines.push(`*${table}`);
    for (const chain of chains) lines.push(present?.has(chain.name) ? `:${chain.name} - [0:0]` : `-N ${chain.name}`);
    for (const chain of chains) for (const spec of rules.get(`${table}/${chain.name}`)!) lines.push(`-A ${chain.name} ${spec}`);
    for (const chain of HOOKED.filter((hooked) => hooked.table === table)) {
      const jumps = jumpCount(state, chain);
      if (jumps === 0) lines.push(addJump(chain));
      for (let extra = 1; extra < jumps; extra++) lines.push(`-D ${jumpSpec(chain)}`);
    }
    lines.push('COMMIT');
  }
  return lines.join('\n') + '\n';
}

/**
 * The tables a failed iptables-restore had committed: it commits each table at its COMMIT and
 * names the failing line ("line 7 failed", "Error occurred at line: 7"), so every table whose
 * COMMIT comes before that line is in. Without a line number, none is known to be.
 */
export function committedTables(plan: string, complaint: string): Table[] {
  const failed = Number(/\bline:? (\d+)/.exec(complaint)?.[1] ?? 0);
  const committed: Table[] = [];
  let table: Table | undefined;
  plan.split('\n').forEach((line, index) => {
    if (line.startsWith('*')) table = line.slice(1) as Table;
    else if (line === 'COMMIT' && table && index + 1 < failed) committed.push(table);
  });
  return committed;
}

/** The state with our chains, and every jump to them, taken out of the given tables. */
export function withoutOurChains(state: IptablesState, tables: readonly Table[]): IptablesState {
  const result: IptablesState = new Map();
  for (const [table, content] of state) {
    const ours = new Set(tables.includes(table as Table) ? OWN_CHAINS.filter((chain) => chain.table === table).map((chain) => chain.name) : []);
    result.set(table, {
      chains: new Map([...content.chains].filter(([name]) => !ours.has(name))),
      rules: content.rules.filter((spec) => !ours.has(ruleChain(spec)) && !ours.has(ruleTarget(spec) ?? '')),
    });
  }
  return result;
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
    if (isHooked(chain)) table.rules.push(jumpSpec(chain));
    table.rules.push(...rules.get(`${chain.table}/${chain.name}`)!.map((spec) => `${chain.name} ${spec}`));
  }
  return state;
}

/**
 * Tables that hold nothing but our rules and empty ACCEPT built-in chains: init created them
 * (iptables-nft makes a table on first use), so flush deletes them to leave iptables-save as it was.
 */
export function tablesEmptyAfterRemoval(state: IptablesState): Table[] {
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
      const own = HOOKED.find((chain) => chain.table === table && jumpSpec(chain) === spec);
      for (let i = 0; i < missing; i++) body.push(own ? addJump(own) : `-A ${spec}`);
      for (let i = 0; i < -missing; i++) body.push(`-D ${spec}`);
    }
    const added = chains.filter((chain) => !was.chains.has(chain.name) && is.chains.has(chain.name)).map((chain) => chain.name);
    body.push(...added.map((name) => `-F ${name}`), ...added.map((name) => `-X ${name}`));
    if (body.length > 0) lines.push(`*${table}`, ...body, 'COMMIT');
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
