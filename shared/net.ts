/** Validators for the few network values we accept from config and from pppd. */

const octet = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const ipv4Pattern = new RegExp(`^${octet}(\\.${octet}){3}$`);

export function isIPv4(text: string): boolean {
  return ipv4Pattern.test(text);
}

function ipv4ToInt(text: string): number {
  return text.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** Returns the canonical "a.b.c.d/n" or undefined when the text is not an IPv4 network. */
export function normalizeCidr(text: string): string | undefined {
  const [address, length, ...rest] = text.split('/');
  if (rest.length > 0 || address === undefined || !isIPv4(address)) return undefined;
  if (length !== undefined && !/^(3[0-2]|[12]?[0-9])$/.test(length)) return undefined;
  const bits = length === undefined ? 32 : Number(length);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  if ((ipv4ToInt(address) & ~mask) >>> 0 !== 0) return undefined;
  return `${address}/${bits}`;
}

/**
 * Interface names as the kernel takes them (at most 15 bytes), restricted to the characters
 * real interfaces use: the name ends up in rule text, sysctl paths and log lines.
 */
const ifacePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

export function isIfaceName(text: string): boolean {
  return ifacePattern.test(text);
}
