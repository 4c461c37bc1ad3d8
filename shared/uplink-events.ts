/**
 * What the ip-up and ip-down hooks do: plan, then one `ip -batch` under the global lock.
 * ip-down of a link that pppd has already replaced (the next ip-up came first, or is coming)
 * must not take the new link's rule away: pppd deletes the interface before ip-down, so an
 * interface that is up again when ip-down holds the lock belongs to a new link.
 */
import type { Config } from './config.js';
import type { Log } from './log.js';
import { runLocked, withLock } from './lock.js';
import type { PppLink } from './ppp-input.js';
import { planUplinkDown, planUplinkUp, ruleLine, type HookPlan } from './plan-route.js';
import { readLink } from './probe.js';
import { runTool, writeSysctl } from './runner.js';
import { findUplink, type Uplink } from './uplink.js';

const IP_BATCH = ['-batch', '-'];
const batchInput = (plan: HookPlan) => plan.batch.join('\n') + '\n';

/** The batch goes first: if the interface is already gone it fails before any sysctl is written. */
function applyHookPlan(config: Config, plan: HookPlan): void {
  runLocked(config.paths, config.paths.ip, IP_BATCH, batchInput(plan));
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
  applyHookPlan(config, planUplinkUp(config, uplink, link));
  log.info(`${uplink.name} up: table ${uplink.table} default ${link.remote ? `via ${link.remote}` : `dev ${link.iface}`}; rule ${ruleLine(uplink, config.markMask)}`);
}

export function uplinkDown(config: Config, link: PppLink, log: Log): void {
  const uplink = managed(config, link.iface, log);
  if (!uplink) return;
  const removed = withLock(config.paths, () => {
    if (readLink(config, uplink.name)?.up) return false;
    runTool(config.paths.ip, IP_BATCH, batchInput(planUplinkDown(uplink)));
    return true;
  });
  log.info(
    removed
      ? `${uplink.name} down: removed the rules of table ${uplink.table} and flushed it`
      : `${uplink.name} down, but ${uplink.name} is up again (a new link): left its rule and table to it`,
  );
}

/** Every uplink's rules and table removed at once: what the package does when it is removed. */
export function allUplinksDown(config: Config, log: Log): void {
  applyHookPlan(config, { batch: config.uplinks.flatMap((uplink) => planUplinkDown(uplink).batch), sysctls: [] });
  log.info(`removed the rules and tables of ${config.uplinks.map((uplink) => uplink.name).join(' ')}`);
}
