#!/usr/bin/env node
// failback = move (issue 12): the scoped conntrack flush of `pin-firewall failback ppp0` with
// 100,000 tracked connections, 10,000 of them outgoing pins of the less preferred uplink ppp1:
// wall time against the floor (the bare `conntrack -D -m 0x8200/0xff00` it wraps), and exactness
// (exactly those 10,000 gone, every one of the other 90,000 still there with its mark). Runs itself
// inside a throwaway network namespace (pinh-<pid>-failback), so the host's conntrack table is never
// read or touched, and writes bench/FAILBACK.md.
//
//   node bench/failback.mjs                                # as root; needs dist/pin-hooks (npm run build)
//   PIN_HOOKS_BIN=/path/to/pin-hooks node bench/failback.mjs
//
// BENCH_ROUNDS (default 7): rounds; each one re-loads the 100,000 entries before every timed run.
// BENCH_CHURN_ROUNDS (default 3) per churn level: untimed runs where entries to delete expire while
// being deleted, which makes conntrack 1.4.7's -D abort ("such conntrack doesn't exist"): pin-hooks
// must repeat it until a pass completes (bounded) and still leave the 90,000 alone.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureAptPackages } from '../scripts/deps.mjs';
import { median } from './stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const SELF = fileURLToPath(import.meta.url);
const BIN = path.resolve(process.env.PIN_HOOKS_BIN ?? path.join(root, 'dist/pin-hooks'));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CONNTRACK = '/usr/sbin/conntrack';
const PATH_ENV = '/usr/sbin:/usr/bin:/sbin:/bin';
const BAR_MS = 1000; // issue 12: at most 1 s on this machine
const SETTLE_MS = 300; // a flush of 100,000 entries leaves the kernel freeing them: start each run on a quiet kernel
const TIMEOUT_S = 3600; // long enough that no entry expires during the bench (which 1.4.7's -D would abort on)
const CHURN_ROUNDS = Number(process.env.BENCH_CHURN_ROUNDS ?? 3);
const CHURN_TIMEOUT_S = 2; // the short-lived entries' timeout in the churn runs: they expire over the load's span, 2 s on

// The marks with mark_mask 0xff00 and failback = move: uplink pppN's value is (N+1)<<8, the top bit
// of the mask (0x8000) says the connection left by the uplink. `gone` is what `failback ppp0` must
// delete with `names = ppp0 ppp1 ppp2` and no default_route: the outgoing pins of ppp1 (and of ppp2,
// of which there are none here), whatever bits outside the mask they carry besides.
const MIX = [
  { mark: 0x8200, count: 9_000, gone: true, what: 'outgoing pin of ppp1' },
  { mark: 0x8201, count: 500, gone: true, what: 'outgoing pin of ppp1 + foreign bit 0x1' },
  { mark: 0x18200, count: 500, gone: true, what: 'outgoing pin of ppp1 + foreign bit 0x10000' },
  { mark: 0x200, count: 20_000, gone: false, what: 'incoming pin of ppp1' },
  { mark: 0x8100, count: 20_000, gone: false, what: 'outgoing pin of ppp0 (the returning uplink)' },
  { mark: 0x100, count: 10_000, gone: false, what: 'incoming pin of ppp0' },
  { mark: 0x300, count: 5_000, gone: false, what: 'incoming pin of ppp2' },
  { mark: 0x0, count: 20_000, gone: false, what: 'unmarked' },
  { mark: 0x1, count: 5_000, gone: false, what: 'foreign bit 0x1 only' },
  { mark: 0x10000, count: 5_000, gone: false, what: 'foreign bit 0x10000 only' },
  { mark: 0x8000, count: 2_500, gone: false, what: 'direction bit alone, no uplink' },
  { mark: 0x820000, count: 2_500, gone: false, what: "ppp1's outgoing value shifted outside the mask" },
];
const TOTAL = MIX.reduce((sum, { count }) => sum + count, 0);
const GONE = MIX.filter(({ gone }) => gone).reduce((sum, { count }) => sum + count, 0);
const FILTER = '0x8200/0xff00'; // what pin-hooks passes for ppp1, given here by hand for the floor

// ---------------------------------------------------------------------------------------------
// Small tools

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const hex = (value) => `0x${value.toString(16)}`;


/** Runs a command to its end; a failure stops the bench with the command's own words. */
function run(command, args, { allow = [0] } = {}) {
  const result = spawnSync(command, args, { env: { PATH: PATH_ENV }, encoding: 'utf8', maxBuffer: 512 << 20 });
  if (!allow.includes(result.status)) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status ?? result.signal}: ${(result.stderr || result.stdout || '').trim()}`);
  }
  return result;
}

/**
 * Wall time of one run in ms and its peak RSS in MiB (GNU time's %M), stdout to a file as pin-hooks
 * itself sends conntrack's (one line per deleted entry), so the floor pays for the same writes.
 */
function timed(command, args, stdoutFile) {
  const fd = fs.openSync(stdoutFile, 'w', 0o600);
  try {
    const start = now();
    const result = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { env: { PATH: PATH_ENV }, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    const ms = now() - start;
    const lines = result.stderr.trim().split('\n');
    const rss = Number(lines.pop()) / 1024;
    return { ms, rss, status: result.status, stderr: lines.join('\n'), stdout: fs.readFileSync(stdoutFile, 'utf8') };
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// The entries: one line per connection for `conntrack -R` (1.4.7 reads a file of `-I ...` lines in
// one process: about 1 s for 100,000, where 100,000 `conntrack -I` processes would take minutes).
// Each entry has its own source address in 10.0.0.0/8, so the source names it in a dump.

const DESTS = ['192.0.2', '198.51.100', '203.0.113'];
const PORTS = [443, 80, 53, 123, 22, 993, 5060, 8080];

const sourceOf = (index) => `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;

/**
 * source address -> expected mark, and the load file's lines, the mix's kinds interleaved. The
 * marks in `shortLived` get CHURN_TIMEOUT_S instead (the churn runs).
 */
function entries(shortLived = []) {
  const marks = [];
  for (const { mark, count } of MIX) for (let i = 0; i < count; i++) marks.push(mark);
  // A fixed shuffle (a full-period LCG step) so the kinds are spread over the hash table and the dump.
  const order = Array.from({ length: TOTAL }, (_, i) => (i * 7_919 + 13) % TOTAL);
  const expected = new Map();
  const lines = [];
  for (let index = 0; index < TOTAL; index++) {
    const mark = marks[order[index]];
    const source = sourceOf(index + 1);
    const dest = `${DESTS[index % DESTS.length]}.${1 + (index % 254)}`;
    const sport = 1024 + ((index * 37) % 64_000);
    const dport = PORTS[index % PORTS.length];
    const proto = index % 3 === 0 ? '-p udp' : '-p tcp --state ESTABLISHED';
    const timeout = shortLived.includes(mark) ? CHURN_TIMEOUT_S : TIMEOUT_S;
    lines.push(`-I ${proto} -s ${source} -d ${dest} --sport ${sport} --dport ${dport} -t ${timeout} -m ${mark}`);
    expected.set(source, mark);
  }
  return { expected, text: lines.join('\n') + '\n' };
}

const count = () => Number(run(CONNTRACK, ['-C']).stdout.trim());

/** Empties the namespace's table and waits (bounded) until the kernel says it is empty. */
function flush() {
  run(CONNTRACK, ['-F']);
  for (let poll = 0; poll < 100 && count() !== 0; poll++) sleepSync(50);
  if (count() !== 0) throw new Error(`conntrack -F left ${count()} entries`);
  sleepSync(SETTLE_MS);
}

/**
 * A fresh table of the 100,000 entries; returns when the load began and its wall time. In the
 * churn runs up to `mayExpire` short-lived ones can be gone already on a busy machine.
 */
function load(file, { settle = true, mayExpire = 0 } = {}) {
  flush();
  const start = now();
  run(CONNTRACK, ['-R', file]);
  const ms = now() - start;
  const loaded = count();
  if (loaded > TOTAL || loaded < TOTAL - mayExpire) throw new Error(`conntrack -R ${file} loaded ${loaded} entries, not ${TOTAL}`);
  if (settle) sleepSync(SETTLE_MS);
  return { start, ms };
}

/** source address -> mark of every entry in the table, from one full dump. */
function dump() {
  const found = new Map();
  for (const line of run(CONNTRACK, ['-L']).stdout.split('\n')) {
    const source = /src=(\S+)/.exec(line)?.[1];
    const mark = /mark=(\d+)/.exec(line)?.[1];
    if (source && mark !== undefined) found.set(source, Number(mark));
  }
  return found;
}

/**
 * Exactness after a deletion: every entry of a `gone` kind absent, every other present with its own
 * mark, nothing else there; plus conntrack's own count per kind (-L -m VALUE/0xffffffff) and for the
 * filter itself, as a second opinion that does not depend on parsing the dump.
 */
function exactness(expected, deleted) {
  const found = dump();
  const wrong = [];
  const perKind = new Map(MIX.map(({ mark }) => [mark, 0]));
  for (const [source, mark] of expected) {
    const should = deleted && MIX.find((kind) => kind.mark === mark).gone ? undefined : mark;
    const is = found.get(source);
    if (is !== undefined) perKind.set(is, (perKind.get(is) ?? 0) + 1);
    if (is !== should) wrong.push(`${source}: mark ${should === undefined ? 'gone' : hex(should)} expected, ${is === undefined ? 'gone' : hex(is)} found`);
  }
  for (const source of found.keys()) if (!expected.has(source)) wrong.push(`${source}: not one of ours`);
  const listed = (filter) => Number(/(\d+) flow entries have been shown/.exec(run(CONNTRACK, ['-L', '-m', filter]).stderr)?.[1]);
  const byConntrack = new Map(MIX.map(({ mark }) => [mark, listed(`${hex(mark)}/0xffffffff`)]));
  const goneLeft = MIX.filter(({ gone }) => gone).reduce((sum, { mark }) => sum + perKind.get(mark), 0);
  const keptWrong = wrong.length - (deleted ? goneLeft : 0);
  return { wrong, total: found.size, perKind, byConntrack, matchingFilter: listed(FILTER), goneLeft, keptWrong };
}

function checkExact(label, result, deleted) {
  const expectedTotal = deleted ? TOTAL - GONE : TOTAL;
  const agree = MIX.every(({ mark, count: n, gone }) => {
    const want = deleted && gone ? 0 : n;
    return result.perKind.get(mark) === want && result.byConntrack.get(mark) === want;
  });
  if (result.wrong.length > 0 || result.total !== expectedTotal || !agree || result.matchingFilter !== (deleted ? 0 : GONE)) {
    throw new Error(`${label}: not exact: ${result.total} entries left (${expectedTotal} expected); ${result.wrong.length} wrong, e.g. ${result.wrong.slice(0, 5).join('; ')}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The variants, each timed on a freshly loaded table

function configFile(dir, name = 'pin-hooks.conf', conntrack = undefined) {
  const file = path.join(dir, name);
  // names and [uplink ppp0] as a router failing back to ppp0 would have them; no syslog from a bench.
  const tool = conntrack ? `conntrack = ${conntrack}\n` : '';
  const text = `[uplinks]\nnames = ppp0 ppp1 ppp2\n\n[uplink ppp0]\nfailback = move\n\n[log]\nsyslog = no\n\n[paths]\nlock = ${path.join(dir, 'lock')}\n${tool}`;
  fs.writeFileSync(file, text, { mode: 0o644 });
  fs.chmodSync(file, 0o644); // the process umask must not narrow it; pin-hooks wants root-owned, not group/world-writable
  return { file, text };
}

/** pin-hooks' own report: "ppp1: N outgoing connections deleted" per less preferred uplink. */
function reported(stdout) {
  const counts = {};
  for (const match of stdout.matchAll(/^(\S+): (\d+) outgoing connections (deleted|would be deleted)$/gm)) counts[match[1]] = Number(match[2]);
  return counts;
}

function variants(config, dir) {
  const out = path.join(dir, 'stdout');
  const pinHooks = (extra) => ['firewall', '--config', config, 'failback', 'ppp0', ...extra];
  const expectOk = (label, result, ppp1) => {
    if (result.status !== 0) throw new Error(`${label} exited ${result.status}: ${result.stderr || result.stdout}`);
    const counts = reported(result.stdout);
    if (counts.ppp1 !== ppp1 || (counts.ppp2 ?? 0) !== 0) throw new Error(`${label} reported ${JSON.stringify(counts)} (ppp1 ${ppp1}, ppp2 0 expected): ${result.stdout}${result.stderr}`);
  };
  return [
    {
      name: `pin-hooks firewall failback ppp0`,
      deletes: true,
      run: () => {
        const result = timed(BIN, pinHooks([]), out);
        expectOk('pin-hooks failback', result, GONE);
        return result;
      },
    },
    {
      name: `floor: conntrack -D -m ${FILTER} alone`,
      deletes: true,
      run: () => {
        const result = timed(CONNTRACK, ['-D', '-m', FILTER], out);
        if (result.status !== 0 || !result.stderr.includes(`${GONE} flow entries have been deleted`)) throw new Error(`conntrack -D exited ${result.status}: ${result.stderr}`);
        return result;
      },
    },
    {
      // What pin-hooks runs, without pin-hooks: the same filter for ppp2 walks the table again and finds nothing.
      name: `conntrack -D -m ${FILTER}, then -D -m 0x8300/0xff00 (ppp2), as pin-hooks runs them`,
      deletes: true,
      run: () => {
        const first = timed(CONNTRACK, ['-D', '-m', FILTER], out);
        const second = timed(CONNTRACK, ['-D', '-m', '0x8300/0xff00'], out);
        if (first.status !== 0 || second.status !== 1 || !second.stderr.includes('0 flow entries have been deleted')) throw new Error(`conntrack -D twice: ${first.stderr} / ${second.stderr}`);
        return { ...first, ms: first.ms + second.ms, rss: Math.max(first.rss, second.rss) };
      },
    },
    {
      name: 'pin-hooks firewall failback ppp0 --dry-run (counts only)',
      deletes: false,
      run: () => {
        const result = timed(BIN, pinHooks(['--dry-run']), out);
        expectOk('pin-hooks failback --dry-run', result, GONE);
        return result;
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Churn: the 10,000 expire while they are being deleted. Not timed; it checks that pin-hooks
// repeats conntrack 1.4.7's aborted -D and still leaves exactly the 90,000.

/** conntrack behind a shell that logs each run's arguments, exit and last stderr line, to count pin-hooks' passes. */
function conntrackWrapper(dir) {
  const file = path.join(dir, 'conntrack-logged');
  const log = path.join(dir, 'conntrack.log');
  const err = path.join(dir, 'conntrack.err');
  fs.writeFileSync(file, [
    '#!/bin/sh',
    'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
    `${CONNTRACK} "$@" 2>${err}; rc=$?`,
    `cat ${err} >&2`,
    `printf '%s | exit %s | %s\n' "$*" "$rc" "$(tail -n 1 ${err})" >>${log}`,
    'exit $rc',
    '',
  ].join('\n'), { mode: 0o755 });
  return { file, log };
}

/** Waits until `at` (ms, on now()'s clock), bounded by the wait itself: no loop. */
const waitUntil = (at) => sleepSync(Math.max(0, at - now()));

/**
 * One churn run: load, then start `command` when about a third of the 10,000 have expired, while
 * the rest expire during the run (they were inserted over the load's span, each with 2 s to live).
 */
function churnRun(file, command, args, dir, expiring) {
  const { start, ms } = load(file, { settle: false, mayExpire: expiring });
  waitUntil(start + CHURN_TIMEOUT_S * 1000 + ms * 0.3);
  return timed(command, args, path.join(dir, 'stdout'));
}

/**
 * Two levels: heavy, all 10,000 expire over the load's second or so (thousands a second, far past
 * a router's usual churn); light, only the 1,000 with foreign bits do.
 */
const CHURN_LEVELS = [
  { level: 'heavy', shortLived: MIX.filter(({ gone }) => gone).map(({ mark }) => mark) },
  { level: 'light', shortLived: [0x8201, 0x18200] },
];

function churn(dir, expected) {
  const wrapper = conntrackWrapper(dir);
  const config = configFile(dir, 'pin-hooks-churn.conf', wrapper.file);
  const rows = [];
  for (const { level, shortLived } of CHURN_LEVELS) rows.push(...churnLevel(dir, expected, wrapper, config, level, shortLived));
  return rows;
}

function churnLevel(dir, expected, wrapper, config, level, shortLived) {
  const file = path.join(dir, `entries-churn-${level}`);
  fs.writeFileSync(file, entries(shortLived).text, { mode: 0o600 });
  const expiring = MIX.filter(({ mark }) => shortLived.includes(mark)).reduce((sum, { count: n }) => sum + n, 0);
  const rows = [];
  for (let round = 0; round < CHURN_ROUNDS; round++) {
    // The bare tool first, to show the abort does happen in this setup.
    const raw = churnRun(file, CONNTRACK, ['-D', '-m', FILTER], dir, expiring);
    const rawAborted = /such conntrack doesn't exist/.test(raw.stderr);
    fs.rmSync(wrapper.log, { force: true });
    const ours = churnRun(file, BIN, ['firewall', '--config', config.file, 'failback', 'ppp0'], dir, expiring);
    const passes = fs.existsSync(wrapper.log) ? fs.readFileSync(wrapper.log, 'utf8').trim().split('\n').filter((line) => line.startsWith(`-D -m ${FILTER}`)) : [];
    // Reported, not thrown: a churn run that leaves some of the 10,000 is a finding, not a broken bench.
    const after = exactness(expected, true);
    rows.push({
      level, expiring, rawExit: raw.status, rawAborted, rawLast: raw.stderr.trim().split('\n').pop(),
      exit: ours.status, said: ours.stdout.trim().replace(/\n/g, '; '), stderr: ours.stderr.replace(/^Command exited with non-zero status \d+$/m, '').trim(),
      passes: passes.length, aborts: passes.filter((line) => /such conntrack/.test(line)).length, ms: ours.ms,
      keptIntact: after.keptWrong === 0 && after.total - after.goneLeft === TOTAL - GONE, goneLeft: after.goneLeft,
    });
    console.error(`churn ${level} ${round + 1}/${CHURN_ROUNDS}: bare -D ${rawAborted ? 'aborted' : 'completed'}; pin-hooks exit ${ours.status}, ${passes.length} conntrack -D pass(es) for ppp1, ${after.goneLeft} of the ${GONE} left, the ${TOTAL - GONE} ${after.keptWrong === 0 ? 'intact' : 'NOT intact'}`);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Inside the namespace

function inside(dir) {
  const loadBefore = os.loadavg()[0]; // the machine is shared: how busy it was belongs with the figures
  run('ip', ['link', 'set', 'lo', 'up']);
  const max = Number(fs.readFileSync('/proc/sys/net/netfilter/nf_conntrack_max', 'utf8'));
  if (max < TOTAL) throw new Error(`nf_conntrack_max is ${max} here, below the ${TOTAL} entries of the bench`);
  const { expected, text } = entries();
  const loadFile = path.join(dir, 'entries');
  fs.writeFileSync(loadFile, text, { mode: 0o600 });
  const config = configFile(dir);
  const list = variants(config.file, dir);
  const samples = new Map(list.map(({ name }) => [name, { ms: [], rss: [], stdout: '' }]));
  const loads = [];
  // The binary is 100+ MB: its first start after other work evicted it from the page cache is slow
  // (one round-1 run took 1.9 s at load average 7). Timed here on its own and reported, so round 1
  // measures the flush.
  const firstStart = timed(BIN, ['--version'], path.join(dir, 'stdout')).ms;
  for (let round = 0; round < ROUNDS; round++) {
    // Rotated each round, so no variant always runs first after the machine's other work.
    for (let turn = 0; turn < list.length; turn++) {
      const variant = list[(round + turn) % list.length];
      loads.push(load(loadFile).ms);
      const result = variant.run();
      checkExact(`${variant.name}, round ${round + 1}`, exactness(expected, variant.deletes), variant.deletes);
      const sample = samples.get(variant.name);
      sample.ms.push(result.ms);
      sample.rss.push(result.rss);
      sample.stdout = variant.name.startsWith('pin-hooks') ? result.stdout : `${result.stderr}\n`;
      console.error(`round ${round + 1}/${ROUNDS}: ${variant.name}: ${result.ms.toFixed(0)} ms, exact`);
    }
  }
  // One table left after a real failback, for the per-kind table of the report.
  load(loadFile);
  list[0].run();
  const final = exactness(expected, true);
  checkExact('final failback', final, true);
  const churned = churn(dir, expected);
  const busy = `load average ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end`;
  const report = write({ list, samples, loads, final, config: config.text, churned, busy, firstStart });
  fs.writeFileSync(path.join(here, 'FAILBACK.md'), report);
  console.log(report);
}

// ---------------------------------------------------------------------------------------------
// The report

function firstLine(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8', env: { PATH: PATH_ENV } });
  return `${result.stdout}${result.stderr}`.trim().split('\n')[0];
}

/** The commit the binary was built from, when it sits in a git checkout's dist/. */
function binaryCommit() {
  const result = spawnSync('git', ['-C', path.dirname(BIN), 'log', '-1', '--format=%h'], { encoding: 'utf8', env: { PATH: PATH_ENV } });
  return result.status === 0 ? `commit ${result.stdout.trim()}` : 'outside a git checkout';
}

function write({ list, samples, loads, final, config, churned, busy, firstStart }) {
  const ms = (name) => samples.get(name).ms;
  const ours = ms(list[0].name);
  const floor = ms(list[1].name);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const met = median(ours) <= BAR_MS;
  const row = ({ name }) => {
    const values = ms(name);
    return `| ${name} | ${median(values).toFixed(0)} | ${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)} | ${(median(values) / median(floor)).toFixed(2)} | ${Math.max(...samples.get(name).rss).toFixed(1)} |`;
  };
  const kind = ({ mark, count: n, gone, what }) => `| ${hex(mark)} | ${what} | ${n} | ${gone ? 'deleted' : 'kept'} | ${final.perKind.get(mark)} | ${final.byConntrack.get(mark)} |`;
  return [
    '# Failback benchmark',
    '',
    `Measured by \`node bench/failback.mjs\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} x ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
    `(shared with other work: ${busy}); kernel ${os.release()}; ${firstLine(CONNTRACK, ['--version'])}; ${firstLine(BIN, ['--version'])}, built from ${binaryCommit()}.`,
    '',
    '## Method',
    '',
    `- A network namespace of its own (\`pinh-<pid>-failback\`, deleted at the end): the host's conntrack table, interfaces and firewall are never touched, no packet is sent.`,
    `- ${TOTAL.toLocaleString('en')} conntrack entries loaded with one \`conntrack -R FILE\` (conntrack-tools 1.4.7 reads a file of \`-I ...\` lines in one process; median ${median(loads).toFixed(0)} ms per load), a third UDP, two thirds TCP ESTABLISHED, timeout ${TIMEOUT_S} s so none expires during a run; sources 10.0.0.1 on (one per entry), destinations in 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24, ports varied, the kinds shuffled over the table. \`conntrack -L -o save\` leaves the mark out on 1.4.7, so the lines are written by the bench, not saved from a table.`,
    `- ${GONE.toLocaleString('en')} of them are outgoing pins of ppp1, the less preferred uplink (mark 0x8200, with foreign bits 0x1 or 0x10000 besides for 1,000 of them); the other ${(TOTAL - GONE).toLocaleString('en')} must survive (table below).`,
    `- ${ROUNDS} rounds; in each, every variant runs once on a freshly loaded table (flushed, ${SETTLE_MS} ms pause, loaded, ${SETTLE_MS} ms pause), in an order rotated per round. Wall time of the process from spawn to exit; peak RSS by GNU time. stdout goes to a file for all of them (pin-hooks itself collects conntrack's one line per deleted entry in a file).`,
    '- After every run, exactness: a full `conntrack -L` dump compared entry by entry (by source address) with what was loaded: each of the 10,000 absent, each of the 90,000 present with its own mark, nothing else; and conntrack\'s own counts per mark (`-L -m VALUE/0xffffffff`) and for the filter (`-L -m 0x8200/0xff00`: 0 left). Every run was exact, or the bench would have stopped.',
    '',
    'The config (root-owned, 0644):',
    '',
    '```ini',
    config.trimEnd(),
    '```',
    '',
    'The command timed:',
    '',
    '```sh',
    `pin-hooks firewall --config CONF failback ppp0   # as pin-firewall failback ppp0`,
    '```',
    '',
    'It printed:',
    '',
    '```',
    samples.get(list[0].name).stdout.trimEnd(),
    '```',
    '',
    '## Figures',
    '',
    '| what | median ms | min-max ms | x floor | peak RSS MiB |',
    '|---|---:|---:|---:|---:|',
    ...list.map(row),
    '',
    `Before round 1, \`pin-hooks --version\` took ${firstStart.toFixed(0)} ms (the binary's first start in this run; a warm one takes well under 100 ms). The slowest pin-hooks failback was in round ${ours.indexOf(Math.max(...ours)) + 1}.`,
    '',
    `pin-hooks over the floor: ${(median(ours) - median(floor)).toFixed(0)} ms: its own start and config, and a second \`conntrack -D\` for ppp2, which finds nothing but walks the table (the two bare runs together: ${median(ms(list[2].name)).toFixed(0)} ms).`,
    '',
    '## Exactness (the table after the last failback)',
    '',
    '| mark | what | loaded | should be | left (dump) | left (conntrack -L -m) |',
    '|---|---|---:|---|---:|---:|',
    ...MIX.map(kind),
    `| | total | ${TOTAL} | ${TOTAL - GONE} left | ${final.total} | |`,
    '',
    `Entries in the wrong state: ${final.wrong.length}, in this table and in every round's.`,
    '',
    '## Churn: entries expiring during the deletion',
    '',
    `Not timed. Heavy: all of the 10,000 loaded with ${CHURN_TIMEOUT_S} s to live; light: only the 1,000 with foreign bits (the 90,000 always with ${TIMEOUT_S} s). The short-lived ones were inserted over the load's span, and the run started when about a third of them had expired, so more expire while conntrack deletes them: conntrack-tools 1.4.7's \`-D\` then stops with "such conntrack doesn't exist". First the bare \`conntrack -D -m ${FILTER}\` on such a table (to show the abort happens here), then \`pin-hooks firewall failback ppp0\` on a fresh one, its conntrack behind a logging shell (\`[paths] conntrack\`) to count its passes. Checked right after it returned: the 90,000 intact, and how many of the 10,000 are still there (any left would expire within a second or two anyway).`,
    '',
    '| churn | round | bare -D | pin-hooks exit | its -D passes for ppp1 (aborted) | it printed (stdout, else stderr) | 90,000 intact | of the 10,000 left |',
    '|---|---:|---|---:|---:|---|---|---:|',
    ...churned.map((row, index) => `| ${row.level} (${row.expiring} short-lived) | ${(index % CHURN_ROUNDS) + 1} | ${row.rawAborted ? 'aborted' : 'completed'} (exit ${row.rawExit}) | ${row.exit} | ${row.passes} (${row.aborts}) | ${(row.said || row.stderr).replace(/\|/g, '\\|')} | ${row.keptIntact ? 'yes' : 'NO'} | ${row.goneLeft} |`),
    '',
    ...CHURN_LEVELS.map(({ level }) => {
      const rows = churned.filter((row) => row.level === level);
      const gaveUp = rows.filter((row) => row.exit !== 0).length;
      return `- ${level}: pin-hooks completed ${rows.length - gaveUp} of ${rows.length} runs, gave up (its bound on passes and time) in ${gaveUp}; the 90,000 were intact in ${rows.filter((row) => row.keptIntact).length} of ${rows.length}.`;
    }),
    '',
    '## Bar',
    '',
    '| bar | measured | limit | met |',
    '|---|---:|---:|---|',
    `| pin-hooks failback ppp0, ${GONE.toLocaleString('en')} of ${TOTAL.toLocaleString('en')} entries, median ms | ${median(ours).toFixed(0)} | <= ${BAR_MS} | ${met ? 'yes' : 'NO'} |`,
    `| the same, slowest of ${ROUNDS} rounds, ms | ${Math.max(...ours).toFixed(0)} | <= ${BAR_MS} | ${Math.max(...ours) <= BAR_MS ? 'yes' : 'NO'} |`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Outside: the namespace and the scratch directory, both removed whatever happens

async function outside() {
  if (process.getuid?.() !== 0) throw new Error('run as root: the bench makes a network namespace');
  ensureAptPackages({ conntrack: CONNTRACK, time: '/usr/bin/time' });
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: build it (npm run build) or set PIN_HOOKS_BIN`);
  const ns = `pinh-${process.pid}-failback`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pinh-failback-'));
  run('ip', ['netns', 'add', ns]);
  try {
    // Its own process group, so a signal here can end it and whatever it runs, and nothing else.
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, SELF, '--inside', dir], { stdio: 'inherit', detached: true });
    const forward = (signal) => { try { process.kill(-child.pid, signal); } catch { /* already gone */ } };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward);
    const code = await new Promise((resolve) => child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
    process.exitCode = code;
  } finally {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'inherit' });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--inside') inside(process.argv[3]);
else await outside();
