import { uplinkUp } from '../shared/routes/uplink-events.js';
import { pppHook } from './ppp-hook.js';

export const ipUp = pppHook(
  `Usage: pin-hooks ip-up [--config PATH] [IFACE TTY SPEED LOCAL REMOTE IPPARAM]

Run by pppd through /etc/ppp/ip-up.d/pin-hooks when an uplink comes up. Reads PPP_IFACE,
PPP_LOCAL and PPP_REMOTE (else pppd's positional arguments), then points the uplink's table
at it (default via PPP_REMOTE, or dev IFACE) and keeps exactly one rule
"fwmark MARK/MASK table TABLE priority PRIORITY". Interfaces the config does not list are
logged and left alone. Logs to stderr and syslog (journalctl -t pin-hooks).
`,
  uplinkUp,
);
