/**
 * The hook planner: an uplink event -> one `ip -batch` text plus the sysctl writes it needs.
 * `rule flush table T` removes every rule pointing at the uplink's table, whatever a crash or an
 * older version left there, so the plan needs no read of the current rules: ip-up runs one
 * process, under the lock (measured: each extra process costs a hook about 2 ms, 7% of its time).
 */
import type { Config } from './config.js';
import { hex, type Uplink } from './uplink.js';

export interface SysctlWrite {
  /** Path below /proc/sys, e.g. net/ipv4/conf/ppp0/rp_filter. */
  key: string;
  value: string;
}

export interface HookPlan {
  /** Lines for `ip -batch -`. */
  batch: string[];
  sysctls: SysctlWrite[];
}

export interface LinkUp {
  iface: string;
  /** The peer's address; absent when pppd gave none, then the route goes by device. */
  remote?: string;
}

export function ruleLine(uplink: Uplink, mask: number): string {
  return `fwmark ${hex(uplink.mark)}/${hex(mask)} table ${uplink.table} priority ${uplink.priority}`;
}

export function planUplinkUp(config: Config, uplink: Uplink, link: LinkUp): HookPlan {
  const nextHop = link.remote ? `via ${link.remote} dev ${link.iface}` : `dev ${link.iface}`;
  return {
    batch: [`route replace default ${nextHop} table ${uplink.table}`, `rule flush table ${uplink.table}`, `rule add ${ruleLine(uplink, config.markMask)}`],
    sysctls: config.rpFilter === 'loose' ? [{ key: `net/ipv4/conf/${link.iface}/rp_filter`, value: '2' }] : [],
  };
}

export function planUplinkDown(uplink: Uplink): HookPlan {
  return { batch: [`rule flush table ${uplink.table}`, `route flush table ${uplink.table}`], sysctls: [] };
}
