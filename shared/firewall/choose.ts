/** Which backend carries our rules, and why: `show` and `status` say both. */
import type { Config } from '../config.js';
import { isExecutable } from '../probe.js';
import { execTool } from '../runner.js';
import type { FirewallBackend } from './backend.js';
import { iptables } from './iptables/backend.js';
import { nft } from './nft/backend.js';

export interface ChosenFirewall {
  backend: FirewallBackend;
  why: string;
}

/**
 * auto: nft where it is installed and the kernel answers it (one `nft list tables`), else
 * iptables. Without root the kernel does not answer anyone, so an installed nft is taken then.
 */
export function chooseFirewall(config: Config): ChosenFirewall {
  if (config.firewall !== 'auto') return { backend: config.firewall === 'nft' ? nft : iptables, why: 'as [firewall] backend says' };
  const path = config.paths.nft;
  if (!isExecutable(path)) return { backend: iptables, why: `auto: ${path} is not installed` };
  const exit = execTool(path, ['list', 'tables']);
  if (exit.code === 0) return { backend: nft, why: `auto: ${path} works here` };
  if (/Operation not permitted/.test(exit.stderr)) return { backend: nft, why: `auto: ${path} is installed (only root may ask the kernel)` };
  return { backend: iptables, why: `auto: ${path} does not work here: ${exit.stderr.trim().split('\n')[0]}` };
}
