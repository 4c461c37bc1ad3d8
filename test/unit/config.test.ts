import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../shared/config.js';
import { chooseConfigPath, loadConfig, readTrustedFile, unsafeConfigReason, unsafeDirectoryReason } from '../../shared/config-file.js';
import { ConfigError, ExitCode } from '../../shared/errors.js';

function configError(text: string): ConfigError {
  try {
    parseConfig(text, '/etc/pin-hooks/pin-hooks.conf');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('the config was accepted');
}

describe('built-in defaults', () => {
  const config = defaultConfig();

  it('serve the classic setup: LAN eth0 10.0.0.0/24, ppp0..ppp4, MASQUERADE on', () => {
    expect(config.source).toBeUndefined();
    expect(config.lanInterfaces).toEqual(['eth0']);
    expect(config.lanNetworks).toEqual(['10.0.0.0/24']);
    expect(config.uplinks.map((uplink) => uplink.name)).toEqual(['ppp0', 'ppp1', 'ppp2', 'ppp3', 'ppp4']);
    expect(config.uplinks.every((uplink) => uplink.masquerade)).toBe(true);
  });

  it('derive mark, table and priority from the unit number', () => {
    expect(config.uplinks[2]).toMatchObject({ name: 'ppp2', unit: 2, mark: 0x300, table: 102, priority: 10002 });
  });

  it('keep every mark inside the mask', () => {
    for (const uplink of config.uplinks) expect(uplink.mark & ~config.markMask).toBe(0);
  });
});

describe('a good config', () => {
  const config = parseConfig(
    `# a router with two LANs
[lan]
interfaces = eth0, eth1.10
networks = 10.0.0.0/24 10.1.0.0/16

[uplinks]
names = ppp0 ppp1 dsl-b
mark_mask = 0xf0
table_base = 200
priority_base = 500
masquerade = no   ; we SNAT ourselves
rp_filter = leave

[paths]
ip = /sbin/ip

[log]
syslog = no

[uplink dsl-b]
unit = 7
mark = 3
table = 50
priority = 400
masquerade = yes
`,
    '/tmp/x.conf',
  );

  it('reads lists separated by commas or spaces', () => {
    expect(config.lanInterfaces).toEqual(['eth0', 'eth1.10']);
    expect(config.lanNetworks).toEqual(['10.0.0.0/24', '10.1.0.0/16']);
  });

  it('derives from the bases and applies per-uplink overrides', () => {
    expect(config.uplinks).toEqual([
      { name: 'ppp0', unit: 0, position: 0, mark: 0x10, table: 200, priority: 500, masquerade: false, distance: 1, routes: [], routesFile: undefined, failback: 'keep' },
      { name: 'ppp1', unit: 1, position: 1, mark: 0x20, table: 201, priority: 501, masquerade: false, distance: 1, routes: [], routesFile: undefined, failback: 'keep' },
      { name: 'dsl-b', unit: 7, position: 2, mark: 0x30, table: 50, priority: 400, masquerade: true, distance: 1, routes: [], routesFile: undefined, failback: 'keep' },
    ]);
  });

  it('keeps the defaults it does not override and the other settings', () => {
    expect(config.paths.ip).toBe('/sbin/ip');
    expect(config.paths.iptablesRestore).toBe('/usr/sbin/iptables-restore');
    expect(config).toMatchObject({ source: '/tmp/x.conf', markMask: 0xf0, rpFilter: 'leave', syslog: false });
  });
});

describe('a bad config is rejected with file:line and a hint', () => {
  const cases: [string, string, RegExp][] = [
    ['an unknown key', '[uplinks]\nnames = ppp0\nmark_mak = 0xff\n', /pin-hooks\.conf:3: unknown key "mark_mak" in \[uplinks\]; known: names, mark_mask/],
    ['an unknown section', '\n[uplink]\nx = 1\n', /:2: unknown section \[uplink\]/],
    ['a key outside any section', 'names = ppp0\n', /:1: "names" stands outside any section/],
    ['a bad CIDR', '[lan]\nnetworks = 10.0.0.1/24\n', /:2: networks: "10\.0\.0\.1\/24" is not an IPv4 network/],
    ['a bad interface name', '[lan]\ninterfaces = eth0 eth/0\n', /:2: interfaces: "eth\/0" is not an interface name/],
    ['a too long uplink name', '[uplinks]\nnames = ppp0 abcdefghijklmnop\n', /:2: names: "abcdefghijklmnop" is not an uplink name/],
    ['a mark that does not fit the mask', '[uplinks]\nmark_mask = 0x3\n', /:2: uplink ppp3: mark 4 does not fit mark_mask 0x3/],
    ['an override mark outside the mask', '[uplink ppp1]\nmark = 256\n', /:2: uplink ppp1: mark 256 does not fit mark_mask 0xff00/],
    ['two uplinks sharing a mark', '[uplink ppp1]\nmark = 1\n', /:2: uplinks ppp0 and ppp1 share mark 0x100/],
    ['two uplinks sharing a table', '[uplink ppp4]\ntable = 100\n', /:2: uplinks ppp0 and ppp4 share table 100/],
    ['two uplinks sharing a priority', '[uplink ppp2]\npriority = 10001\n', /:2: uplinks ppp1 and ppp2 share priority 10001/],
    ['priority 0', '[uplinks]\npriority_base = 0\n', /:2: priority_base: .*must be 1\.\.32765, got 0/],
    ['priority 32766', '[uplink ppp0]\npriority = 32766\n', /:2: priority: .*32766/],
    ['priority 32767', '[uplink ppp0]\npriority = 32767\n', /:2: priority: .*got 32767/],
    ['a derived priority after main', '[uplinks]\npriority_base = 32763\n', /uplink ppp3: priority 32766 comes after the main table/],
    ['a mask of 0', '[uplinks]\nmark_mask = 0\n', /:2: mark_mask: mark_mask must be a non-zero 32-bit mask/],
    ['a reserved table', '[uplink ppp0]\ntable = 254\n', /:2: table: table 254 is reserved/],
    ['a name that is not pppN without a unit', '[uplinks]\nnames = dsl\n', /:2: uplink dsl: cannot derive a unit number .* set "unit = N" in \[uplink dsl\]/],
    ['a section for an uplink not listed', '[uplink ppp9]\nmark = 9\n', /:1: \[uplink ppp9\] is not listed in \[uplinks\] names/],
    ['a bad boolean', '[uplinks]\nmasquerade = maybe\n', /:2: masquerade: "maybe" is not yes or no/],
    ['a relative tool path', '[paths]\nip = ip\n', /:2: ip: "ip" is not an absolute path/],
    ['a bad rp_filter', '[uplinks]\nrp_filter = strict\n', /:2: rp_filter: "strict" is not loose or leave/],
  ];
  it.each(cases)('%s', (_what, text, message) => {
    const error = configError(text);
    expect(error.message).toMatch(message);
    expect(error.exitCode).toBe(ExitCode.config);
  });
});

describe('the config file', () => {
  it('is refused when not owned by root or writable by others, as sshd does', () => {
    expect(unsafeConfigReason({ uid: 1000, mode: 0o100644 })).toMatch(/owned by uid 1000, not root/);
    expect(unsafeConfigReason({ uid: 0, mode: 0o100664 })).toMatch(/writable by group or others \(mode 664\)/);
    expect(unsafeConfigReason({ uid: 0, mode: 0o100602 })).toMatch(/writable/);
    expect(unsafeConfigReason({ uid: 0, mode: 0o100644 })).toBeUndefined();
  });

  it('comes from --config, else PIN_HOOKS_CONFIG, else the default path', () => {
    expect(chooseConfigPath('/a.conf', { PIN_HOOKS_CONFIG: '/b.conf' })).toEqual({ path: '/a.conf', explicit: true });
    expect(chooseConfigPath(undefined, { PIN_HOOKS_CONFIG: '/b.conf' })).toEqual({ path: '/b.conf', explicit: true });
    expect(chooseConfigPath(undefined, {})).toEqual({ path: '/etc/pin-hooks/pin-hooks.conf', explicit: false });
  });

  const dir = mkdtempSync(join(tmpdir(), 'pin-hooks-test-'));

  it('falls back to the defaults only when the default path is absent', () => {
    expect(loadConfig({ path: join(dir, 'absent.conf'), explicit: false }).source).toBeUndefined();
    expect(() => loadConfig({ path: join(dir, 'absent.conf'), explicit: true })).toThrow(/absent\.conf: cannot read config: ENOENT/);
  });

  it('is read and parsed when it is safe', () => {
    const path = join(dir, 'good.conf');
    writeFileSync(path, '[uplinks]\nnames = ppp3\n', { mode: 0o644 });
    chmodSync(path, 0o644);
    const config = loadConfig({ path, explicit: true });
    expect(config.uplinks.map((uplink) => uplink.name)).toEqual(['ppp3']);
    chmodSync(path, 0o666);
    expect(() => loadConfig({ path, explicit: true })).toThrow(/refusing config that is writable by group or others/);
  });

  it('is refused in a directory others may write without the sticky bit, as sshd StrictModes does', () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    const path = join(open, 'pin-hooks.conf');
    writeFileSync(path, '[uplinks]\nnames = ppp3\n');
    chmodSync(path, 0o644);
    chmodSync(open, 0o777);
    expect(() => loadConfig({ path, explicit: true })).toThrow(`${path}: refusing config that is in ${open}, which group or others may write (mode 777); run: chmod go-w ${open}`);
    chmodSync(open, 0o1777);
    expect(loadConfig({ path, explicit: true }).uplinks.map((uplink) => uplink.name)).toEqual(['ppp3']);
    chmodSync(open, 0o755);
    expect(loadConfig({ path, explicit: true }).uplinks.map((uplink) => uplink.name)).toEqual(['ppp3']);
  });

  it('is refused through a symlink into such a directory, and in a directory root does not own', () => {
    const open = join(dir, 'open-target');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    writeFileSync(join(open, 'real.conf'), '[uplinks]\nnames = ppp3\n', { mode: 0o644 });
    chmodSync(join(open, 'real.conf'), 0o644);
    const link = join(dir, 'link.conf');
    symlinkSync(join(open, 'real.conf'), link);
    expect(() => loadConfig({ path: link, explicit: true })).toThrow(`refusing config that is in ${open}, which group or others may write`);
    const owned = (directory: string) => ({ uid: directory === '/srv' ? 1000 : 0, mode: 0o40755 });
    expect(unsafeDirectoryReason('/srv/pin/pin-hooks.conf', owned)).toBe('is in /srv, owned by uid 1000, not root; run: chown root: /srv');
  });

  it('holds the route list files the config names to the same rule', () => {
    const open = join(dir, 'open-routes');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const list = join(open, 'ppp1.routes');
    writeFileSync(list, '192.0.2.0/24\n');
    chmodSync(list, 0o644);
    expect(() => readTrustedFile(list, '[uplink ppp1] routes_file')).toThrow(`refusing the file [uplink ppp1] routes_file names, which is in ${open}, which group or others may write (mode 777); run: chmod go-w ${open}`);
  });
});

describe('prefix routes in the config', () => {
  const config = parseConfig(
    `[uplinks]
names = ppp0 ppp1 ppp2
default_route = ppp1 ppp0
[routes]
zebra_file = /etc/quagga/zebra.conf
[uplink ppp1]
routes = 196.21.0.0/19, 10.20.0.0/16
routes_file = /etc/pin-hooks/ppp1.routes
distance = 5
`,
    '/tmp/x.conf',
  );

  it('keeps each uplink its lists and distance, and its place in names', () => {
    expect(config.uplinks[1]).toMatchObject({ position: 1, distance: 5, routes: ['196.21.0.0/19', '10.20.0.0/16'], routesFile: '/etc/pin-hooks/ppp1.routes' });
    expect(config.uplinks[2]).toMatchObject({ position: 2, distance: 1, routes: [], routesFile: undefined, failback: 'keep' });
    expect(config).toMatchObject({ defaultRoute: ['ppp1', 'ppp0'], zebraFile: '/etc/quagga/zebra.conf' });
  });

  it('leaves the default route and the zebra file alone by default', () => {
    expect(defaultConfig()).toMatchObject({ defaultRoute: [], zebraFile: undefined });
  });

  it.each([
    ['[uplinks]\nnames = ppp0\ndefault_route = ppp0 ppp9\n', '/etc/pin-hooks/pin-hooks.conf:3: default_route: ppp9 is not listed in [uplinks] names; add it there or remove it here'],
    ['[uplinks]\nnames = ppp0 ppp1\ndefault_route = ppp1 ppp1\n', '/etc/pin-hooks/pin-hooks.conf:3: default_route: ppp1 is listed twice; each uplink has one place in the order'],
    ['[uplinks]\nnames = ppp0\n[uplink ppp0]\nroutes = 196.21.5.0/19\n', '/etc/pin-hooks/pin-hooks.conf:4: routes: "196.21.5.0/19" is not an IPv4 network (address/length with no host bits, e.g. 10.0.0.0/24)'],
    ['[uplinks]\nnames = ppp0\n[uplink ppp0]\nroutes_file = routes.txt\n', '/etc/pin-hooks/pin-hooks.conf:4: routes_file: "routes.txt" is not an absolute path'],
    ['[uplinks]\nnames = ppp0\n[uplink ppp0]\ndistance = 255\n', '/etc/pin-hooks/pin-hooks.conf:4: distance: a distance (lower wins, as in zebra) must be 1..254, got 255'],
    ['[routes]\nzebra = /etc/quagga/zebra.conf\n', '/etc/pin-hooks/pin-hooks.conf:2: unknown key "zebra" in [routes]; known: zebra_file'],
  ])('refuses %j with the line and the fix', (text, message) => {
    expect(configError(text).message).toBe(message);
  });
});
