/**
 * The copy of our table that /etc/nftables.conf may include after its `flush ruleset`: then
 * nftables.service's start, restart and reload load our table in the same transaction that
 * flushes everything, with no moment without our rules. Written whole (a new file renamed over
 * the old) by the nft init that changes it, removed with our rules.
 */
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SystemError } from '../../errors.js';

/** What is on disk, or null: an init that would write the same bytes leaves the file (and a router's flash) alone. */
function current(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function writeIncludeFile(path: string, table: string): void {
  const content = `# Written by pin-firewall init; include it from /etc/nftables.conf after "flush ruleset".\n${table}`;
  if (current(path) === content) return;
  const fresh = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    writeFileSync(fresh, content, { mode: 0o644 });
    renameSync(fresh, path);
  } catch (error) {
    throw new SystemError(`our table is in place, but its copy for /etc/nftables.conf could not be written to ${path}: ${(error as NodeJS.ErrnoException).code ?? error}; fix [firewall] nft_file`);
  }
}

/** true when there was one: a switch to iptables, or flush, must not leave nftables.service a table to load. */
export function removeIncludeFile(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new SystemError(`cannot remove ${path}: ${(error as NodeJS.ErrnoException).code}; remove it by hand, or nftables.service will load our table again`);
  }
}
