/** `ip -batch` lines for our prefix routes: install, take back, remove, and the difference to apply. */
import { ROUTE_PROTOCOL, type UplinkRoutes } from './route-set.js';

/** One of our routes as the kernel holds it. */
export interface InstalledRoute {
  prefix: string;
  dev: string;
  metric: number;
}

const spec = (route: InstalledRoute) => `${route.prefix} dev ${route.dev} metric ${route.metric} proto ${ROUTE_PROTOCOL}`;

export function installLines(routes: UplinkRoutes): string[] {
  const lines: string[] = [];
  for (const [prefix, metric] of routes.metrics) lines.push(`route replace ${spec({ prefix, dev: routes.uplink.name, metric })}`);
  return lines;
}

/** The same routes deleted again: what an ip-up takes back when the kernel refused a later line. */
export function takeBackLines(installed: readonly string[]): string[] {
  return installed.map((line) => line.replace(/^route replace /, 'route del '));
}

/** Ours on one device: after a link-down the device stays, and so would its routes. */
export function flushDeviceLine(dev: string): string {
  return `route flush dev ${dev} proto ${ROUTE_PROTOCOL}`;
}

/** All of ours, whatever device: what the package's removal runs. */
export const FLUSH_ALL_LINE = `route flush proto ${ROUTE_PROTOCOL}`;

export interface RouteChanges {
  lines: string[];
  added: number;
  removed: number;
}

/**
 * From what the kernel holds to what the lists say, for the uplinks that are up: only the
 * difference. New routes go first, so a prefix whose metric changed is never without a route.
 */
export function planRouteChanges(wanted: readonly UplinkRoutes[], installed: readonly InstalledRoute[]): RouteChanges {
  const want = new Map<string, InstalledRoute>();
  for (const routes of wanted) {
    for (const [prefix, metric] of routes.metrics) {
      const route = { prefix, dev: routes.uplink.name, metric };
      want.set(spec(route), route);
    }
  }
  const have = new Set(installed.map(spec));
  const adds = [...want.keys()].filter((key) => !have.has(key)).map((key) => `route replace ${key}`);
  const deletes = installed.filter((route) => !want.has(spec(route))).map((route) => `route del ${spec(route)}`);
  return { lines: [...adds, ...deletes], added: adds.length, removed: deletes.length };
}
