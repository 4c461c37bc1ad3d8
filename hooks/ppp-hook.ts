/** The shape both pppd hooks share: --help/--version, leading --config, then pppd's input. */
import type { Config } from '../shared/config.js';
import { takeConfigOption } from '../shared/cli.js';
import type { Log } from '../shared/log.js';
import { parsePppInput, type PppLink } from '../shared/ppp-input.js';
import { VERSION } from '../shared/version.js';
import type { Context } from './context.js';

type UplinkEvent = (config: Config, link: PppLink, log: Log) => void;

/** A flag that takes the place of pppd's input (pppd's first argument is always an interface). */
export interface InsteadOfInput {
  flag: string;
  run: (config: Config, log: Log) => void;
}

export function pppHook(help: string, event: UplinkEvent, instead?: InsteadOfInput): (context: Context) => Promise<number> {
  return async (context) => {
    if (context.args[0] === '--help') return context.stdout(help), 0;
    if (context.args[0] === '--version') return context.stdout(`pin-hooks ${VERSION}\n`), 0;
    const { config: option, rest } = takeConfigOption(context.args);
    if (instead && rest[0] === instead.flag) return instead.run(context.config(option), context.log), 0;
    // Input first: hostile values are refused even when the config is broken too.
    const link = parsePppInput(context.env, rest);
    event(context.config(option), link, context.log);
    return 0;
  };
}
