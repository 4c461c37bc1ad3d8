/**
 * The global lock: pppd runs hooks without waiting and separate pppd instances run them at once.
 * Node has no flock(2), so flock(1) takes the lock and holds it while its child `cat` runs.
 * cat echoes a byte we send only once the lock is ours, and exits when we close its input,
 * also when we die: the kernel frees the lock, so a crash can never leave it stale.
 */
import { spawn } from 'node:child_process';
import { LockError, SystemError } from './errors.js';

const CAT = '/usr/bin/cat';
const WAIT_SECONDS = 30;
const TIMED_OUT = 75;

export interface LockPaths {
  flock: string;
  lock: string;
}

export async function withLock<T>(paths: LockPaths, work: () => Promise<T>): Promise<T> {
  const holder = spawn(paths.flock, ['--exclusive', '--wait', String(WAIT_SECONDS), '--conflict-exit-code', String(TIMED_OUT), paths.lock, CAT], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let complaint = '';
  holder.stderr.on('data', (chunk: Buffer) => (complaint += chunk.toString()));
  holder.stdin.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once('data', () => resolve());
    holder.once('error', (error) => reject(new SystemError(`${paths.flock} cannot be run (${(error as NodeJS.ErrnoException).code}); install util-linux or set [paths] flock`)));
    holder.once('exit', (code) =>
      reject(
        code === TIMED_OUT
          ? new LockError(`another pin-hooks run held ${paths.lock} for ${WAIT_SECONDS} s; check for a hung hook (ps -C pin-hooks)`)
          : new SystemError(`cannot take the lock ${paths.lock}: ${complaint.trim() || `flock exited ${code}`}`),
      ),
    );
    holder.stdin.write('x');
  });
  try {
    return await work();
  } finally {
    holder.stdin.end();
  }
}
