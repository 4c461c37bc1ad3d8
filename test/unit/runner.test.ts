import { describe, expect, it } from 'vitest';
import { toolFailure } from '../../shared/runner.js';

describe('a failed batch', () => {
  const input = 'route replace 11.0.0.0/24 dev ppp1 metric 1001 proto 112\nroute replace 11.0.1.0/24 dev ppp9 metric 1001 proto 112\n';
  const exit = { code: 1, stdout: '', stderr: 'Cannot find device "ppp9"\nCommand failed -:2\n' };

  it('names the line ip stopped at, and the complaint', () => {
    expect(toolFailure('/usr/sbin/ip', ['-batch', '-'], exit, input).message).toBe(
      'ip -batch - failed at line 2 "route replace 11.0.1.0/24 dev ppp9 metric 1001 proto 112": Cannot find device "ppp9"',
    );
  });

  it('counts the lines earlier runs of the same batch sent', () => {
    expect(toolFailure('/usr/sbin/ip', ['-batch', '-'], exit, input, 20000).message).toMatch(/^ip -batch - failed at line 20002 "route replace 11.0.1.0/);
  });
});
