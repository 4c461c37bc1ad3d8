/** `pin-firewall routes`: what each uplink carries and from which list, and why an address goes where it goes. Pure. */
import { ipv4ToInt, parseCidr, prefixMask } from '../net.js';
import type { Uplink } from '../uplink.js';
import type { RouteLists } from './load.js';
import type { InstalledRoute } from './route-lines.js';
import { forEachRoute, routeMetric, type RouteList, type UplinkRoutes } from './route-set.js';

export interface ListSummary {
  source: string;
  distance: number;
  prefixes: number;
}

export interface UplinkRoutesRow {
  name: string;
  up: boolean;
  /** Distinct prefixes its lists name. */
  listed: number;
  /** Routes of ours on its device now. */
  installed: number;
  /** Of those, the ones the kernel prefers: no route of ours to that prefix has a lower metric. */
  carried: number;
  lists: ListSummary[];
}

export interface RoutesReport {
  uplinks: UplinkRoutesRow[];
  zebra?: { file: string; ignored: number; unmanaged: string[] };
}

function preferredDevices(installed: readonly InstalledRoute[]): Map<string, number> {
  const best = new Map<string, InstalledRoute>();
  for (const route of installed) {
    const known = best.get(route.prefix);
    if (!known || route.metric < known.metric) best.set(route.prefix, route);
  }
  const carried = new Map<string, number>();
  for (const route of best.values()) carried.set(route.dev, (carried.get(route.dev) ?? 0) + 1);
  return carried;
}

export function distinctPrefixes(routes: UplinkRoutes): number {
  let count = 0;
  forEachRoute(routes, () => count++);
  return count;
}

export function routesReport(lists: RouteLists, up: ReadonlySet<string>, installed: readonly InstalledRoute[]): RoutesReport {
  const carried = preferredDevices(installed);
  const report: RoutesReport = {
    uplinks: lists.uplinks.map((routes) => ({
      name: routes.uplink.name,
      up: up.has(routes.uplink.name),
      listed: distinctPrefixes(routes),
      installed: installed.filter((route) => route.dev === routes.uplink.name).length,
      carried: carried.get(routes.uplink.name) ?? 0,
      lists: routes.lists.map((list) => ({ source: list.source, distance: list.distance, prefixes: list.prefixes.length })),
    })),
  };
  if (lists.zebra) report.zebra = { file: lists.zebra.file, ignored: lists.zebra.ignored, unmanaged: lists.zebra.unmanaged };
  return report;
}

/** The zebra file's lines that are not ours: `routes` and `show` both say so. */
export function zebraNotes(zebra: NonNullable<RoutesReport['zebra']>): string[] {
  const notes = [`${zebra.file}: ${zebra.ignored} other lines ignored (not "ip route", or in a vrf block)`];
  if (zebra.unmanaged.length > 0) {
    const one = zebra.unmanaged.length === 1;
    notes.push(`${zebra.unmanaged.length} ${one ? 'route names' : 'routes name'} a gateway or an interface that is not an uplink here, and ${one ? 'is' : 'are'} not ours to install:`);
    notes.push(...zebra.unmanaged.map((line) => `  ${line}`));
  }
  return notes;
}

export function formatRoutesReport(report: RoutesReport): string {
  const header = ['uplink', 'link', 'listed', 'installed', 'carried', 'lists'];
  const body = report.uplinks.map((row) => [
    row.name,
    row.up ? 'up' : 'down',
    String(row.listed),
    String(row.installed),
    String(row.carried),
    row.lists.map((list) => `${list.source} (distance ${list.distance}): ${list.prefixes}`).join('; ') || '-',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column]!.length)));
  const table = [header, ...body].map((cells) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
  return [...table, ...(report.zebra ? zebraNotes(report.zebra) : [])].join('\n') + '\n';
}

interface Candidate {
  uplink: Uplink;
  prefix: string;
  bits: number;
  list: RouteList;
  metric: number;
}

function candidates(lists: RouteLists, address: string): Candidate[] {
  const target = ipv4ToInt(address);
  const found: Candidate[] = [];
  for (const { uplink, lists: own } of lists.uplinks) {
    for (const list of own) {
      for (const prefix of list.prefixes) {
        const network = parseCidr(prefix)!;
        const mask = prefixMask(network.bits);
        if (((target & mask) >>> 0) === network.address) found.push({ uplink, prefix, bits: network.bits, list, metric: routeMetric(list.distance, uplink) });
      }
    }
  }
  // The kernel's order: the longest prefix, then the lowest metric.
  return found.sort((a, b) => b.bits - a.bits || a.metric - b.metric);
}

/**
 * Which listed prefix and which uplink an address takes, and why; `kernelDevice` is what
 * `ip route get` answered, so a route that is not ours and wins is not explained away.
 */
export function explainAddress(lists: RouteLists, up: ReadonlySet<string>, address: string, kernelDevice: string | undefined): string {
  const found = candidates(lists, address);
  const chosen = found.find((candidate) => up.has(candidate.uplink.name));
  const kernel = kernelDevice === undefined ? 'the kernel has no route for it' : `the kernel sends it by dev ${kernelDevice} (ip route get ${address})`;
  const out: string[] = [];
  if (found.length === 0) {
    out.push(`${address} is in no list: it takes the main table's own route; ${kernel}`);
  } else {
    out.push(chosen ? `${address} takes ${chosen.prefix} over ${chosen.uplink.name}` : `${address} is listed, but on no uplink that is up: it takes the main table's own route`);
    for (const candidate of found) {
      const state = !up.has(candidate.uplink.name) ? 'down: not in the kernel now' : candidate === chosen ? 'up: chosen' : 'up: standing by';
      out.push(`  ${candidate.prefix} over ${candidate.uplink.name}: ${candidate.list.source}, distance ${candidate.list.distance}, metric ${candidate.metric}; ${state}`);
    }
    if (!chosen) out.push(`  ${kernel}`);
    else if (chosen.uplink.name === kernelDevice) out.push(`  ${kernel}, as the lists say`);
    else out.push(`  but ${kernel}: a route that is not ours wins (a longer prefix, or a lower metric); see ip route show match ${address}`);
  }
  out.push('Connections pinned to an uplink keep it whatever these routes say: their fwmark rules come before the main table.');
  return out.join('\n') + '\n';
}
