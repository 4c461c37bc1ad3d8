/**
 * One `ip -batch` as the hooks send it: under the global lock, in runs short enough for ip's
 * memory, and when ip stops at a line, which line of the whole batch that was.
 */
import type { Config } from '../config.js';
import type { SystemError } from '../errors.js';
import { execLocked, withLock } from '../lock.js';
import { batchInput, execTool, failedBatchLine, toolFailure, type Exit } from '../runner.js';

/** Taking back goes on past a route the kernel already dropped (the link went meanwhile). */
export const IP_FORCE_BATCH = ['-force', '-batch', '-'];

/**
 * iproute2 6.1's batch mode keeps about 4 KB a line until it exits (measured: 407 MB for 100,000
 * lines, 82 MB for 20,000), so a long list goes in runs of this many lines, all under one hold of
 * the lock: about 42 MB each, for 2 ms more process start a run.
 */
const LINES_A_RUN = 10000;

export interface BatchFailure {
  error: SystemError;
  /** The line of the whole batch the kernel refused (1-based); 0 when ip did not say. */
  line: number;
}

function runBatch(config: Config, args: readonly string[], lines: readonly string[], skipped: number, run: (input: string) => Exit): BatchFailure | undefined {
  const input = batchInput(lines);
  const exit = run(input);
  if (exit.code === 0) return undefined;
  return { error: toolFailure(config.paths.ip, args, exit, input, skipped), line: skipped + (failedBatchLine(exit.stderr) ?? 0) };
}

/** A batch that fits one run is one process holding the lock; a longer one holds it for all its runs. */
export function applyBatch(config: Config, args: readonly string[], lines: readonly string[]): BatchFailure | undefined {
  if (lines.length <= LINES_A_RUN) return runBatch(config, args, lines, 0, (input) => execLocked(config.paths, config.paths.ip, args, input));
  return withLock(config.paths, () => {
    for (let start = 0; start < lines.length; start += LINES_A_RUN) {
      const failure = runBatch(config, args, lines.slice(start, start + LINES_A_RUN), start, (input) => execTool(config.paths.ip, args, input));
      if (failure) return failure;
    }
    return undefined;
  });
}
