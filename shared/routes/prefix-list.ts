/** A routes_file: one IPv4 prefix a line, `#` comments and blank lines allowed. */
import { formatNetwork, hasHostBits, parseCidr } from '../net.js';
import { listError } from './list-errors.js';

function prefixProblem(text: string): string | undefined {
  const network = parseCidr(text);
  if (network === undefined) return `"${text}" is not an IPv4 prefix; write address/length, e.g. 196.21.0.0/19`;
  if (hasHostBits(network)) return `"${text}" has host bits set; the prefix is ${formatNetwork(network)}`;
  return undefined;
}

export function parsePrefixList(text: string, file: string): string[] {
  const prefixes: string[] = [];
  const problems: string[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const hash = lines[index]!.indexOf('#');
    const line = (hash === -1 ? lines[index]! : lines[index]!.slice(0, hash)).trim();
    if (line === '') continue;
    const words = line.split(/\s+/);
    const problem = words.length > 1 ? `"${line}" holds more than one prefix; write one a line` : prefixProblem(line);
    if (problem) problems.push(`${file}:${index + 1}: ${problem}`);
    else prefixes.push(formatNetwork(parseCidr(line)!));
  }
  if (problems.length > 0) throw listError(problems);
  return prefixes;
}
