/**
 * `failback = move` at ip-up, and `pin-firewall failback NAME`: the outgoing connections pinned to
 * the less preferred uplinks are deleted from conntrack, so their next packet starts over, routed
 * by the main table, and the client sees a prompt reset. ip-up calls it after its rule and routes
 * are in place, or the restarted flows would form again on the old uplink.
 */
import type { Config } from '../config.js';
import { ConfigError, SystemError } from '../errors.js';
import type { Log } from '../log.js';
import { isExecutable } from '../probe.js';
import { execToolToFile, toolFailure } from '../runner.js';
import type { Uplink } from '../uplink.js';
import { lessPreferred, outboundPins } from './plan.js';

export interface FailbackCount {
  uplink: string;
  entries: number;
}

/**
 * conntrack 1.4.7 stops when an entry expires under it (fixed in 1.4.8), and is run again until a
 * pass completes. Measured with 10,000 pins expiring within 2 s: 8 to 10 passes; so the bound is
 * generous in passes and in time, and only there for a table that never settles.
 */
const MAX_PASSES = 50;
const MAX_MS = 10_000;

function shown(stderr: string): number | undefined {
  const match = /(\d+) flow entries have been shown/.exec(stderr);
  return match ? Number(match[1]) : undefined;
}

/** Each deleted entry is a line on stdout: counted so, a pass cut short still counts what it did. */
function deletePins(config: Config, filter: string): number {
  const args = ['-D', '-m', filter];
  const start = Date.now();
  let deleted = 0;
  for (let pass = 0; pass < MAX_PASSES && Date.now() - start < MAX_MS; pass++) {
    const exit = execToolToFile(config.paths.conntrack, args);
    deleted += exit.stdout.split('\n').filter((line) => line !== '').length;
    // It exits 1 when it deleted nothing, which is an answer, not a failure.
    if (/flow entries have been deleted/.test(exit.stderr)) return deleted;
    if (!/such conntrack doesn't exist/i.test(exit.stderr)) throw toolFailure(config.paths.conntrack, args, exit);
  }
  throw new SystemError(`conntrack ${args.join(' ')} was still cut short by expiring entries after ${Date.now() - start} ms (${deleted} deleted); run pin-firewall failback again`);
}

function listPins(config: Config, filter: string): number {
  const args = ['-L', '-m', filter];
  const exit = execToolToFile(config.paths.conntrack, args);
  const count = shown(exit.stderr);
  if (count === undefined) throw toolFailure(config.paths.conntrack, args, exit);
  return count;
}

export function failback(config: Config, uplink: Uplink, log: Log, dryRun: boolean): FailbackCount[] {
  if (config.outboundBit === 0) {
    throw new ConfigError('failback needs outgoing pins told apart from incoming ones: set failback = move on an uplink, then run pin-firewall init', config.source);
  }
  if (!isExecutable(config.paths.conntrack)) {
    throw new SystemError(`failback to ${uplink.name} needs conntrack (${config.paths.conntrack}); install conntrack or set [paths] conntrack: no connection was moved`);
  }
  const counts = lessPreferred(config, uplink).map((other) => {
    const filter = outboundPins(config, other);
    return { uplink: other.name, entries: dryRun ? listPins(config, filter) : deletePins(config, filter) };
  });
  const said = counts.map(({ uplink: name, entries }) => `${entries} pinned to ${name}`).join(', ') || 'no less preferred uplink';
  log.info(`failback to ${uplink.name}: ${dryRun ? 'would delete' : 'deleted'} outgoing connections: ${said}`);
  return counts;
}
