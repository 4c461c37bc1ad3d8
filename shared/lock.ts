/**
 * The global lock: pppd runs hooks without waiting and separate pppd instances run them at once.
 * Node has no flock(2), so flock(1) takes it: the kernel frees it when its holder dies, so a
 * crash never leaves it stale. A hook's whole change is one tool run, which flock runs holding
 * the lock; init and flush read, plan and apply, so they hold it with `cat` for as long as they
 * need: cat echoes a byte we send only once the lock is ours and exits when we close its input.
 */
import { spawn } from 'node:child_process';
import { LockError, SystemError } from './errors.js';
import { execTool, toolFailure } from './runner.js';

const CAT = '/usr/bin/cat';
const WAIT_SECONDS = 30;
const TIMED_OUT = 75;

export interface LockPaths {
  flock: string;
  lock: string;
}

// --no-fork: flock becomes the command, which keeps the locked descriptor; one process start less.
const flockArgs = (paths: LockPaths) => ['--no-fork', '--exclusive', '--wait', String(WAIT_SECONDS), '--conflict-exit-code', String(TIMED_OUT), paths.lock];

function timedOut(paths: LockPaths): LockError {
  return new LockError(`another pin-hooks run held ${paths.lock} for ${WAIT_SECONDS} s; check for a hung hook (ps -C pin-hooks)`);
}

/** Runs one tool while holding the lock. */
export function runLocked(paths: LockPaths, tool: string, args: readonly string[], input: string): void {
  const exit = execTool(paths.flock, [...flockArgs(paths), tool, ...args], input);
  if (exit.code === TIMED_OUT) throw timedOut(paths);
  if (exit.code !== 0) throw toolFailure(tool, args, exit);
}

export async function withLock<T>(paths: LockPaths, work: () => T): Promise<T> {
  const holder = spawn(paths.flock, [...flockArgs(paths), CAT], { stdio: ['pipe', 'pipe', 'pipe'] });
  let complaint = '';
  holder.stderr.on('data', (chunk: Buffer) => (complaint += chunk.toString()));
  holder.stdin.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once('data', () => resolve());
    holder.once('error', (error) => reject(new SystemError(`${paths.flock} cannot be run (${(error as NodeJS.ErrnoException).code}); install util-linux or set [paths] flock`)));
    holder.once('exit', (code) =>
      reject(code === TIMED_OUT ? timedOut(paths) : new SystemError(`cannot take the lock ${paths.lock}: ${complaint.trim() || `flock exited ${code}`}`)),
    );
    holder.stdin.write('x');
  });
  try {
    return work();
  } finally {
    // Closing cat's input frees the lock; nobody needs to wait for cat to exit.
    holder.stdin.end();
    holder.stdout.destroy();
    holder.stderr.destroy();
    holder.unref();
  }
}
