/** A route list with bad lines is refused whole, and every bad line is named as file:line: why. */
import { ConfigError } from '../errors.js';

/** Enough to fix a typo or see a pattern; a list that is wrong throughout says how much more. */
const SHOWN = 20;

/** The refusal keeps its bad lines apart, so check can report each one as a problem of its own. */
export class ListError extends ConfigError {
  constructor(readonly badLines: readonly string[]) {
    super([...badLines, `nothing was changed; fix the line${badLines.length === 1 ? '' : 's'} above and run it again`].join('\n'));
  }
}

export function listError(problems: readonly string[]): ListError {
  const shown = problems.slice(0, SHOWN);
  if (problems.length > SHOWN) shown.push(`... and ${problems.length - SHOWN} more bad lines`);
  return new ListError(shown);
}
