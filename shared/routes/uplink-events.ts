/**
 * What the ip-up and ip-down hooks do: plan, then one `ip -batch` under the global lock.
 * ip-down of a link that pppd has already replaced (the next ip-up came first, or is coming)
 * must not take the new link's rule away: pppd deletes the interface before ip-down, so an
 * interface that is up again when ip-down holds the lock belongs to a new link.
 */
import type { Config } from '../config.js';
import { SystemError } from '../errors.js';
import { failback } from '../failback/run.js';
import type { Log } from '../log.js';
import { withLock } from '../lock.js';
import type { PppLink } from '../ppp-input.js';
import { readLink } from '../probe.js';
import { IP_BATCH, batchInput, runTool, writeSysctl } from '../runner.js';
import { findUplink, type Uplink } from '../uplink.js';
import { nextHop, planAllUplinksDown, planUplinkDown, planUplinkUp, ruleLine, type HookPlan } from './hook-plan.js';
import { IP_FORCE_BATCH, applyBatch } from './ip-batch.js';
import { hasRouteLists, loadRouteLists } from './load.js';
import { takeBackLines } from './route-lines.js';

/**
 * The batch goes first: if the interface is already gone it fails before any sysctl is written.
 * When the kernel refuses a prefix route half-way, the routes this run added are taken back, so
 * the uplink carries its whole list or none of it.
 */
function applyHookPlan(config: Config, plan: HookPlan): void {
  const failure = applyBatch(config, IP_BATCH, [...plan.batch, ...plan.routes]);
  if (failure) {
    const added = plan.routes.slice(0, Math.max(0, failure.line - 1 - plan.batch.length));
    if (added.length === 0) throw failure.error;
    const takeBack = applyBatch(config, IP_FORCE_BATCH, takeBackLines(added));
    const outcome = takeBack ? `taking back the ${added.length} prefix routes it had added failed too: ${takeBack.error.message}` : `took back the ${added.length} prefix routes this run had added before that line`;
    throw new SystemError(`${failure.error.message}; ${outcome}`);
  }
  for (const sysctl of plan.sysctls) writeSysctl(sysctl.key, sysctl.value);
}

function managed(config: Config, iface: string, log: Log): Uplink | undefined {
  const uplink = findUplink(config.uplinks, iface);
  if (!uplink) log.info(`${iface} is not an uplink in ${config.source ?? 'the built-in defaults'}; nothing to do`);
  return uplink;
}

export function uplinkUp(config: Config, link: PppLink, log: Log): void {
  const uplink = managed(config, link.iface, log);
  if (!uplink) return;
  // An uplink without lists reads no file; one with a bad list changes nothing, its rule included.
  const routes = hasRouteLists(config, uplink) ? loadRouteLists(config, [uplink]).uplinks[0] : undefined;
  const plan = planUplinkUp(config, uplink, link, routes);
  applyHookPlan(config, plan);
  const prefixes = routes ? `; ${plan.routes.length} prefix routes` : '';
  log.info(`${uplink.name} up: table ${uplink.table} default ${nextHop(link)}; rule ${ruleLine(uplink, config)}${prefixes}`);
  // Only now, with its rule and routes in place: flows restarted earlier would form on the old uplink again.
  if (uplink.failback === 'move') failback(config, uplink, log, false);
}

export function uplinkDown(config: Config, link: PppLink, log: Log): void {
  const uplink = managed(config, link.iface, log);
  if (!uplink) return;
  const removed = withLock(config.paths, () => {
    const device = readLink(config, uplink.name);
    if (device?.up) return false;
    runTool(config.paths.ip, IP_BATCH, batchInput(planUplinkDown(uplink, device !== undefined).batch));
    return true;
  });
  log.info(
    removed
      ? `${uplink.name} down: removed the rules of table ${uplink.table} and flushed it, and its prefix routes`
      : `${uplink.name} down, but ${uplink.name} is up again (a new link): left its rule, table and routes to it`,
  );
}

/** Every uplink's rules, tables and prefix routes removed at once: what the package does when it is removed. */
export function allUplinksDown(config: Config, log: Log): void {
  applyHookPlan(config, planAllUplinksDown(config));
  log.info(`removed the rules and tables of ${config.uplinks.map((uplink) => uplink.name).join(' ')} and every prefix route of ours`);
}
