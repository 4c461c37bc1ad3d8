/** The config file: built-in defaults, ini parsing and validation into the uplink model. */
import { parse } from 'ini';
import { ConfigError } from './errors.js';
import { indexIniLines, type IniLines } from './ini-lines.js';
import { isIfaceName, normalizeCidr } from './net.js';
import { MAX_UPLINKS, markInMask, unitFromName, hex, type Failback, type Uplink, type UplinkOverride } from './uplink.js';

export const DEFAULT_CONFIG_PATH = '/etc/pin-hooks/pin-hooks.conf';

/** What to do with an uplink's rp_filter at ip-up: strict (1) drops replies to pinned incoming connections. */
export type RpFilterPolicy = 'loose' | 'leave';

export interface Paths {
  ip: string;
  iptablesRestore: string;
  iptablesSave: string;
  conntrack: string;
  logger: string;
  flock: string;
  nft: string;
  lock: string;
}

/** The programs among the paths; lock is a file. */
type Tool = Exclude<keyof Paths, 'lock'>;

export interface ToolPath {
  /** Its key in [paths]. */
  key: string;
  path: string;
  /** What is lost without an optional tool; absent for a required one. */
  without?: string;
}

/**
 * Each tool's key in [paths] (what the config accepts and what hints name) and, for an optional
 * tool, what is lost without it. The hooks, init and flush cannot work without a required one;
 * pin-hooks runs the optional ones only where they add something and goes on without them.
 */
const TOOLS: Readonly<Record<Tool, Omit<ToolPath, 'path'>>> = {
  ip: { key: 'ip' },
  iptablesRestore: { key: 'iptables_restore' },
  iptablesSave: { key: 'iptables_save' },
  conntrack: { key: 'conntrack', without: 'status cannot count the connections pinned to each uplink' },
  logger: { key: 'logger', without: 'nothing reaches syslog where journald does not run' },
  flock: { key: 'flock' },
  nft: { key: 'nft', without: 'flush leaves in place the empty tables init created' },
};

const TOOL_NAMES = Object.keys(TOOLS) as Tool[];

export function toolPaths(paths: Paths): ToolPath[] {
  return TOOL_NAMES.map((tool) => ({ ...TOOLS[tool], path: paths[tool] }));
}

export interface Config {
  /** The file the values came from; undefined when the built-in defaults apply. */
  source: string | undefined;
  lanInterfaces: string[];
  lanNetworks: string[];
  markMask: number;
  /**
   * The bit of mark_mask that tells an outgoing connection's pin from an incoming one's, so that
   * failback deletes only the former; the ip rules ignore it. 0 when no uplink moves back.
   */
  outboundBit: number;
  tableBase: number;
  priorityBase: number;
  masquerade: boolean;
  rpFilter: RpFilterPolicy;
  syslog: boolean;
  /** Which firewall carries our marking and masquerading; auto: nft where it works, else iptables. */
  firewall: FirewallChoice;
  /**
   * Where the nft backend keeps a copy of its table for /etc/nftables.conf to include after its
   * `flush ruleset`, so that a reload of nftables.service never leaves a moment without our rules.
   */
  nftFile: string;
  paths: Paths;
  /** Uplinks whose main-table default route we keep, most preferred first; empty: pppd's own. */
  defaultRoute: string[];
  /** A zebra/FRR config whose `ip route PREFIX IFACE [DISTANCE]` lines feed every uplink. */
  zebraFile: string | undefined;
  uplinks: Uplink[];
}

type Settings = Omit<Config, 'source' | 'uplinks' | 'outboundBit'> & { uplinkNames: string[] };

export const DEFAULT_SETTINGS: Readonly<Settings> = {
  lanInterfaces: ['eth0'],
  lanNetworks: ['10.0.0.0/24'],
  uplinkNames: ['ppp0', 'ppp1', 'ppp2', 'ppp3', 'ppp4'],
  markMask: 0xff00,
  tableBase: 100,
  priorityBase: 10000,
  masquerade: true,
  rpFilter: 'loose',
  syslog: true,
  firewall: 'auto',
  nftFile: '/var/lib/pin-hooks/pin-hooks.nft',
  paths: {
    ip: '/usr/sbin/ip',
    iptablesRestore: '/usr/sbin/iptables-restore',
    iptablesSave: '/usr/sbin/iptables-save',
    conntrack: '/usr/sbin/conntrack',
    logger: '/usr/bin/logger',
    flock: '/usr/bin/flock',
    nft: '/usr/sbin/nft',
    lock: '/run/pin-hooks.lock',
  },
  defaultRoute: [],
  zebraFile: undefined,
};

/** Tables the kernel reserves (unspec, default, main, local). */
const RESERVED_TABLES = new Set([0, 253, 254, 255]);
/** 32766 is the main table's rule: ours must come before it. */
const MAX_PRIORITY = 32765;
/** zebra's default distance for a static route. */
const DEFAULT_DISTANCE = 1;

// ---- value parsers: each returns the value or throws the message's tail ----

type Parse<T> = (raw: string) => T;

function wholeNumber(raw: string): number {
  const text = raw.trim();
  if (!/^(0x[0-9a-f]{1,8}|[0-9]{1,10})$/i.test(text)) throw new Error(`"${raw}" is not a number (decimal or 0x hex)`);
  return Number(text);
}

function inRange(min: number, max: number, what: string): Parse<number> {
  return (raw) => {
    const value = wholeNumber(raw);
    if (value < min || value > max) throw new Error(`${what} must be ${min}..${max}, got ${raw.trim()}`);
    return value;
  };
}

const mask: Parse<number> = (raw) => {
  const value = wholeNumber(raw);
  if (value === 0 || value > 0xffffffff) throw new Error(`mark_mask must be a non-zero 32-bit mask such as 0xff00, got ${raw.trim()}`);
  return value;
};

const table: Parse<number> = (raw) => {
  const value = inRange(1, 0xffffffff, 'a table')(raw);
  if (RESERVED_TABLES.has(value)) throw new Error(`table ${value} is reserved by the kernel (253 default, 254 main, 255 local)`);
  return value;
};

const priority = inRange(1, MAX_PRIORITY, 'an ip rule priority (0, 32766 and 32767 belong to the kernel)');

/** zebra's administrative distance; 255 means "never install" there, so it has no use here. */
export const distance = inRange(1, 254, 'a distance (lower wins, as in zebra)');

const flag: Parse<boolean> = (raw) => {
  const text = raw.trim().toLowerCase();
  if (['yes', 'true', 'on', '1'].includes(text)) return true;
  if (['no', 'false', 'off', '0'].includes(text)) return false;
  throw new Error(`"${raw}" is not yes or no`);
};

function list(item: (text: string) => boolean, what: string, hint: string): Parse<string[]> {
  return (raw) => {
    const items = raw.split(/[\s,]+/).filter(Boolean);
    if (items.length === 0) throw new Error(`needs at least one ${what}`);
    for (const text of items) if (!item(text)) throw new Error(`"${text}" is not ${what} (${hint})`);
    return items;
  };
}

const ifaces = list(isIfaceName, 'an interface name', 'letters, digits, _ . -, at most 15');
const uplinkNames = list((text) => isIfaceName(text) && !text.includes('.'), 'an uplink name', 'letters, digits, _ -, at most 15');
const networks: Parse<string[]> = (raw) =>
  list((text) => normalizeCidr(text) !== undefined, 'an IPv4 network', 'address/length with no host bits, e.g. 10.0.0.0/24')(raw).map(
    (text) => normalizeCidr(text)!,
  );

const absolutePath: Parse<string> = (raw) => {
  const text = raw.trim();
  if (!/^\/[^\0]*$/.test(text)) throw new Error(`"${raw}" is not an absolute path`);
  return text;
};

/** For settings whose default is "none": an empty value keeps it. */
function orNone<T, N>(parseValue: Parse<T>, none: N): Parse<T | N> {
  return (raw) => (raw.trim() === '' ? none : parseValue(raw));
}

export type FirewallChoice = 'auto' | 'nft' | 'iptables';

/** nftables.conf includes it by a glob (a missing plain path fails the admin's whole firewall), so it must end in .nft. */
const nftFile: Parse<string> = (raw) => {
  const path = absolutePath(raw);
  if (!path.endsWith('.nft')) throw new Error(`"${raw}" does not end in .nft, which the include "DIR/*.nft" in /etc/nftables.conf needs`);
  return path;
};

/** A word out of a few: "is not a, b or c" otherwise. */
function oneOf<T extends string>(...words: T[]): Parse<T> {
  const said = `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
  return (raw) => {
    const text = raw.trim();
    if ((words as string[]).includes(text)) return text as T;
    throw new Error(`"${raw}" is not ${said}`);
  };
}

const firewallChoice = oneOf<FirewallChoice>('auto', 'nft', 'iptables');
const failback = oneOf<Failback>('keep', 'move');
const rpFilter = oneOf<RpFilterPolicy>('loose', 'leave');

// ---- the schema: section -> key -> how to parse and where it goes ----

type Apply = (settings: Settings, raw: string) => void;
const set =
  <T>(parseValue: Parse<T>, put: (settings: Settings, value: T) => void): Apply =>
  (settings, raw) =>
    put(settings, parseValue(raw));

const SCHEMA: Record<string, Record<string, Apply>> = {
  lan: {
    interfaces: set(ifaces, (s, v) => (s.lanInterfaces = v)),
    networks: set(networks, (s, v) => (s.lanNetworks = v)),
  },
  uplinks: {
    names: set(uplinkNames, (s, v) => (s.uplinkNames = v)),
    mark_mask: set(mask, (s, v) => (s.markMask = v)),
    table_base: set(table, (s, v) => (s.tableBase = v)),
    priority_base: set(priority, (s, v) => (s.priorityBase = v)),
    masquerade: set(flag, (s, v) => (s.masquerade = v)),
    rp_filter: set(rpFilter, (s, v) => (s.rpFilter = v)),
    default_route: set(orNone(uplinkNames, []), (s, v) => (s.defaultRoute = v)),
  },
  routes: {
    zebra_file: set(orNone(absolutePath, undefined), (s, v) => (s.zebraFile = v)),
  },
  paths: {
    ...Object.fromEntries(TOOL_NAMES.map((tool) => [TOOLS[tool].key, set(absolutePath, (s, v) => (s.paths[tool] = v))])),
    lock: set(absolutePath, (s, v) => (s.paths.lock = v)),
  },
  firewall: {
    backend: set(firewallChoice, (s, v) => (s.firewall = v)),
    nft_file: set(nftFile, (s, v) => (s.nftFile = v)),
  },
  log: {
    syslog: set(flag, (s, v) => (s.syslog = v)),
  },
};

/** The settable keys per section, for error hints and to check the packaged config lists them all. */
export function knownKeys(): Record<string, string[]> {
  return Object.fromEntries(Object.entries(SCHEMA).map(([section, keys]) => [section, Object.keys(keys)]));
}

const UPLINK_SCHEMA: Record<string, (override: UplinkOverride, raw: string) => void> = {
  unit: (o, raw) => (o.unit = inRange(0, 999999, 'a unit')(raw)),
  mark: (o, raw) => (o.mark = inRange(1, 0xffffffff, 'a mark value')(raw)),
  table: (o, raw) => (o.table = table(raw)),
  priority: (o, raw) => (o.priority = priority(raw)),
  masquerade: (o, raw) => (o.masquerade = flag(raw)),
  routes: (o, raw) => (o.routes = networks(raw)),
  routes_file: (o, raw) => (o.routesFile = absolutePath(raw)),
  distance: (o, raw) => (o.distance = distance(raw)),
  failback: (o, raw) => (o.failback = failback(raw)),
};

/** The values derived from [uplinks] settings, which an uplink section may override. */
type Derived = 'unit' | 'mark' | 'table' | 'priority';

const DERIVED_FROM: Record<Derived, string> = {
  unit: 'names',
  mark: 'mark_mask',
  table: 'table_base',
  priority: 'priority_base',
};

const UPLINK_SECTION = /^uplink\s+(\S+)$/;

function rawValue(value: unknown): string {
  // ini turns bare true/false into booleans and `key` with no `=` into true.
  return typeof value === 'string' ? value : String(value);
}

/** Parses and validates a config text; every error names file:line and how to fix it. */
export function parseConfig(text: string, file: string): Config {
  const lines = indexIniLines(text);
  const where = (line: number | undefined) => (line === undefined ? file : `${file}:${line}`);
  let parsed: Record<string, unknown>;
  try {
    parsed = parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`cannot parse: ${(error as Error).message}`, file);
  }

  const settings: Settings = structuredClone(DEFAULT_SETTINGS) as Settings;
  const overrides = new Map<string, UplinkOverride>();

  for (const [section, body] of Object.entries(parsed)) {
    if (typeof body !== 'object' || body === null) {
      throw new ConfigError(`"${section}" stands outside any section; put it under [lan], [uplinks], [routes], [firewall], [paths] or [log]`, where(lines.key('', section)));
    }
    const uplinkName = UPLINK_SECTION.exec(section)?.[1];
    if (uplinkName !== undefined) {
      if (!isIfaceName(uplinkName)) {
        throw new ConfigError(`[${section}]: "${uplinkName}" is not an interface name`, where(lines.section(section)));
      }
      overrides.set(uplinkName, applyKeys(body as Record<string, unknown>, section, UPLINK_SCHEMA, {}, lines, where));
      continue;
    }
    const keys = SCHEMA[section];
    if (!keys) {
      const known = [...Object.keys(SCHEMA), 'uplink NAME'].map((name) => `[${name}]`).join(', ');
      throw new ConfigError(`unknown section [${section}]; known: ${known}`, where(lines.section(section)));
    }
    applyKeys(body as Record<string, unknown>, section, keys, settings, lines, where);
  }

  for (const name of overrides.keys()) {
    if (!settings.uplinkNames.includes(name)) {
      throw new ConfigError(`[uplink ${name}] is not listed in [uplinks] names; add it there or remove the section`, where(lines.section(`uplink ${name}`)));
    }
  }

  // A derived value is blamed on the override that set it, else on the setting it came from.
  const lineOf = (name: string, key: Derived) =>
    where(lines.key(`uplink ${name}`, key) ?? lines.key('uplinks', DERIVED_FROM[key]) ?? lines.key('uplinks', 'names') ?? lines.section('uplinks'));
  if (settings.uplinkNames.length > MAX_UPLINKS) {
    throw new ConfigError(`names lists ${settings.uplinkNames.length} uplinks; at most ${MAX_UPLINKS} fit the route metrics`, where(lines.key('uplinks', 'names')));
  }
  checkDefaultRoute(settings, where(lines.key('uplinks', 'default_route')));
  const mover = [...overrides].find(([, override]) => override.failback === 'move')?.[0];
  const outboundBit = mover === undefined ? 0 : highestBit(settings.markMask);
  if (outboundBit === settings.markMask) {
    throw new ConfigError(
      `failback = move needs a bit of mark_mask ${hex(settings.markMask)} to tell outgoing pins from incoming ones, beside the uplinks' marks; widen mark_mask, e.g. 0xff00`,
      where(lines.key(`uplink ${mover}`, 'failback')),
    );
  }
  const uplinks = settings.uplinkNames.map((name, position) => {
    try {
      return deriveUplink(name, position, overrides.get(name) ?? {}, settings, outboundBit);
    } catch (error) {
      if (!(error instanceof DeriveError)) throw error;
      throw new ConfigError(error.message, lineOf(name, error.key));
    }
  });
  findCollision(uplinks, lineOf);
  const { uplinkNames: _names, ...rest } = settings;
  return { source: file, ...rest, outboundBit, uplinks };
}

function applyKeys<T>(
  body: Record<string, unknown>,
  section: string,
  keys: Record<string, (target: T, raw: string) => void>,
  target: T,
  lines: IniLines,
  where: (line: number | undefined) => string,
): T {
  for (const [key, value] of Object.entries(body)) {
    const apply = keys[key];
    if (!apply) {
      throw new ConfigError(`unknown key "${key}" in [${section}]; known: ${Object.keys(keys).join(', ')}`, where(lines.key(section, key)));
    }
    try {
      apply(target, rawValue(value));
    } catch (error) {
      throw new ConfigError(`${key}: ${(error as Error).message}`, where(lines.key(section, key)));
    }
  }
  return target;
}

class DeriveError extends Error {
  constructor(
    message: string,
    readonly key: Derived,
  ) {
    super(message);
  }
}

/** default_route names configured uplinks, each once: its order is the preference. */
function checkDefaultRoute(settings: Settings, where: string): void {
  settings.defaultRoute.forEach((name, index) => {
    if (!settings.uplinkNames.includes(name)) throw new ConfigError(`default_route: ${name} is not listed in [uplinks] names; add it there or remove it here`, where);
    if (settings.defaultRoute.indexOf(name) !== index) throw new ConfigError(`default_route: ${name} is listed twice; each uplink has one place in the order`, where);
  });
}

/** The top bit of mark_mask is the direction bit: the uplinks' marks count up from its lowest. */
function highestBit(mask: number): number {
  return 2 ** Math.floor(Math.log2(mask >>> 0));
}

function deriveUplink(name: string, position: number, override: UplinkOverride, settings: Settings, outboundBit: number): Uplink {
  const unit = override.unit ?? unitFromName(name);
  if (unit === undefined) {
    throw new DeriveError(`uplink ${name}: cannot derive a unit number from a name that is not pppN; set "unit = N" in [uplink ${name}]`, 'unit');
  }
  const markValue = override.mark ?? unit + 1;
  const mark = markInMask(markValue, ruleMask({ markMask: settings.markMask, outboundBit }));
  if (mark === undefined) {
    const beside = outboundBit === 0 ? '' : ` beside the direction bit ${hex(outboundBit)} that failback = move takes`;
    throw new DeriveError(
      `uplink ${name}: mark ${markValue} does not fit mark_mask ${hex(settings.markMask)}${beside}; widen the mask or set a smaller "mark" in [uplink ${name}]`,
      'mark',
    );
  }
  const tableId = override.table ?? settings.tableBase + unit;
  if (RESERVED_TABLES.has(tableId) || tableId > 0xffffffff) {
    throw new DeriveError(`uplink ${name}: table ${tableId} is reserved or too large; set "table" in [uplink ${name}] or change table_base`, 'table');
  }
  const rulePriority = override.priority ?? settings.priorityBase + unit;
  if (rulePriority > MAX_PRIORITY) {
    throw new DeriveError(`uplink ${name}: priority ${rulePriority} comes after the main table (32766); lower priority_base or set "priority"`, 'priority');
  }
  return {
    name,
    unit,
    position,
    mark,
    table: tableId,
    priority: rulePriority,
    masquerade: override.masquerade ?? settings.masquerade,
    distance: override.distance ?? DEFAULT_DISTANCE,
    routes: override.routes ?? [],
    routesFile: override.routesFile,
    failback: override.failback ?? 'keep',
  };
}

function findCollision(uplinks: Uplink[], where: (name: string, key: 'mark' | 'table' | 'priority') => string): void {
  for (const key of ['mark', 'table', 'priority'] as const) {
    const seen = new Map<number, string>();
    for (const uplink of uplinks) {
      const other = seen.get(uplink[key]);
      if (other !== undefined) {
        const value = key === 'mark' ? hex(uplink.mark) : String(uplink[key]);
        throw new ConfigError(`uplinks ${other} and ${uplink.name} share ${key} ${value}; set a distinct "${key}" in [uplink ${uplink.name}]`, where(uplink.name, key));
      }
      seen.set(uplink[key], uplink.name);
    }
  }
}

/** The bits the ip rules match: the uplink's mark, whichever way its connections went. */
export function ruleMask(config: Pick<Config, 'markMask' | 'outboundBit'>): number {
  return (config.markMask & ~config.outboundBit) >>> 0;
}

/** The built-in defaults as a Config, for a router with no config file. */
export function defaultConfig(): Config {
  return { ...parseConfig('', '(built-in defaults)'), source: undefined };
}
