/**
 * The only place that runs tools or writes kernel settings: absolute paths, never a shell.
 * Tools run synchronously: every caller waits for each result anyway, and spawnSync saves the
 * event-loop round trips (measured: ip-up 1.35 -> 1.28 times the bare runtime's start).
 */
import { spawnSync, type StdioOptions } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { SystemError } from './errors.js';

export interface ToolResult {
  stdout: string;
  stderr: string;
}

export interface Exit extends ToolResult {
  code: number;
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
}

/** Runs a tool and reports how it ended; only a tool that cannot start throws. */
function spawnTool(path: string, args: readonly string[], input: string | undefined, stdio: StdioOptions): Exit {
  const result = spawnSync(path, args, { input: input ?? '', encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { LC_ALL: 'C' }, stdio });
  const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'EACCES') throw new SystemError(`${path} cannot be run (${code}); install it or set its path in [paths]`);
  // A tool that stops reading its input (ip -batch at a refused line) has still ended and said why.
  if (result.error && !(code === 'EPIPE' && result.status !== null)) throw new SystemError(`${path} failed to run: ${result.error.message}`);
  return { code: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr };
}

/**
 * Runs a tool, feeding `input` on stdin, and reports how it ended; only a tool that cannot start
 * throws. `shared` is one more open descriptor the tool gets as its fd 3.
 */
export function execTool(path: string, args: readonly string[], input?: string, shared?: number): Exit {
  return spawnTool(path, args, input, shared === undefined ? 'pipe' : ['pipe', 'pipe', 'pipe', shared]);
}

/**
 * Runs a tool whose output is large (100,000 routes: 4.8 MB) into an unlinked file of our own:
 * spawnSync through a pipe took 540 ms for that, through a file 200 ms (measured). The file is
 * created exclusively (no symlink is followed) and removed before the tool starts.
 */
export function execToolToFile(path: string, args: readonly string[]): Exit {
  // Loaded here, not at the top: node:crypto adds about 4 ms CPU to the start of every run
  // (measured in the SEA), and only these large reads need a name nobody can guess.
  const { randomBytes } = process.getBuiltinModule('node:crypto');
  const file = join(tmpdir(), `pin-hooks-${process.pid}-${randomBytes(6).toString('hex')}`);
  const fd = openSync(file, 'wx+', 0o600);
  try {
    unlinkSync(file);
    const exit = spawnTool(path, args, undefined, ['pipe', fd, 'pipe']);
    const output = Buffer.alloc(fstatSync(fd).size);
    readSync(fd, output, 0, output.length, 0);
    return { ...exit, stdout: output.toString('utf8') };
  } finally {
    closeSync(fd);
  }
}

export function runToolToFile(path: string, args: readonly string[]): string {
  const exit = execToolToFile(path, args);
  if (exit.code !== 0) throw toolFailure(path, args, exit);
  return exit.stdout;
}

/** How we change rules and routes: one `ip -batch` run, its lines on stdin. */
export const IP_BATCH = ['-batch', '-'];

export function batchInput(lines: readonly string[]): string {
  return lines.join('\n') + '\n';
}

/**
 * The line of its input a tool refused, as it names it: `ip -batch` stops there ("Command failed
 * -:3"), `nft -f -` refuses the whole file and points at the line ("/dev/stdin:3:5-9: Error: ...").
 */
export function failedBatchLine(stderr: string): number | undefined {
  const match = /^(?:Command failed -:(\d+)$|\/dev\/stdin:(\d+):)/m.exec(stderr);
  return match ? Number(match[1] ?? match[2]) : undefined;
}

/**
 * Names the tool, the batch line it stopped at (as wg-quick shows each command) and its complaint;
 * `skipped` lines went before `input` in earlier runs of the same batch.
 */
export function toolFailure(path: string, args: readonly string[], exit: Exit, input?: string, skipped = 0): SystemError {
  const at = input === undefined ? undefined : failedBatchLine(exit.stderr);
  const line = at === undefined ? '' : ` at line ${skipped + at} "${input!.split('\n')[at - 1]}"`;
  return new SystemError(`${basename(path)} ${args.join(' ')} failed${line}: ${firstLine(exit.stderr) || firstLine(exit.stdout) || `exit ${exit.code}`}`);
}

/** Runs a tool; a failure becomes a SystemError naming the tool and its complaint. */
export function runTool(path: string, args: readonly string[], input?: string): ToolResult {
  const exit = execTool(path, args, input);
  if (exit.code !== 0) throw toolFailure(path, args, exit, input);
  return exit;
}

export function writeSysctl(key: string, value: string): void {
  try {
    writeFileSync(`/proc/sys/${key}`, value);
  } catch (error) {
    throw new SystemError(`cannot set ${key.replaceAll('/', '.')}=${value}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}
