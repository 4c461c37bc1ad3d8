import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config.js';
import { parseRouteShow } from '../../../shared/routes/kernel.js';
import { installLines, planRouteChanges, takeBackLines } from '../../../shared/routes/route-lines.js';
import { uplinkRoutes } from '../../../shared/routes/route-set.js';

const config = parseConfig('[uplinks]\nnames = ppp0 ppp1 ppp2\n', 'x.conf');
const [ppp0, ppp1, ppp2] = config.uplinks as [(typeof config.uplinks)[0], (typeof config.uplinks)[0], (typeof config.uplinks)[0]];

describe('the metric of a prefix route', () => {
  it('is distance * 1000 + the place in names, so the lowest distance wins and names breaks ties', () => {
    expect(installLines(uplinkRoutes(ppp1, [{ source: 'routes', distance: 1, prefixes: ['196.21.0.0/19'] }]))).toEqual([
      'route replace 196.21.0.0/19 dev ppp1 metric 1001 proto 112',
    ]);
    expect(installLines(uplinkRoutes(ppp2, [{ source: 'routes', distance: 10, prefixes: ['196.21.0.0/19'] }]))).toEqual([
      'route replace 196.21.0.0/19 dev ppp2 metric 10002 proto 112',
    ]);
  });

  it('of a prefix in two lists of one uplink is the more preferred one, once', () => {
    const routes = uplinkRoutes(ppp0, [
      { source: 'routes_file /x', distance: 20, prefixes: ['10.1.0.0/16', '10.2.0.0/16'] },
      { source: 'zebra_file /z', distance: 5, prefixes: ['10.2.0.0/16'] },
    ]);
    expect(installLines(routes)).toEqual(['route replace 10.2.0.0/16 dev ppp0 metric 5000 proto 112', 'route replace 10.1.0.0/16 dev ppp0 metric 20000 proto 112']);
  });
});

describe('taking back', () => {
  it('deletes exactly the routes that were installed', () => {
    expect(takeBackLines(['route replace 10.2.0.0/16 dev ppp0 metric 5000 proto 112'])).toEqual(['route del 10.2.0.0/16 dev ppp0 metric 5000 proto 112']);
  });
});

describe('routes --apply', () => {
  const wanted = [uplinkRoutes(ppp1, [{ source: 'routes', distance: 1, prefixes: ['11.0.0.0/24', '11.0.1.0/24', '11.0.2.0/24'] }])];

  it('sends only the difference: new routes first, then the ones no list names any more', () => {
    const installed = parseRouteShow(
      ['11.0.0.0/24 dev ppp1 scope link metric 1001 ', '11.0.1.0/24 dev ppp1 scope link metric 2001 ', '11.9.0.0/24 dev ppp0 scope link metric 1000 linkdown', ''].join('\n'),
    );
    expect(planRouteChanges(wanted, installed)).toEqual({
      lines: [
        'route replace 11.0.1.0/24 dev ppp1 metric 1001 proto 112',
        'route replace 11.0.2.0/24 dev ppp1 metric 1001 proto 112',
        'route del 11.0.1.0/24 dev ppp1 metric 2001 proto 112',
        'route del 11.9.0.0/24 dev ppp0 metric 1000 proto 112',
      ],
      added: 2,
      removed: 2,
    });
  });

  it('sends nothing when the kernel holds what the lists say', () => {
    const installed = wanted[0]!.lists[0]!.prefixes.map((prefix) => ({ prefix, dev: 'ppp1', metric: 1001 }));
    expect(planRouteChanges(wanted, installed)).toEqual({ lines: [], added: 0, removed: 0 });
  });
});

describe('ip route show', () => {
  it('reads the default route and host routes into our prefix form', () => {
    expect(parseRouteShow('default dev ppp0 scope link metric 1000 \n192.0.2.7 dev ppp1 scope link metric 1001 \n10.0.0.0/8 dev ppp2 scope link \n')).toEqual([
      { prefix: '0.0.0.0/0', dev: 'ppp0', metric: 1000 },
      { prefix: '192.0.2.7/32', dev: 'ppp1', metric: 1001 },
      { prefix: '10.0.0.0/8', dev: 'ppp2', metric: 0 },
    ]);
  });
});
