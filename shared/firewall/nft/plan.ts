/**
 * The nftables planner: config -> one `nft -f` text that replaces our table whole. One table of
 * our own is left alone by the tools that rewrite iptables' tables, and verdict maps keyed by
 * interface and by mark keep the cost per packet the same whatever the number of uplinks.
 * nft 1.0.6 (Debian 12) cannot restore a masked mark in one expression (`meta mark set ct mark
 * and M or (meta mark and ~M)` is refused), so each uplink's value has a small chain of its own
 * that writes its constant into our bits and keeps the others.
 */
import type { Config } from '../../config.js';
import { hex, type Uplink } from '../../uplink.js';

export const TABLE = 'inet pin_hooks';

/**
 * Before iptables' mangle chains (-150), as our jumps are first there: a QoS rule of the admin's
 * sees the mark we restored. Masquerade after iptables' nat chains, so the admin's own SNAT wins.
 */
const MANGLE = 'mangle - 1';
const SRCNAT = 'srcnat + 1';

/** nft 1.0.6 has no `destroy`: declaring the table first makes the delete succeed either way. */
const DROP_TABLE = `table ${TABLE} {}\ndelete table ${TABLE}\n`;

const quoted = (names: readonly string[]) => `{ ${names.map((name) => `"${name}"`).join(', ')} }`;
/** Chain names must not be nft keywords (masquerade, mark ...), nor uplink names (dsl-b is not an identifier). */
const connmarkChain = (mark: number) => `connmark_${hex(mark)}`;
const restoreChain = (mark: number) => `restore_${hex(mark)}`;

/** `bit` is the direction bit that outgoing connections carry when failback uses it. */
function byInterface(name: string, uplinks: readonly Uplink[], bit: number): string[] {
  const elements = uplinks.map((uplink) => `"${uplink.name}" : jump ${connmarkChain(uplink.mark | bit)}`);
  return [`\tmap ${name} {`, '\t\ttype ifname : verdict', `\t\telements = { ${elements.join(', ')} }`, '\t}'];
}

function baseChain(name: string, hook: string, rules: readonly string[]): string[] {
  // IPv4 only for now, as our ip rules are: IPv6 comes with rules of its own.
  return [`\tchain ${name} {`, `\t\t${hook}; policy accept;`, '\t\tmeta nfproto != ipv4 return', ...rules.map((rule) => `\t\t${rule}`), '\t}'];
}

function valueChain(name: string, rule: string): string[] {
  return [`\tchain ${name} {`, `\t\t${rule}`, '\t}'];
}

/** The whole table: what init applies after taking the old one away, in the same transaction. */
export function planTable(config: Config): string {
  const mask = hex(config.markMask);
  const keep = hex(~config.markMask >>> 0);
  const ours = `ct mark and ${mask}`;
  const lan = `ip daddr { ${config.lanNetworks.join(', ')} } return`;
  const unmarkedNew = `ct state new ${ours} == 0x0`;
  // A connection without our mark restores none: our bits of the packet mark are cleared, as
  // CONNMARK --restore-mark does.
  const marks = [...new Set(config.uplinks.flatMap((uplink) => [uplink.mark, (uplink.mark | config.outboundBit) >>> 0]))];
  const values = [0, ...marks];
  const masquerading = config.uplinks.filter((uplink) => uplink.masquerade).map((uplink) => uplink.name);
  const lines = [
    `table ${TABLE} {`,
    ...byInterface('arrivals', config.uplinks, 0),
    ...byInterface('departures', config.uplinks, config.outboundBit),
    '\tmap restore {',
    '\t\ttype mark : verdict',
    `\t\telements = { ${values.map((value) => `${hex(value)} : jump ${restoreChain(value)}`).join(', ')} }`,
    '\t}',
    // Arrivals are marked before the LAN skip: the router's services, DNAT and routed LAN hosts alike.
    ...baseChain('prerouting', `type filter hook prerouting priority ${MANGLE}`, [`${unmarkedNew} iifname vmap @arrivals`, lan, `iifname ${quoted(config.lanInterfaces)} ${ours} vmap @restore`]),
    // A route chain: a mark restored here routes the router's own packet again.
    ...baseChain('output', `type route hook output priority ${MANGLE}`, [lan, `${ours} vmap @restore`]),
    ...baseChain('postrouting', `type filter hook postrouting priority ${MANGLE}`, [`${unmarkedNew} oifname vmap @departures`]),
    ...(masquerading.length > 0 ? baseChain('nat_out', `type nat hook postrouting priority ${SRCNAT}`, [`oifname ${quoted(masquerading)} masquerade`]) : []),
    ...marks.flatMap((mark) => valueChain(connmarkChain(mark), `ct mark set ct mark and ${keep} or ${hex(mark)}`)),
    ...values.flatMap((value) => valueChain(restoreChain(value), value === 0 ? `meta mark set meta mark and ${keep}` : `meta mark set meta mark and ${keep} or ${hex(value)}`)),
    '}',
  ];
  return lines.join('\n') + '\n';
}

/** Init: the old table (if any) and the new one in one transaction, so there is never none. */
export function planInit(config: Config): string {
  return DROP_TABLE + planTable(config);
}

/** flush: fails when there is nothing to remove, which is how flush tells. */
export function planRemoval(): string {
  return `delete table ${TABLE}\n`;
}

/** A switch to the iptables backend: our table gone, whether it was there or not. */
export function planDropTable(): string {
  return DROP_TABLE;
}
