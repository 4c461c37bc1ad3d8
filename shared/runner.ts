/** The only place that runs tools or writes kernel settings: execFile with absolute paths, never a shell. */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { SystemError } from './errors.js';

export interface ToolResult {
  stdout: string;
  stderr: string;
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
}

/** Runs a tool, feeding `input` on stdin; a failure becomes a SystemError naming the tool and its complaint. */
export function runTool(path: string, args: readonly string[], input?: string): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(path, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { LC_ALL: 'C' } }, (error, stdout, stderr) => {
      if (!error) return resolve({ stdout, stderr });
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES') {
        return reject(new SystemError(`${path} cannot be run (${code}); install it or set its path in [paths]`));
      }
      const complaint = firstLine(stderr) || firstLine(stdout) || error.message;
      reject(new SystemError(`${basename(path)} ${args.join(' ')} failed: ${complaint}`));
    });
    // A tool that exits before reading its input must not turn into an unhandled EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

export function writeSysctl(key: string, value: string): void {
  try {
    writeFileSync(`/proc/sys/${key}`, value);
  } catch (error) {
    throw new SystemError(`cannot set ${key.replaceAll('/', '.')}=${value}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}
