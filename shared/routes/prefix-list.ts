/**
 * A routes_file: one IPv4 prefix a line, `#` comments and blank lines allowed. A list of
 * 100,000 lines is read on every ip-up of its uplink, so it is scanned by hand, once, without
 * splitting or regular expressions (measured: a regular expression a line took 90 ms of V8's
 * time for 100,000 lines, this scan about 10 ms); only a bad line is looked at again, to say why.
 */
import { formatNetwork, hasHostBits, parseCidr } from '../net.js';
import { listError } from './list-errors.js';

const ZERO = 48;
const NINE = 57;
const DOT = 46;
const SLASH = 47;
const HASH = 35;

const isBlank = (code: number) => code === 32 || code === 9 || code === 13;

function problemOf(line: string): string {
  const text = line.replace(/#.*/, '').trim();
  if (/\s/.test(text)) return `"${text}" holds more than one prefix; write one a line`;
  const network = parseCidr(text);
  if (network === undefined) return `"${text}" is not an IPv4 prefix; write address/length, e.g. 196.21.0.0/19`;
  return `"${text}" has host bits set; the prefix is ${formatNetwork(network)}`;
}

/** Reads a decimal of at most `max` (no leading zeros) at `at`; returns [value, next] or undefined. */
function number(text: string, at: number, max: number): [number, number] | undefined {
  let value = 0;
  let end = at;
  while (end < text.length && end - at < 3) {
    const code = text.charCodeAt(end);
    if (code < ZERO || code > NINE) break;
    value = value * 10 + code - ZERO;
    end++;
  }
  if (end === at || value > max || (end - at > 1 && text.charCodeAt(at) === ZERO)) return undefined;
  return [value, end];
}

/** The canonical prefix on the line from `start` to `end`, '' for a blank or comment line, undefined for a bad one. */
function scanLine(text: string, start: number, end: number): string | undefined {
  let at = start;
  while (at < end && isBlank(text.charCodeAt(at))) at++;
  if (at === end || text.charCodeAt(at) === HASH) return '';
  const first = at;
  let address = 0;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (text.charCodeAt(at) !== DOT) return undefined;
      at++;
    }
    const read = number(text, at, 255);
    if (!read || read[1] > end) return undefined;
    address = address * 256 + read[0];
    at = read[1];
  }
  let bits = 32;
  const slash = text.charCodeAt(at) === SLASH && at < end;
  if (slash) {
    const read = number(text, at + 1, 32);
    if (!read || read[1] > end) return undefined;
    [bits, at] = read;
  }
  const last = at;
  while (at < end && isBlank(text.charCodeAt(at))) at++;
  if (at < end && text.charCodeAt(at) !== HASH) return undefined;
  if (hasHostBits({ address, bits })) return undefined;
  return slash ? text.slice(first, last) : `${text.slice(first, last)}/32`;
}

export function parsePrefixList(text: string, file: string): string[] {
  const prefixes: string[] = [];
  const problems: string[] = [];
  let line = 1;
  for (let start = 0; start < text.length; line++) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const prefix = scanLine(text, start, end);
    if (prefix === undefined) problems.push(`${file}:${line}: ${problemOf(text.slice(start, end))}`);
    else if (prefix !== '') prefixes.push(prefix);
    start = end + 1;
  }
  if (problems.length > 0) throw listError(problems);
  return prefixes;
}
