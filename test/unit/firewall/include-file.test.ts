import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeIncludeFile, writeIncludeFile } from '../../../shared/firewall/nft/include-file.js';

const dirs: string[] = [];
const copyIn = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pin-hooks-include-'));
  dirs.push(dir);
  return join(dir, 'nft.d', 'pin-hooks.nft');
};
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('the copy of our table for nftables.conf', () => {
  it('is written with its directory, readable by all, the table after one comment line', () => {
    const path = copyIn();
    writeIncludeFile(path, 'table inet pin_hooks {}\n');
    expect(readFileSync(path, 'utf8')).toMatch(/^# Written by pin-firewall init[^\n]*\ntable inet pin_hooks \{\}\n$/);
    expect(statSync(path).mode & 0o777).toBe(0o644);
  });

  it('is left alone when init would write the same bytes, and replaced when the table changed', () => {
    const path = copyIn();
    writeIncludeFile(path, 'table inet pin_hooks {}\n');
    const first = statSync(path).ino;
    writeIncludeFile(path, 'table inet pin_hooks {}\n');
    expect(statSync(path).ino).toBe(first);
    writeIncludeFile(path, 'table inet pin_hooks { chain x {} }\n');
    expect(statSync(path).ino).not.toBe(first);
    expect(readFileSync(path, 'utf8')).toContain('chain x');
  });

  it('is rewritten when someone edited it', () => {
    const path = copyIn();
    writeIncludeFile(path, 'table inet pin_hooks {}\n');
    const written = readFileSync(path, 'utf8');
    writeFileSync(path, 'table inet other {}\n');
    writeIncludeFile(path, 'table inet pin_hooks {}\n');
    expect(readFileSync(path, 'utf8')).toBe(written);
  });

  it('is removed once; a second removal says there was none', () => {
    const path = copyIn();
    writeIncludeFile(path, 'table inet pin_hooks {}\n');
    expect(removeIncludeFile(path)).toBe(true);
    expect(removeIncludeFile(path)).toBe(false);
  });
});
