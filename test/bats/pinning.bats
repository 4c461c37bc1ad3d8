#!/usr/bin/env bats
# Pinning end to end: real traffic through the lab, with and without pin-hooks.
load helpers

@test "without pin-hooks: a connection moved to ppp1 breaks when ppp0 comes back (the lab detects the failure)" {
  lab_up plain
  uplink_delete 0
  run lab_hold_across lan 1 5 uplink_up 0
  assert_output --partial '"before":["203.0.113.11"]'
  assert_output --partial '"survived":0'
}

@test "with pin-hooks: a connection opened while ppp0 is down keeps working on ppp1 after ppp0 is back" {
  lab_up
  uplink_delete 0
  run lab_hold_across lan 1 5 uplink_up 0
  assert_output '{"count":1,"survived":1,"before":["203.0.113.11"],"after":["203.0.113.11"],"errors":[]}'
  run lab_once lan "$LAB_SERVER" "$LAB_PORT"
  assert_output "203.0.113.10"
}

@test "with pin-hooks: 20 connections at once survive ppp0's return (link down/up style), a new one leaves by ppp0" {
  lab_up
  uplink_link_down 0
  run lab_hold_across lan 20 5 uplink_link_up 0
  assert_output '{"count":20,"survived":20,"before":["203.0.113.11"],"after":["203.0.113.11"],"errors":[]}'
  run lab_once lan "$LAB_SERVER" "$LAB_PORT"
  assert_output "203.0.113.10"
}

@test "without pin-hooks: incoming connections to ppp1's address fail while the default route is ppp0" {
  lab_up plain
  run lab_once inet 203.0.113.11 "$LAB_ROUTER_PORT"
  assert_output --partial "FAIL"
  run lab_once inet 203.0.113.11 "$LAB_LAN_PORT"
  assert_output --partial "FAIL"
}

@test "with pin-hooks: incoming connections to ppp1's address are answered through ppp1 (router and DNAT to the LAN)" {
  lab_up
  run lab_once inet 203.0.113.11 "$LAB_ROUTER_PORT"
  assert_output "198.51.100.6"
  run lab_once inet 203.0.113.11 "$LAB_LAN_PORT"
  assert_output "198.51.100.6"
  # and the ones to ppp0's address still work the ordinary way
  run lab_once inet 203.0.113.10 "$LAB_LAN_PORT"
  assert_output "198.51.100.2"
}

@test "without pin-hooks: the router's own connection breaks when ppp0 comes back" {
  lab_up plain
  uplink_delete 0
  run lab_hold_across router 1 5 uplink_up 0
  assert_output --partial '"before":["203.0.113.11"]'
  assert_output --partial '"survived":0'
}

@test "with pin-hooks: the router's own connections are pinned too" {
  lab_up
  uplink_delete 0
  run lab_hold_across router 5 5 uplink_up 0
  assert_output '{"count":5,"survived":5,"before":["203.0.113.11"],"after":["203.0.113.11"],"errors":[]}'
}

@test "a mark another rule sets outside our mask survives our restore, and pinning still works" {
  lab_up
  # A QoS rule ahead of ours marks LAN traffic 0x1 in the low byte; a counting rule after ours
  # sees the packet only if it carries both the QoS bit and ppp1's mark 0x200.
  router iptables -t mangle -I PREROUTING 1 -i eth0 -j MARK --set-xmark 0x1/0xff
  router iptables -t mangle -A PREROUTING -i eth0 -m mark --mark 0x201/0xffff
  uplink_delete 0
  run lab_hold_across lan 1 3 uplink_up 0
  assert_output '{"count":1,"survived":1,"before":["203.0.113.11"],"after":["203.0.113.11"],"errors":[]}'
  run router iptables -t mangle -L PREROUTING -v -x -n
  local packets
  packets=$(echo "$output" | awk '/mark match 0x201\/0xffff/ {print $1}')
  [ "$packets" -gt 0 ] || fail "no packet carried 0x201 after our restore: $output"
}
