import { describe, expect, it } from 'vitest';
import { chooseRole, takeConfigOption } from '../../shared/cli.js';
import { UsageError } from '../../shared/errors.js';

describe('the role a call plays', () => {
  it.each([
    ['/usr/sbin/pin-firewall', ['init'], 'firewall', ['init']],
    ['/etc/ppp/ip-up.d/pin-hooks', ['ppp0', '/dev/pts/1'], 'ip-up', ['ppp0', '/dev/pts/1']],
    ['/etc/ppp/ip-down.d/pin-hooks', ['ppp0'], 'ip-down', ['ppp0']],
    ['/usr/lib/pin-hooks/pin-hooks', ['ip-up', 'ppp0'], 'ip-up', ['ppp0']],
    ['pin-hooks', ['firewall', 'show'], 'firewall', ['show']],
    ['/x/dist/pin-hooks.cjs', ['ip-down'], 'ip-down', []],
    ['/etc/ppp/ip-up', [], 'ip-up', []],
    ['pin-hooks', ['--version'], 'main', ['--version']],
  ])('%s %j plays %s', (invokedAs, args, role, rest) => {
    expect(chooseRole(invokedAs, args)).toEqual({ role, args: rest });
  });
});

describe('--config', () => {
  it('is taken from the front, in both spellings', () => {
    expect(takeConfigOption(['--config', '/a', 'init'])).toEqual({ config: '/a', rest: ['init'] });
    expect(takeConfigOption(['--config=/b', 'ppp0'])).toEqual({ config: '/b', rest: ['ppp0'] });
    expect(takeConfigOption(['ppp0', '--config', '/a'])).toEqual({ rest: ['ppp0', '--config', '/a'] });
  });

  it('needs a path', () => {
    expect(() => takeConfigOption(['--config'])).toThrow(UsageError);
    expect(() => takeConfigOption(['--config='])).toThrow(/--config needs a file path/);
    expect(() => takeConfigOption(['--configx', 'a'])).toThrow(/unknown option --configx/);
  });
});
