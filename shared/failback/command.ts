/** `pin-firewall failback NAME [--dry-run]`: the failback of ip-up, on demand, with its counts. */
import type { Config } from '../config.js';
import { UsageError } from '../errors.js';
import type { Log } from '../log.js';
import { findUplink } from '../uplink.js';
import { failback } from './run.js';

export function failbackCommand(config: Config, args: readonly string[], log: Log): string {
  const names = args.filter((arg) => !arg.startsWith('-'));
  const dryRun = args.includes('--dry-run');
  const uplink = names.length === 1 ? findUplink(config.uplinks, names[0]!) : undefined;
  if (!uplink) {
    const known = config.uplinks.map((each) => each.name).join(' ');
    throw new UsageError(`failback takes one uplink of the config (${known}), got "${names.join(' ')}"; e.g. pin-firewall failback ${config.uplinks[0]?.name ?? 'ppp0'}`);
  }
  const counts = failback(config, uplink, log, dryRun);
  return counts.map(({ uplink: name, entries }) => `${name}: ${entries} outgoing connections ${dryRun ? 'would be deleted' : 'deleted'}\n`).join('');
}
