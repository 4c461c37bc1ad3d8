import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config.js';
import { hasRouteLists, loadRouteLists } from '../../../shared/routes/load.js';
import { installLines } from '../../../shared/routes/route-lines.js';

const dir = mkdtempSync(join(tmpdir(), 'pin-hooks-load-'));
const file = (name: string, text: string, mode = 0o644) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
};
const asRoot = process.getuid?.() === 0;

describe('loading the lists', () => {
  const list = file('ppp1.routes', '196.21.0.0/19\n');
  const zebra = file('zebra.conf', 'ip route 196.21.0.0/19 ppp2 10\nip route 10.9.0.0/16 ppp1\nip route 10.8.0.0/16 eth3\n');
  const config = parseConfig(`[uplinks]\nnames = ppp0 ppp1 ppp2\ndefault_route = ppp0 ppp2\n[routes]\nzebra_file = ${zebra}\n[uplink ppp1]\nroutes_file = ${list}\nroutes = 11.0.0.0/8\n`, 'x.conf');

  it.runIf(asRoot)('gives each uplink its own lists, the zebra file split by uplink, the default route by its order', () => {
    const lists = loadRouteLists(config, config.uplinks);
    expect(lists.uplinks.map((routes) => installLines(routes))).toEqual([
      ['route replace 0.0.0.0/0 dev ppp0 metric 1000 proto 112'],
      ['route replace 11.0.0.0/8 dev ppp1 metric 1001 proto 112', 'route replace 196.21.0.0/19 dev ppp1 metric 1001 proto 112', 'route replace 10.9.0.0/16 dev ppp1 metric 1001 proto 112'],
      ['route replace 0.0.0.0/0 dev ppp2 metric 2002 proto 112', 'route replace 196.21.0.0/19 dev ppp2 metric 10002 proto 112'],
    ]);
    expect(lists.zebra).toMatchObject({ ignored: 0, unmanaged: [`${zebra}:3: ip route 10.8.0.0/16 eth3`] });
  });

  it('reads nothing for an uplink without lists', () => {
    const plain = parseConfig('[uplinks]\nnames = ppp0 ppp1\n[uplink ppp1]\nroutes = 11.0.0.0/8\n', 'x.conf');
    expect(plain.uplinks.map((uplink) => hasRouteLists(plain, uplink))).toEqual([false, true]);
  });

  it.runIf(asRoot)('refuses a list others may write, or one that is missing, naming the key that names it', () => {
    const open = file('open.routes', '11.0.0.0/8\n', 0o666);
    const unsafe = parseConfig(`[uplinks]\nnames = ppp1\n[uplink ppp1]\nroutes_file = ${open}\n`, 'x.conf');
    expect(() => loadRouteLists(unsafe, unsafe.uplinks)).toThrow(
      `${open}: refusing the file [uplink ppp1] routes_file names, which is writable by group or others (mode 666); run: chmod go-w ${open}`,
    );
    const missing = parseConfig(`[uplinks]\nnames = ppp1\n[routes]\nzebra_file = ${dir}/none.conf\n`, 'x.conf');
    expect(() => loadRouteLists(missing, missing.uplinks)).toThrow(`${dir}/none.conf: cannot read the file [routes] zebra_file names: ENOENT; create it or fix [routes] zebra_file`);
  });
});
