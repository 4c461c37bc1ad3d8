import { describe, expect, it } from 'vitest';
import { ExitCode, InputError } from '../../shared/errors.js';
import { parsePppInput } from '../../shared/ppp-input.js';

const pppdArgs = ['ppp1', '/dev/ttyS0', '38400', '203.0.113.11', '192.0.2.2', 'isp-b'];

describe("pppd's hook input", () => {
  it('comes from the PPP_* environment of Debian /etc/ppp/ip-up', () => {
    expect(parsePppInput({ PPP_IFACE: 'ppp1', PPP_LOCAL: '203.0.113.11', PPP_REMOTE: '192.0.2.2' }, [])).toEqual({
      iface: 'ppp1',
      local: '203.0.113.11',
      remote: '192.0.2.2',
    });
  });

  it("falls back to pppd's positional arguments", () => {
    expect(parsePppInput({}, pppdArgs)).toEqual({ iface: 'ppp1', local: '203.0.113.11', remote: '192.0.2.2' });
  });

  it('lets the environment win over the arguments', () => {
    expect(parsePppInput({ PPP_IFACE: 'ppp3' }, pppdArgs).iface).toBe('ppp3');
  });

  it('treats an empty PPP_REMOTE as absent: the route then goes by device', () => {
    expect(parsePppInput({ PPP_IFACE: 'ppp0', PPP_REMOTE: '' }, ['ppp0', '', '', '', ''])).toEqual({ iface: 'ppp0' });
  });

  const hostile: [string, NodeJS.ProcessEnv, RegExp][] = [
    ['a shell command in the name', { PPP_IFACE: 'ppp0; reboot' }, /^PPP_IFACE "ppp0; reboot" is not an interface name/],
    ['a path', { PPP_IFACE: '../x' }, /^PPP_IFACE "\.\.\/x" is not an interface name/],
    ['16 characters', { PPP_IFACE: 'ppp0123456789012' }, /is not an interface name .*at most 15/],
    ['non-ASCII', { PPP_IFACE: 'pppü' }, /is not an interface name/],
    ['a newline', { PPP_IFACE: 'ppp0\nppp1' }, /is not an interface name/],
    ['no interface at all', { PPP_IFACE: '' }, /^no interface: PPP_IFACE is empty and no first argument was given/],
    ['a remote that is not an address', { PPP_IFACE: 'ppp0', PPP_REMOTE: '192.0.2.300' }, /^PPP_REMOTE "192\.0\.2\.300" is not an IPv4 address; refusing/],
    ['a remote with an option', { PPP_IFACE: 'ppp0', PPP_REMOTE: '1.2.3.4 table 254' }, /^PPP_REMOTE .* is not an IPv4 address/],
    ['a malformed local address', { PPP_IFACE: 'ppp0', PPP_LOCAL: 'x' }, /^PPP_LOCAL "x" is not an IPv4 address/],
  ];
  it.each(hostile)('refuses %s with one line', (_what, env, message) => {
    let caught: unknown;
    try {
      parsePppInput(env, []);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InputError);
    const error = caught as InputError;
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
    expect(error.exitCode).toBe(ExitCode.input);
  });
});
