/** Per-uplink status from what the probe read: pure, so it is tested without root. */
import { ruleMask, type Config } from '../config.js';
import type { IpRule } from '../ip-rules.js';
import type { LinkFact, RouteFact } from '../probe.js';
import { hex } from '../uplink.js';

export interface UplinkStatus {
  name: string;
  mark: string;
  table: number;
  priority: number;
  linkUp: boolean;
  rules: number;
  tableRoute: boolean;
  /** Tracked connections carrying this uplink's mark; null when conntrack could not be read. */
  connections: number | null;
}

export interface StatusFacts {
  links: LinkFact[];
  rules: IpRule[];
  routes: RouteFact[];
  conntrackMarks: number[] | undefined;
}

export function uplinkStatus(config: Config, facts: StatusFacts): UplinkStatus[] {
  return config.uplinks.map((uplink) => ({
    name: uplink.name,
    mark: hex(uplink.mark),
    table: uplink.table,
    priority: uplink.priority,
    linkUp: facts.links.some((link) => link.name === uplink.name && link.up),
    rules: facts.rules.filter((rule) => rule.table === String(uplink.table)).length,
    tableRoute: facts.routes.some((route) => route.table === String(uplink.table) && route.dst === 'default'),
    connections: facts.conntrackMarks ? facts.conntrackMarks.filter((mark) => (mark & ruleMask(config)) === uplink.mark).length : null,
  }));
}

export function formatStatus(rows: UplinkStatus[]): string {
  const header = ['uplink', 'mark', 'table', 'link', 'rule', 'route', 'connections'];
  const body = rows.map((row) => [
    row.name,
    row.mark,
    String(row.table),
    row.linkUp ? 'up' : 'down',
    row.rules === 1 ? 'yes' : row.rules === 0 ? 'no' : `${row.rules} (duplicate)`,
    row.tableRoute ? 'yes' : 'no',
    row.connections === null ? 'n/a' : String(row.connections),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column]!.length)));
  return [header, ...body].map((cells) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n') + '\n';
}
