/** Problems a router will hit, found from what the probe read: pure, so every rule is unit-tested. */
import type { Config } from './config.js';
import { ruleChain, parseIptablesSave } from './firewall/iptables/state.js';
import { OWN_CHAINS } from './firewall/iptables/plan.js';
import type { IpRule } from './ip-rules.js';
import { hex } from './uplink.js';

export interface CheckFacts {
  sysctl: (key: string) => string | undefined;
  /** Interfaces that exist now. */
  links: string[];
  tools: { key: string; path: string; executable: boolean }[];
  iptablesSave: string | undefined;
  rules: IpRule[];
  networkd: { running: boolean; configs: string[] };
  /** A config that could not be loaded (permissions, syntax): then the defaults were checked. */
  configProblem: string | undefined;
}

const ALL_BITS = 0xffffffff;

function maskOf(text: string | undefined): number {
  return text === undefined ? ALL_BITS : Number(text) >>> 0;
}

/** The mark bits an iptables rule reads or writes, from the forms iptables-save prints. */
export function markBitsOfRule(spec: string): number {
  let bits = 0;
  for (const match of spec.matchAll(/--(?:set-xmark|set-mark|mark) (0x[0-9a-f]+|\d+)(?:\/(0x[0-9a-f]+|\d+))?/gi)) {
    bits |= maskOf(match[2]);
  }
  if (/--(?:restore|save)-mark/.test(spec)) {
    const masks = [...spec.matchAll(/--(?:nfmask|ctmask|mask) (0x[0-9a-f]+|\d+)/g)].map((match) => maskOf(match[1]));
    bits |= masks.length === 0 ? ALL_BITS : masks.reduce((a, b) => a | b, 0);
  }
  return bits >>> 0;
}

function foreignMarkRules(config: Config, iptablesSave: string): string[] {
  const ours = new Set(OWN_CHAINS.map((chain) => `${chain.table}/${chain.name}`));
  const found: string[] = [];
  for (const [table, content] of parseIptablesSave(iptablesSave)) {
    for (const spec of content.rules) {
      if (ours.has(`${table}/${ruleChain(spec)}`)) continue;
      if ((markBitsOfRule(spec) & config.markMask) !== 0) found.push(`-t ${table} -A ${spec}`);
    }
  }
  return found;
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

  for (const tool of facts.tools) {
    if (!tool.executable) problems.push(`${tool.key} ${tool.path} is missing or not executable; install it or set [paths] ${tool.key}`);
  }

  if (facts.iptablesSave !== undefined) {
    for (const rule of foreignMarkRules(config, facts.iptablesSave)) {
      problems.push(`iptables rule uses mark bits inside our mark_mask ${hex(config.markMask)}: ${rule}; choose a mark_mask it does not touch`);
    }
  }
  for (const rule of facts.rules) {
    if (rule.fwmark === undefined || isOurRule(config, rule)) continue;
    if ((maskOf(rule.fwmask) & config.markMask) !== 0) {
      problems.push(`ip rule ${rule.priority} (fwmark ${rule.fwmark}${rule.fwmask ? `/${rule.fwmask}` : ''}) overlaps our mark_mask ${hex(config.markMask)}; choose a mark_mask it does not touch`);
    }
  }

  if (facts.networkd.running && networkdRemovesForeignRules(facts.networkd.configs)) {
    problems.push('systemd-networkd removes ip rules it did not make; set ManageForeignRoutingPolicyRules=no in /etc/systemd/networkd.conf');
  }
  return problems;
}
