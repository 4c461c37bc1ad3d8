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
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
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
const range = (values) => `${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)}`;

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
const PROBE = LISTED[COUNT >> 1].replace(/\.0\/24$/, '.1'); // an address inside a listed prefix, mid-list
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
const routesAsync = async (proto) => routesOf((await execFileAsync('ip', ['-4', 'route', 'show', 'proto', String(proto)], { maxBuffer: 512 << 20 })).stdout);

/** How many of the listed prefixes have a route through `dev`. */
function countThrough(byPrefix, dev, listed = LISTED) {
  let count = 0;
  for (const dest of listed) if (byPrefix.get(dest)?.includes(dev)) count++;
  return count;
}

/** Every listed prefix through ppp2, none through ppp1: the move is complete. */
const allMoved = (byPrefix) => countThrough(byPrefix, 'ppp2') === COUNT && countThrough(byPrefix, 'ppp1') === 0;

async function probeDev() {
  try {
    const { stdout } = await execFileAsync('ip', ['-4', 'route', 'get', PROBE]);
    return /\bdev (\S+)/.exec(stdout)?.[1];
  } catch {
    return undefined; // unreachable for a moment: no route at all
  }
}

function expectCount(what, actual, expected) {
  if (actual !== expected) throw new Error(`${what}: ${actual}, expected ${expected}`);
}

// ---------------------------------------------------------------------------------------------
// FRR: zebra + staticd started by hand in this namespace with their own config, pid, vty and zserv
// paths in our temp dir (never the system service), as the frr user (its vty group is built in),
// stopped by their pids.

const daemons = new Set(); // every child daemon still running, for the cleanup

function startDaemon(name, dir, config) {
  const args = ['-u', 'frr', '-g', 'frr', '-f', config, '-i', path.join(dir, `${name}.pid`), '-z', path.join(dir, 'zserv.api'),
    '--vty_socket', dir, '-P', '0', '--log', `file:${path.join(dir, `${name}.log`)}`];
  const child = spawn(path.join(FRR_DIR, name), args, { stdio: 'ignore', env: { PATH: PATH_ENV } });
  const daemon = { name, child, pid: child.pid, dir, exited: undefined };
  daemons.add(daemon);
  child.on('exit', (code, signal) => {
    daemon.exited = signal ?? code;
    daemons.delete(daemon);
  });
  return daemon;
}

class Frr {
  /** Writes zebra's and staticd's configs; `staticLines` are the `ip route` lines users have. */
  constructor(name, staticLines) {
    this.dir = path.join(TMP, name);
    fs.mkdirSync(this.dir, { mode: 0o755 });
    fs.writeFileSync(path.join(this.dir, 'zebra.conf'), 'hostname bench\n');
    fs.writeFileSync(path.join(this.dir, 'staticd.conf'), `hostname bench\n${staticLines.join('\n')}\n`);
    run('chown', ['-R', 'frr:frr', this.dir]);
  }

  /** zebra first (staticd connects to its socket), as FRR's own start script orders them. */
  start() {
    this.zebra = startDaemon('zebra', this.dir, path.join(this.dir, 'zebra.conf'));
    const socket = path.join(this.dir, 'zserv.api');
    for (let wait = 0; wait < 1000 && !fs.existsSync(socket); wait++) {
      if (this.zebra.exited !== undefined) break;
      sleepSync(10);
    }
    if (!fs.existsSync(socket)) throw new Error(`zebra did not open ${socket}: ${this.logs()}`);
    this.staticd = startDaemon('staticd', this.dir, path.join(this.dir, 'staticd.conf'));
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
    await stopDaemons([this.staticd, this.zebra]);
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
  const samples = { ours: [], bare: [], zebraFile: [], rss: [] };
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
    samples.bare.push(timed('ip', ['-batch', batch]).ms);
    check('bare ip -batch');

    freshUplink(1, conf.zebra);
    samples.zebraFile.push(ipUp(1, conf.zebra).ms);
    check('ip-up from zebra_file');
  }
  return { ...samples, firstStderr };
}

// 5. `routes --apply` after 1,000 changed lines, on ppp1 carrying its 100,000.
function benchApply(conf) {
  freshUplink(1, conf.one);
  ipUp(1, conf.one);
  const list = path.join(TMP, 'ppp1.list');
  const samples = { ms: [], removed: [], added: [], unchangedMs: [] };
  const shown = run(BIN, ['firewall', '--config', conf.one, 'routes']).stdout.trim();
  const rounds = Math.min(ROUNDS, 20); // the fresh prefixes run out after 22 rounds
  for (let round = 0; round < rounds; round++) {
    // A run with nothing to change: the floor of --apply (reading, comparing).
    samples.unchangedMs.push(timed(BIN, ['firewall', '--config', conf.one, 'routes', '--apply']).ms);

    const before = routes(OURS);
    const wanted = changedList(round);
    fs.writeFileSync(list, listFile(wanted));
    samples.ms.push(timed(BIN, ['firewall', '--config', conf.one, 'routes', '--apply']).ms);
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
 * 3. The move, ours: both uplinks carry the list, ppp1 preferred. pppd deletes ppp1 and runs
 * ip-down; meanwhile we ask the kernel where the probe address goes, as often as we can.
 */
async function moveOurs(conf) {
  const samples = { del: [], probe: [], all: [], allEnd: [], ipDown: [] };
  freshUplink(1, conf.two);
  freshUplink(2, conf.two);
  ipUp(2, conf.two);
  for (let round = 0; round < ROUNDS; round++) {
    if (!uplinkExists(1)) uplinkCreate(1);
    ipUp(1, conf.two);
    expectCount('before the move: listed prefixes through ppp1', countThrough(routes(OURS), 'ppp1'), COUNT);
    expectCount('before the move: listed prefixes through ppp2', countThrough(routes(OURS), 'ppp2'), COUNT);
    if ((await probeDev()) !== 'ppp1') throw new Error(`before the move ${PROBE} does not go through ppp1`);
    sleepSync(SETTLE_MS);

    const start = now();
    run('ip', ['link', 'del', 'ppp1']);
    samples.del.push(now() - start);
    let ipDownAt;
    const down = spawn(BIN, ['ip-down', '--config', conf.two], { env: { PATH: PATH_ENV, PPP_IFACE: 'ppp1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let downErr = '';
    down.stderr.on('data', (chunk) => { downErr += chunk; });
    const downDone = new Promise((resolve) => down.on('exit', (code) => { ipDownAt = now() - start; resolve(code); }));
    samples.probe.push(await until(`${PROBE} through ppp2`, async () => (await probeDev()) === 'ppp2', { timeoutMs: 10_000 }) - start);
    samples.all.push(await until('every listed prefix through ppp2', async () => allMoved(await routesAsync(OURS)), { timeoutMs: 10_000 }) - start);
    samples.allEnd.push(now() - start);
    const code = await Promise.race([downDone, sleep(10_000).then(() => 'timeout')]);
    if (code !== 0) throw new Error(`ip-down after the deletion exited ${code}: ${downErr.trim()}`);
    samples.ipDown.push(ipDownAt);
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
    // Poll the kernel (the count, cheap while it is small) every quarter second, for at most 10 minutes.
    const loaded = await until('FRR: every listed prefix in the kernel', async () => frr.alive() && countThrough(await routesAsync(FRR_STATIC), 'ppp1') === COUNT,
      { timeoutMs: 600_000, intervalMs: 250 });
    samples.ms.push(loaded - start);
    sleepSync(2000); // let both finish what follows the last route before reading their peaks
    samples.memory.push(frr.memory());
    uplinkDelete(1); // the kernel drops the routes at once; zebra then has nothing to take out
    await frr.stop();
  }
  return samples;
}

/** 3, FRR: `ip route P ppp1` and `ip route P ppp2 10` for every P; ppp1 deleted as pppd does. */
async function moveFrr() {
  const samples = { del: [], probe: [], all: [], load: 0, memory: undefined };
  uplinkDelete(1);
  uplinkDelete(2);
  sleepSync(SETTLE_MS);
  uplinkCreate(1);
  uplinkCreate(2);
  const frr = new Frr('frr-move', [...LISTED.map((p) => `ip route ${p} ppp1`), ...LISTED.map((p) => `ip route ${p} ppp2 10`)]);
  const start = now();
  frr.start();
  try {
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
      await until('FRR: every listed prefix back on ppp1', async () => frr.alive() && countThrough(await routesAsync(FRR_STATIC), 'ppp1') === COUNT,
        { timeoutMs: 300_000, intervalMs: 250 });
      if ((await probeDev()) !== 'ppp1') throw new Error(`FRR: before the move ${PROBE} does not go through ppp1`);
      sleepSync(SETTLE_MS);

      const t0 = now();
      run('ip', ['link', 'del', 'ppp1']);
      samples.del.push(now() - t0);
      samples.probe.push(await until(`FRR: ${PROBE} through ppp2`, async () => (await probeDev()) === 'ppp2', { timeoutMs: 120_000 }) - t0);
      samples.all.push(await until('FRR: every listed prefix through ppp2', async () => frr.alive() && allMoved(await routesAsync(FRR_STATIC)), { timeoutMs: 300_000 }) - t0);
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
  const git = spawnSync('git', ['-C', path.dirname(BIN), 'log', '-1', '--format=%h %s'], { encoding: 'utf8' });
  if (git.status === 0) commit = ` (commit ${git.stdout.trim()})`;
  return [
    `${first(BIN, ['--version'])}${commit}`,
    first('ip', ['-V']),
    `FRR ${first(path.join(FRR_DIR, 'zebra'), ['--version']).replace(/^zebra version /, '')} (Debian ${first('dpkg-query', ['-W', '-f=${Version}', 'frr'])})`,
    `kernel ${os.release()}`,
  ];
}

function report(r) {
  const ms = (value) => `${value.toFixed(0)} ms`;
  const s = (value) => `${(value / 1000).toFixed(2)} s`;
  const mib = (value) => `${value.toFixed(0)} MiB`;
  const oursUp = median(r.up.ours);
  const bareUp = median(r.up.bare);
  const frrCold = median(r.frrCold.ms);
  const oursRss = Math.max(...r.up.rss);
  const frrPeak = Math.max(...r.frrCold.memory.map((m) => m.zebraHwm + m.staticdHwm));
  const frrResident = Math.max(...r.frrCold.memory.map((m) => m.zebraRss + m.staticdRss));
  const oursMove = median(r.moveOurs.probe);
  const oursMoveAll = median(r.moveOurs.all);
  const frrMove = median(r.moveFrr.probe);
  const frrMoveAll = median(r.moveFrr.all);
  const apply = median(r.apply.ms);
  const sent = r.apply.removed.map((removed, i) => removed + r.apply.added[i]);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';

  // [bar, measured (text), met]
  const bars = [
    ['ip-up (100,000 prefixes) / bare `ip -batch` of the same lines <= 1.2', (oursUp / bareUp).toFixed(2), oursUp / bareUp <= 1.2],
    ['ip-up (100,000 prefixes) <= 2 s', s(oursUp), oursUp <= 2000],
    ['cold to all routes in the kernel: ours / FRR <= 0.1', (oursUp / frrCold).toFixed(3), oursUp / frrCold <= 0.1],
    ['move to the next uplink (probe prefix) <= 0.1 s', s(oursMove), oursMove <= 100],
    ['move: every listed prefix on ppp2 <= 0.1 s', s(oursMoveAll), oursMoveAll <= 100],
    ['move faster than FRR (probe prefix, and every prefix)', `${s(oursMove)} vs ${s(frrMove)}; ${s(oursMoveAll)} vs ${s(frrMoveAll)}`, oursMove < frrMove && oursMoveAll < frrMoveAll],
    ['peak RSS: ip-up / (zebra + staticd) <= 0.2', (oursRss / frrPeak).toFixed(3), oursRss / frrPeak <= 0.2],
    ['`routes --apply`, 1,000 changed lines of 100,000, <= 0.5 s', s(apply), apply <= 500],
    ['`routes --apply` sends about 1,000 changes', `${range(sent)} (removed ${range(r.apply.removed)}, added ${range(r.apply.added)})`, sent.every((n) => n === CHANGES)],
  ];

  const lines = [
    '# Per-prefix routes: pin-hooks against FRR (issue 10)',
    '',
    `Measured by \`node bench/routes.mjs\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} x ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB;`,
    `${versions().join('; ')}.`,
    `All in one run, in network namespaces of the bench's own (\`pinh-<pid>-*\`): uplinks ppp1 and ppp2 are veth pairs with /32 peer`,
    `addresses, the peer in an ISP namespace. Lists: ${COUNT.toLocaleString('en')} /24s from 11.0.0.0/8 and 12.0.0.0/8 (routes only, no traffic).`,
    `${ROUNDS} rounds for our events (medians; the range of the samples in brackets), ${FRR_ROUNDS} for FRR's.`,
    'FRR is Debian\'s zebra + staticd started by hand inside the namespace (own config, pid, vty and zserv paths; user frr), stopped by pid.',
    '',
    '| # | figure | pin-hooks | beside it | how it was taken |',
    '|---|---|---:|---:|---|',
    `| 1 | ip-up, 100,000 prefixes in \`routes_file\` | ${ms(oursUp)} (${range(r.up.ours)}) | bare \`ip -batch\`: ${ms(bareUp)} (${range(r.up.bare)}) | wall time of \`pin-hooks ip-up --config\` and of \`ip -batch FILE\` with the same 100,000 \`route replace P dev ppp1 metric 1001 proto 112\` lines, alternating, each on a fresh ppp1 (deleted and recreated, then ip-down, then ${SETTLE_MS} ms settle); every run checked: 100,000 routes through ppp1 |`,
    `| 1b | ip-up, the same prefixes from \`[routes] zebra_file\` (\`ip route P ppp1\` lines) | ${ms(median(r.up.zebraFile))} (${range(r.up.zebraFile)}) | | same rounds, same checks |`,
    `| 2 | cold to all 100,000 routes in the kernel | ${ms(oursUp)} | FRR: ${s(frrCold)} (${range(r.frrCold.ms.map((v) => v / 1000))} s) | ours: ip-up's wall time from 1 (the routes are all there when it exits; nothing of ours was running before). FRR: from starting zebra (staticd right after zebra's socket appears) with a staticd.conf of the same 100,000 \`ip route P ppp1\` lines, ppp1 already up, until \`ip -4 route show proto 196\` lists all 100,000 (polled every 250 ms; the start of the first dump that did) |`,
    `| 3 | move of a listed prefix (${PROBE}) to ppp2 when ppp1 is deleted | ${ms(oursMove)} (${range(r.moveOurs.probe)}) | FRR: ${ms(frrMove)} (${range(r.moveFrr.probe)}) | both uplinks carry the list, ppp1 preferred (ours: ppp2 \`distance = 10\`; FRR: \`ip route P ppp1\` and \`ip route P ppp2 10\`); clock starts before \`ip link del ppp1\`; ours then runs ip-down as pppd does; \`ip route get\` polled back to back until it says dev ppp2 |`,
    `| 3b | every listed prefix through ppp2, none through ppp1 | ${ms(oursMoveAll)} (${range(r.moveOurs.all)}; that dump ended at ${ms(median(r.moveOurs.allEnd))}) | FRR: ${s(frrMoveAll)} (${range(r.moveFrr.all.map((v) => v / 1000))} s) | full dumps of our protocol (112) or staticd's (196), back to back; the time is the start of the first dump that showed it |`,
    `| 3c | \`ip link del ppp1\` itself (the kernel drops ppp1's routes in it) | ${ms(median(r.moveOurs.del))} | FRR: ${ms(median(r.moveFrr.del))} | included in 3 and 3b |`,
    `| 3d | ip-down after the deletion, until it exits | ${ms(median(r.moveOurs.ipDown))} (${range(r.moveOurs.ipDown)}) | | from the same clock; runs beside the polling |`,
    `| 4 | peak RSS | ip-up: ${mib(oursRss)} (largest of the rounds in 1) | FRR: ${mib(frrPeak)} (zebra ${mib(Math.max(...r.frrCold.memory.map((m) => m.zebraHwm)))} + staticd ${mib(Math.max(...r.frrCold.memory.map((m) => m.staticdHwm)))}), still resident ${mib(frrResident)} | ours: GNU time %M of ip-up (nothing of ours stays running after it); FRR: VmHWM and VmRSS from /proc/PID/status 2 s after all 100,000 routes were in the kernel |`,
    `| 4b | FRR with both lists (200,000 static routes) | | load ${s(r.moveFrr.load)}, peak ${mib(r.moveFrr.memory.zebraHwm + r.moveFrr.memory.staticdHwm)} (zebra ${mib(r.moveFrr.memory.zebraHwm)} + staticd ${mib(r.moveFrr.memory.staticdHwm)}) | the setup of 3: until \`show ip route summary\` counts 200,000 static routes, 100,000 in the FIB (polled every second) |`,
    `| 5 | \`pin-hooks firewall routes --apply\` after changing 1,000 of the 100,000 lines | ${ms(apply)} (${range(r.apply.ms)}); sent ${range(sent)} changes | | ppp1 up carrying the list; 500 lines removed (every 200th) and 500 fresh prefixes appended per round, the list restored (and applied, not timed) after each; sent = the difference between \`ip -4 route show proto 112\` before and after; every round checked: exactly the new list through ppp1 |`,
    `| 5b | \`routes --apply\` with nothing changed | ${ms(median(r.apply.unchangedMs))} (${range(r.apply.unchangedMs)}) | | same rounds, before each change |`,
    '',
    '| bar (issue 10) | measured | met |',
    '|---|---:|---|',
    ...bars.map(([name, value, met]) => `| ${name} | ${value} | ${met ? 'yes' : 'NO'} |`),
    '',
    '`pin-hooks firewall routes` with the list applied:',
    '',
    '```',
    r.apply.shown,
    '```',
    '',
  ];
  return lines.join('\n');
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
    const step = (name) => console.error(`routes bench: ${name}`);
    step(`1. ip-up vs bare ip -batch, ${ROUNDS} rounds`);
    results.up = benchIpUp(conf);
    if (results.up.firstStderr) console.error(`  ip-up said: ${results.up.firstStderr.split('\n').slice(0, 3).join(' | ')}`);
    step(`5. routes --apply, ${Math.min(ROUNDS, 20)} rounds`);
    results.apply = benchApply(conf);
    step(`3. the move, ours, ${ROUNDS} rounds`);
    results.moveOurs = await moveOurs(conf);
    step(`2+4. FRR from cold, ${FRR_ROUNDS} rounds`);
    results.frrCold = await coldFrr();
    step(`3. the move, FRR, ${FRR_ROUNDS} rounds`);
    results.moveFrr = await moveFrr();
    const text = report(results);
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
