#!/usr/bin/env node
// Per-prefix routes (issue 10) against what people run today for them: FRR's zebra + staticd, and
// the floor under both, a bare `ip -batch` of the same lines. 100,000 prefixes, every figure taken
// in ONE run so the ratios compare like with like. Runs itself inside throwaway network namespaces
// (pinh-<pid>-*) and writes bench/ROUTES.md.
//
//   node bench/routes.mjs                         # as root; needs dist/pin-hooks (npm run build)
//   PIN_HOOKS_BIN=/path/to/pin-hooks node bench/routes.mjs
//
// BENCH_ROUNDS (default 7) rounds for our own events, BENCH_FRR_ROUNDS (default 2) for FRR's
// (each FRR load of 100,000 lines takes tens of seconds).
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureAptPackages } from '../scripts/deps.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const BIN = path.resolve(process.env.PIN_HOOKS_BIN ?? path.join(root, 'dist/pin-hooks'));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const FRR_ROUNDS = Number(process.env.BENCH_FRR_ROUNDS ?? 2);
const COUNT = 100_000; // prefixes per list
const CHANGES = 1_000; // lines changed for --apply: half removed, half added
const OURS = 112; // our route protocol (rt_protos.d name pin-hooks)
const FRR_STATIC = 196; // what zebra marks staticd's routes with
const FRR_DIR = '/usr/lib/frr';
const PATH_ENV = '/usr/sbin:/usr/bin:/sbin:/bin';
const SETTLE_MS = 500; // after deleting 100,000+ routes the kernel still frees them (RCU); start each run on a quiet kernel

// ---------------------------------------------------------------------------------------------
// Small tools

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const execFileAsync = promisify(execFile);

function quantile(values, share) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * share;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (at - low);
}
const median = (values) => quantile(values, 0.5);
const range = (values) => {
  const [low, high] = [Math.min(...values).toFixed(0), Math.max(...values).toFixed(0)];
  return low === high ? low : `${low}-${high}`;
};

/** Runs a command to its end; any failure stops the bench with the command's own words. */
function run(command, args, { env = {}, input } = {}) {
  const result = spawnSync(command, args, { env: { PATH: PATH_ENV, ...env }, encoding: 'utf8', input, maxBuffer: 512 << 20 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status ?? result.signal}: ${(result.stderr || result.stdout || '').trim()}`);
  }
  return result;
}

/** Wall time of one run in ms and its peak RSS in MiB (GNU time's %M), like bench.mjs's `timed`. */
function timed(command, args, env = {}) {
  const start = now();
  const result = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { env: { PATH: PATH_ENV, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = now() - start;
  const lines = result.stderr.trim().split('\n');
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${lines.slice(0, -1).join('\n') || result.stdout}`);
  return { ms, rss: Number(lines.pop()) / 1024, stdout: result.stdout, stderr: lines.join('\n') };
}

/** VmRSS and VmHWM of a process in MiB, or undefined once it is gone (or a zombie). */
function memoryOf(pid) {
  let status;
  try { status = fs.readFileSync(`/proc/${pid}/status`, 'utf8'); } catch { return undefined; }
  const field = (key) => new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
  if (field('VmRSS') === undefined) return undefined;
  return { rss: Number(field('VmRSS')) / 1024, hwm: Number(field('VmHWM')) / 1024 };
}

function childrenOf(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).flatMap((task) => fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/**
 * Peak memory of a whole process tree (ip-up and the `ip -batch` runs it feeds, which live at the
 * same time), where GNU time's %M gives only its largest single process: /proc sampled every
 * millisecond. `sum` is the largest total VmRSS seen at one instant; `bound` is the largest total,
 * over the instants, of the peaks (last VmHWM) of the processes alive then: what no instant exceeds
 * even between samples.
 */
function treePeak(command, args, env) {
  const child = spawn(command, args, { env: { PATH: PATH_ENV, ...env }, stdio: 'ignore' });
  const peaks = new Map();
  const alive = new Set(); // the sets of pids seen alive together, as strings
  let sum = 0;
  for (let sample = 0; sample < 60_000; sample++) { // a minute at most
    const pids = [child.pid];
    for (let i = 0; i < pids.length; i++) pids.push(...childrenOf(pids[i]));
    let total = 0;
    const seen = [];
    for (const pid of pids) {
      const memory = memoryOf(pid);
      if (!memory) continue;
      total += memory.rss;
      seen.push(pid);
      peaks.set(pid, Math.max(peaks.get(pid) ?? 0, memory.hwm));
    }
    sum = Math.max(sum, total);
    alive.add(seen.join(' '));
    if (!memoryOf(child.pid)) break;
    sleepSync(1);
  }
  const bound = Math.max(0, ...[...alive].map((set) => set.split(' ').filter(Boolean).reduce((total, pid) => total + peaks.get(Number(pid)), 0)));
  const own = peaks.get(child.pid) ?? 0;
  const others = [...peaks].filter(([pid]) => pid !== child.pid).map(([, hwm]) => hwm);
  return new Promise((resolve, reject) => child.on('exit', (code) => (code === 0
    ? resolve({ sum, bound, own, largestChild: Math.max(0, ...others), children: others.length })
    : reject(new Error(`${command} ${args.join(' ')} exited ${code}`)))));
}

/** Starts a command now; `done` resolves with its exit code, stderr and ms from `start` to its exit. */
function spawnTimed(command, args, env, start) {
  const child = spawn(command, args, { env: { PATH: PATH_ENV, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const done = new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr, ms: now() - start })));
  return { child, done };
}

/** Polls `check` until it returns true: bounded in time and in count. Returns when the successful check began. */
async function until(what, check, { timeoutMs, intervalMs = 0, maxPolls = 100_000 }) {
  const start = now();
  for (let poll = 0; poll < maxPolls; poll++) {
    const at = now();
    if (await check()) return at;
    if (now() - start > timeoutMs) break;
    if (intervalMs) await sleep(intervalMs);
  }
  throw new Error(`timed out after ${(now() - start).toFixed(0)} ms waiting for ${what}`);
}

// ---------------------------------------------------------------------------------------------
// The lists: /24s from 11.0.0.0/8, then 12.0.0.0/8 (index 65,536 on). Routes only, never traffic.

const prefix = (index) => `${11 + (index >> 16)}.${(index >> 8) & 255}.${index & 255}.0/24`;
const LISTED = Array.from({ length: COUNT }, (_, index) => prefix(index));
// Addresses inside the first and the middle listed prefix: FRR moves prefixes in order, we do not move any.
const PROBES = { first: LISTED[0], middle: LISTED[COUNT >> 1] };
const address = (dest) => dest.replace(/\.0\/24$/, '.1');
const FRESH_FROM = 120_000; // prefixes never listed (12.212.0.0 on), for the lines --apply adds

/** Round `round`'s changed list: every 200th line (offset by the round) removed, 500 fresh ones appended. */
function changedList(round) {
  const half = CHANGES / 2;
  const kept = LISTED.filter((_, index) => index % (COUNT / half) !== round);
  const added = Array.from({ length: half }, (_, index) => prefix(FRESH_FROM + round * half + index));
  return [...kept, ...added];
}

const listFile = (prefixes) => `# bench list: one IPv4 prefix per line\n${prefixes.join('\n')}\n`;

// ---------------------------------------------------------------------------------------------
// The router namespace (this process runs inside it) and its uplinks: veth pairs named pppN with
// /32 peer addresses, the peer end in an ISP namespace of its own, as test/lab/lab.bash's uplink_create.

let NS; // pinh-<pid> of the outer process
let TMP;
const UPLINKS = { 1: { local: '203.0.113.11', remote: '192.0.2.2' }, 2: { local: '203.0.113.12', remote: '192.0.2.3' } };

const uplinkExists = (unit) => fs.existsSync(`/sys/class/net/ppp${unit}`);

function uplinkCreate(unit) {
  const { local, remote } = UPLINKS[unit];
  const isp = `${NS}-isp${unit}`;
  run('ip', ['link', 'add', `ppp${unit}`, 'type', 'veth', 'peer', 'name', 'cust', 'netns', isp]);
  run('ip', ['addr', 'add', local, 'peer', `${remote}/32`, 'dev', `ppp${unit}`]);
  run('ip', ['-n', isp, 'addr', 'add', remote, 'peer', `${local}/32`, 'dev', 'cust']);
  run('ip', ['-n', isp, 'link', 'set', 'cust', 'up']);
  run('ip', ['link', 'set', `ppp${unit}`, 'up']);
}

/** pppd's way out: the interface is deleted, and with it every route through it. */
function uplinkDelete(unit) {
  if (uplinkExists(unit)) run('ip', ['link', 'del', `ppp${unit}`]);
}

const hookEnv = (unit) => ({ PPP_IFACE: `ppp${unit}`, PPP_LOCAL: UPLINKS[unit].local, PPP_REMOTE: UPLINKS[unit].remote });

// ---------------------------------------------------------------------------------------------
// Reading the kernel's routes

/** prefix -> devices, for the main table's routes of one protocol. */
function routesOf(text) {
  const byPrefix = new Map();
  for (const line of text.split('\n')) {
    const match = /^(\S+) .*\bdev (\S+)/.exec(line);
    if (!match) continue;
    const [, dest, dev] = match;
    byPrefix.set(dest, [...(byPrefix.get(dest) ?? []), dev]);
  }
  return byPrefix;
}
const routes = (proto) => routesOf(run('ip', ['-4', 'route', 'show', 'proto', String(proto)]).stdout);

/** How many of the listed prefixes have a route through `dev`. */
function countThrough(byPrefix, dev, listed = LISTED) {
  let count = 0;
  for (const dest of listed) if (byPrefix.get(dest)?.includes(dev)) count++;
  return count;
}

const routeCount = (byPrefix) => [...byPrefix.values()].reduce((sum, devs) => sum + devs.length, 0);

/**
 * Routes per device of one protocol, counted from the dump's lines only: cheap enough to poll while
 * the daemons work. (Before each timed event the exact sets are checked, untimed, so the protocol
 * holds the listed prefixes and nothing else.)
 */
async function perDevice(proto) {
  const { stdout } = await execFileAsync('ip', ['-4', 'route', 'show', 'proto', String(proto)], { maxBuffer: 512 << 20 });
  const counts = {};
  for (const match of stdout.matchAll(/ dev (\S+)/g)) counts[match[1]] = (counts[match[1]] ?? 0) + 1;
  return counts;
}

/** Every listed prefix through ppp2, none through ppp1: the move is complete. */
const allMoved = (counts) => counts.ppp2 === COUNT && !counts.ppp1;

/** The device the kernel picks for each probe address now: one `ip route get` per probe, in one ip run. */
async function probeDevs() {
  const input = Object.values(PROBES).map((dest) => `route get ${address(dest)}\n`).join('');
  const stdout = await new Promise((resolve) => {
    const child = execFile('ip', ['-4', '-force', '-batch', '-'], (error, out) => resolve(out)); // an unreachable probe only fails its own line
    child.stdin.end(input);
  });
  const devs = {};
  for (const [name, dest] of Object.entries(PROBES)) devs[name] = new RegExp(`^${address(dest).replaceAll('.', '\\.')} .*\\bdev (\\S+)`, 'm').exec(stdout)?.[1];
  return devs;
}

function expectCount(what, actual, expected) {
  if (actual !== expected) throw new Error(`${what}: ${actual}, expected ${expected}`);
}

// ---------------------------------------------------------------------------------------------
// FRR: zebra + staticd started by hand in this namespace with their own config, pid, vty and zserv
// paths in our temp dir (never the system service), as the frr user (its vty group is built in),
// stopped by their pids. They boot the way Debian's frrinit.sh boots them: the daemons first, with
// Debian's daemon options (zebra's -s 90000000), then `vtysh -b` sends them the integrated frr.conf
// in one transaction. (A staticd.conf read by staticd itself with -f is committed line by line:
// 5,600 of 100,000 lines in 2.5 minutes here, slower with every line, so no one boots it that way.)

const daemons = new Set(); // every child still running, for the cleanup

function startDaemon(name, dir, args) {
  const child = spawn(name === 'vtysh' ? 'vtysh' : path.join(FRR_DIR, name), args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: PATH_ENV } });
  const daemon = { name, child, pid: child.pid, dir, exited: undefined, stderr: '' };
  daemons.add(daemon);
  child.stderr.on('data', (chunk) => { daemon.stderr += chunk; });
  child.on('exit', (code, signal) => {
    daemon.exited = signal ?? code;
    daemons.delete(daemon);
  });
  return daemon;
}

const DAEMON_OPTIONS = { zebra: ['-s', '90000000'], staticd: [] }; // /etc/frr/daemons, less the TCP vty

class Frr {
  /** Writes frr.conf with `routeLines` (the `ip route` lines users have) and empty daemon configs. */
  constructor(name, routeLines) {
    this.dir = path.join(TMP, name);
    fs.mkdirSync(this.dir, { mode: 0o755 });
    for (const daemon of ['zebra', 'staticd']) fs.writeFileSync(path.join(this.dir, `${daemon}.conf`), 'hostname bench\n');
    fs.writeFileSync(path.join(this.dir, 'vtysh.conf'), '');
    fs.writeFileSync(path.join(this.dir, 'frr.conf'), `frr defaults traditional\nhostname bench\n${routeLines.join('\n')}\n`);
    run('chown', ['-R', 'frr:frr', this.dir]);
  }

  daemon(name) {
    const args = ['-u', 'frr', '-g', 'frr', '-f', path.join(this.dir, `${name}.conf`), '-i', path.join(this.dir, `${name}.pid`),
      '-z', path.join(this.dir, 'zserv.api'), '--vty_socket', this.dir, '-P', '0', '--log', `file:${path.join(this.dir, `${name}.log`)}`, ...DAEMON_OPTIONS[name]];
    const daemon = startDaemon(name, this.dir, args);
    const ready = path.join(this.dir, `${name}.vty`);
    for (let wait = 0; wait < 1000 && !fs.existsSync(ready) && daemon.exited === undefined; wait++) sleepSync(10);
    if (!fs.existsSync(ready)) throw new Error(`${name} did not open ${ready}: ${daemon.stderr.trim()} ${this.logs()}`);
    return daemon;
  }

  /** zebra, then staticd (it connects to zebra's socket), each once its vty is up; then the config. */
  start() {
    this.zebra = this.daemon('zebra');
    this.staticd = this.daemon('staticd');
    this.vtysh = startDaemon('vtysh', this.dir, ['--vty_socket', this.dir, '--config_dir', this.dir, '-b']);
  }

  /** Resolves when `vtysh -b` has sent the whole config (bounded). */
  async configSent(timeoutMs) {
    await until('FRR: vtysh -b to finish', () => this.vtysh.exited !== undefined, { timeoutMs, intervalMs: 100 });
    if (this.vtysh.exited !== 0) throw new Error(`vtysh -b exited ${this.vtysh.exited}: ${this.vtysh.stderr.trim()}`);
  }

  alive() {
    if (this.zebra.exited !== undefined || this.staticd.exited !== undefined) throw new Error(`FRR died: ${this.logs()}`);
    return true;
  }

  logs() {
    return ['zebra', 'staticd'].map((name) => {
      const file = path.join(this.dir, `${name}.log`);
      return fs.existsSync(file) ? `${name}: ${fs.readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ')}` : `${name}: no log`;
    }).join('; ');
  }

  /** zebra's RIB and FIB counts for static routes (`show ip route summary`). */
  async summary() {
    const { stdout } = await execFileAsync('vtysh', ['--vty_socket', this.dir, '-c', 'show ip route summary'], { timeout: 20_000 });
    const match = /^static\s+(\d+)\s+(\d+)/m.exec(stdout);
    return match ? { rib: Number(match[1]), fib: Number(match[2]) } : { rib: 0, fib: 0 };
  }

  /** Peak and current resident memory of both daemons, in MiB, from /proc/PID/status. */
  memory() {
    const field = (pid, key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
    return {
      zebraHwm: field(this.zebra.pid, 'VmHWM'), staticdHwm: field(this.staticd.pid, 'VmHWM'),
      zebraRss: field(this.zebra.pid, 'VmRSS'), staticdRss: field(this.staticd.pid, 'VmRSS'),
    };
  }

  async stop() {
    await stopDaemons([this.vtysh, this.staticd, this.zebra]);
  }
}

/** SIGTERM by pid, then SIGKILL after 30 s: bounded. */
async function stopDaemons(list) {
  for (const daemon of list) if (daemon && daemon.exited === undefined) process.kill(daemon.pid, 'SIGTERM');
  for (const daemon of list) {
    if (!daemon) continue;
    for (let wait = 0; wait < 300 && daemon.exited === undefined; wait++) await sleep(100);
    if (daemon.exited === undefined) process.kill(daemon.pid, 'SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------------
// Our side: config files and hook runs

function writeConfig(name, body) {
  const file = path.join(TMP, name);
  fs.writeFileSync(file, body);
  fs.chmodSync(file, 0o644); // the binary refuses a config writable by group or others
  return file;
}

function configs() {
  fs.writeFileSync(path.join(TMP, 'ppp1.list'), listFile(LISTED));
  fs.writeFileSync(path.join(TMP, 'ppp2.list'), listFile(LISTED));
  fs.writeFileSync(path.join(TMP, 'zebra-ppp1.conf'), `! as users have it\n${LISTED.map((p) => `ip route ${p} ppp1`).join('\n')}\n`);
  const head = `[lan]\ninterfaces = eth0\nnetworks = 10.0.0.0/24\n[uplinks]\nnames = ppp0 ppp1 ppp2\n[paths]\nlock = ${TMP}/pin-hooks.lock\n`;
  return {
    // ppp1 alone carries the list: what the bare ip -batch is compared with.
    one: writeConfig('one.conf', `${head}[uplink ppp1]\nroutes_file = ${TMP}/ppp1.list\n`),
    // Both carry it; ppp2 is the fallback (distance 10).
    two: writeConfig('two.conf', `${head}[uplink ppp1]\nroutes_file = ${TMP}/ppp1.list\n[uplink ppp2]\nroutes_file = ${TMP}/ppp2.list\ndistance = 10\n`),
    // The same list in zebra's syntax, as users coming from FRR keep it.
    zebra: writeConfig('zebra.conf', `${head}[routes]\nzebra_file = ${TMP}/zebra-ppp1.conf\n`),
  };
}

const ipUp = (unit, config) => timed(BIN, ['ip-up', '--config', config], hookEnv(unit));
const ipDown = (unit, config) => run(BIN, ['ip-down', '--config', config], { env: { PPP_IFACE: `ppp${unit}` } });

/** A fresh ppp1 with no routes and none of our rules: the state before pppd's ip-up. */
function freshUplink(unit, config) {
  uplinkDelete(unit);
  ipDown(unit, config); // after the deletion, as pppd runs it: our rule and table go too
  sleepSync(SETTLE_MS);
  uplinkCreate(unit);
}

// ---------------------------------------------------------------------------------------------
// 1 (and 2, 4 for our side). ip-up with 100,000 prefixes against a bare `ip -batch` of the same
// `route replace` lines, alternating, each from a fresh uplink.

function benchIpUp(conf) {
  const batch = path.join(TMP, 'bare.batch');
  fs.writeFileSync(batch, LISTED.map((p) => `route replace ${p} dev ppp1 metric 1001 proto ${OURS}\n`).join(''));
  // ip-up sends long lists in runs of 20,000 lines (iproute2 6.1 keeps ~4 KB a line): one such run alone, for its peak memory.
  const run20k = path.join(TMP, 'run20k.batch');
  fs.writeFileSync(run20k, LISTED.slice(0, 20_000).map((p) => `route replace ${p} dev ppp1 metric 1001 proto ${OURS}\n`).join(''));
  const samples = { ours: [], bare: [], bareRss: [], run20kRss: [], zebraFile: [], rss: [] };
  let firstStderr = '';
  const check = (what) => expectCount(`${what}: listed prefixes through ppp1`, countThrough(routes(OURS), 'ppp1'), COUNT);
  for (let round = 0; round < ROUNDS; round++) {
    freshUplink(1, conf.one);
    const ours = ipUp(1, conf.one);
    check('ip-up');
    samples.ours.push(ours.ms);
    samples.rss.push(ours.rss);
    if (round === 0) firstStderr = ours.stderr;

    freshUplink(1, conf.one);
    const bare = timed('ip', ['-batch', batch]);
    check('bare ip -batch');
    samples.bare.push(bare.ms);
    samples.bareRss.push(bare.rss);
    samples.run20kRss.push(timed('ip', ['-batch', run20k]).rss); // replaces routes already there: same lines, same memory

    freshUplink(1, conf.zebra);
    samples.zebraFile.push(ipUp(1, conf.zebra).ms);
    check('ip-up from zebra_file');
  }
  return { ...samples, firstStderr };
}

// 4, ours: the peak of ip-up's whole process tree, sampled (not timed: the sampling takes a core).
async function memoryOurs(conf) {
  const samples = [];
  for (let round = 0; round < 3; round++) {
    freshUplink(1, conf.one);
    samples.push(await treePeak(BIN, ['ip-up', '--config', conf.one], hookEnv(1)));
    expectCount('ip-up (memory run): listed prefixes through ppp1', countThrough(routes(OURS), 'ppp1'), COUNT);
  }
  uplinkDelete(1);
  ipDown(1, conf.one);
  return samples;
}

// 5. `routes --apply` after 1,000 changed lines, on ppp1 carrying its 100,000.
function benchApply(conf) {
  freshUplink(1, conf.one);
  ipUp(1, conf.one);
  const list = path.join(TMP, 'ppp1.list');
  const samples = { ms: [], removed: [], added: [], unchangedMs: [], said: [] };
  const shown = run(BIN, ['firewall', '--config', conf.one, 'routes']).stdout.trim();
  const rounds = Math.min(ROUNDS, 20); // the fresh prefixes run out after 22 rounds
  for (let round = 0; round < rounds; round++) {
    // A run with nothing to change: the floor of --apply (reading, comparing).
    samples.unchangedMs.push(timed(BIN, ['firewall', '--config', conf.one, 'routes', '--apply']).ms);

    const before = routes(OURS);
    const wanted = changedList(round);
    fs.writeFileSync(list, listFile(wanted));
    const apply = timed(BIN, ['firewall', '--config', conf.one, 'routes', '--apply']);
    samples.ms.push(apply.ms);
    samples.said.push(apply.stdout.trim());
    const after = routes(OURS);
    // What reached the kernel: the difference between the two dumps.
    samples.removed.push([...before.keys()].filter((dest) => !after.has(dest)).length);
    samples.added.push([...after.keys()].filter((dest) => !before.has(dest)).length);
    expectCount('after --apply: wanted prefixes through ppp1', countThrough(after, 'ppp1', wanted), wanted.length);
    expectCount('after --apply: our routes in all', after.size, wanted.length);

    fs.writeFileSync(list, listFile(LISTED)); // back to the original, not measured
    run(BIN, ['firewall', '--config', conf.one, 'routes', '--apply']);
  }
  const shownAfter = run(BIN, ['firewall', '--config', conf.one, 'routes']).stdout.trim();
  uplinkDelete(1);
  ipDown(1, conf.one);
  return { ...samples, shown, shownAfter };
}

/**
 * Times one move: the clock starts before pppd's `ip link del ppp1`; `afterDelete` runs what
 * follows it (our ip-down); then the probes are asked back to back (10 ms apart, so the polling
 * leaves the daemons a core) until both say ppp2, then the protocol's routes are dumped until every
 * listed prefix is through ppp2 and none through ppp1. Each figure is the start of the first poll
 * that showed it.
 */
async function timeMove(proto, { afterDelete = () => {}, allEveryMs, timeoutMs }) {
  const probes = await probeDevs();
  if (probes.first !== 'ppp1' || probes.middle !== 'ppp1') throw new Error(`before the move the probes go through ${JSON.stringify(probes)}, not ppp1`);
  sleepSync(SETTLE_MS);
  const start = now();
  run('ip', ['link', 'del', 'ppp1']);
  const result = { del: now() - start };
  afterDelete(start);
  const moved = {};
  await until('the probes through ppp2', async () => {
    const at = now() - start;
    const devs = await probeDevs();
    for (const name of Object.keys(PROBES)) if (devs[name] === 'ppp2' && moved[name] === undefined) moved[name] = at;
    return Object.keys(PROBES).every((name) => moved[name] !== undefined);
  }, { timeoutMs, intervalMs: 10 });
  result.first = moved.first;
  result.middle = moved.middle;
  result.all = await until('every listed prefix through ppp2', async () => allMoved(await perDevice(proto)), { timeoutMs, intervalMs: allEveryMs }) - start;
  result.allEnd = now() - start;
  return result;
}

const collect = (samples, result) => {
  for (const [key, value] of Object.entries(result)) (samples[key] ??= []).push(value);
};

/**
 * 3. The move, ours: both uplinks carry the list, ppp1 preferred (metric 1001 against ppp2's
 * 10002). pppd deletes ppp1 and runs ip-down; the kernel has moved everything before ip-down starts.
 */
async function moveOurs(conf) {
  const samples = { ipDown: [] };
  freshUplink(1, conf.two);
  freshUplink(2, conf.two);
  ipUp(2, conf.two);
  for (let round = 0; round < ROUNDS; round++) {
    if (!uplinkExists(1)) uplinkCreate(1);
    ipUp(1, conf.two);
    const before = routes(OURS);
    expectCount('before the move: listed prefixes through ppp1', countThrough(before, 'ppp1'), COUNT);
    expectCount('before the move: listed prefixes through ppp2', countThrough(before, 'ppp2'), COUNT);
    expectCount('before the move: our routes in all', routeCount(before), 2 * COUNT);

    let down;
    const afterDelete = (start) => { down = spawnTimed(BIN, ['ip-down', '--config', conf.two], { PPP_IFACE: 'ppp1' }, start); };
    collect(samples, await timeMove(OURS, { afterDelete, allEveryMs: 0, timeoutMs: 10_000 }));
    const { code, ms, stderr } = await down.done;
    if (code !== 0) throw new Error(`ip-down after the deletion exited ${code}: ${stderr.trim()}`);
    samples.ipDown.push(ms);
    sleepSync(SETTLE_MS);
  }
  uplinkDelete(1);
  uplinkDelete(2);
  ipDown(1, conf.two);
  ipDown(2, conf.two);
  return samples;
}

// ---------------------------------------------------------------------------------------------
// 2 and 4, FRR: from daemon start to every route in the kernel, and its peak memory after loading.

async function coldFrr() {
  const samples = { ms: [], memory: [] };
  for (let round = 0; round < FRR_ROUNDS; round++) {
    uplinkDelete(1);
    sleepSync(SETTLE_MS);
    uplinkCreate(1);
    const frr = new Frr(`frr-cold-${round}`, LISTED.map((p) => `ip route ${p} ppp1`));
    const start = now();
    frr.start();
    try {
      // Poll the kernel every quarter second, for at most 10 minutes.
      const loaded = await until('FRR: every listed prefix in the kernel', async () => frr.alive() && (await perDevice(FRR_STATIC)).ppp1 === COUNT,
        { timeoutMs: 600_000, intervalMs: 250 });
      samples.ms.push(loaded - start);
      await frr.configSent(60_000);
      sleepSync(2000); // let both finish what follows the last route before reading their peaks
      samples.memory.push(frr.memory());
    } finally {
      uplinkDelete(1); // the kernel drops the routes at once; zebra then has nothing to take out
      await frr.stop();
    }
  }
  return samples;
}

/** 3, FRR: `ip route P ppp1` and `ip route P ppp2 10` for every P; ppp1 deleted as pppd does. */
async function moveFrr() {
  const samples = { load: 0, memory: undefined };
  uplinkDelete(1);
  uplinkDelete(2);
  sleepSync(SETTLE_MS);
  uplinkCreate(1);
  uplinkCreate(2);
  const frr = new Frr('frr-move', [...LISTED.map((p) => `ip route ${p} ppp1`), ...LISTED.map((p) => `ip route ${p} ppp2 10`)]);
  const start = now();
  frr.start();
  try {
    await frr.configSent(900_000);
    // Loaded: zebra holds both distances of every prefix and the kernel has ppp1's.
    await until('FRR: both lists loaded', async () => {
      frr.alive();
      const { rib, fib } = await frr.summary();
      return rib === 2 * COUNT && fib === COUNT;
    }, { timeoutMs: 900_000, intervalMs: 1000, maxPolls: 900 });
    samples.load = now() - start;
    samples.memory = frr.memory();
    for (let round = 0; round < FRR_ROUNDS; round++) {
      if (!uplinkExists(1)) uplinkCreate(1);
      await until('FRR: every listed prefix back on ppp1', async () => frr.alive() && (await perDevice(FRR_STATIC)).ppp1 === COUNT,
        { timeoutMs: 300_000, intervalMs: 250 });
      const before = routes(FRR_STATIC);
      expectCount('FRR, before the move: listed prefixes through ppp1', countThrough(before, 'ppp1'), COUNT);
      expectCount('FRR, before the move: its routes in all', routeCount(before), COUNT);
      collect(samples, await timeMove(FRR_STATIC, { allEveryMs: 250, timeoutMs: 300_000 }));
      frr.alive();
    }
  } finally {
    uplinkDelete(1);
    uplinkDelete(2);
    await frr.stop();
  }
  return samples;
}

// ---------------------------------------------------------------------------------------------
// The report

function versions() {
  const first = (command, args) => spawnSync(command, args, { encoding: 'utf8' }).stdout.trim().split('\n')[0];
  let commit = '';
  const git = spawnSync('git', ['-C', path.dirname(BIN), 'log', '-1', '--format=%h'], { encoding: 'utf8' });
  if (git.status === 0) commit = ` (commit ${git.stdout.trim()})`;
  return [
    `${first(BIN, ['--version'])}${commit}`,
    first('ip', ['-V']),
    `FRR ${first(path.join(FRR_DIR, 'zebra'), ['--version']).replace(/^zebra version /, '')} (Debian ${first('dpkg-query', ['-W', '-f=${Version}', 'frr'])})`,
    `kernel ${os.release()}`,
  ];
}

function report(r, load) {
  const ms = (value) => `${value.toFixed(0)} ms`;
  const sec = (value) => `${(value / 1000).toFixed(2)} s`;
  const mib = (value) => `${value.toFixed(0)} MiB`;
  const msRange = (values) => (values.length > 1 ? `${ms(median(values))} (${range(values)})` : ms(values[0]));
  const secRange = (values) => `${sec(median(values))} (${values.map((v) => (v / 1000).toFixed(1)).join(', ')} s)`;
  const max = (values) => Math.max(...values);

  const oursUp = median(r.up.ours);
  const bareUp = median(r.up.bare);
  const frrCold = median(r.frrCold.ms);
  const frrZebra = max(r.frrCold.memory.map((m) => m.zebraHwm));
  const frrStaticd = max(r.frrCold.memory.map((m) => m.staticdHwm));
  const frrPeak = max(r.frrCold.memory.map((m) => m.zebraHwm + m.staticdHwm));
  const frrResident = max(r.frrCold.memory.map((m) => m.zebraRss + m.staticdRss));
  const oursTime = max(r.up.rss); // GNU time %M
  const oursSum = max(r.memory.map((m) => m.sum));
  const oursBound = max(r.memory.map((m) => m.bound));
  const oursMove = Math.max(median(r.moveOurs.first), median(r.moveOurs.middle), median(r.moveOurs.all));
  const frrFirst = median(r.moveFrr.first);
  const apply = median(r.apply.ms);
  const sent = r.apply.removed.map((removed, i) => removed + r.apply.added[i]);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const fmt = (value, digits = 2) => value.toFixed(digits);

  // [bar, measured, met]
  const bars = [
    ['ip-up with 100,000 prefixes / bare `ip -batch` of the same lines <= 1.2', fmt(oursUp / bareUp), oursUp / bareUp <= 1.2],
    ['ip-up with 100,000 prefixes <= 2 s', sec(oursUp), oursUp <= 2000],
    ['cold to every route in the kernel: ours / FRR\'s <= 0.1', fmt(oursUp / frrCold, 3), oursUp / frrCold <= 0.1],
    ['a prefix moves to its next uplink <= 0.1 s (the slowest of: first probe, middle probe, every prefix)', sec(oursMove), oursMove <= 100],
    ['the move is faster than FRR\'s (our every prefix against FRR\'s first one)', `${sec(median(r.moveOurs.all))} vs ${sec(frrFirst)}`, median(r.moveOurs.all) < frrFirst],
    ['peak memory: ip-up / (zebra + staticd) <= 0.2 (ip-up\'s whole process tree, the bound)', `${fmt(oursBound / frrPeak, 3)} (GNU time %M alone: ${fmt(oursTime / frrPeak, 3)})`, oursBound / frrPeak <= 0.2],
    ['`routes --apply`, 1,000 of 100,000 lines changed, <= 0.5 s', sec(apply), apply <= 500],
    ['`routes --apply` sends about 1,000 changes', `${range(sent)} in each round`, sent.every((n) => Math.abs(n - CHANGES) <= CHANGES / 10)],
  ];

  const figures = [
    ['1', 'ip-up, 100,000 prefixes in `routes_file`', msRange(r.up.ours), `bare \`ip -batch\`: ${msRange(r.up.bare)}`,
      `wall time of \`pin-hooks ip-up --config\` and of \`ip -batch FILE\` with the same 100,000 \`route replace P dev ppp1 metric 1001 proto 112\` lines, alternating, each on a fresh ppp1 (deleted and recreated, ip-down run, ${SETTLE_MS} ms settle); every run checked after: exactly the 100,000 routes through ppp1`],
    ['1b', 'ip-up, the same prefixes from `[routes] zebra_file` (`ip route P ppp1` lines)', msRange(r.up.zebraFile), '', 'the same rounds, the same check (not a bar)'],
    ['2', 'cold to all 100,000 routes in the kernel', ms(oursUp), `FRR: ${secRange(r.frrCold.ms)}`,
      `ours: ip-up's wall time from 1 (nothing of ours runs before it; every route is in the kernel when it exits). FRR: from starting zebra until \`ip -4 route show proto 196\` lists all 100,000 through ppp1 (polled every 250 ms; the start of the first dump that did), booted as Debian's frrinit.sh does it: zebra (\`-s 90000000\`), staticd, then \`vtysh -b\` sending frr.conf with the 100,000 \`ip route P ppp1\` lines; ppp1 up before`],
    ['3', `move when ppp1 is deleted: the first listed prefix (${address(PROBES.first)})`, msRange(r.moveOurs.first), `FRR: ${msRange(r.moveFrr.first)}`,
      'both uplinks carry the list, ppp1 preferred (ours: ppp2 `distance = 10`; FRR: `ip route P ppp1` and `ip route P ppp2 10`); the clock starts before `ip link del ppp1` (what pppd does), ours then runs ip-down beside the polling as pppd would; `ip route get` of both probes (one `ip -batch`) every 10 ms until it says dev ppp2'],
    ['3a', `... the middle one (${address(PROBES.middle)})`, msRange(r.moveOurs.middle), `FRR: ${msRange(r.moveFrr.middle)}`, 'the same polls'],
    ['3b', '... every listed prefix through ppp2, none through ppp1', msRange(r.moveOurs.all), `FRR: ${msRange(r.moveFrr.all)}`,
      `then full dumps of the protocol's routes (ours 112, FRR 196; back to back for ours, every 250 ms for FRR), lines counted per device; the start of the first dump that showed it (a dump of our 100,000 remaining routes took ${ms(median(r.moveOurs.allEnd) - median(r.moveOurs.all))})`],
    ['3c', '... of which `ip link del ppp1` itself', msRange(r.moveOurs.del), `FRR: ${msRange(r.moveFrr.del)}`, 'the kernel drops ppp1\'s routes inside it'],
    ['3d', 'ip-down after the deletion, until it exits', msRange(r.moveOurs.ipDown), '', 'from the same clock (not in the move: the kernel already moved the traffic)'],
    ['4', 'peak memory', `ip-up: ${mib(oursBound)} at most (${mib(oursSum)} seen at once; GNU time %M ${mib(oursTime)})`, `FRR: ${mib(frrPeak)} (zebra ${mib(frrZebra)} + staticd ${mib(frrStaticd)}); resident after: ${mib(frrResident)}`,
      'ours: nothing stays running after ip-up. GNU time %M (as bench.mjs) is the largest single process of the tree; ip-up and the `ip -batch` runs it feeds live at once, so /proc of the whole tree was also sampled every ms in 3 more runs: the largest total VmRSS seen at one instant, and the bound (the peaks, VmHWM, of the processes alive together). FRR: VmHWM and VmRSS from /proc/PID/status 2 s after all 100,000 routes were in the kernel'],
    ['4a', 'bare `ip -batch` of the 100,000 lines, and one run of 20,000', `${mib(max(r.up.run20kRss))} (20,000 lines)`, `${mib(max(r.up.bareRss))} (100,000 lines)`, 'GNU time %M: iproute2 6.1 keeps about 4 KB a batch line'],
    ['4b', 'FRR with both lists (200,000 static routes): load and peak', '', `${sec(r.moveFrr.load)}; ${mib(r.moveFrr.memory.zebraHwm + r.moveFrr.memory.staticdHwm)} (zebra ${mib(r.moveFrr.memory.zebraHwm)} + staticd ${mib(r.moveFrr.memory.staticdHwm)})`,
      'the setup of 3: from starting zebra until `show ip route summary` counts 200,000 static routes, 100,000 in the FIB (after `vtysh -b` ended; polled every second)'],
    ['5', '`pin-hooks firewall routes --apply` after changing 1,000 of the 100,000 lines', msRange(r.apply.ms), `sent ${range(sent)} changes in each round`,
      `ppp1 up carrying the list; each round 500 lines removed (every 200th) and 500 fresh prefixes appended, then the list restored and applied again (not timed); sent = the difference between \`ip -4 route show proto 112\` before and after (it said: "${r.apply.said[0]}"); every round checked: exactly the new list through ppp1`],
    ['5b', '`routes --apply` with nothing changed', msRange(r.apply.unchangedMs), '', 'the same rounds, before each change: reading the lists and the kernel\'s routes, comparing'],
  ];

  return [
    '# Per-prefix routes: pin-hooks against FRR (issue 10)',
    '',
    `Measured by \`node bench/routes.mjs\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} x ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB;`,
    `${versions().join('; ')}.`,
    `Load average ${load.before.map((v) => v.toFixed(1)).join(' ')} before the run, ${os.loadavg().map((v) => v.toFixed(1)).join(' ')} after it (the machine is shared; other work raises every figure, FRR's too).`,
    '',
    `Every figure comes from this one run, in network namespaces of the bench's own (\`pinh-<pid>-*\`): uplinks ppp1 and ppp2 are veth`,
    `pairs with /32 peer addresses, the peer end in an ISP namespace. Lists: ${COUNT.toLocaleString('en')} /24s from 11.0.0.0/8 and 12.0.0.0/8 (routes`,
    `only, no traffic). Our events: ${ROUNDS} rounds each; FRR's: ${FRR_ROUNDS}. Medians, the range of the samples in brackets.`,
    'FRR is Debian\'s zebra + staticd, started by hand inside the namespace with their own config, pid, vty and zserv paths',
    '(user frr), never the system service, and stopped by pid.',
    '',
    '| # | figure | pin-hooks | beside it | how it was taken |',
    '|---|---|---:|---:|---|',
    ...figures.map((row) => `| ${row.join(' | ')} |`),
    '',
    '| bar (issue 10) | measured | met |',
    '|---|---:|---|',
    ...bars.map(([name, value, met]) => `| ${name} | ${value} | ${met ? 'yes' : 'NO'} |`),
    '',
    '`pin-firewall routes` with the list applied:',
    '',
    '```',
    r.apply.shown,
    '```',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Inside the router namespace

async function inside() {
  [, , , NS, TMP] = process.argv;
  // Whatever stops us, our daemons go with us (the outer process sweeps the namespaces too).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      for (const daemon of daemons) process.kill(daemon.pid, 'SIGKILL');
      process.exit(128 + os.constants.signals[signal]);
    });
  }
  try {
    run('ip', ['link', 'set', 'lo', 'up']);
    const conf = configs();
    const results = {};
    const loadBefore = os.loadavg();
    // BENCH_ONLY=up,apply,move,frrCold,frrMove runs some parts (to debug them): no report then.
    const only = process.env.BENCH_ONLY?.split(',');
    const parts = [
      ['up', `1. ip-up vs bare ip -batch, ${ROUNDS} rounds`, () => benchIpUp(conf)],
      ['memory', '4. ip-up\'s process tree, peak memory, 3 rounds', () => memoryOurs(conf)],
      ['apply', `5. routes --apply, ${Math.min(ROUNDS, 20)} rounds`, () => benchApply(conf)],
      ['moveOurs', `3. the move, ours, ${ROUNDS} rounds`, () => moveOurs(conf)],
      ['frrCold', `2+4. FRR from cold, ${FRR_ROUNDS} rounds`, () => coldFrr()],
      ['moveFrr', `3. the move, FRR, ${FRR_ROUNDS} rounds`, () => moveFrr()],
    ];
    for (const [key, title, part] of parts) {
      if (only && !only.includes(key)) continue;
      const start = now();
      console.error(`routes bench: ${title}`);
      results[key] = await part();
      console.error(`  (${((now() - start) / 1000).toFixed(0)} s)`);
    }
    if (results.up?.firstStderr) console.error(`ip-up said: ${results.up.firstStderr}`);
    if (only) {
      console.log(JSON.stringify(results, (key, value) => (Array.isArray(value) && value.length > 20 ? `[${value.length}]` : value), 1));
      return;
    }
    const text = report(results, { before: loadBefore });
    fs.writeFileSync(path.join(here, 'ROUTES.md'), text);
    console.log(text);
  } finally {
    await stopDaemons([...daemons]);
  }
}

// ---------------------------------------------------------------------------------------------
// Outside: namespaces and temp dir made here, and removed here whatever happens inside

async function outside() {
  if (process.getuid() !== 0) throw new Error('run as root: the bench builds network namespaces');
  ensureAptPackages({ time: '/usr/bin/time', frr: path.join(FRR_DIR, 'zebra'), iproute2: '/usr/sbin/ip' });
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\`, or name the binary in PIN_HOOKS_BIN`);
  const ns = `pinh-${process.pid}`;
  const names = [`${ns}-router`, `${ns}-isp1`, `${ns}-isp2`];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pinh-routes-'));
  fs.chmodSync(tmp, 0o755); // FRR runs as frr and must reach its own dir below
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    for (const name of names) sweep(name);
    for (const name of names) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      cleanup();
      process.exit(128 + os.constants.signals[signal]);
    });
  }
  try {
    for (const name of names) run('ip', ['netns', 'add', name]);
    const child = spawn('ip', ['netns', 'exec', `${ns}-router`, process.execPath, fileURLToPath(import.meta.url), '--inside', ns, tmp], { stdio: 'inherit' });
    process.exitCode = await new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  } finally {
    cleanup();
  }
}

/** Ends whatever still runs in one of our namespaces (a daemon the inner process left), by pid. */
function sweep(name) {
  const pids = () => spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  for (const pid of pids()) {
    try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
  }
  for (let wait = 0; wait < 50 && pids().length > 0; wait++) sleepSync(100);
  for (const pid of pids()) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
}

await (process.argv[2] === '--inside' ? inside() : outside());
