import { allUplinksDown, uplinkDown } from '../shared/routes/uplink-events.js';
import { pppHook } from './ppp-hook.js';

export const ipDown = pppHook(
  `Usage: pin-hooks ip-down [--config PATH] [IFACE TTY SPEED LOCAL REMOTE IPPARAM]
       pin-hooks ip-down [--config PATH] --all

Run by pppd through /etc/ppp/ip-down.d/pin-hooks when an uplink goes down. Removes every
ip rule that points at the uplink's table and flushes the table. Reads PPP_IFACE (else the
first argument); interfaces the config does not list are logged and left alone.
--all does that for every configured uplink (the package runs it when it is removed).
Logs to stderr and syslog (journalctl -t pin-hooks).
`,
  uplinkDown,
  { flag: '--all', run: allUplinksDown },
);
