/** The firewall backend for iptables (legacy or nf_tables): chains of our own, one iptables-restore per change. */
import type { FirewallBackend } from '../backend.js';
import { flushFirewall, initFirewall } from './apply.js';
import { foreignMarkRules } from './mark-rules.js';
import { planInit, planRemoval, stateAfterInit } from './plan.js';
import { readIptablesSave } from './save.js';
import { parseIptablesSave } from './state.js';

export const iptables: FirewallBackend = {
  name: 'iptables',
  plans: (config) => ({ appliedBy: 'iptables-restore --noflush', init: planInit(config, new Map()), flush: planRemoval(stateAfterInit(config)) }),
  init: initFirewall,
  flush: flushFirewall,
  markRules: (config) => foreignMarkRules(parseIptablesSave(readIptablesSave(config))),
};
