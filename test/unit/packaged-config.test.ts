import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultConfig, knownKeys, parseConfig } from '../../shared/config.js';
import { indexIniLines } from '../../shared/ini-lines.js';

const PACKAGED = new URL('../../packaging/files/etc/pin-hooks/pin-hooks.conf', import.meta.url);

describe('the config file the package installs', () => {
  const text = readFileSync(PACKAGED, 'utf8');

  it('changes nothing as shipped: every option is commented out', () => {
    expect({ ...parseConfig(text, 'pin-hooks.conf'), source: undefined }).toEqual(defaultConfig());
  });

  it('shows every option with its built-in default', () => {
    // Uncomment the global options (not the example uplink section) and the result must still be the defaults.
    const global = text.split(';[uplink')[0]!.replace(/^;(\w+ =)/gm, '$1');
    expect(global).not.toMatch(/^;\w+ =/m);
    expect({ ...parseConfig(global, 'pin-hooks.conf'), source: undefined }).toEqual(defaultConfig());
    const lines = indexIniLines(global);
    for (const [section, keys] of Object.entries(knownKeys())) {
      for (const key of keys) expect(lines.key(section, key), `[${section}] ${key}`).toBeDefined();
    }
  });

  it('has an example uplink section that parses once its uplink is listed', () => {
    const example = text.split(';[uplink')[1]!.replace(/^;/gm, '');
    const config = parseConfig(`[uplinks]\nnames = ppp0 dsl-b\n[uplink${example}`, 'pin-hooks.conf');
    expect(config.uplinks[1]).toMatchObject({ name: 'dsl-b', unit: 5, mark: 0x600, table: 105, priority: 10005 });
  });
});
