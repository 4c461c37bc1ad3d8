/** A route list with bad lines is refused whole, and every bad line is named as file:line: why. */
import { ConfigError } from '../errors.js';

/** Enough to fix a typo or see a pattern; a list that is wrong throughout says how much more. */
const SHOWN = 20;

export function listError(problems: readonly string[]): ConfigError {
  const shown = problems.slice(0, SHOWN);
  if (problems.length > SHOWN) shown.push(`... and ${problems.length - SHOWN} more bad lines`);
  shown.push(`nothing was changed; fix the line${problems.length === 1 ? '' : 's'} above and run it again`);
  return new ConfigError(shown.join('\n'));
}
