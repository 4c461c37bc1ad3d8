/**
 * Every action and failure goes to stderr and to syslog (tag pin-hooks): pppd gives hooks no
 * useful stdout, so `journalctl -t pin-hooks` is where an admin looks. On a systemd machine the
 * lines go straight into journald's stream socket (the protocol of systemd-cat, no process to
 * start); otherwise one logger(1) call sends them to /dev/log, each with its priority.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, fstatSync, writeSync } from 'node:fs';

const DAEMON = 3 * 8;
const SEVERITY = { error: 3, info: 6 } as const;
type Level = keyof typeof SEVERITY;
const TAG = 'pin-hooks';

export interface SyslogTargets {
  journal: string;
  devLog: string;
  logger: string;
}

export const SYSLOG_TARGETS: Omit<SyslogTargets, 'logger'> = { journal: '/run/systemd/journal/stdout', devLog: '/dev/log' };

/** journald's stream header: identifier, unit, default priority, level prefix on, no forced forwarding. */
const JOURNAL_HEADER = `${TAG}\n\n${SEVERITY.info}\n1\n0\n0\n0\n`;

interface Entry {
  severity: number;
  line: string;
}

function sendToJournal(socket: string, entries: Entry[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // Loaded only under journald: node:net costs about 1 ms of every run's start (measured).
    const connection = process.getBuiltinModule('node:net').createConnection(socket);
    connection.setTimeout(1000, () => connection.destroy(new Error('journald did not answer')));
    connection.once('error', reject);
    connection.once('close', () => resolve());
    connection.once('connect', () => connection.end(JOURNAL_HEADER + entries.map(({ severity, line }) => `<${severity}>${line}\n`).join('')));
  });
}

/**
 * Straight to descriptor 2: process.stderr would build a stream object for our one or two lines
 * (measured: 1.1 ms of a hook's run when stderr is a pipe). A closed stderr must not fail a
 * hook; syslog still gets the line.
 */
function writeStderr(line: string): void {
  try {
    writeSync(2, line);
  } catch {
    // nowhere left to say it
  }
}

/**
 * Under a systemd unit stderr is itself a journald stream (systemd.exec(5): JOURNAL_STREAM names
 * its device and inode). Writing there and to syslog would put every line in the journal twice.
 */
export function stderrIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  if (!env.JOURNAL_STREAM) return false;
  try {
    const { dev, ino } = fstatSync(2, { bigint: true });
    return env.JOURNAL_STREAM === `${dev}:${ino}`;
  } catch {
    return false;
  }
}

/** journald's stream socket, else one logger(1) call to /dev/log; true when either took the lines. */
async function sendToSyslog(targets: SyslogTargets, entries: Entry[]): Promise<boolean> {
  if (existsSync(targets.journal)) {
    try {
      await sendToJournal(targets.journal, entries);
      return true;
    } catch {
      // fall back to /dev/log below
    }
  }
  if (!existsSync(targets.devLog)) return false;
  const logger = spawnSync(targets.logger, ['--prio-prefix', '--tag', TAG, '--socket', targets.devLog], {
    input: entries.map(({ severity, line }) => `<${DAEMON + severity}>${line}\n`).join(''),
    stdio: ['pipe', 'ignore', 'ignore'],
    timeout: 2000,
  });
  return logger.status === 0;
}

export class Log {
  private readonly pending: Entry[] = [];

  /** When stderr is the journal, lines wait for finish(): syslog gets them once, with our tag. */
  constructor(
    private readonly context: string,
    private readonly stderr: (line: string) => void = writeStderr,
    private readonly holdStderr: boolean = stderrIsJournal(),
  ) {}

  info(message: string): void {
    this.write('info', message);
  }

  error(message: string): void {
    this.write('error', message);
  }

  /** A message of several lines (every bad line of a list) is several log lines, each tagged. */
  private write(level: Level, message: string): void {
    for (const text of message.split('\n')) {
      const line = `${this.context}: ${text}`;
      if (!this.holdStderr) this.stderr(`${TAG}: ${line}\n`);
      this.pending.push({ severity: SEVERITY[level], line });
    }
  }

  /**
   * Sends what was logged to syslog (none when targets is undefined: [log] syslog = no); a missing
   * or broken syslog never fails the program. Lines held from a journal stderr go there only if
   * syslog did not take them.
   */
  async finish(targets: SyslogTargets | undefined): Promise<void> {
    const entries = this.pending.splice(0);
    if (entries.length === 0) return;
    const sent = targets !== undefined && (await sendToSyslog(targets, entries));
    if (this.holdStderr && !sent) for (const { line } of entries) this.stderr(`${TAG}: ${line}\n`);
  }
}
