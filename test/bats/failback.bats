#!/usr/bin/env bats
# Failback by choice: with failback = move on ppp0, its return resets the outgoing connections
# pinned to the other uplinks (so they start over on ppp0) and nothing else; keep leaves them.
bats_require_minimum_version 1.5.0 # run --separate-stderr
load helpers

# Opens COUNT connections from NS to HOST:PORT in the background, ready to exchange for SECONDS
# once $LAB_TMP/go exists; the JSON summary lands in $LAB_TMP/NAME.out.
hold_from() {
  local name=$1 from=$2 host=$3 port=$4 count=$5 seconds=$6 tries
  ns "$from" "$LAB_NODE" "$LAB_TRAFFIC" hold "$host" "$port" "$count" "$seconds" "$LAB_TMP/$name.ready" "$LAB_TMP/go" >"$LAB_TMP/$name.out" 3>&- &
  HOLDERS+=($!)
  for ((tries = 0; tries < 200; tries++)); do [ -e "$LAB_TMP/$name.ready" ] && return 0; sleep 0.05; done
  fail "$name never got ready: $(cat "$LAB_TMP/$name.out")"
}

# Entries failback must leave (an unmarked one, one with only bits outside our mask, ppp1's
# incoming pin) and two it must take (outgoing pins of ppp1, one with a foreign bit besides, and of ppp2).
insert_entries() {
  local sport mark
  for entry in 4001:0 4002:0x1 4003:0x200 4004:0x8201 4005:0x8300; do
    sport=${entry%%:*} mark=${entry#*:}
    router conntrack -I -p udp -s 10.0.0.50 -d 198.51.100.200 --sport "$sport" --dport 53 -t 300 -m "$mark" 2>/dev/null
  done
}
entry_left() { router conntrack -L -p udp --orig-src 10.0.0.50 --orig-port-src "$1" 2>/dev/null | grep -q "sport=$1 "; }

# ppp0 is down: LAN and router connections go out by ppp1, and the internet opens connections to
# ppp1's address (the router's own service and DNAT to the LAN). Then ppp0 comes back.
ppp0_returns() {
  lab_config '[uplinks]' 'names = ppp0 ppp1 ppp2' '[uplink ppp0]' "failback = $1"
  lab_up
  uplink_delete 0
  insert_entries
  HOLDERS=()
  hold_from lan lan "$LAB_SERVER" "$LAB_PORT" 3 5
  hold_from router router "$LAB_SERVER" "$LAB_PORT" 2 5
  hold_from inbound-router inet "$(uplink_addr 1)" "$LAB_ROUTER_PORT" 2 5
  hold_from inbound-dnat inet "$(uplink_addr 1)" "$LAB_LAN_PORT" 2 5
  touch "$LAB_TMP/go"
  uplink_up 0
  local pid
  for pid in "${HOLDERS[@]}"; do wait "$pid"; done
}

@test "failback = move: ppp0's return resets the outgoing connections on ppp1, a reconnect leaves by ppp0; incoming ones keep working" {
  ppp0_returns move
  run cat "$LAB_TMP/lan.out"
  assert_output --regexp '"count":3,"survived":0,"before":\["203.0.113.11"\]'
  run cat "$LAB_TMP/router.out"
  assert_output --regexp '"count":2,"survived":0,"before":\["203.0.113.11"\]'
  run cat "$LAB_TMP/inbound-router.out"
  assert_output --regexp '"count":2,"survived":2,.*"errors":\[\]'
  run cat "$LAB_TMP/inbound-dnat.out"
  assert_output --regexp '"count":2,"survived":2,.*"errors":\[\]'
  run lab_once lan "$LAB_SERVER" "$LAB_PORT"
  assert_output "$(uplink_addr 0)"
  entry_left 4001 || fail "an unmarked entry was deleted"
  entry_left 4002 || fail "an entry with only foreign mark bits was deleted"
  entry_left 4003 || fail "ppp1's incoming pin was deleted"
  ! entry_left 4004 || fail "ppp1's outgoing pin (with a foreign bit besides) was left"
  ! entry_left 4005 || fail "ppp2's outgoing pin was left"
  run grep 'failback to ppp0' "$LAB_TMP/hooks.log"
  assert_output --regexp 'failback to ppp0: deleted outgoing connections: [0-9]+ pinned to ppp1, 1 pinned to ppp2$'
}

@test "failback = keep (the default): ppp0's return deletes nothing, every connection survives" {
  ppp0_returns keep
  local name
  run cat "$LAB_TMP/lan.out"
  assert_output '{"count":3,"survived":3,"before":["203.0.113.11"],"after":["203.0.113.11"],"errors":[]}'
  run cat "$LAB_TMP/router.out"
  assert_output '{"count":2,"survived":2,"before":["203.0.113.11"],"after":["203.0.113.11"],"errors":[]}'
  for name in inbound-router inbound-dnat; do
    run cat "$LAB_TMP/$name.out"
    assert_output --regexp '"count":2,"survived":2,.*"errors":\[\]'
  done
  local sport
  for sport in 4001 4002 4003 4004 4005; do entry_left "$sport" || fail "entry $sport was deleted"; done
  run grep -c 'failback' "$LAB_TMP/hooks.log"
  assert_output 0
}

@test "pin-firewall failback NAME --dry-run counts, failback deletes, and both say how many per uplink" {
  lab_config '[uplinks]' 'names = ppp0 ppp1 ppp2' 'default_route = ppp0 ppp1' '[uplink ppp0]' 'failback = move'
  LAB_DEFAULT_ROUTES=no
  lab_up
  insert_entries
  run --separate-stderr router "$LAB_BIN" firewall failback ppp0 --dry-run
  assert_success
  # default_route puts only ppp1 after ppp0: ppp2's pins are not less preferred
  assert_output 'ppp1: 1 outgoing connections would be deleted'
  [ "$stderr" = 'pin-hooks: pin-firewall: failback to ppp0: would delete outgoing connections: 1 pinned to ppp1' ] || fail "logged: $stderr"
  entry_left 4004 || fail "--dry-run deleted"
  run --separate-stderr router "$LAB_BIN" firewall failback ppp0
  assert_output 'ppp1: 1 outgoing connections deleted'
  ! entry_left 4004 || fail "failback left ppp1's outgoing pin"
  entry_left 4005 || fail "failback took ppp2's pin, which default_route does not put after ppp0"
  run router "$LAB_BIN" firewall failback ppp7
  assert_failure 2
  assert_output --partial 'failback takes one uplink of the config (ppp0 ppp1 ppp2), got "ppp7"'
}

@test "a failback config that cannot work is refused with the line and the fix, and changes nothing" {
  lab_up
  lab_state >"$LAB_TMP/before"
  printf '[uplinks]\nnames = ppp0\nmark_mask = 0x100\n[uplink ppp0]\nfailback = move\n' >"$LAB_TMP/tight.conf"
  run router "$LAB_BIN" firewall --config "$LAB_TMP/tight.conf" init
  assert_failure 3
  assert_output "pin-hooks: pin-firewall: $LAB_TMP/tight.conf:5: failback = move needs a bit of mark_mask 0x100 to tell outgoing pins from incoming ones, beside the uplinks' marks; widen mark_mask, e.g. 0xff00"
  printf '[uplinks]\nnames = ppp0\n[uplink ppp9]\nfailback = move\n' >"$LAB_TMP/unknown.conf"
  run router "$LAB_BIN" firewall --config "$LAB_TMP/unknown.conf" init
  assert_failure 3
  assert_output --partial "[uplink ppp9] is not listed in [uplinks] names"
  printf '[uplink ppp0]\nfailback = back\n' >"$LAB_TMP/word.conf"
  run router env PPP_IFACE=ppp0 "$LAB_BIN" ip-up --config "$LAB_TMP/word.conf"
  assert_failure 3
  assert_output --partial 'failback: "back" is not keep or move'
  printf '[uplink ppp0]\nfailback = move\n[paths]\nconntrack = /nonexistent/conntrack\n' >"$LAB_TMP/noct.conf"
  run router "$LAB_BIN" firewall --config "$LAB_TMP/noct.conf" check
  assert_failure 7
  assert_output --partial 'problem: failback = move on ppp0 needs conntrack /nonexistent/conntrack'
  lab_state >"$LAB_TMP/after"
  run diff "$LAB_TMP/before" "$LAB_TMP/after"
  assert_success
}
