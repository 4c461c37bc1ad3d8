/** pin-firewall init and flush: plan, apply one iptables-restore transaction, read only when needed. */
import { existsSync } from 'node:fs';
import type { Config } from '../../config.js';
import type { Log } from '../../log.js';
import { parseIptablesSave, type IptablesState } from './state.js';
import { execLocked, withLock } from '../../lock.js';
import { removeIncludeFile } from '../nft/include-file.js';
import { planDropTable } from '../nft/plan.js';
import { committedTables, planInit, planRemoval, planRevert, tablesEmptyAfterRemoval, withoutOurChains, type Table } from './plan.js';
import { isExecutable } from '../../probe.js';
import { PinError } from '../../errors.js';
import { runTool } from '../../runner.js';
import { readIptablesSave } from './save.js';

const RESTORE = ['--noflush', '--wait=10'];

/**
 * iptables-restore commits table by table (measured with iptables-nft 1.8.9: a rule rejected in
 * nat leaves mangle changed), so when a plan fails half-way our chains are put back as `before`.
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

/** Only iptables-nft makes tables that can be deleted again; legacy tables belong to the kernel. */
function deleteTables(config: Config, saved: string, tables: readonly Table[]): boolean {
  if (tables.length === 0 || !saved.includes('(nf_tables)') || !isExecutable(config.paths.nft)) return false;
  runTool(config.paths.nft, ['-f', '-'], tables.map((table) => `delete table ip ${table}\n`).join(''));
  return true;
}

/**
 * Reads, plans and applies under the lock. `committed` are the tables a failed first try did
 * change: they had none of our chains before it, so a failure here takes those out again, and
 * the tables themselves when the first try created them.
 */
function initFromState(config: Config, committed: readonly Table[]): void {
  withLock(config.paths, () => {
    const saved = readIptablesSave(config);
    const state = parseIptablesSave(saved);
    try {
      applyWhole(config, withoutOurChains(state, committed), planInit(config, state));
    } catch (error) {
      deleteTables(config, saved, tablesEmptyAfterRemoval(state).filter((table) => committed.includes(table)));
      throw error;
    }
  });
}

export function initFirewall(config: Config, log: Log): void {
  // Most inits meet none of our chains (at boot, after a firewall reload flushed everything):
  // the plan for that state goes first, in one locked run and without reading. Where our chains
  // exist, its -N lines make it fail before it changes that table; then we read and plan.
  const fresh = planInit(config, new Map());
  const first = execLocked(config.paths, config.paths.iptablesRestore, RESTORE, fresh);
  if (first.code !== 0) initFromState(config, committedTables(fresh, first.stderr));
  log.info(`installed pinning for ${config.uplinks.map((uplink) => uplink.name).join(' ')} (LAN ${config.lanInterfaces.join(' ')}) in iptables chains PIN-*`);
  dropNftTable(config, log);
}

/**
 * A switch from the nft backend: its table would mark every connection a second time. nft init
 * leaves its copy for nftables.conf beside every table it installs (or fails), so only where the
 * copy is does init start nft to drop the table: a boot or re-init on iptables starts none
 * (measured: 15 to 20 ms of wall time, most of it nft's netlink close). The table goes first, so
 * a failed drop leaves the copy for the next init to try again. The drop is idempotent and
 * touches nothing the lock guards (hooks never touch the firewall).
 */
function dropNftTable(config: Config, log: Log): void {
  if (!existsSync(config.nftFile)) return;
  if (isExecutable(config.paths.nft)) runTool(config.paths.nft, ['-f', '-'], planDropTable());
  if (removeIncludeFile(config.nftFile)) log.info(`removed ${config.nftFile}: nftables.service would load our nft table again`);
}

/** Our chains and the jumps to them taken out, and the tables init made if empty again; false when there were none. */
export function removeChains(config: Config, log: Log): boolean {
  return withLock(config.paths, () => {
    const saved = readIptablesSave(config);
    const state = parseIptablesSave(saved);
    const plan = planRemoval(state);
    if (plan === '') return false;
    applyWhole(config, state, plan);
    log.info('removed the pin-hooks chains and their jumps');
    const empty = tablesEmptyAfterRemoval(state);
    if (deleteTables(config, saved, empty)) log.info(`deleted the now empty ${empty.join(' and ')} table(s) that init created`);
    return true;
  });
}

export function flushFirewall(config: Config, log: Log): void {
  if (!removeChains(config, log)) log.info('no pin-hooks rules installed; nothing to remove');
}
