/**
 * Reads the route lists the config names (the only effect here): each uplink's `routes` and
 * `routes_file`, the shared zebra file, and its place in default_route. A hook reads only what
 * concerns its own uplink, and an uplink without lists reads nothing.
 */
import type { Config } from '../config.js';
import { readTrustedFile } from '../config-file.js';
import type { Uplink } from '../uplink.js';
import { parsePrefixList } from './prefix-list.js';
import { DEFAULT_PREFIX, uplinkRoutes, type RouteList, type UplinkRoutes } from './route-set.js';
import { parseZebra, type ZebraRoutes } from './zebra.js';

export interface RouteLists {
  uplinks: UplinkRoutes[];
  /** What the zebra file held besides our routes; undefined without one. */
  zebra: ZebraRoutes | undefined;
}

export function hasRouteLists(config: Config, uplink: Uplink): boolean {
  return uplink.routes.length > 0 || uplink.routesFile !== undefined || config.zebraFile !== undefined || config.defaultRoute.includes(uplink.name);
}

function zebraLists(zebra: ZebraRoutes, uplink: Uplink): RouteList[] {
  const byDistance = new Map<number, string[]>();
  for (const route of zebra.routes) {
    if (route.iface !== uplink.name) continue;
    const prefixes = byDistance.get(route.distance) ?? [];
    prefixes.push(route.prefix);
    byDistance.set(route.distance, prefixes);
  }
  return [...byDistance].map(([distance, prefixes]) => ({ source: `zebra_file ${zebra.file}`, distance, prefixes }));
}

function ownLists(config: Config, uplink: Uplink, zebra: ZebraRoutes | undefined): RouteList[] {
  const lists: RouteList[] = [];
  const place = config.defaultRoute.indexOf(uplink.name);
  if (place !== -1) lists.push({ source: 'default_route', distance: place + 1, prefixes: [DEFAULT_PREFIX] });
  if (uplink.routes.length > 0) lists.push({ source: 'routes', distance: uplink.distance, prefixes: uplink.routes });
  if (uplink.routesFile !== undefined) {
    const text = readTrustedFile(uplink.routesFile, `[uplink ${uplink.name}] routes_file`);
    lists.push({ source: `routes_file ${uplink.routesFile}`, distance: uplink.distance, prefixes: parsePrefixList(text, uplink.routesFile) });
  }
  if (zebra) lists.push(...zebraLists(zebra, uplink));
  return lists;
}

/** Every list is read and checked before anything changes: one bad line refuses them all. */
export function loadRouteLists(config: Config, uplinks: readonly Uplink[]): RouteLists {
  const managed = new Set(config.uplinks.map((uplink) => uplink.name));
  const zebra = config.zebraFile === undefined ? undefined : parseZebra(readTrustedFile(config.zebraFile, '[routes] zebra_file'), config.zebraFile, (iface) => managed.has(iface));
  return { uplinks: uplinks.map((uplink) => uplinkRoutes(uplink, ownLists(config, uplink, zebra))), zebra };
}
