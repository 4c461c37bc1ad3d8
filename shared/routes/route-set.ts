/**
 * The prefixes we route over the uplinks, as the kernel should hold them: every listed prefix of
 * an uplink that is up, in the main table, with a metric made from its preference. The kernel
 * picks the lowest metric among the uplinks that are up and drops a device's routes when it goes
 * down or is deleted, so a prefix moves to its next uplink without anything being read or moved.
 */
import { MAX_UPLINKS, type Uplink } from '../uplink.js';

/** Our routes carry this protocol (pin-hooks in /etc/iproute2/rt_protos.d): we read and delete only those. */
export const ROUTE_PROTOCOL = 112;

/** The main table's default route, listed as a prefix like any other. */
export const DEFAULT_PREFIX = '0.0.0.0/0';

/** Distance first, then the uplink's place in names; each uplink's metrics differ, so `replace` never takes another's route. */
export function routeMetric(distance: number, uplink: Uplink): number {
  return distance * MAX_UPLINKS + uplink.position;
}

/** Prefixes of one uplink from one list, at one distance. */
export interface RouteList {
  /** Where they come from, as `routes` and `show` name it: "routes", "routes_file /etc/x", "zebra_file F", "default_route". */
  source: string;
  distance: number;
  prefixes: readonly string[];
}

/** What one uplink carries while it is up. */
export interface UplinkRoutes {
  uplink: Uplink;
  /** The most preferred first (the lowest distance), so the first list naming a prefix gives its metric. */
  lists: readonly RouteList[];
}

export function uplinkRoutes(uplink: Uplink, lists: readonly RouteList[]): UplinkRoutes {
  return { uplink, lists: [...lists].sort((a, b) => a.distance - b.distance) };
}

/** Each prefix once, with its most preferred metric: a Set on the hook's path, where a Map of 100,000 cost twice as much. */
export function forEachRoute(routes: UplinkRoutes, visit: (prefix: string, metric: number) => void): void {
  const seen = new Set<string>();
  for (const list of routes.lists) {
    const metric = routeMetric(list.distance, routes.uplink);
    for (const prefix of list.prefixes) {
      if (seen.has(prefix)) continue;
      seen.add(prefix);
      visit(prefix, metric);
    }
  }
}
