/** The rules outside our chains that use mark bits, from the forms iptables-save prints. */
import type { MarkRule } from '../backend.js';
import { maskBits } from '../../uplink.js';
import { OWN_CHAINS } from './plan.js';
import { ruleChain, type IptablesState } from './state.js';

/** The mark bits an iptables rule reads or writes. */
export function markBitsOfRule(spec: string): number {
  let bits = 0;
  for (const match of spec.matchAll(/--(?:set-xmark|set-mark|mark) (0x[0-9a-f]+|\d+)(?:\/(0x[0-9a-f]+|\d+))?/gi)) {
    bits |= maskBits(match[2]);
  }
  if (/--(?:restore|save)-mark/.test(spec)) {
    const masks = [...spec.matchAll(/--(?:nfmask|ctmask|mask) (0x[0-9a-f]+|\d+)/g)].map((match) => maskBits(match[1]));
    bits |= masks.length === 0 ? maskBits(undefined) : masks.reduce((a, b) => a | b, 0);
  }
  return bits >>> 0;
}

export function foreignMarkRules(state: IptablesState): MarkRule[] {
  const ours = new Set(OWN_CHAINS.map((chain) => `${chain.table}/${chain.name}`));
  const found: MarkRule[] = [];
  for (const [table, content] of state) {
    for (const spec of content.rules) {
      if (ours.has(`${table}/${ruleChain(spec)}`)) continue;
      const bits = markBitsOfRule(spec);
      if (bits !== 0) found.push({ rule: `-t ${table} -A ${spec}`, bits });
    }
  }
  return found;
}
