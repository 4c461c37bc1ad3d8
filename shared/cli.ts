/** Command-line pieces the entry points share: the role a call plays and the --config option. */
import { basename, dirname } from 'node:path';
import { UsageError } from './errors.js';

export type Role = 'ip-up' | 'ip-down' | 'firewall' | 'main';

const BY_NAME: Record<string, Role> = { 'ip-up': 'ip-up', 'ip-down': 'ip-down', 'pin-firewall': 'firewall' };
/** run-parts calls /etc/ppp/ip-up.d/pin-hooks: the folder says which event it is. */
const BY_FOLDER: Record<string, Role> = { 'ip-up.d': 'ip-up', 'ip-down.d': 'ip-down' };
const BY_ARGUMENT: Record<string, Role> = { 'ip-up': 'ip-up', 'ip-down': 'ip-down', firewall: 'firewall' };

/** The role from the name the program was called by, else from its first argument. */
export function chooseRole(invokedAs: string, args: readonly string[]): { role: Role; args: string[] } {
  const name = basename(invokedAs).replace(/\.(c|m)?js$/, '');
  const role = BY_NAME[name] ?? BY_FOLDER[basename(dirname(invokedAs))];
  if (role) return { role, args: [...args] };
  const first = args[0];
  if (first !== undefined && BY_ARGUMENT[first]) return { role: BY_ARGUMENT[first], args: args.slice(1) };
  return { role: 'main', args: [...args] };
}

/** Takes leading `--config PATH` / `--config=PATH`; the rest is returned untouched (pppd's arguments, a command). */
export function takeConfigOption(args: readonly string[]): { config?: string; rest: string[] } {
  const rest = [...args];
  let config: string | undefined;
  while (rest[0]?.startsWith('--config')) {
    const option = rest.shift()!;
    if (option.startsWith('--config=')) config = option.slice('--config='.length);
    else if (option === '--config') config = rest.shift();
    else throw new UsageError(`unknown option ${option}; see --help`);
    if (!config) throw new UsageError('--config needs a file path, e.g. --config /etc/pin-hooks/pin-hooks.conf');
  }
  return config === undefined ? { rest } : { config, rest };
}
