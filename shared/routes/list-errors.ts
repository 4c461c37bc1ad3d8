/** A route list with bad lines is refused whole, and every bad line is named as file:line: why. */
import { ConfigError } from '../errors.js';

/** Enough to fix a typo or see a pattern; a list that is wrong throughout says how much more. */
const SHOWN = 20;

/** The closing line of a refusal; check, which changes nothing anyway, leaves it out. */
export const NOTHING_CHANGED = 'nothing was changed';

export function listError(problems: readonly string[]): ConfigError {
  const shown = problems.slice(0, SHOWN);
  if (problems.length > SHOWN) shown.push(`... and ${problems.length - SHOWN} more bad lines`);
  shown.push(`${NOTHING_CHANGED}; fix the line${problems.length === 1 ? '' : 's'} above and run it again`);
  return new ConfigError(shown.join('\n'));
}
