#!/usr/bin/env node
// npm run repo: dist/apt/, a flat apt repository of the .deb files in dist/, with Packages,
// Release, InRelease and Release.gpg, signed by the key the environment names:
//   PIN_HOOKS_GNUPGHOME + PIN_HOOKS_SIGNING_KEY   a keyring and the key's id or fingerprint
// Without them a throwaway key is made in dist/apt-throwaway-gnupg: fine for tests, not to publish.
import { $, fs, path } from 'zx';
import { ensureAptPackages, root } from './deps.mjs';

$.verbose = false;
ensureAptPackages({ 'apt-utils': '/usr/bin/apt-ftparchive', gnupg: '/usr/bin/gpg' });

const dist = path.join(root, 'dist');
const repo = path.join(dist, 'apt');
const debs = (await fs.readdir(dist)).filter((name) => /^pin-hooks_.*_amd64\.deb$/.test(name));
if (debs.length === 0) throw new Error('no dist/pin-hooks_*.deb; run: npm run deb');

let home = process.env.PIN_HOOKS_GNUPGHOME;
let key = process.env.PIN_HOOKS_SIGNING_KEY;
if (!home || !key) {
  home = path.join(dist, 'apt-throwaway-gnupg');
  key = 'pin-hooks throwaway test key <pin-hooks-test@example.org>';
  if (!fs.existsSync(path.join(home, 'pubring.kbx'))) {
    await fs.mkdirp(home, { mode: 0o700 });
    await $`gpg --homedir ${home} --batch --passphrase ${''} --quick-generate-key ${key} ed25519 sign 1y`;
  }
  console.log('repo: signing with a throwaway key (set PIN_HOOKS_GNUPGHOME and PIN_HOOKS_SIGNING_KEY to publish)');
}
const gpg = (args) => $`gpg --homedir ${home} --batch --yes --local-user ${key} ${args}`;

await fs.remove(repo);
await fs.mkdirp(repo);
for (const deb of debs) await fs.copy(path.join(dist, deb), path.join(repo, deb));
const packages = (await $({ cwd: repo })`apt-ftparchive packages .`).stdout;
await fs.writeFile(path.join(repo, 'Packages'), packages);
await $({ cwd: repo })`gzip -9 -k -n Packages`;
const release = (
  await $({ cwd: repo })`apt-ftparchive -o APT::FTPArchive::Release::Origin=pin-hooks -o APT::FTPArchive::Release::Label=pin-hooks -o APT::FTPArchive::Release::Architectures=amd64 release .`
).stdout;
await fs.writeFile(path.join(repo, 'Release'), release);
await gpg(['--clearsign', '--output', path.join(repo, 'InRelease'), path.join(repo, 'Release')]);
await gpg(['--detach-sign', '--output', path.join(repo, 'Release.gpg'), path.join(repo, 'Release')]);
await $`gpg --homedir ${home} --batch --yes --output ${path.join(repo, 'pin-hooks-archive-keyring.gpg')} --export ${key}`;
console.log(`built dist/apt: ${debs.join(', ')}; public key dist/apt/pin-hooks-archive-keyring.gpg`);
