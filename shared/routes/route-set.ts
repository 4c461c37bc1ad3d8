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
  /** prefix -> metric; a prefix in several of its lists keeps the most preferred. */
  metrics: Map<string, number>;
  lists: readonly RouteList[];
}

export function uplinkRoutes(uplink: Uplink, lists: readonly RouteList[]): UplinkRoutes {
  const metrics = new Map<string, number>();
  for (const list of lists) {
    const metric = routeMetric(list.distance, uplink);
    for (const prefix of list.prefixes) {
      const known = metrics.get(prefix);
      if (known === undefined || metric < known) metrics.set(prefix, metric);
    }
  }
  return { uplink, metrics, lists };
}
