#!/usr/bin/env bats
# Real pppd drives the hooks: Debian 12's kernel in qemu (software emulation: the nested KVM here
# cannot run it), pin-hooks installed from the built .deb, ppp0 over a pty and ppp1 over PPPoE.
# The VM runs once (test/vm/init) and prints a RESULT line per check; each test reads one.
load "$BATS_TEST_DIRNAME/../../node_modules/bats-support/load"
load "$BATS_TEST_DIRNAME/../../node_modules/bats-assert/load"

REPO_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

setup_file() {
  local version deb
  version=$(sed -n '1s/^pin-hooks (\([^)]*\)).*/\1/p' "$REPO_ROOT/packaging/debian/changelog")
  deb=$REPO_ROOT/dist/pin-hooks_${version}_amd64.deb
  [ -e "$deb" ] && [ "$deb" -nt "$REPO_ROOT/dist/pin-hooks" ] || node "$REPO_ROOT/scripts/deb.mjs" >&3
  VM=$(mktemp -d /tmp/pinh-$$-vm.XXXXXX)
  export VM
  bash "$BATS_TEST_DIRNAME/image.sh" "$VM" "$deb"
  # Bounded: the guest powers itself off; a guest that hangs is killed after 4 minutes.
  timeout 240 qemu-system-x86_64 -accel tcg -m 2048 -smp 2 -nographic -no-reboot -nic none \
    -kernel "$VM/vmlinuz" -initrd "$VM/initrd.gz" -append "console=ttyS0 quiet panic=-1 rdinit=/init" \
    </dev/null >"$VM/console.log" 2>&1 || true
  grep -a -E '^(BOOTED|RESULT|VM-DONE)' "$VM/console.log" | tr -d '\r' >"$VM/results"
  sed 's/^/# /' "$VM/results" >&3
}

teardown_file() {
  rm -rf "$VM"
}

result_of() { grep -a "^RESULT $1 " "$VM/results"; }

@test "the VM boots and finishes" {
  run grep '^VM-DONE' "$VM/results"
  assert_success
}

@test "dpkg installs the package in the VM, maintainer scripts included, and the init script applies the rules" {
  run result_of install
  assert_output --partial "RESULT install ok"
  run result_of firewall-init
  assert_output --partial "RESULT firewall-init ok"
}

@test "pppd over a pty brings ppp0 up: its rule and table exist, and the hook's run is in syslog" {
  run result_of pty-up
  assert_output --partial "RESULT pty-up ok"
  run result_of hook-logged
  assert_output --partial "RESULT hook-logged ok"
}

@test "pppd over PPPoE brings ppp1 up: its rule and table exist" {
  run result_of pppoe-up
  assert_output --partial "RESULT pppoe-up ok"
}

@test "killing ppp0's pppd removes its rule within pppd's 5 s, and ppp1's stays" {
  run result_of down-within-5s
  assert_output --partial "RESULT down-within-5s ok"
  run result_of other-uplink-kept
  assert_output --partial "RESULT other-uplink-kept ok"
}

@test "20 restarts of ppp0 at once, ip-down racing the next ip-up, end with exactly one rule per uplink" {
  run result_of restart-race
  assert_output --partial "RESULT restart-race ok round 20"
}

@test "without systemd, the init script's stop removes our rules and start applies them again" {
  run result_of init-script
  assert_output --partial "RESULT init-script ok"
}

@test "without systemd, dpkg -r with links up leaves no firewall object, ip rule or table; dpkg -P no file" {
  run result_of remove-nothing-left
  assert_output --partial "RESULT remove-nothing-left ok"
  run result_of purge-nothing-left
  assert_output --partial "RESULT purge-nothing-left ok"
}
