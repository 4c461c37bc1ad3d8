/** The firewall backend for nftables: one table of our own, replaced whole by one `nft -f`. */
import { runTool } from '../../runner.js';
import type { FirewallBackend } from '../backend.js';
import { flushNft, initNft } from './apply.js';
import { foreignNftMarkRules } from './mark-rules.js';
import { planInit, planRemoval } from './plan.js';

export const nft: FirewallBackend = {
  name: 'nft',
  plans: (config) => ({ appliedBy: 'nft -f -', init: planInit(config), flush: planRemoval() }),
  init: initNft,
  flush: flushNft,
  markRules: (config) => foreignNftMarkRules(runTool(config.paths.nft, ['list', 'ruleset']).stdout),
};
