import { describe, expect, it } from 'vitest';
import { parseZebra } from '../../../shared/routes/zebra.js';

const managed = (iface: string) => ['ppp0', 'ppp1', 'ppp2'].includes(iface);
const FILE = '/etc/quagga/zebra.conf';

describe('a zebra.conf', () => {
  const text = `! zebra.conf of the original setup
hostname router
password zebra
!
interface ppp1
 ip address 203.0.113.11/32
!
ip route 196.21.0.0/19 ppp1
ip route 196.21.0.0/19 ppp2 10
ip route 10.20.0.0 255.255.0.0 ppp0
ip route 10.1.2.3/8 ppp2
ip route 192.168.0.0/16 192.0.2.1
ip route 172.16.0.0/12 eth3
ipv6 route 2001:db8::/32 ppp1
vrf blue
 ip route 198.51.100.0/24 ppp1
exit-vrf
line vty
`;
  const routes = parseZebra(text, FILE, managed);

  it('gives each ip route line to the uplink it names, with its distance (1 when none)', () => {
    expect(routes.routes).toEqual([
      { prefix: '196.21.0.0/19', iface: 'ppp1', distance: 1 },
      { prefix: '196.21.0.0/19', iface: 'ppp2', distance: 10 },
      { prefix: '10.20.0.0/16', iface: 'ppp0', distance: 1 },
      { prefix: '10.0.0.0/8', iface: 'ppp2', distance: 1 },
    ]);
  });

  it('lists routes via a gateway or an interface that is not ours, and counts the other lines', () => {
    expect(routes.unmanaged).toEqual([`${FILE}:12: ip route 192.168.0.0/16 192.0.2.1`, `${FILE}:13: ip route 172.16.0.0/12 eth3`]);
    // hostname, password, interface, ip address, ipv6 route, vrf, its route, exit-vrf, line vty
    expect(routes.ignored).toBe(9);
  });

  it('reports every bad route line with file:line and the fix', () => {
    const bad = 'ip route 196.21.0.0/19 ppp1 tag 5\nip route 10.0.0.0 255.0.255.0 ppp1\nip route 10.0.0.0/8\nip route 10.0.0.0/8 ppp1 255\nip route nonsense ppp1\n';
    expect(() => parseZebra(bad, FILE, managed)).toThrow(
      [
        `${FILE}:1: "tag 5" is not supported on routes over an uplink; pin-hooks takes ip route PREFIX IFACE [DISTANCE]`,
        `${FILE}:2: "10.0.0.0 255.0.255.0" is not PREFIX/LENGTH nor ADDRESS NETMASK; write e.g. 196.21.0.0/19`,
        `${FILE}:3: the route names no interface; write e.g. ip route 196.21.0.0/19 ppp1`,
        `${FILE}:4: a distance (lower wins, as in zebra) must be 1..254, got 255`,
        `${FILE}:5: "nonsense" is not an IPv4 prefix; write e.g. ip route 196.21.0.0/19 ppp1`,
        'nothing was changed; fix the lines above and run it again',
      ].join('\n'),
    );
  });
});
