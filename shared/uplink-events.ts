/** What the ip-up and ip-down hooks do, under the global lock: read rules, plan, apply one ip batch. */
import type { Config } from './config.js';
import type { Log } from './log.js';
import { withLock } from './lock.js';
import type { PppLink } from './ppp-input.js';
import { planUplinkDown, planUplinkUp, ruleLine, type HookPlan } from './plan-route.js';
import { readRules } from './probe.js';
import { runTool, writeSysctl } from './runner.js';
import { findUplink, type Uplink } from './uplink.js';

/** The batch goes first: if the interface is already gone it fails before any sysctl is written. */
async function applyHookPlan(config: Config, plan: HookPlan): Promise<void> {
  if (plan.batch.length > 0) await runTool(config.paths.ip, ['-batch', '-'], plan.batch.join('\n') + '\n');
  for (const sysctl of plan.sysctls) writeSysctl(sysctl.key, sysctl.value);
}

function managed(config: Config, iface: string, log: Log): Uplink | undefined {
  const uplink = findUplink(config.uplinks, iface);
  if (!uplink) log.info(`${iface} is not an uplink in ${config.source ?? 'the built-in defaults'}; nothing to do`);
  return uplink;
}

export async function uplinkUp(config: Config, link: PppLink, log: Log): Promise<void> {
  const uplink = managed(config, link.iface, log);
  if (!uplink) return;
  await withLock(config.paths, async () => {
    const plan = planUplinkUp(config, uplink, link, await readRules(config));
    await applyHookPlan(config, plan);
    const via = link.remote ? `via ${link.remote}` : `dev ${link.iface}`;
    log.info(`${uplink.name} up: table ${uplink.table} default ${via}; rule ${ruleLine(uplink, config.markMask)}${plan.batch.length === 1 ? ' (already there)' : ''}`);
  });
}

export async function uplinkDown(config: Config, link: PppLink, log: Log): Promise<void> {
  const uplink = managed(config, link.iface, log);
  if (!uplink) return;
  await withLock(config.paths, async () => {
    const plan = planUplinkDown(uplink, await readRules(config));
    await applyHookPlan(config, plan);
    log.info(`${uplink.name} down: removed ${plan.batch.length - 1} rule(s) for table ${uplink.table} and flushed it`);
  });
}

/** Every uplink's rules and table removed at once: what the package does when it is removed. */
export async function allUplinksDown(config: Config, log: Log): Promise<void> {
  await withLock(config.paths, async () => {
    const rules = await readRules(config);
    const batch = config.uplinks.flatMap((uplink) => planUplinkDown(uplink, rules).batch);
    await applyHookPlan(config, { batch, sysctls: [] });
  });
  log.info(`removed the rules and tables of ${config.uplinks.map((uplink) => uplink.name).join(' ')}`);
}
