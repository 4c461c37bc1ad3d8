import { describe, expect, it } from 'vitest';
import { findNotes, findProblems, formatFindings, networkdRemovesForeignRules, type CheckFacts } from '../../shared/report/check.js';
import { defaultConfig, parseConfig } from '../../shared/config.js';
import { foreignMarkRules } from '../../shared/firewall/iptables/mark-rules.js';
import { stateAfterInit } from '../../shared/firewall/iptables/plan.js';
import { parseIptablesSave, type IptablesState } from '../../shared/firewall/iptables/state.js';

const config = defaultConfig();

const iptablesFirewall = (state: IptablesState): CheckFacts['firewall'] => ({ name: 'iptables', markRules: foreignMarkRules(state) });

function healthy(overrides: Partial<CheckFacts> = {}): CheckFacts {
  const sysctls: Record<string, string> = { 'net/ipv4/ip_forward': '1', 'net/ipv4/conf/all/rp_filter': '0', 'net/ipv4/conf/ppp0/rp_filter': '2' };
  return {
    sysctl: (key) => sysctls[key],
    links: ['lo', 'eth0', 'ppp0'],
    executable: () => true,
    firewall: iptablesFirewall(stateAfterInit(config)),
    rules: [{ priority: 10000, src: 'all', fwmark: '0x100', fwmask: '0xff00', table: '100' }],
    networkd: { running: false, configs: [] },
    configProblem: undefined,
    routeListProblems: [],
    otherDefaultRoutes: [],
    ...overrides,
  };
}

describe('check', () => {
  it('finds nothing on a healthy router, our own rules included', () => {
    expect(findProblems(config, healthy())).toEqual([]);
  });

  it('reports ip_forward off', () => {
    expect(findProblems(config, healthy({ sysctl: () => '0' }))).toContainEqual(expect.stringMatching(/^net\.ipv4\.ip_forward is off/));
  });

  it('reports strict rp_filter on an uplink, counting the "all" value', () => {
    const sysctls: Record<string, string> = { 'net/ipv4/ip_forward': '1', 'net/ipv4/conf/all/rp_filter': '1', 'net/ipv4/conf/ppp0/rp_filter': '0' };
    expect(findProblems(config, healthy({ sysctl: (key) => sysctls[key] }))).toEqual([expect.stringMatching(/^strict rp_filter on ppp0/)]);
    sysctls['net/ipv4/conf/ppp0/rp_filter'] = '2';
    expect(findProblems(config, healthy({ sysctl: (key) => sysctls[key] }))).toEqual([]);
  });

  it('reports a missing tool with the key to set', () => {
    const executable = (path: string) => path !== '/usr/bin/flock';
    expect(findProblems(config, healthy({ executable }))).toEqual([expect.stringMatching(/^flock \/usr\/bin\/flock is missing .* \[paths\] flock$/)]);
  });

  it('names the [paths] key the config accepts, not the field behind it', () => {
    const problems = findProblems(config, healthy({ executable: (path) => path !== '/usr/sbin/iptables-restore' }));
    expect(problems).toEqual([expect.stringMatching(/^iptables_restore \/usr\/sbin\/iptables-restore is missing .* \[paths\] iptables_restore$/)]);
    const key = /\[paths\] (\S+)$/.exec(problems[0]!)![1];
    expect(parseConfig(`[paths]\n${key} = /opt/iptables-restore\n`, 'x.conf').paths.iptablesRestore).toBe('/opt/iptables-restore');
  });

  it('notes a missing optional tool (nft, conntrack, logger) without failing, and what is lost', () => {
    const optional = ['/usr/sbin/nft', '/usr/sbin/conntrack', '/usr/bin/logger'];
    const facts = healthy({ executable: (path) => !optional.includes(path) });
    expect(findProblems(config, facts)).toEqual([]);
    expect(findNotes(config, facts)).toEqual([
      expect.stringMatching(/^conntrack \/usr\/sbin\/conntrack is missing or not executable, so status cannot count .* \[paths\] conntrack if that matters$/),
      expect.stringMatching(/^logger \/usr\/bin\/logger .*, so nothing reaches syslog where journald does not run;/),
      expect.stringMatching(/^nft \/usr\/sbin\/nft .*, so flush leaves in place the empty tables init created;/),
    ]);
    expect(findNotes(config, healthy())).toEqual([]);
  });

  it('reports a missing conntrack once, as a problem, when an uplink has failback = move', () => {
    const moving = parseConfig('[uplinks]\nnames = ppp0 ppp1\n[uplink ppp0]\nfailback = move\n', 'x.conf');
    const facts = healthy({ executable: (path) => path !== '/usr/sbin/conntrack' });
    expect(findProblems(moving, facts)).toEqual([expect.stringMatching(/^failback = move on ppp0 needs conntrack \/usr\/sbin\/conntrack; install conntrack/)]);
    expect(findNotes(moving, facts)).toEqual([]);
  });

  it('prints the problems or the all-clear, then the notes', () => {
    expect(formatFindings([], ['nft is missing'])).toBe('ok: no problems found\nnote: nft is missing\n');
    expect(formatFindings(['ip_forward is off'], [])).toBe('problem: ip_forward is off\n');
  });

  it('reports foreign iptables rules using bits of our mask, and not those outside it', () => {
    const qos = '*mangle\n:QOS - [0:0]\n-A QOS -j MARK --set-xmark 0x1/0xff\n-A POSTROUTING -j MARK --set-xmark 0x10000/0x10000\nCOMMIT\n';
    expect(findProblems(config, healthy({ firewall: iptablesFirewall(parseIptablesSave(qos)) }))).toEqual([]);
    const clash = '*mangle\n-A PREROUTING -m mark --mark 0x200 -j ACCEPT\nCOMMIT\n';
    expect(findProblems(config, healthy({ firewall: iptablesFirewall(parseIptablesSave(clash)) }))).toEqual([expect.stringMatching(/^iptables rule uses mark bits inside our mark_mask 0xff00: -t mangle -A PREROUTING/)]);
  });

  it('reports foreign ip rules whose fwmark overlaps our mask', () => {
    const rules = [{ priority: 100, src: 'all', fwmark: '0xca6c', table: '51820' }];
    expect(findProblems(config, healthy({ rules }))).toEqual([expect.stringMatching(/^ip rule 100 \(fwmark 0xca6c\) overlaps our mark_mask/)]);
  });

  it('reports systemd-networkd removing foreign rules, unless told not to', () => {
    const running = { running: true, configs: ['[Network]\n#ManageForeignRoutingPolicyRules=yes\n'] };
    expect(findProblems(config, healthy({ networkd: running }))).toEqual([expect.stringMatching(/^systemd-networkd removes ip rules/)]);
    running.configs.push('[Network]\nManageForeignRoutingPolicyRules=no\n');
    expect(findProblems(config, healthy({ networkd: running }))).toEqual([]);
  });

  it('reports a config it could not load', () => {
    expect(findProblems(config, healthy({ configProblem: 'x.conf: refusing config' }))).toEqual(['config: x.conf: refusing config']);
  });

  it('reports strict rp_filter everywhere when told to leave it', () => {
    const leave = parseConfig('[uplinks]\nrp_filter = leave\n', 'x.conf');
    const sysctls: Record<string, string> = { 'net/ipv4/ip_forward': '1', 'net/ipv4/conf/all/rp_filter': '1' };
    expect(findProblems(leave, healthy({ sysctl: (key) => sysctls[key], links: [] }))).toEqual([expect.stringMatching(/rp_filter = leave: every uplink will be strict/)]);
  });
});

describe('networkd', () => {
  it('manages foreign rules by default', () => {
    expect(networkdRemovesForeignRules([])).toBe(true);
    expect(networkdRemovesForeignRules(['ManageForeignRoutingPolicyRules=false'])).toBe(false);
  });
});

describe('check with prefix routes', () => {
  it('reports every bad line of a route list', () => {
    const problems = findProblems(config, healthy({ routeListProblems: ['/etc/pin-hooks/ppp1.routes:4: "ppp1" is not an IPv4 prefix; write address/length, e.g. 196.21.0.0/19'] }));
    expect(problems).toEqual(['route list: /etc/pin-hooks/ppp1.routes:4: "ppp1" is not an IPv4 prefix; write address/length, e.g. 196.21.0.0/19']);
  });

  it("reports pppd's defaultroute winning over default_route, and nothing without default_route", () => {
    const ordered = parseConfig('[uplinks]\nnames = ppp0 ppp1\ndefault_route = ppp1 ppp0\n', 'x.conf');
    const pppd = { otherDefaultRoutes: [{ prefix: '0.0.0.0/0', dev: 'ppp0', metric: 0 }] };
    expect(findProblems(ordered, healthy(pppd))).toEqual([
      'a default route that is not ours (dev ppp0, metric 0) wins over default_route; remove "defaultroute" from the pppd peers, or drop default_route',
    ]);
    expect(findProblems(ordered, healthy({ otherDefaultRoutes: [{ prefix: '0.0.0.0/0', dev: 'eth9', metric: 5000 }] }))).toEqual([]);
    expect(findProblems(config, healthy(pppd))).toEqual([]);
  });
});
