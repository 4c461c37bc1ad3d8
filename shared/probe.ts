/** Reads the running system for status and check. Read-only: nothing here changes state. */
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Config } from './config.js';
import { parseIpRules, type IpRule } from './ip-rules.js';
import { execTool, runTool } from './runner.js';

export interface LinkFact {
  name: string;
  up: boolean;
}

export interface RouteFact {
  dst: string;
  table: string;
}

function toLinkFacts(json: string): LinkFact[] {
  return (JSON.parse(json) as { ifname: string; flags: string[] }[]).map((link) => ({
    name: link.ifname,
    up: link.flags.includes('UP') && link.flags.includes('LOWER_UP'),
  }));
}

export function readLinks(config: Config): LinkFact[] {
  return toLinkFacts(runTool(config.paths.ip, ['-j', 'link', 'show']).stdout);
}

/** One interface, or undefined when it does not exist. */
export function readLink(config: Config, name: string): LinkFact | undefined {
  const exit = execTool(config.paths.ip, ['-j', 'link', 'show', 'dev', name]);
  if (exit.code !== 0) return undefined;
  return toLinkFacts(exit.stdout)[0];
}

export function readRules(config: Config): IpRule[] {
  return parseIpRules(runTool(config.paths.ip, ['-4', '-j', '-N', 'rule', 'show']).stdout);
}

export function readRoutes(config: Config): RouteFact[] {
  const { stdout } = runTool(config.paths.ip, ['-4', '-j', '-N', 'route', 'show', 'table', 'all']);
  return (JSON.parse(stdout) as { dst: string; table?: string }[]).map((route) => ({ dst: route.dst, table: route.table ?? '254' }));
}

/** The mark of every tracked connection; undefined when conntrack cannot be run. */
export function readConntrackMarks(config: Config): number[] | undefined {
  try {
    const { stdout } = runTool(config.paths.conntrack, ['-L', '-o', 'extended']);
    return [...stdout.matchAll(/\bmark=(\d+)/g)].map((match) => Number(match[1]));
  } catch {
    return undefined;
  }
}

export function readSysctl(key: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${key}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const NETWORKD_CONF = ['/etc/systemd/networkd.conf'];
const NETWORKD_DROPINS = ['/usr/lib/systemd/networkd.conf.d', '/run/systemd/networkd.conf.d', '/etc/systemd/networkd.conf.d'];

export interface NetworkdFacts {
  running: boolean;
  /** The config texts in the order systemd reads them (later wins). */
  configs: string[];
}

export function readNetworkd(): NetworkdFacts {
  const dropins = NETWORKD_DROPINS.flatMap((dir) => {
    try {
      return readdirSync(dir)
        .filter((name) => name.endsWith('.conf'))
        .map((name) => `${dir}/${name}`);
    } catch {
      return [];
    }
  }).sort((a, b) => a.split('/').pop()!.localeCompare(b.split('/').pop()!));
  const configs = [...NETWORKD_CONF, ...dropins].flatMap((path) => {
    try {
      return [readFileSync(path, 'utf8')];
    } catch {
      return [];
    }
  });
  return { running: existsSync('/run/systemd/netif/state'), configs };
}
