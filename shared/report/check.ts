/** Problems a router will hit, found from what the probe read: pure, so every rule is unit-tested. */
import { toolPaths, type Config, type ToolPath } from '../config.js';
import type { MarkRule } from '../firewall/backend.js';
import type { IpRule } from '../ip-rules.js';
import type { InstalledRoute } from '../routes/route-lines.js';
import { routeMetric } from '../routes/route-set.js';
import { hex, maskBits } from '../uplink.js';

export interface CheckFacts {
  sysctl: (key: string) => string | undefined;
  /** Interfaces that exist now. */
  links: string[];
  executable: (path: string) => boolean;
  /** The firewall in use, and its rules that are not ours and use mark bits (undefined when it could not be read). */
  firewall: { name: string; markRules: MarkRule[] | undefined };
  rules: IpRule[];
  networkd: { running: boolean; configs: string[] };
  /** A config that could not be loaded (permissions, syntax): then the defaults were checked. */
  configProblem: string | undefined;
  /** Every bad line of the route lists (file:line: why), or why a list could not be read. */
  routeListProblems: string[];
  /** Default routes in the main table that are not ours (pppd's defaultroute, a static one). */
  otherDefaultRoutes: InstalledRoute[];
}

function missingTools(config: Config, facts: CheckFacts): ToolPath[] {
  return toolPaths(config.paths).filter((tool) => !facts.executable(tool.path));
}

/** The uplinks with failback = move: for them conntrack is required, not optional. */
function movers(config: Config): string[] {
  return config.uplinks.filter((uplink) => uplink.failback === 'move').map((uplink) => uplink.name);
}

function isOurRule(config: Config, rule: IpRule): boolean {
  return config.uplinks.some((uplink) => rule.table === String(uplink.table) && rule.priority === uplink.priority);
}

/** systemd-networkd removes rules it did not make unless ManageForeignRoutingPolicyRules=no; later files win. */
export function networkdRemovesForeignRules(configs: string[]): boolean {
  let manage = true;
  for (const text of configs) {
    for (const match of text.matchAll(/^\s*ManageForeignRoutingPolicyRules\s*=\s*(\S+)/gm)) {
      manage = !['no', 'false', 'off', '0'].includes(match[1]!.toLowerCase());
    }
  }
  return manage;
}

export function findProblems(config: Config, facts: CheckFacts): string[] {
  const problems: string[] = [];
  if (facts.configProblem) problems.push(`config: ${facts.configProblem}`);

  if (facts.sysctl('net/ipv4/ip_forward') !== '1') {
    problems.push('net.ipv4.ip_forward is off: the router forwards nothing; set it in /etc/sysctl.d/ (net.ipv4.ip_forward=1)');
  }
  const all = Number(facts.sysctl('net/ipv4/conf/all/rp_filter') ?? 0);
  for (const uplink of config.uplinks) {
    if (!facts.links.includes(uplink.name)) continue;
    const effective = Math.max(all, Number(facts.sysctl(`net/ipv4/conf/${uplink.name}/rp_filter`) ?? 0));
    if (effective === 1) {
      problems.push(`strict rp_filter on ${uplink.name} drops replies of pinned incoming connections; set rp_filter = loose in [uplinks] or net.ipv4.conf.${uplink.name}.rp_filter=2`);
    }
  }
  if (config.rpFilter === 'leave' && all === 1) {
    problems.push('net.ipv4.conf.all.rp_filter=1 (strict) and rp_filter = leave: every uplink will be strict; use rp_filter = loose or set all.rp_filter=2');
  }

  for (const { key, path, without } of missingTools(config, facts)) {
    if (without === undefined) problems.push(`${key} ${path} is missing or not executable; install it or set [paths] ${key}`);
  }

  for (const { rule, bits } of facts.firewall.markRules ?? []) {
    if ((bits & config.markMask) !== 0) {
      problems.push(`${facts.firewall.name} rule uses mark bits inside our mark_mask ${hex(config.markMask)}: ${rule}; choose a mark_mask it does not touch`);
    }
  }
  for (const rule of facts.rules) {
    if (rule.fwmark === undefined || isOurRule(config, rule)) continue;
    if ((maskBits(rule.fwmask) & config.markMask) !== 0) {
      problems.push(`ip rule ${rule.priority} (fwmark ${rule.fwmark}${rule.fwmask ? `/${rule.fwmask}` : ''}) overlaps our mark_mask ${hex(config.markMask)}; choose a mark_mask it does not touch`);
    }
  }

  problems.push(...facts.routeListProblems.map((problem) => `route list: ${problem}`));
  const moving = movers(config);
  if (moving.length > 0 && !facts.executable(config.paths.conntrack)) {
    problems.push(`failback = move on ${moving.join(' ')} needs conntrack ${config.paths.conntrack}; install conntrack (or set [paths] conntrack), or the connections stay pinned`);
  }
  const first = config.uplinks.find((uplink) => uplink.name === config.defaultRoute[0]);
  for (const route of first ? facts.otherDefaultRoutes : []) {
    if (route.metric < routeMetric(1, first!)) {
      problems.push(
        `a default route that is not ours (dev ${route.dev}, metric ${route.metric}) wins over default_route; remove "defaultroute" from the pppd peers, or drop default_route`,
      );
    }
  }

  if (facts.networkd.running && networkdRemovesForeignRules(facts.networkd.configs)) {
    problems.push('systemd-networkd removes ip rules it did not make; set ManageForeignRoutingPolicyRules=no in /etc/systemd/networkd.conf');
  }
  return problems;
}

/**
 * A missing optional tool is a note, not a problem: routers without nft, conntrack or logger
 * work, so check must not fail there, yet the admin learns why status shows n/a or syslog is quiet.
 */
export function findNotes(config: Config, facts: CheckFacts): string[] {
  const required = movers(config).length > 0 ? config.paths.conntrack : undefined;
  return missingTools(config, facts).flatMap(({ key, path, without }) =>
    without === undefined || path === required ? [] : [`${key} ${path} is missing or not executable, so ${without}; install it or set [paths] ${key} if that matters`],
  );
}

/** The problems, or the all-clear, then the notes. */
export function formatFindings(problems: string[], notes: string[]): string {
  const verdict = problems.length === 0 ? ['ok: no problems found'] : problems.map((problem) => `problem: ${problem}`);
  return [...verdict, ...notes.map((note) => `note: ${note}`)].map((line) => `${line}\n`).join('');
}
