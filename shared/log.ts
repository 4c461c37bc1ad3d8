/**
 * Every action and failure goes to stderr and to syslog (tag pin-hooks): pppd gives hooks no
 * useful stdout, so `journalctl -t pin-hooks` is where an admin looks. Syslog lines are sent in
 * one logger(1) call at the end, each with its own priority (--prio-prefix).
 */
import { spawnSync } from 'node:child_process';

const DAEMON = 3 * 8;
const PRIORITY = { error: DAEMON + 3, warning: DAEMON + 4, info: DAEMON + 6 } as const;
type Level = keyof typeof PRIORITY;

export class Log {
  private readonly pending: string[] = [];

  constructor(
    private readonly context: string,
    private readonly stderr: (line: string) => void = (line) => process.stderr.write(line),
  ) {}

  info(message: string): void {
    this.write('info', message);
  }

  warning(message: string): void {
    this.write('warning', message);
  }

  error(message: string): void {
    this.write('error', message);
  }

  private write(level: Level, message: string): void {
    const line = `${this.context}: ${message}`;
    this.stderr(`pin-hooks: ${line}\n`);
    this.pending.push(`<${PRIORITY[level]}>${line}`);
  }

  /** Sends what was logged to syslog; a missing syslog must never fail the hook. */
  flushToSyslog(logger: string): void {
    if (this.pending.length === 0) return;
    spawnSync(logger, ['--prio-prefix', '--tag', 'pin-hooks'], {
      input: this.pending.join('\n') + '\n',
      stdio: ['pipe', 'ignore', 'ignore'],
      timeout: 2000,
    });
    this.pending.length = 0;
  }
}
