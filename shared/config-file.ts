/** Finds, checks and reads the config file; only this file touches the disk for config. */
import { readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { DEFAULT_CONFIG_PATH, defaultConfig, parseConfig, type Config } from './config.js';

export interface ConfigChoice {
  path: string;
  /** Named by --config or PIN_HOOKS_CONFIG: then a missing file is an error, not "use defaults". */
  explicit: boolean;
}

export function chooseConfigPath(option: string | undefined, env: NodeJS.ProcessEnv): ConfigChoice {
  if (option !== undefined) return { path: option, explicit: true };
  const fromEnv = env.PIN_HOOKS_CONFIG;
  if (fromEnv) return { path: fromEnv, explicit: true };
  return { path: DEFAULT_CONFIG_PATH, explicit: false };
}

/** Refuses what sshd refuses: a file root does not own, or one others may write. */
export function unsafeConfigReason(stats: Pick<Stats, 'uid' | 'mode'>): string | undefined {
  if (stats.uid !== 0) return `is owned by uid ${stats.uid}, not root; run: chown root: FILE`;
  if ((stats.mode & 0o022) !== 0) {
    return `is writable by group or others (mode ${(stats.mode & 0o777).toString(8)}); run: chmod go-w FILE`;
  }
  return undefined;
}

/** Every directory above path, the file's own first, up to /. */
function directoriesAbove(path: string): string[] {
  const directories: string[] = [];
  for (let directory = dirname(path); ; directory = dirname(directory)) {
    directories.push(directory);
    if (directory === dirname(directory)) return directories;
  }
}

/**
 * Refuses what sshd's StrictModes refuses: a directory above the file that is not root's, or that
 * others may write without the sticky bit (/tmp's 1777 is fine), lets someone else replace the
 * file. Both the path as named and the file a symlink leads to are checked.
 */
export function unsafeDirectoryReason(path: string, stat: (directory: string) => Pick<Stats, 'uid' | 'mode'> = statSync): string | undefined {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    real = resolve(path);
  }
  for (const directory of new Set([...directoriesAbove(resolve(path)), ...directoriesAbove(real)])) {
    const { uid, mode } = stat(directory);
    if (uid !== 0) return `is in ${directory}, owned by uid ${uid}, not root; run: chown root: ${directory}`;
    if ((mode & 0o022) !== 0 && (mode & 0o1000) === 0) {
      return `is in ${directory}, which group or others may write (mode ${(mode & 0o7777).toString(8)}); run: chmod go-w ${directory}`;
    }
  }
  return undefined;
}

/** Why a file the hooks act on as root may have been put there by someone else, if it may. */
function unsafeFileReason(path: string, stats: Pick<Stats, 'uid' | 'mode'>): string | undefined {
  return unsafeConfigReason(stats)?.replace('FILE', path) ?? unsafeDirectoryReason(path);
}

/**
 * A file the config names (a route list): held to the config's own rules, since the hooks act
 * on it as root. `key` says where it is named, e.g. "[uplink ppp1] routes_file".
 */
export function readTrustedFile(path: string, key: string): string {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw new ConfigError(`cannot read the file ${key} names: ${(error as NodeJS.ErrnoException).code}; create it or fix ${key}`, path);
  }
  if (!stats.isFile()) throw new ConfigError(`${key} names something that is not a regular file`, path);
  const unsafe = unsafeFileReason(path, stats);
  if (unsafe) throw new ConfigError(`refusing the file ${key} names, which ${unsafe}`, path);
  return readFileSync(path, 'utf8');
}

export function loadConfig(choice: ConfigChoice): Config {
  let stats: Stats;
  try {
    stats = statSync(choice.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !choice.explicit) return defaultConfig();
    throw new ConfigError(`cannot read config: ${code ?? (error as Error).message}; check the path given by --config or PIN_HOOKS_CONFIG`, choice.path);
  }
  if (!stats.isFile()) throw new ConfigError('config is not a regular file', choice.path);
  const unsafe = unsafeFileReason(choice.path, stats);
  if (unsafe) throw new ConfigError(`refusing config that ${unsafe}`, choice.path);
  return parseConfig(readFileSync(choice.path, 'utf8'), choice.path);
}
