/** `ip -j -N rule show` as status and check read it (numeric tables). */

export interface IpRule {
  priority: number;
  table?: string;
  src?: string;
  fwmark?: string;
  fwmask?: string;
  [selector: string]: unknown;
}

export function parseIpRules(json: string): IpRule[] {
  const rules = JSON.parse(json === '' ? '[]' : json) as unknown;
  if (!Array.isArray(rules)) throw new Error('ip -j rule show did not print a JSON list');
  return rules as IpRule[];
}
