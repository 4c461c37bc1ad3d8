/** The only place that runs tools or writes kernel settings: execFile with absolute paths, never a shell. */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { SystemError } from './errors.js';

export interface ToolResult {
  stdout: string;
  stderr: string;
}

interface Exit extends ToolResult {
  code: number;
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
}

/** Runs a tool, feeding `input` on stdin, and reports how it ended; only a tool that cannot start rejects. */
export function execTool(path: string, args: readonly string[], input?: string): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = execFile(path, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { LC_ALL: 'C' } }, (error, stdout, stderr) => {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      if (code === 'ENOENT' || code === 'EACCES') {
        return reject(new SystemError(`${path} cannot be run (${code}); install it or set its path in [paths]`));
      }
      resolve({ code: typeof code === 'number' ? code : error ? 1 : 0, stdout, stderr });
    });
    // A tool that exits before reading its input must not turn into an unhandled EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

export function toolFailure(path: string, args: readonly string[], exit: Exit): SystemError {
  return new SystemError(`${basename(path)} ${args.join(' ')} failed: ${firstLine(exit.stderr) || firstLine(exit.stdout) || `exit ${exit.code}`}`);
}

/** Runs a tool; a failure becomes a SystemError naming the tool and its complaint. */
export async function runTool(path: string, args: readonly string[], input?: string): Promise<ToolResult> {
  const exit = await execTool(path, args, input);
  if (exit.code !== 0) throw toolFailure(path, args, exit);
  return exit;
}

export function writeSysctl(key: string, value: string): void {
  try {
    writeFileSync(`/proc/sys/${key}`, value);
  } catch (error) {
    throw new SystemError(`cannot set ${key.replaceAll('/', '.')}=${value}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}
