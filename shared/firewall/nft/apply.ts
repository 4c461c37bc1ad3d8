/**
 * Init and flush for the nftables backend: each is one `nft -f` transaction under the global
 * lock, atomic in the kernel (a refused line changes nothing), so nothing is read first or put
 * back after. A switch from the iptables backend removes its chains; the same nft run lists the
 * tables, so a router where iptables holds no mangle or nat table pays no second process for it.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Config } from '../../config.js';
import { execLocked } from '../../lock.js';
import type { Log } from '../../log.js';
import { isExecutable } from '../../probe.js';
import { toolFailure } from '../../runner.js';
import { removeChains } from '../iptables/apply.js';
import { removeIncludeFile, writeIncludeFile } from './include-file.js';
import { TABLE, planInit, planRemoval } from './plan.js';

const NFT_FILE = ['-f', '-'];

/** iptables-nft keeps its rules in these nftables tables; iptables-legacy names its tables in /proc. */
function iptablesMayHoldOurs(tables: string): boolean {
  if (/^table ip (mangle|nat)$/m.test(tables)) return true;
  const legacy = '/proc/net/ip_tables_names';
  return existsSync(legacy) && /^(mangle|nat)$/m.test(readFileSync(legacy, 'utf8'));
}

export function initNft(config: Config, log: Log): void {
  const table = planInit(config);
  const plan = table + 'list tables\n';
  const exit = execLocked(config.paths, config.paths.nft, NFT_FILE, plan);
  if (exit.code !== 0) throw toolFailure(config.paths.nft, NFT_FILE, exit, plan);
  log.info(`installed pinning for ${config.uplinks.map((uplink) => uplink.name).join(' ')} (LAN ${config.lanInterfaces.join(' ')}) in table ${TABLE}`);
  writeIncludeFile(config.nftFile, table);
  if (iptablesMayHoldOurs(exit.stdout) && isExecutable(config.paths.iptablesSave)) removeChains(config, log);
}

/** A plain delete: nft says "No such file or directory" when there is nothing to remove. */
export function flushNft(config: Config, log: Log): void {
  if (removeIncludeFile(config.nftFile)) log.info(`removed ${config.nftFile}`);
  const plan = planRemoval();
  const exit = execLocked(config.paths, config.paths.nft, NFT_FILE, plan);
  if (exit.code === 0) return log.info(`removed table ${TABLE}`);
  if (!/No such file or directory/.test(exit.stderr)) throw toolFailure(config.paths.nft, NFT_FILE, exit, plan);
  log.info('no pin-hooks table installed; nothing to remove');
}
