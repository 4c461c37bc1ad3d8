import { takeConfigOption } from '../shared/cli.js';
import type { Config } from '../shared/config.js';
import { ExitCode, UsageError } from '../shared/errors.js';
import { chooseFirewall, type ChosenFirewall } from '../shared/firewall/choose.js';
import { findNotes, findProblems, formatFindings } from '../shared/report/check.js';
import { readCheckFacts, readStatusFacts } from '../shared/report/facts.js';
import { showPlans } from '../shared/report/show.js';
import { formatStatus, uplinkStatus } from '../shared/report/status.js';
import { failbackCommand } from '../shared/failback/command.js';
import { ROUTES_FLAGS, routesCommand } from '../shared/routes/routes-command.js';
import { VERSION } from '../shared/version.js';
import type { Context } from './context.js';

const HELP = `Usage: pin-firewall [--config PATH] COMMAND [--help]

Installs the firewall half of pin-hooks: connmarks set when a connection is born on an
uplink, restored as fwmarks for LAN and router traffic, MASQUERADE on each uplink. The
rules live in one nftables table of our own (inet pin_hooks, one nft -f) or in iptables
chains of our own (PIN-*, one iptables-restore): [firewall] backend, auto by default.

Commands:
  init     install or refresh our rules (idempotent, atomic); removes the other backend's
  flush    remove exactly what init added
  show     print every plan (firewall, ip-up and ip-down per uplink); no root needed
  status   per uplink: link, rule, table route, tracked connections (--json)
  check    report problems a router will hit; exit ${ExitCode.problems} when there are any
  failback NAME [--dry-run]
           delete the outgoing connections pinned to uplinks less preferred than NAME, so
           they start over on it (what failback = move does at ip-up); prints the counts
  routes   per uplink: prefixes listed, installed and carried now, and from which list (--json);
           routes ADDRESS: which prefix and uplink ADDRESS takes, and why;
           routes --apply: send changed lists to the uplinks that are up (only the difference)

Config: --config PATH, else $PIN_HOOKS_CONFIG, else /etc/pin-hooks/pin-hooks.conf
(built-in defaults when that file does not exist). --version prints the version.
`;

const COMMAND_HELP: Record<string, string> = {
  init: 'Usage: pin-firewall [--config PATH] init\nInstalls or refreshes our rules in one transaction (nft -f, or iptables-restore --noflush); running it again changes nothing. Removes the other backend\'s rules.\n',
  flush: 'Usage: pin-firewall [--config PATH] flush\nRemoves our rules (the table inet pin_hooks, or the PIN-* chains and the jumps to them); nothing else.\n',
  show: 'Usage: pin-firewall [--config PATH] show\nPrints the config in use and every plan: init, flush, and ip-up/ip-down for each uplink.\n',
  status: 'Usage: pin-firewall [--config PATH] status [--json]\nPer uplink: link up, rule present, table route present, tracked connections with its mark.\n',
  check: `Usage: pin-firewall [--config PATH] check\nReports rp_filter, ip_forward, missing tools, mark overlaps, systemd-networkd and config problems; exit ${ExitCode.problems} when any.\n`,
  failback: `Usage: pin-firewall [--config PATH] failback NAME [--dry-run]
Deletes from conntrack the outgoing connections pinned to the uplinks less preferred than NAME (after it in default_route, else every other uplink), as failback = move does when NAME comes up: they start over, routed by the main table. Incoming connections, unmarked ones and marks outside our mask are never touched. --dry-run only counts them.
`,
  routes: `Usage: pin-firewall [--config PATH] routes [--json]
       pin-firewall [--config PATH] routes ADDRESS
       pin-firewall [--config PATH] routes --apply
Per uplink: the prefixes its lists name, those of ours the kernel holds on it, those it carries now (no uplink that is up is preferred for them), and the lists.
With ADDRESS: the listed prefixes that cover it, on which uplinks, at which distance, and the one the kernel uses.
--apply: reads and checks every list, then sends the uplinks that are up only the difference, under the global lock.
`,
};

/** The flags each command takes; routes also takes an address. */
const FLAGS: Record<string, string[]> = { status: ['--json'], routes: ROUTES_FLAGS, failback: ['--dry-run'] };
/** The commands that take a word of their own: an address, an uplink. */
const OPERANDS = new Set(['routes', 'failback']);

type Command = (context: Context, config: () => Config, flags: string[]) => Promise<number>;

/** A command on the firewall: the config loaded, and the backend chosen for it (which may probe nft); failures throw. */
const onFirewall =
  (run: (context: Context, config: Config, chosen: ChosenFirewall, flags: string[]) => void): Command =>
  async (context, config, flags) => {
    const loaded = config();
    run(context, loaded, chooseFirewall(loaded), flags);
    return 0;
  };

const COMMANDS: Record<string, Command> = {
  init: onFirewall((context, config, { backend }) => backend.init(config, context.log)),
  flush: onFirewall((context, config, { backend }) => backend.flush(config, context.log)),
  show: onFirewall((context, config, chosen) => context.stdout(showPlans(config, chosen))),
  status: onFirewall((context, config, { backend, why }, flags) => {
    const rows = uplinkStatus(config, readStatusFacts(config));
    context.stdout(flags.includes('--json') ? JSON.stringify(rows, null, 2) + '\n' : `firewall: ${backend.name} (${why})\n${formatStatus(rows)}`);
  }),
  routes: async (context, config, args) => (context.stdout(routesCommand(config(), args, context.log)), 0),
  failback: async (context, config, args) => (context.stdout(failbackCommand(config(), args, context.log)), 0),
  check: async (context, config) => {
    const { config: loaded, facts } = readCheckFacts(config, (loaded) => chooseFirewall(loaded).backend);
    const problems = findProblems(loaded, facts);
    context.stdout(formatFindings(problems, findNotes(loaded, facts)));
    return problems.length === 0 ? 0 : ExitCode.problems;
  },
};

export async function pinFirewall(context: Context): Promise<number> {
  const { config: option, rest } = takeConfigOption(context.args);
  const [command, ...flags] = rest;
  if (command === undefined || command === '--help' || command === 'help') return context.stdout(HELP), command === undefined ? ExitCode.usage : 0;
  if (command === '--version') return context.stdout(`pin-firewall ${VERSION}\n`), 0;
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command "${command}"; commands: ${Object.keys(COMMANDS).join(', ')} (see --help)`);
  if (flags.includes('--help')) return context.stdout(COMMAND_HELP[command]!), 0;
  const allowed = FLAGS[command] ?? [];
  const unknown = flags.find((flag) => !allowed.includes(flag) && (!OPERANDS.has(command) || flag.startsWith('-')));
  if (unknown !== undefined) throw new UsageError(`unknown argument "${unknown}" for ${command}; see pin-firewall ${command} --help`);
  return run(context, () => context.config(option), flags);
}
