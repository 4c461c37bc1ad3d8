#!/usr/bin/env bash
# The demo: the lab on the built-in defaults, once without pin-hooks and once with it, and a
# before/after table. Needs root (network namespaces); removes everything it made on exit.
set -euo pipefail
source "$(dirname "$0")/lab.bash"

[ "$(id -u)" = 0 ] || { echo "demo: needs root for network namespaces; run: sudo npm run demo" >&2; exit 2; }
[ -x "$LAB_BIN" ] || { echo "demo: $LAB_BIN is missing; run: npm run build" >&2; exit 2; }

json_field() { node -e 'const r = JSON.parse(process.argv[1]); console.log([].concat(r[process.argv[2]]).join(", "))' "$1" "$2"; }

# One mode: a LAN and a router connection opened while ppp0 is down, ppp0 comes back, 3 s of
# traffic; then a connection from the internet to ppp1's address while the default is ppp0.
run_mode() {
  local mode=$1 lan router incoming
  lab_init "$$-$mode"
  trap lab_teardown EXIT
  lab_up "$mode" >/dev/null 2>&1
  uplink_delete 0 2>/dev/null
  lan=$(lab_hold_across lan 1 3 uplink_up 0 2>/dev/null)
  uplink_delete 0 2>/dev/null
  router=$(lab_hold_across router 1 3 uplink_up 0 2>/dev/null)
  incoming=$(lab_once inet 203.0.113.11 "$LAB_LAN_PORT")
  lab_teardown
  trap - EXIT
  RESULT_LAN=$( [ "$(json_field "$lan" survived)" = 1 ] && echo "yes, still $(json_field "$lan" after)" || echo "no: $(json_field "$lan" errors)")
  RESULT_ROUTER=$( [ "$(json_field "$router" survived)" = 1 ] && echo "yes, still $(json_field "$router" after)" || echo "no: $(json_field "$router" errors)")
  RESULT_INCOMING=$( [[ $incoming == FAIL* ]] && echo "no: ${incoming#FAIL }" || echo "yes, reply via ppp1")
}

started=$SECONDS
echo "lab: LAN 10.0.0.0/24 behind a router with $LAB_UPLINKS uplinks (ppp0 preferred), ISPs that drop spoofed sources"
run_mode plain
plain=("$RESULT_LAN" "$RESULT_ROUTER" "$RESULT_INCOMING")
run_mode pinned
pinned=("$RESULT_LAN" "$RESULT_ROUTER" "$RESULT_INCOMING")

questions=("LAN connection opened while ppp0 was down survives ppp0's return?"
  "router's own connection survives ppp0's return?"
  "incoming connection to ppp1's address (DNAT to the LAN) answered?")
printf '\n%-68s | %-32s | %s\n' "" "without pin-hooks" "with pin-hooks"
printf '%s\n' "$(printf -- '-%.0s' {1..130})"
for i in 0 1 2; do printf '%-68s | %-32s | %s\n' "${questions[$i]}" "${plain[$i]}" "${pinned[$i]}"; done
echo
echo "demo took $((SECONDS - started)) s; namespaces removed"
