/** What every entry point gets: its arguments, the environment, the log, and a config loader. */
import type { Config } from '../shared/config.js';
import { chooseConfigPath, loadConfig } from '../shared/config-file.js';
import type { Log } from '../shared/log.js';

export interface Context {
  args: string[];
  env: NodeJS.ProcessEnv;
  log: Log;
  stdout: (text: string) => void;
  /** Loads the config named by --config / PIN_HOOKS_CONFIG / the default path, and remembers it for syslog. */
  config: (option: string | undefined) => Config;
}

export function configLoader(env: NodeJS.ProcessEnv, loaded: (config: Config) => void): Context['config'] {
  return (option) => {
    const config = loadConfig(chooseConfigPath(option, env));
    loaded(config);
    return config;
  };
}
