/**
 * `pin-firewall routes --apply`: changed lists reach the uplinks that are up without a reconnect.
 * Every list is read and checked first (a bad line changes nothing); then, under the global lock,
 * what the kernel holds of ours is read and only the difference is sent, in one `ip -batch`.
 */
import type { Config } from '../config.js';
import { withLock } from '../lock.js';
import type { Log } from '../log.js';
import { readLinks } from '../probe.js';
import { IP_BATCH, batchInput, runTool } from '../runner.js';
import { readOurRoutes } from './kernel.js';
import { loadRouteLists } from './load.js';
import { planRouteChanges, type RouteChanges } from './route-lines.js';

export function applyRouteLists(config: Config, log: Log): RouteChanges {
  const lists = loadRouteLists(config, config.uplinks);
  return withLock(config.paths, () => {
    const up = new Set(readLinks(config).filter((link) => link.up).map((link) => link.name));
    const carrying = lists.uplinks.filter((routes) => up.has(routes.uplink.name));
    const changes = planRouteChanges(carrying, readOurRoutes(config));
    if (changes.lines.length > 0) runTool(config.paths.ip, IP_BATCH, batchInput(changes.lines));
    const names = carrying.map((routes) => routes.uplink.name).join(' ') || 'none';
    log.info(`routes applied to the uplinks that are up (${names}): ${changes.added} added, ${changes.removed} removed`);
    return changes;
  });
}
