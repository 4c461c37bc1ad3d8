#!/usr/bin/env bats
# Per-prefix routes end to end: real traffic to the internet server through the lab, whose address
# stands for a listed prefix, while the main table's default route is another uplink.
load helpers

SERVER_PREFIX=198.51.100.192/26 # holds $LAB_SERVER (198.51.100.200)

# The source address the server sees: which uplink the packet left by (203.0.113.1X = pppX).
leaves_by() { run lab_once lan "$LAB_SERVER" "$LAB_PORT"; assert_output "$(uplink_addr "$1")"; }

# ppp1 carries the server's prefix at zebra's default distance, ppp2 at distance 10.
preferred_lists() {
  lab_config '[uplinks]' 'names = ppp0 ppp1 ppp2' '[uplink ppp1]' "routes = $SERVER_PREFIX" '[uplink ppp2]' "routes = $SERVER_PREFIX" 'distance = 10'
}

@test "without a routes list: traffic to the server leaves by the default route (ppp0), as the lab sees it" {
  lab_up
  leaves_by 0
}

@test "a listed prefix leaves by its uplink while the default route is another" {
  lab_config '[uplinks]' 'names = ppp0 ppp1 ppp2' '[uplink ppp1]' "routes = $SERVER_PREFIX"
  lab_up
  leaves_by 1
  run router ip route show proto 112
  assert_output "$SERVER_PREFIX dev ppp1 scope link metric 1001 "
}

@test "a prefix follows its order of preference when its uplink is deleted (as pppd does) and comes back when it returns" {
  preferred_lists
  lab_up
  leaves_by 1
  uplink_delete 1
  leaves_by 2
  uplink_up 1
  leaves_by 1
  uplink_delete 2
  leaves_by 1
  uplink_delete 1
  leaves_by 0
}

@test "a prefix follows its order of preference when its uplink's link goes down and up" {
  preferred_lists
  lab_up
  uplink_link_down 1
  leaves_by 2
  run router ip route show proto 112 dev ppp1
  assert_output ''
  uplink_link_up 1
  leaves_by 1
}

@test "without default_route (and no pppd defaultroute) the LAN has no way out; with it the default route follows its order" {
  LAB_DEFAULT_ROUTES=no
  lab_up
  run lab_once lan "$LAB_SERVER" "$LAB_PORT"
  assert_output --partial FAIL
  lab_teardown
  lab_init "$$-$BATS_TEST_NUMBER-b"
  lab_config '[uplinks]' 'names = ppp0 ppp1 ppp2' 'default_route = ppp1 ppp0 ppp2'
  lab_up
  leaves_by 1
  uplink_delete 1
  leaves_by 0
  uplink_link_down 0
  leaves_by 2
  uplink_link_up 0
  leaves_by 0
  uplink_up 1
  leaves_by 1
  run router ip route show default proto 112
  assert_output "default dev ppp1 scope link metric 1001 
default dev ppp0 scope link metric 2000 
default dev ppp2 scope link metric 3002 "
}

# A connection to the server opened while ppp1 is down leaves by ppp0; then ppp1 comes back with
# the server's prefix. $1 = pinned: pin-hooks' firewall; plain: the same routes, MASQUERADE only.
route_returns_under_connection() {
  lab_config '[uplinks]' 'names = ppp0 ppp1 ppp2' '[uplink ppp1]' "routes = $SERVER_PREFIX"
  lab_up
  if [ "$1" = plain ]; then
    router "$LAB_BIN" firewall flush 2>>"$LAB_TMP/hooks.log"
    for x in 0 1 2; do router iptables -t nat -A POSTROUTING -o "ppp$x" -j MASQUERADE; done
  fi
  uplink_delete 1
  run lab_hold_across lan 3 4 uplink_up 1
}

@test "without pinning: a connection moved by a returning prefix route breaks (the lab sees the failure)" {
  route_returns_under_connection plain
  assert_output --partial '"before":["203.0.113.10"]'
  assert_output --partial '"survived":0'
}

@test "a connection pinned to another uplink keeps it when a prefix route sends its destination elsewhere" {
  route_returns_under_connection pinned
  assert_output '{"count":3,"survived":3,"before":["203.0.113.10"],"after":["203.0.113.10"],"errors":[]}'
  leaves_by 1
}

@test "a broken list changes nothing, names file:line and the fix, and a fixed one applies" {
  printf '%s\n' "$SERVER_PREFIX" '11.0.0.0/24' >"$LAB_TMP/ppp1.routes"
  lab_config '[uplinks]' 'names = ppp0 ppp1 ppp2' '[uplink ppp1]' "routes_file = $LAB_TMP/ppp1.routes"
  lab_up
  uplink_delete 1
  uplink_create 1
  printf '%s\n' "$SERVER_PREFIX" '11.0.0.5/24' '# fine' 'ppp1' >"$LAB_TMP/ppp1.routes"
  lab_state >"$LAB_TMP/before"
  : >"$LAB_TMP/hooks.log"
  ppp_hook ip-up 1 # Debian's ip-up ends with its own status: the hook's shows in the log
  run grep '^pin-hooks: ' "$LAB_TMP/hooks.log"
  assert_output "pin-hooks: ip-up: $LAB_TMP/ppp1.routes:2: \"11.0.0.5/24\" has host bits set; the prefix is 11.0.0.0/24
pin-hooks: ip-up: $LAB_TMP/ppp1.routes:4: \"ppp1\" is not an IPv4 prefix; write address/length, e.g. 196.21.0.0/19
pin-hooks: ip-up: nothing was changed; fix the lines above and run it again"
  run router "$LAB_BIN" firewall routes --apply
  assert_failure 3
  lab_state >"$LAB_TMP/after"
  run diff "$LAB_TMP/before" "$LAB_TMP/after"
  assert_success
  printf '%s\n' "$SERVER_PREFIX" '11.0.0.0/24' >"$LAB_TMP/ppp1.routes"
  run router "$LAB_BIN" firewall routes --apply
  assert_success
  assert_output --partial '2 routes added, 0 removed'
  leaves_by 1
}

# [paths] ip for one test: the real ip, except that the $1-th plain `ip -batch -` gets, after
# its line $2, a line the real ip refuses ("Cannot find device"): a kernel that says no half-way
# through. It leaves $LAB_TMP/refused behind when it did that.
refuse_half_way() {
  mkdir -p "$LAB_TMP/sbin"
  cat >"$LAB_TMP/sbin/ip" <<SCRIPT
#!/bin/bash
if [ "\$*" = "-batch -" ]; then
  echo >>"$LAB_TMP/batches"
  if [ "\$(wc -l <"$LAB_TMP/batches")" = $1 ]; then
    touch "$LAB_TMP/refused"
    sed '$2a route replace 12.255.255.0/24 dev nosuch0 metric 1001 proto 112' | /usr/sbin/ip -batch -
    exit
  fi
fi
exec /usr/sbin/ip "\$@"
SCRIPT
  chmod 755 "$LAB_TMP/sbin/ip"
}

@test "when the kernel refuses a route half-way through a long list, ip-up takes back what it added and says which line" {
  # ppp1's 30,000 prefixes go in three runs of ip -batch after ppp0's one: the third batch (the
  # second run) is refused after its line 5,000.
  "$LAB_NODE" -e 'for (let i = 0; i < 30000; i++) console.log(`11.${i >> 8}.${i & 255}.0/24`)' >"$LAB_TMP/ppp1.routes"
  refuse_half_way 3 5000
  lab_config '[uplinks]' 'names = ppp0 ppp1 ppp2' '[paths]' "ip = $LAB_TMP/sbin/ip" '[uplink ppp1]' "routes_file = $LAB_TMP/ppp1.routes"
  lab_up
  [ -e "$LAB_TMP/refused" ] || fail "the refusing ip was not used: $(cat "$LAB_TMP/hooks.log")"
  run grep 'ip-up: ' "$LAB_TMP/hooks.log"
  # line 15,001 of the whole batch is the one ip stopped at (prefix 14,997 of the list, after 3 pinning lines)
  assert_output --partial 'ip -batch - failed at line 15001 "route replace 11.58.149.0/24 dev ppp1 metric 1001 proto 112": Cannot find device "nosuch0"; took back the 14997 prefix routes this run had added before that line'
  run router ip route show proto 112
  assert_output ''
  # pinning itself is in place: the rule and table were the batch's first lines
  [ "$(rules_for_table 101)" = 1 ]
}

@test "ip-ups of three uplinks with lists at the same instant, 5 rounds: every uplink holds exactly its list" {
  local x round
  for x in 0 1 2; do "$LAB_NODE" -e "for (let i = 0; i < 3000; i++) console.log(\`1$((x + 1)).\${i >> 8}.\${i & 255}.0/24\`); console.log('$SERVER_PREFIX')" >"$LAB_TMP/ppp$x.routes"; done
  lab_config '[uplinks]' 'names = ppp0 ppp1 ppp2' '[uplink ppp0]' "routes_file = $LAB_TMP/ppp0.routes" '[uplink ppp1]' "routes_file = $LAB_TMP/ppp1.routes" '[uplink ppp2]' "routes_file = $LAB_TMP/ppp2.routes"
  lab_up
  router ip route show proto 112 | sort >"$LAB_TMP/expected"
  [ "$(wc -l <"$LAB_TMP/expected")" = 9003 ] || fail "$(wc -l <"$LAB_TMP/expected") routes after the first ip-ups"
  for ((round = 1; round <= 5; round++)); do
    for x in 0 1 2; do router ip link set "ppp$x" down; router ip link set "ppp$x" up; done
    hooks_at_once ip-up 0 0 1 1 2 2 || fail "round $round: a hook failed: $(tail -5 "$LAB_TMP/hooks.log")"
    router ip route show proto 112 | sort >"$LAB_TMP/now"
    run diff "$LAB_TMP/expected" "$LAB_TMP/now"
    assert_success
  done
}

@test "200 flaps of ppp1 with a list (both styles) leave the routes as after one" {
  "$LAB_NODE" -e 'for (let i = 0; i < 1000; i++) console.log(`11.${i >> 8}.${i & 255}.0/24`)' >"$LAB_TMP/ppp1.routes"
  echo "$SERVER_PREFIX" >>"$LAB_TMP/ppp1.routes"
  lab_config '[uplinks]' 'names = ppp0 ppp1 ppp2' '[uplink ppp1]' "routes_file = $LAB_TMP/ppp1.routes" '[uplink ppp2]' "routes = $SERVER_PREFIX" 'distance = 10'
  lab_up
  uplink_delete 1 && uplink_up 1
  lab_state >"$LAB_TMP/after-one"
  local i
  for ((i = 0; i < 100; i++)); do
    uplink_delete 1 && uplink_up 1 || fail "flap $i (delete) failed"
    uplink_link_down 1 && uplink_link_up 1 || fail "flap $i (link) failed"
  done
  lab_state >"$LAB_TMP/after-200"
  run diff "$LAB_TMP/after-one" "$LAB_TMP/after-200"
  assert_success
  [ "$(router ip route show proto 112 dev ppp1 | wc -l)" = 1001 ]
  leaves_by 1
}

@test "pin-firewall routes shows what each uplink carries, routes ADDRESS why, --apply only the difference" {
  preferred_lists
  lab_up
  run router "$LAB_BIN" firewall routes
  assert_success
  assert_line --index 2 --regexp '^ppp1 +up +1 +1 +1 +routes \(distance 1\): 1$'
  assert_line --index 3 --regexp '^ppp2 +up +1 +1 +0 +routes \(distance 10\): 1$'
  run router "$LAB_BIN" firewall routes "$LAB_SERVER"
  assert_line --index 0 "$LAB_SERVER takes $SERVER_PREFIX over ppp1"
  assert_line --partial "the kernel sends it by dev ppp1 (ip route get $LAB_SERVER), as the lists say"
  uplink_delete 1
  run router "$LAB_BIN" firewall routes "$LAB_SERVER"
  assert_line --index 0 "$LAB_SERVER takes $SERVER_PREFIX over ppp2"
  run router "$LAB_BIN" firewall routes --json
  assert_output --partial '"name": "ppp2"'
  # a changed list reaches an uplink that is up without a reconnect, and only the change is sent
  lab_config '[uplinks]' 'names = ppp0 ppp1 ppp2' '[uplink ppp2]' "routes = $SERVER_PREFIX 11.0.0.0/24" 'distance = 10'
  run router "$LAB_BIN" firewall routes --apply
  assert_output --partial '1 route added, 0 removed'
  run router "$LAB_BIN" firewall routes --apply
  assert_output --partial '0 routes added, 0 removed'
  run router ip route show proto 112 dev ppp2
  assert_output "11.0.0.0/24 scope link metric 10002 
$SERVER_PREFIX scope link metric 10002 "
}
