/**
 * The one binary: called as pin-firewall, as /etc/ppp/ip-{up,down}.d/pin-hooks, or as
 * `pin-hooks ip-up|ip-down|firewall ...`. Errors end in one line and their own exit code.
 */
import { chooseRole, type Role } from '../shared/cli.js';
import { DEFAULT_SETTINGS } from '../shared/config.js';
import { ExitCode, PinError, UsageError } from '../shared/errors.js';
import { Log, SYSLOG_TARGETS } from '../shared/log.js';
import { VERSION } from '../shared/version.js';
import { configLoader, type Context } from './context.js';
import { ipDown } from './ip-down.js';
import { ipUp } from './ip-up.js';
import { pinFirewall } from './pin-firewall.js';

const HELP = `Usage: pin-hooks ip-up|ip-down|firewall [ARGS...]

Connection pinning for routers with several PPP uplinks.
  pin-hooks ip-up ...     what /etc/ppp/ip-up.d/pin-hooks runs (see pin-hooks ip-up --help)
  pin-hooks ip-down ...   what /etc/ppp/ip-down.d/pin-hooks runs
  pin-hooks firewall ...  the same as pin-firewall (see pin-firewall --help)
`;

async function pinHooks(context: Context): Promise<number> {
  const first = context.args[0];
  if (first === '--version') return context.stdout(`pin-hooks ${VERSION}\n`), 0;
  if (first === '--help') return context.stdout(HELP), 0;
  throw new UsageError(first === undefined ? 'which role? use pin-hooks ip-up, ip-down or firewall (see --help)' : `unknown role "${first}"; use ip-up, ip-down or firewall`);
}

const ROLES: Record<Role, (context: Context) => Promise<number>> = { 'ip-up': ipUp, 'ip-down': ipDown, firewall: pinFirewall, main: pinHooks };

async function main(): Promise<number> {
  const { role, args } = chooseRole(process.argv[1] ?? 'pin-hooks', process.argv.slice(2));
  const log = new Log(role === 'main' ? 'pin-hooks' : role === 'firewall' ? 'pin-firewall' : role);
  let syslog = { enabled: DEFAULT_SETTINGS.syslog, logger: DEFAULT_SETTINGS.paths.logger };
  const context: Context = {
    args,
    env: process.env,
    log,
    stdout: (text) => process.stdout.write(text),
    config: configLoader(process.env, (config) => (syslog = { enabled: config.syslog, logger: config.paths.logger })),
  };
  try {
    return await ROLES[role](context);
  } catch (error) {
    if (error instanceof PinError) {
      log.error(error.message);
      return error.exitCode;
    }
    log.error(`internal error: ${(error as Error).message ?? error}; please report it`);
    return ExitCode.internal;
  } finally {
    await log.finish(syslog.enabled ? { ...SYSLOG_TARGETS, logger: syslog.logger } : undefined);
  }
}

// Exit at once: stdout and stderr are synchronous on Linux, and nothing is left to wait for.
main().then((code) => process.exit(code));
