/** Reads `iptables-save` output into what the planners need: chains and rules per table. */

export interface IptablesTable {
  /** Chain name -> policy ("-" for user chains). */
  chains: Map<string, string>;
  /** Rule specs as iptables-save prints them, without the leading "-A ". */
  rules: string[];
}

export type IptablesState = Map<string, IptablesTable>;

export function parseIptablesSave(text: string): IptablesState {
  const state: IptablesState = new Map();
  let current: IptablesTable | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      current = { chains: new Map(), rules: [] };
      state.set(line.slice(1), current);
    } else if (current && line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(/\s+/);
      current.chains.set(name!, policy ?? '-');
    } else if (current && line.startsWith('-A ')) {
      current.rules.push(line.slice(3));
    }
  }
  return state;
}

/** The chain a rule spec belongs to and its jump target, if any. */
export function ruleChain(spec: string): string {
  return spec.split(' ', 1)[0]!;
}

export function ruleTarget(spec: string): string | undefined {
  return / -j (\S+)/.exec(spec)?.[1];
}
