// `npm test`: installs what is missing, type-checks, builds, runs the vitest unit tests and the
// bats integration tests, and ends with one line counting every test: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDeps, root } from '../scripts/deps.mjs';

ensureDeps();
const totals = { passed: 0, failed: 0, skipped: 0 };

function step(name, command, args, options = {}) {
  console.log(`\n== ${name}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  return result.status ?? 1;
}

// The type check and the build are not tests, but a failure of either fails the run.
const typecheck = step('type check', 'npx', ['tsc', '--noEmit']);
if (typecheck !== 0) totals.failed++;
const build = step('build', 'node', ['build.mjs']);
if (build !== 0) totals.failed++;

const report = join(mkdtempSync(join(tmpdir(), 'pin-hooks-vitest-')), 'report.json');
step('unit tests (vitest)', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${report}`]);
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  totals.passed += json.numPassedTests;
  totals.failed += json.numFailedTests + (json.numRuntimeErrorTestSuites ?? 0);
  totals.skipped += json.numPendingTests + json.numTodoTests;
} else {
  totals.failed++;
}

// The lab (test/bats) runs once per firewall backend; test/deb builds the package twice and
// installs it in a Debian 12 chroot (about 2 minutes); test/vm/pppd.bats boots it in qemu with
// real pppd (about 1 minute, plus 1 to build its cached image once); test/vm/systemd.bats boots
// it with systemd as PID 1 (about 4.5 minutes under software emulation, plus under 1 to build its image once).
const suitesIn = (dir) => readdirSync(join(root, dir)).filter((name) => name.endsWith('.bats')).map((name) => join(root, dir, name));
const runs = [
  ...['iptables', 'nft'].map((backend) => ({ name: `the lab on the ${backend} backend`, suites: suitesIn('test/bats'), env: { PIN_HOOKS_LAB_BACKEND: backend } })),
  { name: 'the package, real pppd and systemd', suites: [...suitesIn('test/deb'), ...suitesIn('test/vm')], env: {} },
];
for (const run of runs) {
  if (process.getuid?.() !== 0) {
    console.log(`\n== ${run.name} (bats) needs root for network namespaces: not run`);
    totals.skipped += run.suites.length;
    continue;
  }
  if (build !== 0 || run.suites.length === 0) continue;
  console.log(`\n== ${run.name} (bats)`);
  const bats = spawnSync(join(root, 'node_modules/bats/bin/bats'), ['--tap', '--timing', ...run.suites], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...run.env },
  });
  process.stdout.write(bats.stdout);
  for (const line of bats.stdout.split('\n')) {
    if (/^ok \d+ .*# skip/.test(line)) totals.skipped++;
    else if (/^ok \d+/.test(line)) totals.passed++;
    else if (/^not ok \d+/.test(line)) totals.failed++;
  }
  if (bats.status !== 0 && !/^not ok /m.test(bats.stdout)) totals.failed++;
}

console.log(`\n${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exitCode = totals.failed === 0 ? 0 : 1;
