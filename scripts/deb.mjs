#!/usr/bin/env node
// npm run deb: builds dist/pin-hooks_<version>_amd64.deb from packaging/ and the built binary,
// then runs lintian on it. --version V builds the same package under another Debian version
// (the upgrade test uses it). Needs dpkg-dev, debhelper and lintian (installed when missing).
import { $, fs, path, argv } from 'zx';
import { ensureAptPackages, root } from './deps.mjs';

$.verbose = false;
ensureAptPackages({ 'dpkg-dev': '/usr/bin/dpkg-buildpackage', debhelper: '/usr/bin/dh', lintian: '/usr/bin/lintian', fakeroot: '/usr/bin/fakeroot' });

const dist = path.join(root, 'dist');
const binary = path.join(dist, 'pin-hooks');
if (!fs.existsSync(binary)) throw new Error('dist/pin-hooks is missing; run: npm run build');

const changelog = fs.readFileSync(path.join(root, 'packaging/debian/changelog'), 'utf8');
const released = /^pin-hooks \(([^)]+)\)/.exec(changelog)[1];
const upstream = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
if (!released.startsWith(`${upstream}-`)) throw new Error(`packaging/debian/changelog is at ${released}, package.json at ${upstream}: add a changelog entry`);
const version = argv.version ?? released;

const stage = path.join(dist, 'deb-build', `pin-hooks-${upstream}`);
await fs.remove(path.dirname(stage));
await fs.mkdirp(stage);
for (const part of ['debian', 'files', 'man']) await fs.copy(path.join(root, 'packaging', part), path.join(stage, part));
await fs.copy(binary, path.join(stage, 'files/usr/libexec/pin-hooks/pin-hooks'));
if (version !== released) {
  const date = (await $`date -R`).stdout.trim();
  const entry = `pin-hooks (${version}) unstable; urgency=medium\n\n  * Rebuild as ${version}.\n\n -- pin-hooks developers <pin-hooks@example.org>  ${date}\n\n`;
  await fs.writeFile(path.join(stage, 'debian/changelog'), entry + changelog);
}

await $({ cwd: stage })`dpkg-buildpackage -b -us -uc`.quiet();
const deb = `pin-hooks_${version.replace(/^\d+:/, '')}_amd64.deb`;
await fs.move(path.join(dist, 'deb-build', deb), path.join(dist, deb), { overwrite: true });
await fs.remove(path.dirname(stage));

const lintian = await $`lintian --fail-on error,warning ${path.join(dist, deb)}`.nothrow();
const size = (await fs.stat(path.join(dist, deb))).size;
const installed = (await $`dpkg-deb -f ${path.join(dist, deb)} Installed-Size`).stdout.trim();
console.log(`built dist/${deb}: ${(size / 1e6).toFixed(1)} MB, installed ${(Number(installed) / 1024).toFixed(1)} MiB`);
console.log(`lintian ${(await $`lintian --version`).stdout.trim()}: ${lintian.stdout.trim() || 'no errors, no warnings'}`);
if (lintian.exitCode !== 0) process.exit(1);
