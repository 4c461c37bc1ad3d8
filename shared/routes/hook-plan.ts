/**
 * The hook planner: an uplink event -> one `ip -batch` text plus the sysctl writes it needs.
 * `rule flush table T` removes every rule pointing at the uplink's table, whatever a crash or an
 * older version left there, so the plan needs no read of the current rules: ip-up runs one
 * process, under the lock (measured: each extra process costs a hook about 2 ms, 7% of its time).
 */
import { ruleMask, type Config } from '../config.js';
import type { PppLink } from '../ppp-input.js';
import { hex, type Uplink } from '../uplink.js';
import { FLUSH_ALL_LINE, flushDeviceLine, installLines } from './route-lines.js';
import type { UplinkRoutes } from './route-set.js';

export interface SysctlWrite {
  /** Path below /proc/sys, e.g. net/ipv4/conf/ppp0/rp_filter. */
  key: string;
  value: string;
}

export interface HookPlan {
  /** Lines for `ip -batch -`: the uplink's rule and table. */
  batch: string[];
  /** Its prefix routes, sent after `batch` in the same run; taken back if the kernel refuses one. */
  routes: string[];
  sysctls: SysctlWrite[];
}

export function ruleLine(uplink: Uplink, config: Config): string {
  return `fwmark ${hex(uplink.mark)}/${hex(ruleMask(config))} table ${uplink.table} priority ${uplink.priority}`;
}

export function nextHop(link: PppLink): string {
  return link.remote ? `via ${link.remote} dev ${link.iface}` : `dev ${link.iface}`;
}

export function planUplinkUp(config: Config, uplink: Uplink, link: PppLink, routes?: UplinkRoutes): HookPlan {
  return {
    batch: [`route replace default ${nextHop(link)} table ${uplink.table}`, `rule flush table ${uplink.table}`, `rule add ${ruleLine(uplink, config)}`],
    routes: routes ? installLines(routes) : [],
    sysctls: config.rpFilter === 'loose' ? [{ key: `net/ipv4/conf/${link.iface}/rp_filter`, value: '2' }] : [],
  };
}

/**
 * The kernel deletes a device's routes when it is deleted or goes down; a device that is still
 * there (down) after a crash or a half-done link-down may keep ours, so its own go too.
 */
export function planUplinkDown(uplink: Uplink, deviceLeft: boolean): HookPlan {
  const batch = [`rule flush table ${uplink.table}`, `route flush table ${uplink.table}`];
  return { batch: deviceLeft ? [...batch, flushDeviceLine(uplink.name)] : batch, routes: [], sysctls: [] };
}

/** Every uplink's rules, tables and prefix routes at once: what the package does when it is removed. */
export function planAllUplinksDown(config: Config): HookPlan {
  return { batch: [...config.uplinks.flatMap((uplink) => planUplinkDown(uplink, false).batch), FLUSH_ALL_LINE], routes: [], sysctls: [] };
}
