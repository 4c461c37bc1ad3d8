/**
 * The static routes of a zebra.conf or frr.conf, for users coming from Quagga or FRR: every
 * `ip route PREFIX IFACE [DISTANCE]` line (the prefix also as "ADDRESS NETMASK") goes to the uplink
 * it names, and its distance gives the preference as it did in zebra. Other lines are counted and
 * ignored; routes via a gateway or an interface we do not manage are listed, so `show` can say so.
 */
import { distance } from '../config.js';
import { formatNetwork, isIPv4, netmaskBits, parseCidr } from '../net.js';
import { listError } from './list-errors.js';

const DEFAULT_DISTANCE = 1;

export interface ZebraRoute {
  prefix: string;
  iface: string;
  distance: number;
}

export interface ZebraRoutes {
  file: string;
  /** The routes naming an uplink of ours. */
  routes: ZebraRoute[];
  /** Lines that are neither comments nor routes of ours, nor listed below. */
  ignored: number;
  /** "file:line: text" of routes naming a gateway or an interface we do not manage. */
  unmanaged: string[];
}

interface Parsed {
  route?: ZebraRoute;
  unmanaged?: true;
  problem?: string;
}

/** zebra masks a prefix with host bits (10.1.2.3/8 is 10.0.0.0/8), and so do we. */
function parseRoute(words: readonly string[], managed: (iface: string) => boolean): Parsed {
  let rest = words.slice(2);
  let network = parseCidr(rest[0] ?? '');
  if (network !== undefined && !rest[0]!.includes('/')) {
    const bits = netmaskBits(rest[1] ?? '');
    if (bits === undefined) return { problem: `"${rest.slice(0, 2).join(' ')}" is not PREFIX/LENGTH nor ADDRESS NETMASK; write e.g. 196.21.0.0/19` };
    network = { address: network.address, bits };
    rest = rest.slice(1);
  }
  if (network === undefined) return { problem: `"${rest[0] ?? ''}" is not an IPv4 prefix; write e.g. ip route 196.21.0.0/19 ppp1` };
  const [nexthop, ...options] = rest.slice(1);
  if (nexthop === undefined) return { problem: 'the route names no interface; write e.g. ip route 196.21.0.0/19 ppp1' };
  if (isIPv4(nexthop) || !managed(nexthop)) return { unmanaged: true };
  if (options.length > 1 || (options.length === 1 && !/^[0-9]+$/.test(options[0]!))) {
    return { problem: `"${options.join(' ')}" is not supported on routes over an uplink; pin-hooks takes ip route PREFIX IFACE [DISTANCE]` };
  }
  try {
    return { route: { prefix: formatNetwork(network), iface: nexthop, distance: options.length === 1 ? distance(options[0]!) : DEFAULT_DISTANCE } };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

export function parseZebra(text: string, file: string, managed: (iface: string) => boolean): ZebraRoutes {
  const result: ZebraRoutes = { file, routes: [], ignored: 0, unmanaged: [] };
  const problems: string[] = [];
  let inVrf = false;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('!') || line.startsWith('#')) return;
    const words = line.split(/\s+/);
    // Routes inside a vrf block belong to that VRF's table, not to the main one.
    if (words[0] === 'vrf') inVrf = true;
    if (inVrf || words[0] !== 'ip' || words[1] !== 'route') {
      if (words[0] === 'exit-vrf') inVrf = false;
      result.ignored++;
      return;
    }
    const parsed = parseRoute(words, managed);
    if (parsed.problem) problems.push(`${file}:${index + 1}: ${parsed.problem}`);
    else if (parsed.unmanaged) result.unmanaged.push(`${file}:${index + 1}: ${line}`);
    else result.routes.push(parsed.route!);
  });
  if (problems.length > 0) throw listError(problems);
  return result;
}
