/** `pin-firewall routes [ADDRESS] [--json] [--apply]`: reads lists and kernel, then prints or applies. */
import type { Config } from '../config.js';
import { UsageError } from '../errors.js';
import type { Log } from '../log.js';
import { isIPv4 } from '../net.js';
import { readLinks } from '../probe.js';
import { applyRouteLists } from './apply.js';
import { readOurRoutes, readRouteDevice } from './kernel.js';
import { loadRouteLists } from './load.js';
import { explainAddress, formatRoutesReport, routesReport } from './report.js';

export const ROUTES_FLAGS = ['--json', '--apply'];

const routeCount = (count: number) => `${count} route${count === 1 ? '' : 's'}`;

export function routesCommand(config: Config, args: readonly string[], log: Log): string {
  const flags = args.filter((arg) => arg.startsWith('-'));
  const [address, ...extra] = args.filter((arg) => !arg.startsWith('-'));
  if (extra.length > 0) throw new UsageError(`routes takes one address, got "${[address, ...extra].join(' ')}"; e.g. pin-firewall routes 196.21.3.4`);
  if (address !== undefined && !isIPv4(address)) throw new UsageError(`"${address}" is not an IPv4 address; e.g. pin-firewall routes 196.21.3.4`);
  if (flags.includes('--apply')) {
    if (address !== undefined || flags.includes('--json')) throw new UsageError('routes --apply takes nothing else; run pin-firewall routes afterwards to see the result');
    const changes = applyRouteLists(config, log);
    return `${routeCount(changes.added)} added, ${changes.removed} removed\n`;
  }
  const lists = loadRouteLists(config, config.uplinks);
  const up = new Set(readLinks(config).filter((link) => link.up).map((link) => link.name));
  if (address !== undefined) {
    if (flags.includes('--json')) throw new UsageError('routes ADDRESS prints text only; drop --json');
    return explainAddress(lists, up, address, readRouteDevice(config, address));
  }
  const report = routesReport(lists, up, readOurRoutes(config));
  return flags.includes('--json') ? JSON.stringify(report, null, 2) + '\n' : formatRoutesReport(report);
}
