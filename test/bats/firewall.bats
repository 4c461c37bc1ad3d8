#!/usr/bin/env bats
# pin-firewall and the hooks as an admin meets them: idempotence, failures that change nothing,
# flush, status, check, and hostile input.
load helpers

iptables_only() { [ "$LAB_BACKEND" = iptables ] || skip "iptables-restore commits table by table; an nft transaction is whole"; }

@test "pin-firewall init 10 times leaves the same firewall as once" {
  lab_up
  lab_firewall >"$LAB_TMP/once"
  local i
  for ((i = 0; i < 9; i++)); do router "$LAB_BIN" firewall init 2>/dev/null; done
  lab_firewall >"$LAB_TMP/ten"
  run diff "$LAB_TMP/once" "$LAB_TMP/ten"
  assert_success
  run lab_our_hooks
  if [ "$LAB_BACKEND" = nft ]; then assert_output 4; else assert_output 5; fi
}

@test "init with a broken config fails with one clear line and leaves the previous rules" {
  lab_up
  lab_firewall >"$LAB_TMP/before"
  printf '[uplinks]\nnames = ppp0 ppp1\nmark_mask = 0\n' >"$LAB_TMP/bad.conf"
  run router "$LAB_BIN" firewall --config "$LAB_TMP/bad.conf" init
  assert_failure 3
  assert_output "pin-hooks: pin-firewall: $LAB_TMP/bad.conf:3: mark_mask: mark_mask must be a non-zero 32-bit mask such as 0xff00, got 0"
  lab_firewall >"$LAB_TMP/after"
  run diff "$LAB_TMP/before" "$LAB_TMP/after"
  assert_success
}

# An iptables-restore that adds, to every transaction of the new config (mask 0xf0), one rule
# iptables rejects at the very end, after the mangle part; transactions without it pass.
reject_new_config_in_nat() {
  mkdir "$LAB_TMP/sbin"
  printf '[firewall]\nbackend = iptables\n[uplinks]\nnames = ppp0 ppp1\nmark_mask = 0xf0\n[paths]\niptables_restore = %s\n' "$LAB_TMP/sbin/iptables-restore" >"$LAB_TMP/new.conf"
  cat >"$LAB_TMP/sbin/iptables-restore" <<'EOF'
#!/bin/sh
plan=$(cat)
case $plan in
*/0xf0*) printf '%s\n' "$plan" | sed '$d' | { cat; printf -- '-A PIN-POSTROUTING -j NO-SUCH-TARGET\nCOMMIT\n'; } | /usr/sbin/iptables-restore "$@" ;;
*) printf '%s\n' "$plan" | /usr/sbin/iptables-restore "$@" ;;
esac
EOF
  chmod 755 "$LAB_TMP/sbin/iptables-restore"
}

# An nft that adds, to the new config's table (mask 0xf0), a rule it refuses at the very end.
reject_new_config_in_nft() {
  mkdir "$LAB_TMP/sbin"
  printf '[firewall]\nbackend = nft\n[uplinks]\nnames = ppp0 ppp1\nmark_mask = 0xf0\n[paths]\nnft = %s\n' "$LAB_TMP/sbin/nft" >"$LAB_TMP/new.conf"
  cat >"$LAB_TMP/sbin/nft" <<'EOF'
#!/bin/sh
plan=$(cat)
case $plan in
*0xf0*) printf '%s\nadd rule inet pin_hooks output jump no_such_chain\n' "$plan" | /usr/sbin/nft "$@" ;;
*) printf '%s\n' "$plan" | /usr/sbin/nft "$@" ;;
esac
EOF
  chmod 755 "$LAB_TMP/sbin/nft"
}

@test "init whose transaction nft refuses leaves the previous table, whole" {
  [ "$LAB_BACKEND" = nft ] || skip "the nft backend's case"
  lab_up
  lab_firewall >"$LAB_TMP/before"
  reject_new_config_in_nft
  run router "$LAB_BIN" firewall --config "$LAB_TMP/new.conf" init
  assert_failure 5
  assert_output --regexp '^pin-hooks: pin-firewall: nft -f - failed.*: .*Error'
  lab_firewall >"$LAB_TMP/after"
  run diff "$LAB_TMP/before" "$LAB_TMP/after"
  assert_success
}

@test "switching backends removes the other one's rules: init of each leaves only its own" {
  lab_up
  sed -i 's/^backend = .*/backend = iptables/' "$LAB_TMP/pin-hooks.conf"
  run router "$LAB_BIN" firewall init
  assert_success
  run router nft list table inet pin_hooks
  assert_failure
  [ "$(router iptables-save | grep -c -- '-j PIN-')" = 5 ]
  sed -i 's/^backend = .*/backend = nft/' "$LAB_TMP/pin-hooks.conf"
  run router "$LAB_BIN" firewall init
  assert_success
  assert_output --partial 'removed the pin-hooks chains and their jumps'
  run router iptables-save
  refute_output --partial 'PIN-'
  run router nft list table inet pin_hooks
  assert_success
  # and pinning works on what is left
  uplink_delete 0
  run lab_hold_across lan 1 3 uplink_up 0
  assert_output '{"count":1,"survived":1,"before":["203.0.113.11"],"after":["203.0.113.11"],"errors":[]}'
}

@test "init whose transaction the kernel rejects leaves the previous rules, in every table" {
  iptables_only
  lab_up
  lab_firewall >"$LAB_TMP/before"
  reject_new_config_in_nat
  run router "$LAB_BIN" firewall --config "$LAB_TMP/new.conf" init
  assert_failure 5
  assert_output --regexp "^pin-hooks: pin-firewall: iptables-restore --noflush --wait=10 failed: .*NO-SUCH-TARGET.* \\(our chains were put back as they were\\)$"
  lab_firewall >"$LAB_TMP/after"
  run diff "$LAB_TMP/before" "$LAB_TMP/after"
  assert_success
}

@test "a first init the kernel rejects in nat takes back what it put in mangle, table included" {
  iptables_only
  lab_up
  router "$LAB_BIN" firewall flush 2>/dev/null
  lab_firewall >"$LAB_TMP/before"
  reject_new_config_in_nat
  run router "$LAB_BIN" firewall --config "$LAB_TMP/new.conf" init
  assert_failure 5
  assert_output --partial "NO-SUCH-TARGET"
  lab_firewall >"$LAB_TMP/after"
  run diff "$LAB_TMP/before" "$LAB_TMP/after"
  assert_success
}

@test "init completes what another hand left half-removed: our nat chain without the mangle ones" {
  iptables_only
  lab_up
  router "$LAB_BIN" firewall flush 2>/dev/null
  router iptables -t nat -N PIN-POSTROUTING
  router iptables -t nat -A PIN-POSTROUTING -o ppp9 -j MASQUERADE
  run router "$LAB_BIN" firewall init
  assert_success
  lab_firewall >"$LAB_TMP/after"
  run grep -c -- '-j PIN-' "$LAB_TMP/after"
  assert_output 5
  run grep -c -- '-A PIN-POSTROUTING -o ppp[0-4] -j MASQUERADE' "$LAB_TMP/after"
  assert_output 5
  run grep -c ppp9 "$LAB_TMP/after"
  assert_output 0
}

@test "flush returns the firewall to its state before init" {
  lab_up
  run router "$LAB_BIN" firewall flush
  assert_success
  lab_firewall >"$LAB_TMP/after-flush"
  run diff "$LAB_TMP/firewall.before-init" "$LAB_TMP/after-flush"
  assert_success
  # a second flush finds nothing to do
  run router "$LAB_BIN" firewall flush
  assert_success
  assert_output --partial "nothing to remove"
}

@test "flush leaves a table another tool uses, and that tool's rules" {
  lab_up
  router iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
  router "$LAB_BIN" firewall flush 2>/dev/null
  run router iptables-save -t mangle
  assert_output --partial "-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu"
  refute_output --partial "PIN-"
}

@test "status shows each uplink's link, rule, route and pinned connections" {
  lab_up
  uplink_delete 0
  lab_hold_across lan 3 1 uplink_up 0 >/dev/null
  uplink_link_down 2
  run router "$LAB_BIN" firewall status
  assert_success
  assert_line --regexp '^ppp0 +0x100 +100 +up +yes +yes +[0-9]+$'
  assert_line --regexp '^ppp2 +0x300 +102 +down +no +no +0$'
  assert_line --regexp '^ppp4 +0x500 +104 +down +no +no +0$'
  run router "$LAB_BIN" firewall status --json
  assert_success
  # the three LAN connections opened while ppp0 was down are tracked with ppp1's mark
  run node -e 'const rows = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(rows.find((r) => r.name === "ppp1").connections)' <<<"$output"
  [ "$output" -ge 3 ] || fail "ppp1 shows $output connections"
}

@test "check finds ip_forward off and strict rp_filter on an uplink, and nothing on a healthy router" {
  lab_up
  run router "$LAB_BIN" firewall check
  assert_success
  assert_output "ok: no problems found"
  router sysctl -qw net.ipv4.ip_forward=0 net.ipv4.conf.ppp1.rp_filter=1
  run router "$LAB_BIN" firewall check
  assert_failure 7
  assert_line --partial "problem: net.ipv4.ip_forward is off"
  assert_line --partial "problem: strict rp_filter on ppp1"
  assert_equal "${#lines[@]}" 2
}

@test "ip-up sets loose rp_filter on the uplink, which strict 'all' would otherwise make strict" {
  lab_up
  router sysctl -qw net.ipv4.conf.all.rp_filter=1
  uplink_delete 1
  uplink_up 1
  run router sysctl -n net.ipv4.conf.ppp1.rp_filter
  assert_output 2
  run lab_once inet 203.0.113.11 "$LAB_ROUTER_PORT"
  assert_output "198.51.100.6"
}

@test "hostile hook input changes nothing and prints one clear line, no stack trace" {
  lab_up
  lab_state >"$LAB_TMP/before"
  local event iface remote
  for event in ip-up ip-down; do
    for iface in 'ppp0; reboot' '../x' 'ppp0123456789012' 'pppü' '' $'ppp0\nppp1'; do
      run router "$LAB_BIN" "$event" "$iface" /dev/pts/0 115200 203.0.113.10 192.0.2.1 isp0
      assert_failure 4
      assert_equal "${#lines[@]}" 1
      assert_output --regexp "^pin-hooks: $event: (PPP_IFACE .* is not an interface name|no interface: PPP_IFACE is empty)"
    done
    for remote in 192.0.2.300 '1.2.3.4 table 254' '$(reboot)'; do
      run router env PPP_IFACE=ppp0 PPP_REMOTE="$remote" "$LAB_BIN" "$event"
      assert_failure 4
      assert_equal "${#lines[@]}" 1
      assert_output --regexp "^pin-hooks: $event: PPP_REMOTE .* is not an IPv4 address; refusing to change anything$"
    done
  done
  # Through Debian's own script and run-parts, too: our one line, then run-parts' own note.
  run router /etc/ppp/ip-up 'ppp0; reboot' /dev/pts/0 115200 203.0.113.10 192.0.2.1 isp0
  assert_line --index 0 --regexp '^pin-hooks: ip-up: PPP_IFACE "ppp0; reboot" is not an interface name'
  refute_output --regexp '    at |Error:'
  lab_state >"$LAB_TMP/after"
  run diff "$LAB_TMP/before" "$LAB_TMP/after"
  assert_success
}

@test "an uplink the config does not list is logged and left alone" {
  lab_up
  lab_state >"$LAB_TMP/before"
  router ip link add ppp9 type veth peer name peer9
  run router env -u PIN_HOOKS_CONFIG PPP_IFACE=ppp9 "$LAB_BIN" ip-up
  assert_success
  assert_output "pin-hooks: ip-up: ppp9 is not an uplink in the built-in defaults; nothing to do"
  router ip link del ppp9
  lab_state >"$LAB_TMP/after"
  run diff "$LAB_TMP/before" "$LAB_TMP/after"
  assert_success
}

@test "a config writable by others is refused with the fix in the message" {
  lab_up
  printf '[uplinks]\nnames = ppp0\n' >"$LAB_TMP/open.conf"
  chmod 666 "$LAB_TMP/open.conf"
  run router env PPP_IFACE=ppp0 PIN_HOOKS_CONFIG="$LAB_TMP/open.conf" "$LAB_BIN" ip-up
  assert_failure 3
  assert_output "pin-hooks: ip-up: $LAB_TMP/open.conf: refusing config that is writable by group or others (mode 666); run: chmod go-w $LAB_TMP/open.conf"
}

@test "the binary runs without Node: show needs neither root nor PATH" {
  # A copy nobody can reach: the checkout may sit where only root can (/root is 0700).
  local copy
  copy=$(mktemp -d /tmp/pinh-$$-nobody.XXXXXX)
  chmod 755 "$copy"
  cp "$LAB_BIN" "$copy/pin-hooks"
  run /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/env -i PATH=/nonexistent "$copy/pin-hooks" firewall show
  rm -rf "$copy"
  assert_success
  assert_line --index 0 --regexp '^# config: (built-in defaults|/etc/pin-hooks/pin-hooks.conf)'
  # auto: nft is installed, and only root may ask the kernel whether it works
  assert_line '# firewall: nft (auto: /usr/sbin/nft is installed (only root may ask the kernel))'
  assert_line $'\t\toifname { "ppp0", "ppp1", "ppp2", "ppp3", "ppp4" } masquerade'
  assert_line "rule add fwmark 0x100/0xff00 table 100 priority 10000"
  run env -i "$LAB_REPO/dist/pin-firewall" --version
  assert_output --regexp '^pin-firewall [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "usage errors are one line with a hint and exit 2" {
  run "$LAB_BIN" firewall frobnicate
  assert_failure 2
  assert_output 'pin-hooks: pin-firewall: unknown command "frobnicate"; commands: init, flush, show, status, routes, failback, check (see --help)'
  run "$LAB_BIN" firewall status --xml
  assert_failure 2
  run "$LAB_BIN" firewall init --help
  assert_success
  assert_output --partial "Usage: pin-firewall [--config PATH] init"
}
