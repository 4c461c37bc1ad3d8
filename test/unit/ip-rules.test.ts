import { describe, expect, it } from 'vitest';
import { parseIpRules } from '../../shared/ip-rules.js';

describe('ip -j rule show', () => {
  it('is read as a list', () => {
    const rule = { priority: 10001, src: 'all', fwmark: '0x200', fwmask: '0xff00', table: '101' };
    expect(parseIpRules(JSON.stringify([rule]))).toEqual([rule]);
    expect(parseIpRules('')).toEqual([]);
    expect(() => parseIpRules('{}')).toThrow(/JSON list/);
  });
});
