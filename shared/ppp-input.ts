/**
 * pppd's hook input. Debian's /etc/ppp/ip-up exports PPP_IFACE, PPP_TTY, PPP_SPEED, PPP_LOCAL,
 * PPP_REMOTE and PPP_IPPARAM and passes pppd's six arguments (iface tty speed local remote ipparam);
 * a hook installed straight as pppd's ip-up only gets the arguments. The environment wins.
 * A value that is present must be well formed: only an absent or empty one falls back.
 */
import { InputError } from './errors.js';
import { isIPv4, isIfaceName } from './net.js';

export interface PppLink {
  iface: string;
  local?: string;
  remote?: string;
}

const ARGUMENT = { iface: 0, local: 3, remote: 4 } as const;

function pick(env: NodeJS.ProcessEnv, name: string, args: readonly string[], index: number): string | undefined {
  const value = env[name] || args[index];
  return value === '' ? undefined : value;
}

function printable(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
}

export function parsePppInput(env: NodeJS.ProcessEnv, args: readonly string[]): PppLink {
  const iface = pick(env, 'PPP_IFACE', args, ARGUMENT.iface);
  if (iface === undefined) {
    throw new InputError('no interface: PPP_IFACE is empty and no first argument was given; run this hook from pppd (/etc/ppp/ip-up.d)');
  }
  if (!isIfaceName(iface)) {
    throw new InputError(`PPP_IFACE ${printable(iface)} is not an interface name (letters, digits, _ . -, at most 15); refusing to change anything`);
  }
  const link: PppLink = { iface };
  for (const key of ['local', 'remote'] as const) {
    const name = `PPP_${key.toUpperCase()}`;
    const value = pick(env, name, args, ARGUMENT[key]);
    if (value === undefined) continue;
    if (!isIPv4(value)) throw new InputError(`${name} ${printable(value)} is not an IPv4 address; refusing to change anything`);
    link[key] = value;
  }
  return link;
}
