import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config.js';
import type { RouteLists } from '../../../shared/routes/load.js';
import { explainAddress, formatRoutesReport, routesReport } from '../../../shared/routes/report.js';
import { uplinkRoutes } from '../../../shared/routes/route-set.js';

const config = parseConfig('[uplinks]\nnames = ppp0 ppp1 ppp2\n', 'x.conf');
const [ppp0, ppp1, ppp2] = config.uplinks as [(typeof config.uplinks)[0], (typeof config.uplinks)[0], (typeof config.uplinks)[0]];
const lists: RouteLists = {
  uplinks: [
    uplinkRoutes(ppp0, [{ source: 'default_route', distance: 1, prefixes: ['0.0.0.0/0'] }]),
    uplinkRoutes(ppp1, [{ source: 'zebra_file /etc/quagga/zebra.conf', distance: 1, prefixes: ['196.21.0.0/19', '196.21.3.0/24'] }]),
    uplinkRoutes(ppp2, [{ source: 'routes', distance: 10, prefixes: ['196.21.0.0/19'] }]),
  ],
  zebra: { file: '/etc/quagga/zebra.conf', routes: [], ignored: 4, unmanaged: ['/etc/quagga/zebra.conf:9: ip route 172.16.0.0/12 eth3'] },
};

describe('pin-firewall routes', () => {
  const installed = [
    { prefix: '0.0.0.0/0', dev: 'ppp0', metric: 1000 },
    { prefix: '196.21.0.0/19', dev: 'ppp2', metric: 10002 },
  ];
  const report = routesReport(lists, new Set(['ppp0', 'ppp2']), installed);

  it('counts per uplink what its lists name, what the kernel holds and what it carries now', () => {
    expect(report.uplinks.map(({ name, up, listed, installed: held, carried }) => ({ name, up, listed, held, carried }))).toEqual([
      { name: 'ppp0', up: true, listed: 1, held: 1, carried: 1 },
      { name: 'ppp1', up: false, listed: 2, held: 0, carried: 0 },
      { name: 'ppp2', up: true, listed: 1, held: 1, carried: 1 },
    ]);
  });

  it('prints a table and what the zebra file held besides', () => {
    expect(formatRoutesReport(report)).toBe(
      [
        'uplink  link  listed  installed  carried  lists',
        'ppp0    up    1       1          1        default_route (distance 1): 1',
        'ppp1    down  2       0          0        zebra_file /etc/quagga/zebra.conf (distance 1): 2',
        'ppp2    up    1       1          1        routes (distance 10): 1',
        '/etc/quagga/zebra.conf: 4 other lines ignored (not "ip route", or in a vrf block)',
        '1 route names a gateway or an interface that is not an uplink here, and is not ours to install:',
        '  /etc/quagga/zebra.conf:9: ip route 172.16.0.0/12 eth3',
        '',
      ].join('\n'),
    );
  });
});

describe('pin-firewall routes ADDRESS', () => {
  it('names the longest listed prefix on the most preferred uplink that is up, and the others in line', () => {
    const text = explainAddress(lists, new Set(['ppp0', 'ppp1', 'ppp2']), '196.21.3.9', 'ppp1');
    expect(text.split('\n').slice(0, 5)).toEqual([
      '196.21.3.9 takes 196.21.3.0/24 over ppp1',
      '  196.21.3.0/24 over ppp1: zebra_file /etc/quagga/zebra.conf, distance 1, metric 1001; up: chosen',
      '  196.21.0.0/19 over ppp1: zebra_file /etc/quagga/zebra.conf, distance 1, metric 1001; up: standing by',
      '  196.21.0.0/19 over ppp2: routes, distance 10, metric 10002; up: standing by',
      '  0.0.0.0/0 over ppp0: default_route, distance 1, metric 1000; up: standing by',
    ]);
    expect(text).toContain('the kernel sends it by dev ppp1 (ip route get 196.21.3.9), as the lists say');
  });

  it('moves to the next uplink when the preferred one is down, and says when the kernel disagrees', () => {
    const text = explainAddress(lists, new Set(['ppp0', 'ppp2']), '196.21.9.1', 'eth9');
    expect(text).toContain('196.21.9.1 takes 196.21.0.0/19 over ppp2');
    expect(text).toContain('196.21.0.0/19 over ppp1: zebra_file /etc/quagga/zebra.conf, distance 1, metric 1001; down: not in the kernel now');
    expect(text).toContain('but the kernel sends it by dev eth9 (ip route get 196.21.9.1): a route that is not ours wins');
  });

  it('says when an address is in no list', () => {
    const none: RouteLists = { uplinks: [uplinkRoutes(ppp1, [])], zebra: undefined };
    expect(explainAddress(none, new Set(), '198.51.100.1', undefined).split('\n')[0]).toBe("198.51.100.1 is in no list: it takes the main table's own route; the kernel has no route for it");
  });
});
