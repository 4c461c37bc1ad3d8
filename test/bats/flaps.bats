#!/usr/bin/env bats
# Uplinks that flap and hooks that race: the state must stay exact.
load helpers

flap_delete() { uplink_delete 1 && uplink_up 1; }
flap_link() { uplink_link_down 1 && uplink_link_up 1; }
repeat() { local times=$1 i; shift; for ((i = 0; i < times; i++)); do "$@" || return 1; done; }

# 200 cycles of one style on ppp1 while 5 LAN connections run over ppp0 (the default route).
flap_200() {
  local style=$1
  lab_up
  "$style"
  lab_state >"$LAB_TMP/after-one"
  run lab_hold_during lan 5 300 repeat 199 "$style"
  assert_output '{"count":5,"survived":5,"before":["203.0.113.10"],"after":["203.0.113.10"],"errors":[]}'
  lab_state >"$LAB_TMP/after-200"
  run diff "$LAB_TMP/after-one" "$LAB_TMP/after-200"
  assert_success
  [ "$(rules_for_table 101)" = 1 ]
}

@test "200 cycles of ppp1 deleted and re-created (as pppd does) leave rules, tables and the firewall as one cycle; ppp0's connections are unaffected" {
  flap_200 flap_delete
}

@test "200 cycles of ppp1 link down and up leave rules, tables and the firewall as one cycle; ppp0's connections are unaffected" {
  flap_200 flap_link
}

@test "ip-up of every uplink started at the same instant, twice each, 20 rounds: every hook succeeds, every rule exists exactly once" {
  lab_up
  local round table x
  for ((round = 1; round <= 20; round++)); do
    for x in 0 1 2; do router ip link set "ppp$x" up; done
    hooks_at_once ip-up 0 0 1 1 2 2 || fail "round $round: a hook failed: $(tail -5 "$LAB_TMP/hooks.log")"
    for table in 100 101 102; do
      [ "$(rules_for_table "$table")" = 1 ] || fail "round $round: table $table has $(rules_for_table "$table") rules: $(router ip rule)"
    done
    # pppd runs ip-down once the link is gone
    for x in 0 1 2; do router ip link set "ppp$x" down; done
    hooks_at_once ip-down 0 1 2 || fail "round $round: an ip-down failed: $(tail -5 "$LAB_TMP/hooks.log")"
    for table in 100 101 102; do
      [ "$(rules_for_table "$table")" = 0 ] || fail "round $round: table $table kept a rule after ip-down: $(router ip rule)"
    done
  done
}

@test "a hook waits for the global lock: nothing changes while another run holds it" {
  lab_up
  lab_config '[paths]' "lock = $LAB_TMP/lock"
  flock "$LAB_TMP/lock" sleep 2 3>&- &
  local holder=$! hook
  sleep 0.3
  router ip link set ppp1 down
  ppp_hook ip-down 1 &
  hook=$!
  sleep 1
  [ "$(rules_for_table 101)" = 1 ] || fail "ip-down changed the rules while the lock was held"
  wait "$holder"
  wait "$hook" || fail "ip-down failed: $(tail -3 "$LAB_TMP/hooks.log")"
  [ "$(rules_for_table 101)" = 0 ] || fail "ip-down did not remove the rule once the lock was free"
}

@test "pin-firewall waits for the global lock too: flush changes nothing while another run holds it" {
  lab_up
  lab_config '[paths]' "lock = $LAB_TMP/lock"
  flock "$LAB_TMP/lock" sleep 2 3>&- &
  local holder=$! flush
  sleep 0.3
  router "$LAB_BIN" firewall --config "$LAB_TMP/pin-hooks.conf" flush 2>>"$LAB_TMP/hooks.log" &
  flush=$!
  sleep 1
  lab_ours_present || fail "flush removed our rules while the lock was held"
  wait "$holder"
  wait "$flush" || fail "flush failed: $(tail -3 "$LAB_TMP/hooks.log")"
  ! lab_ours_present || fail "flush left our rules: $(lab_firewall)"
}

@test "ip-down of a link pppd has already replaced leaves the new link's rule and table" {
  lab_up
  # ppp1 is up (a new link) when the ip-down of the old one finally runs
  ppp_hook ip-down 1
  [ "$(rules_for_table 101)" = 1 ] || fail "the late ip-down removed the new link's rule"
  run router ip route show table 101
  assert_output --partial "default via 192.0.2.2 dev ppp1"
  run grep "ppp1 down" "$LAB_TMP/hooks.log"
  assert_output --partial "ppp1 is up again (a new link): left its rule, table and routes to it"
}
