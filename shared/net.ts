/** Validators for the few network values we accept from config and from pppd. */

const octet = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const ipv4Pattern = new RegExp(`^${octet}(\\.${octet}){3}$`);

export function isIPv4(text: string): boolean {
  return ipv4Pattern.test(text);
}

export function ipv4ToInt(text: string): number {
  return text.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function intToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
}

export function prefixMask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** An IPv4 network as numbers: what containment tests need. */
export interface Ipv4Network {
  address: number;
  bits: number;
}

/** "a.b.c.d/n" or a bare address (/32), host bits allowed; undefined when it is neither. */
export function parseCidr(text: string): Ipv4Network | undefined {
  const [address, length, ...rest] = text.split('/');
  if (rest.length > 0 || address === undefined || !isIPv4(address)) return undefined;
  if (length !== undefined && !/^(3[0-2]|[12]?[0-9])$/.test(length)) return undefined;
  return { address: ipv4ToInt(address), bits: length === undefined ? 32 : Number(length) };
}

/** The network with its host bits cleared, as "a.b.c.d/n". */
export function formatNetwork(network: Ipv4Network): string {
  return `${intToIpv4((network.address & prefixMask(network.bits)) >>> 0)}/${network.bits}`;
}

export function hasHostBits(network: Ipv4Network): boolean {
  return (network.address & ~prefixMask(network.bits)) >>> 0 !== 0;
}

/** Returns the canonical "a.b.c.d/n" or undefined when the text is not an IPv4 network. */
export function normalizeCidr(text: string): string | undefined {
  const network = parseCidr(text);
  return network === undefined || hasHostBits(network) ? undefined : formatNetwork(network);
}

/** Dotted netmasks as zebra takes them ("10.0.0.0 255.0.0.0"): the prefix length, or undefined. */
export function netmaskBits(text: string): number | undefined {
  if (!isIPv4(text)) return undefined;
  const mask = ipv4ToInt(text);
  const bits = 32 - Math.log2(((~mask >>> 0) + 1));
  return Number.isInteger(bits) && prefixMask(bits) === mask ? bits : undefined;
}

/**
 * Interface names as the kernel takes them (at most 15 bytes), restricted to the characters
 * real interfaces use: the name ends up in rule text, sysctl paths and log lines.
 */
const ifacePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

export function isIfaceName(text: string): boolean {
  return ifacePattern.test(text);
}
