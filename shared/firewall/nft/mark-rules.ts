/**
 * The rules outside our table that use mark bits, from `nft list ruleset`: native tables and
 * iptables-nft's alike (it prints their mark matches and targets as nft expressions).
 */
import type { MarkRule } from '../backend.js';
import { maskBits } from '../../uplink.js';
import { TABLE } from './plan.js';

const ALL_BITS = maskBits(undefined);
const WRITE = /\b(?:meta |ct )?mark set (.*?)(?= (?:counter|accept|drop|return|jump|goto)\b|$)/g;
const READ = /\b(?:meta |ct )?mark\b(?: and (0x[0-9a-f]+))?/g;

/** A write ("mark set mark and 0xffffff00 xor 0x1") keeps the bits of its and-mask; a read ("ct mark and 0xff00 == 0x200") sees them. */
export function markBitsOfNftRule(rule: string): number {
  let bits = 0;
  const reads = rule.replace(WRITE, (_, value: string) => {
    const keep = /\band (0x[0-9a-f]+)\b/.exec(value);
    bits |= keep ? ~Number(keep[1]) : ALL_BITS;
    return '';
  });
  for (const match of reads.matchAll(READ)) bits |= match[1] === undefined ? ALL_BITS : Number(match[1]);
  return bits >>> 0;
}

export function foreignNftMarkRules(ruleset: string): MarkRule[] {
  const found: MarkRule[] = [];
  let table = '';
  let chain: string | undefined;
  for (const raw of ruleset.split('\n')) {
    const line = raw.trim();
    const opens = /^(table|chain) (.+) \{$/.exec(line);
    if (opens) {
      if (opens[1] === 'table') table = opens[2]!;
      else chain = opens[2]!;
      continue;
    }
    if (line === '}') chain = undefined;
    // Ours: our table, and the chains the iptables backend leaves until a switch removes them.
    if (chain === undefined || line.startsWith('type ') || table === TABLE || chain.startsWith('PIN-')) continue;
    const bits = markBitsOfNftRule(line);
    if (bits !== 0) found.push({ rule: `table ${table} chain ${chain}: ${line}`, bits });
  }
  return found;
}
