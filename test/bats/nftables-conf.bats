#!/usr/bin/env bats
# The nft backend and Debian's nftables.service: its start, restart and reload load
# /etc/nftables.conf, which begins with `flush ruleset`. Our table's copy, included after that
# line, comes back in the same transaction, so a pinned connection never sees a moment without it.
load helpers

nft_only() { [ "$LAB_BACKEND" = nft ] || skip "the nft backend's file"; }

# An nftables.conf as Debian ships it (flush ruleset, a table of the admin's), with or without
# our include; `nft -f` of it is what nftables.service runs.
nftables_conf() {
  printf '%s\n' 'flush ruleset' 'table inet filter {' '  chain input { type filter hook input priority 0; policy accept; }' '}' >"$LAB_TMP/nftables.conf"
  [ "$1" = with-include ] && printf 'include "%s/nft.d/*.nft"\n' "$LAB_TMP" >>"$LAB_TMP/nftables.conf"
  return 0
}

# The lab's config keeps the copy in $LAB_TMP/nft.d (lab_config).

# A connection opened while ppp0 is down (so on ppp1) across ppp0's return and then a load of
# nftables.conf, as `systemctl reload nftables` does it.
reload_under_connection() {
  lab_up
  nftables_conf "$1"
  uplink_delete 0
  run lab_hold_across lan 2 4 reload_nftables
}
reload_nftables() { uplink_up 0 && router nft -f "$LAB_TMP/nftables.conf"; }

@test "init keeps a copy of our table that loads after flush ruleset, as often as it is loaded; flush removes it" {
  nft_only
  lab_up
  [ -f "$LAB_TMP/nft.d/pin-hooks.nft" ] || fail "no copy written"
  run stat -c '%U %a' "$LAB_TMP/nft.d/pin-hooks.nft"
  assert_output "root 644"
  router nft list table inet pin_hooks >"$LAB_TMP/table.before"
  nftables_conf with-include
  router nft -f "$LAB_TMP/nftables.conf"
  router nft -f "$LAB_TMP/nftables.conf"
  router nft list table inet pin_hooks >"$LAB_TMP/table.after"
  run diff "$LAB_TMP/table.before" "$LAB_TMP/table.after"
  assert_success
  run router "$LAB_BIN" firewall flush
  assert_output --partial "removed $LAB_TMP/nft.d/pin-hooks.nft"
  [ ! -e "$LAB_TMP/nft.d/pin-hooks.nft" ]
  # an include glob that matches nothing still loads: the admin's firewall does not depend on us
  run router nft -f "$LAB_TMP/nftables.conf"
  assert_success
}

@test "without the include, a reload of nftables.conf breaks a pinned connection (the lab sees the failure)" {
  nft_only
  reload_under_connection without-include
  assert_output --partial '"before":["203.0.113.11"]'
  assert_output --partial '"survived":0'
}

@test "with the include, a pinned connection keeps working across a reload of nftables.conf (flush ruleset)" {
  nft_only
  reload_under_connection with-include
  assert_output '{"count":2,"survived":2,"before":["203.0.113.11"],"after":["203.0.113.11"],"errors":[]}'
}

@test "a switch to the iptables backend removes the copy, so nftables.service does not bring our table back" {
  nft_only
  lab_up
  [ -f "$LAB_TMP/nft.d/pin-hooks.nft" ]
  sed -i 's/^backend = nft/backend = iptables/' "$LAB_TMP/pin-hooks.conf"
  run router "$LAB_BIN" firewall init
  assert_success
  [ ! -e "$LAB_TMP/nft.d/pin-hooks.nft" ] || fail "the copy survived the switch"
}
