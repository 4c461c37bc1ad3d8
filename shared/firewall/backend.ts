/**
 * What pin-firewall needs from a firewall: our rules installed and removed, their plans for
 * `show`, and the other rules' use of mark bits for `check`. One implementation per firewall
 * family; the commands speak only to this.
 */
import type { Config } from '../config.js';
import type { Log } from '../log.js';

/** The plans `show` prints. */
export interface FirewallPlans {
  /** The tool (and mode) that applies both, as show names it. */
  appliedBy: string;
  /** What init applies on a machine without our rules. */
  init: string;
  /** What flush applies right after that init. */
  flush: string;
}

/** A rule that is not ours and reads or writes packet or connection marks. */
export interface MarkRule {
  /** As the firewall prints it, so the admin can find it. */
  rule: string;
  bits: number;
}

export interface FirewallBackend {
  /** The firewall's name as admins know it, for check's findings. */
  readonly name: string;
  plans(config: Config): FirewallPlans;
  /** Installs or refreshes our rules: running it again changes nothing, a failure leaves the previous rules. */
  init(config: Config, log: Log): void;
  /** Removes exactly what init added. */
  flush(config: Config, log: Log): void;
  /** The rules of the running firewall that are not ours and use mark bits; throws when it cannot be read. */
  markRules(config: Config): MarkRule[];
}
