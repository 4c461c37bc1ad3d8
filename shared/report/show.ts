/** `pin-firewall show`: every plan for the config, printed without touching the system. */
import { DEFAULT_CONFIG_PATH, type Config } from '../config.js';
import type { ChosenFirewall } from '../firewall/choose.js';
import { planUplinkDown, planUplinkUp } from '../routes/hook-plan.js';
import { hasRouteLists, loadRouteLists, type RouteLists } from '../routes/load.js';
import { distinctPrefixes, zebraNotes } from '../routes/report.js';
import { ROUTE_PROTOCOL } from '../routes/route-set.js';
import { hex } from '../uplink.js';

/** A list of 100,000 prefixes is the same line 100,000 times; `pin-firewall routes` counts them. */
const ROUTE_LINES_SHOWN = 3;

function routeSummary(lists: RouteLists): string[] {
  const out = ['', `# prefix routes (main table, proto ${ROUTE_PROTOCOL} "pin-hooks", metric = distance * 1000 + place in names; lowest wins among the uplinks that are up):`];
  for (const routes of lists.uplinks.filter((each) => each.lists.length > 0)) {
    const sources = routes.lists.map((list) => `${list.source} (distance ${list.distance}): ${list.prefixes.length}`).join('; ');
    out.push(`#   ${routes.uplink.name}: ${distinctPrefixes(routes)} prefixes from ${sources}`);
  }
  if (lists.zebra) out.push(...zebraNotes(lists.zebra).map((line) => `# ${line}`));
  return out;
}

export function showPlans(config: Config, { backend: firewall, why }: ChosenFirewall): string {
  const out: string[] = [];
  out.push(config.source ? `# config: ${config.source}` : `# config: built-in defaults (no ${DEFAULT_CONFIG_PATH})`);
  out.push(`# LAN: ${config.lanInterfaces.join(' ')}  networks ${config.lanNetworks.join(' ')}`);
  out.push(`# mark mask ${hex(config.markMask)}, rp_filter on uplinks: ${config.rpFilter}`, `# firewall: ${firewall.name} (${why})`, '# uplinks:');
  for (const uplink of config.uplinks) {
    out.push(`#   ${uplink.name}  mark ${hex(uplink.mark)}  table ${uplink.table}  priority ${uplink.priority}  masquerade ${uplink.masquerade ? 'yes' : 'no'}`);
  }
  const lists = config.uplinks.some((uplink) => hasRouteLists(config, uplink)) ? loadRouteLists(config, config.uplinks) : undefined;
  if (lists) out.push(...routeSummary(lists));
  const plans = firewall.plans(config);
  out.push('', `# pin-firewall init (${plans.appliedBy}), on a machine without our rules:`, plans.init.trimEnd());
  out.push('', `# pin-firewall flush (${plans.appliedBy}), after that init:`, plans.flush.trimEnd());
  for (const [index, uplink] of config.uplinks.entries()) {
    const up = planUplinkUp(config, uplink, { iface: uplink.name }, lists?.uplinks[index]);
    out.push('', `# ip-up ${uplink.name} (ip -batch; with PPP_REMOTE the route goes "via PPP_REMOTE dev ${uplink.name}"):`, ...up.batch, ...up.routes.slice(0, ROUTE_LINES_SHOWN));
    if (up.routes.length > ROUTE_LINES_SHOWN) out.push(`# ... and ${up.routes.length - ROUTE_LINES_SHOWN} more route lines like these`);
    for (const sysctl of up.sysctls) out.push(`# and sysctl ${sysctl.key.replaceAll('/', '.')}=${sysctl.value}`);
    out.push('', `# ip-down ${uplink.name} (ip -batch; the last line only when the device is still there):`, ...planUplinkDown(uplink, true).batch);
  }
  return out.join('\n') + '\n';
}
