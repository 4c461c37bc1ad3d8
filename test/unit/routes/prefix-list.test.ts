import { describe, expect, it } from 'vitest';
import { ConfigError, ExitCode } from '../../../shared/errors.js';
import { parsePrefixList } from '../../../shared/routes/prefix-list.js';

function refusal(text: string): string {
  try {
    parsePrefixList(text, '/etc/pin-hooks/ppp1.routes');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(ExitCode.config);
    return (error as Error).message;
  }
  throw new Error('the list was accepted');
}

describe('a routes_file', () => {
  it('takes one prefix a line, with comments, blank lines, spaces and CRLF', () => {
    const text = '# local networks\n196.21.0.0/19\n\n  10.20.0.0/16   # a partner\r\n192.0.2.7\n0.0.0.0/0\n#last';
    expect(parsePrefixList(text, 'x')).toEqual(['196.21.0.0/19', '10.20.0.0/16', '192.0.2.7/32', '0.0.0.0/0']);
  });

  it('reports every bad line as file:line with the fix, and nothing is taken', () => {
    const message = refusal('196.21.0.0/19\n196.21.5.0/19\n10.0.0.0/33\nppp1\n1.2.3.4/24 5.6.7.0/24\n010.1.0.0/16\n11.0.0.0/8\n');
    expect(message.split('\n')).toEqual([
      '/etc/pin-hooks/ppp1.routes:2: "196.21.5.0/19" has host bits set; the prefix is 196.21.0.0/19',
      '/etc/pin-hooks/ppp1.routes:3: "10.0.0.0/33" is not an IPv4 prefix; write address/length, e.g. 196.21.0.0/19',
      '/etc/pin-hooks/ppp1.routes:4: "ppp1" is not an IPv4 prefix; write address/length, e.g. 196.21.0.0/19',
      '/etc/pin-hooks/ppp1.routes:5: "1.2.3.4/24 5.6.7.0/24" holds more than one prefix; write one a line',
      '/etc/pin-hooks/ppp1.routes:6: "010.1.0.0/16" is not an IPv4 prefix; write address/length, e.g. 196.21.0.0/19',
      'nothing was changed; fix the lines above and run it again',
    ]);
  });

  it('shows the first 20 bad lines of a list that is wrong throughout, and how many more', () => {
    const lines = refusal('x\n'.repeat(25)).split('\n');
    expect(lines).toHaveLength(22);
    expect(lines[20]).toBe('... and 5 more bad lines');
  });

  it('reads 100,000 lines', () => {
    const text = Array.from({ length: 100_000 }, (_, i) => `11.${i >> 8 & 255}.${i & 255}.0/24`).join('\n');
    const prefixes = parsePrefixList(text, 'x');
    expect(prefixes).toHaveLength(100_000);
    expect(prefixes[99_999]).toBe('11.134.159.0/24');
  });
});
