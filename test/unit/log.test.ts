import { chmodSync, fstatSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Log, stderrIsJournal } from '../../shared/log.js';

const dir = mkdtempSync(join(tmpdir(), 'pin-hooks-log-'));

function logged(): { log: Log; stderr: string[] } {
  const stderr: string[] = [];
  const log = new Log('ip-up', (line) => stderr.push(line), false);
  log.info('ppp0 up: table 100');
  log.error('PPP_REMOTE "x" is not an IPv4 address');
  return { log, stderr };
}

/** A stand-in for journald's stream socket: what one connection to it sent. */
function journalSocket(): { path: string; received: Promise<string> } {
  const path = join(dir, `journal-${Math.random().toString(36).slice(2)}.sock`);
  const received = new Promise<string>((resolve) => {
    const server = createServer((connection) => {
      let text = '';
      connection.on('data', (chunk) => (text += chunk.toString()));
      connection.on('end', () => (server.close(), resolve(text)));
    }).listen(path);
  });
  return { path, received };
}

describe('the log', () => {
  it('writes every line to stderr at once, tagged', () => {
    expect(logged().stderr).toEqual(['pin-hooks: ip-up: ppp0 up: table 100\n', 'pin-hooks: ip-up: PPP_REMOTE "x" is not an IPv4 address\n']);
  });

  it("sends the lines to journald's stream socket with the pin-hooks identifier and each line's priority", async () => {
    const journal = journalSocket();
    await logged().log.finish({ journal: journal.path, devLog: join(dir, 'absent'), logger: '/nonexistent' });
    expect(await journal.received).toBe('pin-hooks\n\n6\n1\n0\n0\n0\n<6>ip-up: ppp0 up: table 100\n<3>ip-up: PPP_REMOTE "x" is not an IPv4 address\n');
  });

  it('falls back to one logger call with daemon-facility priorities when there is no journald', async () => {
    const devLog = join(dir, 'devlog');
    writeFileSync(devLog, '');
    const logger = join(dir, 'logger');
    const out = join(dir, 'logger.out');
    writeFileSync(logger, `#!/bin/sh\necho "$@" > ${out}\ncat >> ${out}\n`);
    chmodSync(logger, 0o755);
    await logged().log.finish({ journal: join(dir, 'absent.sock'), devLog, logger });
    expect(readFileSync(out, 'utf8')).toBe(`--prio-prefix --tag pin-hooks --socket ${devLog}\n<30>ip-up: ppp0 up: table 100\n<27>ip-up: PPP_REMOTE "x" is not an IPv4 address\n`);
  });

  it('sends nothing when the machine has no syslog at all', async () => {
    const marker = join(dir, 'ran');
    const logger = join(dir, 'logger-marker');
    writeFileSync(logger, `#!/bin/sh\ntouch ${marker}\n`);
    chmodSync(logger, 0o755);
    await logged().log.finish({ journal: join(dir, 'none.sock'), devLog: join(dir, 'none'), logger });
    expect(() => readFileSync(marker)).toThrow(/ENOENT/);
  });
});

describe('a message of several lines', () => {
  it('is logged as several lines, each with the tag and context', () => {
    const lines: string[] = [];
    const log = new Log('ip-up', (line) => lines.push(line), false);
    log.error('a.routes:2: bad\na.routes:4: bad too');
    expect(lines).toEqual(['pin-hooks: ip-up: a.routes:2: bad\n', 'pin-hooks: ip-up: a.routes:4: bad too\n']);
  });
});

describe('under a systemd unit, where stderr is a journald stream', () => {
  it('knows stderr is the journal only when JOURNAL_STREAM names its device and inode', () => {
    const { dev, ino } = fstatSync(2, { bigint: true });
    expect(stderrIsJournal({ JOURNAL_STREAM: `${dev}:${ino}` })).toBe(true);
    expect(stderrIsJournal({ JOURNAL_STREAM: `${dev}:${ino + 1n}` })).toBe(false);
    expect(stderrIsJournal({})).toBe(false);
  });

  it('logs each line once: to journald with our tag, not also to stderr', async () => {
    const stderr: string[] = [];
    const log = new Log('pin-firewall', (line) => stderr.push(line), true);
    log.info('init: applied');
    const journal = journalSocket();
    await log.finish({ journal: journal.path, devLog: join(dir, 'absent'), logger: '/nonexistent' });
    expect(await journal.received).toMatch(/^pin-hooks\n[^]*<6>pin-firewall: init: applied\n$/);
    expect(stderr).toEqual([]);
  });

  it('still writes to stderr when syslog is off or did not take the lines', async () => {
    const stderr: string[] = [];
    const log = new Log('pin-firewall', (line) => stderr.push(line), true);
    log.info('init: applied');
    await log.finish(undefined);
    log.error('flush: failed');
    await log.finish({ journal: join(dir, 'absent.sock'), devLog: join(dir, 'absent'), logger: '/nonexistent' });
    expect(stderr).toEqual(['pin-hooks: pin-firewall: init: applied\n', 'pin-hooks: pin-firewall: flush: failed\n']);
  });
});
