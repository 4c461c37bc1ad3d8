/**
 * The hook planner: an uplink event -> one `ip -batch` text plus the sysctl writes it needs.
 * Rules are matched by the table they point at, so whatever a crash or an older version left
 * behind for that table is replaced by exactly one rule.
 */
import type { Config } from './config.js';
import { hex, type Uplink } from './uplink.js';

/** One rule of `ip -j -N rule show` (numeric tables). */
export interface IpRule {
  priority: number;
  table?: string;
  src?: string;
  fwmark?: string;
  fwmask?: string;
  [selector: string]: unknown;
}

export interface SysctlWrite {
  /** Path below /proc/sys, e.g. net/ipv4/conf/ppp0/rp_filter. */
  key: string;
  value: string;
}

export interface HookPlan {
  /** Lines for `ip -batch -`; empty when there is nothing to change. */
  batch: string[];
  sysctls: SysctlWrite[];
}

export interface LinkUp {
  iface: string;
  /** The peer's address; absent when pppd gave none, then the route goes by device. */
  remote?: string;
}

export function parseIpRules(json: string): IpRule[] {
  const rules = JSON.parse(json === '' ? '[]' : json) as unknown;
  if (!Array.isArray(rules)) throw new Error('ip -j rule show did not print a JSON list');
  return rules as IpRule[];
}

const DESIRED_KEYS = new Set(['priority', 'src', 'fwmark', 'fwmask', 'table']);

function isDesiredRule(rule: IpRule, uplink: Uplink, mask: number): boolean {
  return (
    rule.priority === uplink.priority &&
    rule.table === String(uplink.table) &&
    rule.fwmark === hex(uplink.mark) &&
    rule.fwmask === hex(mask) &&
    (rule.src === undefined || rule.src === 'all') &&
    Object.keys(rule).every((key) => DESIRED_KEYS.has(key))
  );
}

function rulesOfTable(rules: readonly IpRule[], uplink: Uplink): IpRule[] {
  return rules.filter((rule) => rule.table === String(uplink.table));
}

function deleteRules(rules: readonly IpRule[]): string[] {
  return rules.map((rule) => `rule del priority ${rule.priority} table ${rule.table}`);
}

export function ruleLine(uplink: Uplink, mask: number): string {
  return `fwmark ${hex(uplink.mark)}/${hex(mask)} table ${uplink.table} priority ${uplink.priority}`;
}

export function planUplinkUp(config: Config, uplink: Uplink, link: LinkUp, rules: readonly IpRule[]): HookPlan {
  const nextHop = link.remote ? `via ${link.remote} dev ${link.iface}` : `dev ${link.iface}`;
  const batch = [`route replace default ${nextHop} table ${uplink.table}`];
  const present = rulesOfTable(rules, uplink);
  const exact = present.length === 1 && isDesiredRule(present[0]!, uplink, config.markMask);
  if (!exact) batch.push(...deleteRules(present), `rule add ${ruleLine(uplink, config.markMask)}`);
  const sysctls = config.rpFilter === 'loose' ? [{ key: `net/ipv4/conf/${link.iface}/rp_filter`, value: '2' }] : [];
  return { batch, sysctls };
}

export function planUplinkDown(uplink: Uplink, rules: readonly IpRule[]): HookPlan {
  return { batch: [...deleteRules(rulesOfTable(rules, uplink)), `route flush table ${uplink.table}`], sysctls: [] };
}
