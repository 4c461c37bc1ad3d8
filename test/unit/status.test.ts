import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config.js';
import { formatStatus, uplinkStatus } from '../../shared/report/status.js';

const config = defaultConfig();

describe('status', () => {
  const rows = uplinkStatus(config, {
    links: [
      { name: 'ppp0', up: true },
      { name: 'ppp1', up: false },
    ],
    rules: [{ priority: 10000, table: '100' }, { priority: 10001, table: '101' }, { priority: 10001, table: '101' }],
    routes: [{ dst: 'default', table: '100' }, { dst: '192.0.2.0/24', table: '101' }],
    conntrackMarks: [0x100, 0x100 | 0x1, 0x200, 0, 0x10000],
  });

  it('tells per uplink: link, rule, table route and connections carrying its mark', () => {
    expect(rows[0]).toEqual({ name: 'ppp0', mark: '0x100', table: 100, priority: 10000, linkUp: true, rules: 1, tableRoute: true, connections: 2 });
    expect(rows[1]).toMatchObject({ name: 'ppp1', linkUp: false, rules: 2, tableRoute: false, connections: 1 });
    expect(rows[4]).toMatchObject({ name: 'ppp4', linkUp: false, rules: 0, connections: 0 });
  });

  it('prints a table a person can read, flagging duplicate rules', () => {
    const text = formatStatus(rows);
    expect(text.split('\n')[0]).toMatch(/^uplink\s+mark\s+table\s+link\s+rule\s+route\s+connections$/);
    expect(text).toMatch(/^ppp0\s+0x100\s+100\s+up\s+yes\s+yes\s+2$/m);
    expect(text).toMatch(/^ppp1\s+0x200\s+101\s+down\s+2 \(duplicate\)\s+no\s+1$/m);
  });

  it('says n/a when conntrack could not be read', () => {
    expect(uplinkStatus(config, { links: [], rules: [], routes: [], conntrackMarks: undefined })[0]!.connections).toBeNull();
  });
});
