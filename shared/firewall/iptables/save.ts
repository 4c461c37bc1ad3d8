/** The running firewall as iptables-save prints it: what init, flush and check read. */
import type { Config } from '../../config.js';
import { runTool } from '../../runner.js';

export function readIptablesSave(config: Config): string {
  return runTool(config.paths.iptablesSave, []).stdout;
}
