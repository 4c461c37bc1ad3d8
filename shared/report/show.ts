/** `pin-firewall show`: every plan for the config, printed without touching the system. */
import { DEFAULT_CONFIG_PATH, type Config } from '../config.js';
import type { FirewallBackend } from '../firewall/backend.js';
import { planUplinkDown, planUplinkUp } from '../plan-route.js';
import { hex } from '../uplink.js';

export function showPlans(config: Config, firewall: FirewallBackend): string {
  const out: string[] = [];
  out.push(config.source ? `# config: ${config.source}` : `# config: built-in defaults (no ${DEFAULT_CONFIG_PATH})`);
  out.push(`# LAN: ${config.lanInterfaces.join(' ')}  networks ${config.lanNetworks.join(' ')}`);
  out.push(`# mark mask ${hex(config.markMask)}, rp_filter on uplinks: ${config.rpFilter}`, '# uplinks:');
  for (const uplink of config.uplinks) {
    out.push(`#   ${uplink.name}  mark ${hex(uplink.mark)}  table ${uplink.table}  priority ${uplink.priority}  masquerade ${uplink.masquerade ? 'yes' : 'no'}`);
  }
  const plans = firewall.plans(config);
  out.push('', `# pin-firewall init (${plans.appliedBy}), on a machine without our rules:`, plans.init.trimEnd());
  out.push('', `# pin-firewall flush (${plans.appliedBy}), after that init:`, plans.flush.trimEnd());
  for (const uplink of config.uplinks) {
    const up = planUplinkUp(config, uplink, { iface: uplink.name });
    out.push('', `# ip-up ${uplink.name} (ip -batch; with PPP_REMOTE the route goes "via PPP_REMOTE dev ${uplink.name}"):`, ...up.batch);
    for (const sysctl of up.sysctls) out.push(`# and sysctl ${sysctl.key.replaceAll('/', '.')}=${sysctl.value}`);
    out.push('', `# ip-down ${uplink.name} (ip -batch):`, ...planUplinkDown(uplink).batch);
  }
  return out.join('\n') + '\n';
}
