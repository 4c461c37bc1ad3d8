/** The uplink model: which mark, routing table and rule priority each PPP uplink gets. */

export interface Uplink {
  /** Interface name as pppd reports it (PPP_IFACE), e.g. ppp0. */
  name: string;
  /** pppd's unit number; mark, table and priority are derived from it unless overridden. */
  unit: number;
  /** The connmark/fwmark value, already shifted into the mark mask. */
  mark: number;
  table: number;
  priority: number;
  masquerade: boolean;
  /** Its place in [uplinks] names: of two uplinks listing a prefix at one distance, the first wins. */
  position: number;
  /** zebra's distance for the prefixes of its own lists (routes, routes_file): lower wins. */
  distance: number;
  /** Prefixes routed over it while it is up, from its `routes` key. */
  routes: string[];
  /** A file of more such prefixes, one a line; read by the hooks, not with the config. */
  routesFile: string | undefined;
  /** move: when it comes up, the outgoing connections pinned to less preferred uplinks start over on it. */
  failback: Failback;
}

/** keep: connections stay on the uplink they were born on (pinning); move: they come back when it returns. */
export type Failback = 'keep' | 'move';

export interface UplinkOverride {
  unit?: number;
  /** A value inside the mask, counted from the mask's lowest bit (1 = the lowest step). */
  mark?: number;
  table?: number;
  priority?: number;
  masquerade?: boolean;
  routes?: string[];
  routesFile?: string;
  distance?: number;
  failback?: Failback;
}

/** Route metrics are distance * 1000 + position, so positions stay below 1000. */
export const MAX_UPLINKS = 1000;

/** pppN -> N; other names (pppd's `ifname` option) need an explicit unit. */
export function unitFromName(name: string): number | undefined {
  const match = /^ppp(0|[1-9][0-9]{0,5})$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** Position of the mask's lowest set bit: mark values count from there. */
export function maskShift(mask: number): number {
  let shift = 0;
  while (shift < 32 && ((mask >>> shift) & 1) === 0) shift++;
  return shift;
}

/** Shifts a mark value into the mask; undefined when it does not fit inside the mask. */
export function markInMask(value: number, mask: number): number | undefined {
  if (!Number.isSafeInteger(value) || value < 1) return undefined;
  const mark = value * 2 ** maskShift(mask);
  if (mark > 0xffffffff || (mark & ~mask) !== 0) return undefined;
  return mark >>> 0;
}

export function hex(value: number): string {
  return `0x${(value >>> 0).toString(16)}`;
}

/** Chooses an uplink by interface name; undefined means "not managed by us". */
export function findUplink(uplinks: readonly Uplink[], iface: string): Uplink | undefined {
  return uplinks.find((uplink) => uplink.name === iface);
}

/** The mark bits a mask printed by iptables or ip covers: a mark printed without one covers all 32. */
export function maskBits(text: string | undefined): number {
  return text === undefined ? 0xffffffff : Number(text) >>> 0;
}
