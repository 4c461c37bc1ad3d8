/** What status and check judge, read from the running system (read-only). */
import { defaultConfig, type Config } from '../config.js';
import { ConfigError } from '../errors.js';
import type { FirewallBackend } from '../firewall/backend.js';
import { isExecutable, readConntrackMarks, readLinks, readNetworkd, readRoutes, readRules, readSysctl } from '../probe.js';
import { readOtherDefaultRoutes } from '../routes/kernel.js';
import { ListError } from '../routes/list-errors.js';
import { loadRouteLists } from '../routes/load.js';
import type { CheckFacts } from './check.js';
import type { StatusFacts } from './status.js';

export function readStatusFacts(config: Config): StatusFacts {
  return { links: readLinks(config), rules: readRules(config), routes: readRoutes(config), conntrackMarks: readConntrackMarks(config) };
}

/** check reports what it can read; a tool that fails there is reported as missing by the tool check. */
function orElse<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** A config that cannot be loaded is one of check's findings, so the rest is checked with the built-in defaults. */
function configOrDefaults(load: () => Config): { config: Config; configProblem: string | undefined } {
  try {
    return { config: load(), configProblem: undefined };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { config: defaultConfig(), configProblem: `${error.message} (checked the rest with the built-in defaults)` };
  }
}

/** The lists as ip-up would read them: each bad line, or why a list could not be read. */
function routeListProblems(config: Config): string[] {
  try {
    loadRouteLists(config, config.uplinks);
    return [];
  } catch (error) {
    if (error instanceof ListError) return [...error.badLines];
    if (error instanceof ConfigError) return [error.message];
    throw error;
  }
}

export function readCheckFacts(load: () => Config, choose: (config: Config) => FirewallBackend): { config: Config; facts: CheckFacts } {
  const { config, configProblem } = configOrDefaults(load);
  const firewall = choose(config);
  const facts: CheckFacts = {
    sysctl: readSysctl,
    links: orElse(() => readLinks(config).map((link) => link.name), []),
    executable: isExecutable,
    firewall: { name: firewall.name, markRules: orElse(() => firewall.markRules(config), undefined) },
    rules: orElse(() => readRules(config), []),
    networkd: readNetworkd(),
    configProblem,
    routeListProblems: routeListProblems(config),
    otherDefaultRoutes: config.defaultRoute.length > 0 ? orElse(() => readOtherDefaultRoutes(config), []) : [],
  };
  return { config, facts };
}
