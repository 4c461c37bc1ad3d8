/** pin-firewall init and flush: read iptables-save, plan, apply one iptables-restore transaction. */
import type { Config } from './config.js';
import type { Log } from './log.js';
import { parseIptablesSave, type IptablesState } from './iptables-state.js';
import { withLock } from './lock.js';
import { planInit, planRemoval, planRevert, tablesEmptyAfterRemoval } from './plan-firewall.js';
import { isExecutable, readIptablesSave } from './probe.js';
import { PinError } from './errors.js';
import { runTool } from './runner.js';

const RESTORE = ['--noflush', '--wait=10'];

/**
 * iptables-restore commits table by table (measured with iptables-nft 1.8.9: a rule rejected in
 * nat leaves mangle changed), so when a plan fails half-way our chains are put back as they were.
 */
function applyWhole(config: Config, before: IptablesState, plan: string): void {
  try {
    runTool(config.paths.iptablesRestore, RESTORE, plan);
  } catch (error) {
    const revert = planRevert(before, parseIptablesSave(readIptablesSave(config)));
    if (revert !== '') runTool(config.paths.iptablesRestore, RESTORE, revert);
    throw error instanceof PinError ? new PinError(`${error.message} (our chains were put back as they were)`, error.exitCode) : error;
  }
}

export function initFirewall(config: Config, log: Log): void {
  withLock(config.paths, () => {
    const state = parseIptablesSave(readIptablesSave(config));
    applyWhole(config, state, planInit(config, state));
  });
  log.info(`installed pinning for ${config.uplinks.map((uplink) => uplink.name).join(' ')} (LAN ${config.lanInterfaces.join(' ')})`);
}

export function flushFirewall(config: Config, log: Log): void {
  withLock(config.paths, () => {
    const saved = readIptablesSave(config);
    const state = parseIptablesSave(saved);
    const plan = planRemoval(state);
    if (plan === '') return log.info('no pin-hooks rules installed; nothing to remove');
    applyWhole(config, state, plan);
    log.info('removed the pin-hooks chains and their jumps');
    // Only iptables-nft makes tables that can be deleted again; legacy tables belong to the kernel.
    const empty = tablesEmptyAfterRemoval(state);
    if (empty.length === 0 || !saved.includes('(nf_tables)') || !isExecutable(config.paths.nft)) return;
    runTool(config.paths.nft, ['-f', '-'], empty.map((table) => `delete table ip ${table}\n`).join(''));
    log.info(`deleted the now empty ${empty.join(' and ')} table(s) that init created`);
  });
}
