/**
 * Failback: which connections start over when an uplink set to `failback = move` returns. Only
 * outgoing pins (the direction bit set) of the uplinks less preferred than it, matched by
 * conntrack's `--mark VALUE/MASK`, which keeps `(ctmark & MASK) == VALUE`: incoming connections,
 * unmarked ones and marks outside our mask are never touched. Pure.
 */
import type { Config } from '../config.js';
import { hex, type Uplink } from '../uplink.js';

/** After it in default_route where it has a place there, else every other uplink. */
export function lessPreferred(config: Config, uplink: Uplink): Uplink[] {
  const place = config.defaultRoute.indexOf(uplink.name);
  if (place === -1) return config.uplinks.filter((other) => other !== uplink);
  const after = new Set(config.defaultRoute.slice(place + 1));
  return config.uplinks.filter((other) => after.has(other.name));
}

/**
 * conntrack 1.4.7 reads a malformed --mark as 0/0xffffffff, i.e. every unmarked connection, so
 * only this filter, made of validated numbers, ever reaches it.
 */
export function outboundPins(config: Config, uplink: Uplink): string {
  return `${hex(uplink.mark | config.outboundBit)}/${hex(config.markMask)}`;
}
