/**
 * The global lock: pppd runs hooks without waiting and separate pppd instances run them at once.
 * Node has no flock(2), so flock(1) takes it, and the kernel frees it when its holder dies: a
 * crash never leaves it stale. A hook's whole change is one tool run, which flock runs holding
 * the lock, and so is init's first try. Runs that read, plan and apply open the lock file and
 * let flock lock that open file (its descriptor 3): the lock stays with our descriptor after
 * flock exits.
 */
import { closeSync, openSync } from 'node:fs';
import { LockError, SystemError } from './errors.js';
import { execTool, type Exit } from './runner.js';

const WAIT_SECONDS = 30;
const TIMED_OUT = 75;

export interface LockPaths {
  flock: string;
  lock: string;
}

// --no-fork: flock becomes the command, which keeps the locked descriptor; one process start less.
const flockArgs = ['--no-fork', '--exclusive', '--wait', String(WAIT_SECONDS), '--conflict-exit-code', String(TIMED_OUT)];

function timedOut(paths: LockPaths): LockError {
  return new LockError(`another pin-hooks run held ${paths.lock} for ${WAIT_SECONDS} s; check for a hung hook (ps -C pin-hooks)`);
}

/** Runs one tool while holding the lock and reports how it ended; only the lock's timeout throws. */
export function execLocked(paths: LockPaths, tool: string, args: readonly string[], input: string): Exit {
  const exit = execTool(paths.flock, [...flockArgs, paths.lock, tool, ...args], input);
  if (exit.code === TIMED_OUT) throw timedOut(paths);
  return exit;
}

/** Runs `work` holding the lock, which goes when the descriptor is closed (or we die). */
export function withLock<T>(paths: LockPaths, work: () => T): T {
  let fd: number;
  try {
    fd = openSync(paths.lock, 'a', 0o600);
  } catch (error) {
    throw new SystemError(`cannot open the lock ${paths.lock}: ${(error as NodeJS.ErrnoException).code}; check [paths] lock`);
  }
  try {
    const exit = execTool(paths.flock, [...flockArgs, '3'], '', fd);
    if (exit.code === TIMED_OUT) throw timedOut(paths);
    if (exit.code !== 0) throw new SystemError(`cannot take the lock ${paths.lock}: ${exit.stderr.trim() || `flock exited ${exit.code}`}`);
    return work();
  } finally {
    closeSync(fd);
  }
}
