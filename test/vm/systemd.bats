#!/usr/bin/env bats
# The package under systemd as PID 1: Debian 12's kernel in qemu booting a disk image (so the
# reboot inside keeps what was installed), pin-hooks installed with apt from dist/apt (signed-by),
# the firewall loaders driven by systemctl, real pppd and journald, remove and purge. The VM runs
# once (test/vm/systemd-test.sh, two boots) and prints a RESULT line per check; each test reads
# some. KVM when /dev/kvm boots a kernel, else software emulation (TCG).
load "$BATS_TEST_DIRNAME/../../node_modules/bats-support/load"
load "$BATS_TEST_DIRNAME/../../node_modules/bats-assert/load"

REPO_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

# KVM that is present but cannot run a guest (nested virtualization here) hangs: try it briefly.
choose_accel() {
  [ -w /dev/kvm ] || { echo tcg; return; }
  if timeout 10 qemu-system-x86_64 -accel kvm -m 256 -nographic -no-reboot -nic none -kernel "$VM/vmlinuz" \
    -append 'console=ttyS0 panic=-1' </dev/null 2>/dev/null | grep -a -q 'Linux version'; then
    echo kvm
  else
    echo tcg
  fi
}

setup_file() {
  local version
  version=$(sed -n '1s/^pin-hooks (\([^)]*\)).*/\1/p' "$REPO_ROOT/packaging/debian/changelog")
  if [ -z "${PIN_HOOKS_TEST_APT:-}" ]; then
    [ -e "$REPO_ROOT/dist/pin-hooks_${version}_amd64.deb" ] && [ "$REPO_ROOT/dist/pin-hooks_${version}_amd64.deb" -nt "$REPO_ROOT/dist/pin-hooks" ] || node "$REPO_ROOT/scripts/deb.mjs" >&3
    node "$REPO_ROOT/scripts/repo.mjs" >&3
  fi
  VM=$(mktemp -d /tmp/pinh-$$-sysvm.XXXXXX)
  export VM
  bash "$BATS_TEST_DIRNAME/systemd-image.sh" "$VM"
  # The files under test, as a tar on the VM's second disk (padded to whole sectors).
  mkdir "$VM/payload"
  cp -r "${PIN_HOOKS_TEST_APT:-$REPO_ROOT/dist/apt}" "$VM/payload/apt"
  cp "$BATS_TEST_DIRNAME/systemd-test.sh" "$VM/payload/test.sh"
  chmod 755 "$VM/payload/test.sh"
  tar -C "$VM/payload" -cf "$VM/payload.tar" .
  truncate -s %1M "$VM/payload.tar"
  ACCEL=$(choose_accel)
  local started=$SECONDS
  # Bounded: the guest powers itself off after its second boot; a hung guest is killed.
  timeout 900 qemu-system-x86_64 -accel "$ACCEL" -cpu max -m 2048 -smp 2 -nographic -nic none \
    -drive "file=$VM/disk.qcow2,format=qcow2,if=virtio" -drive "file=$VM/payload.tar,format=raw,if=virtio,readonly=on" \
    -kernel "$VM/vmlinuz" -initrd "$VM/initrd.gz" -append "console=ttyS0 quiet panic=-1 systemd.show_status=0" \
    </dev/null >"$VM/console.log" 2>&1 || true
  grep -a -E '^(BOOTED|RESULT|PHASE1-DONE|VM-DONE)' "$VM/console.log" | tr -d '\r' >"$VM/results"
  echo "$ACCEL: $((SECONDS - started)) s in qemu" >>"$VM/results"
  sed 's/^/# /' "$VM/results" >&3
}

teardown_file() {
  [ -n "${PIN_HOOKS_TEST_KEEP:-}" ] || rm -rf "$VM"
}

result_of() { grep -a "^RESULT $1 " "$VM/results"; }
assert_results() {
  local name
  for name in "$@"; do
    run result_of "$name"
    assert_output --partial "RESULT $name ok"
  done
}

@test "the VM boots twice with systemd as PID 1 and finishes" {
  run grep -c '^BOOTED' "$VM/results"
  assert_output 2
  run grep '^VM-DONE' "$VM/results"
  assert_success
  assert_results pid1
}

@test "apt-get install from dist/apt checks the signature (signed-by): the wrong key fails, ours passes" {
  assert_results apt-wrong-key apt-update apt-install
}

@test "an upgrade from the previous build re-applies our rules without flushing them (the old restart flushed)" {
  assert_results apt-install-previous unit-active-previous upgrade-no-gap upgrade-restart-flushes
}

@test "the unit is enabled and active after install, and our rules are there" {
  assert_results unit-enabled unit-active rules-applied
}

@test "after a reboot the loaders' canaries and all our rules are there" {
  assert_results reboot-loaders reboot-rules
}

@test "after the loaders were tried on both backends, init with the default config takes back exactly its rules" {
  assert_results default-backend-again
}

@test "restart, reload and stop+start of nftables rewrite its ruleset and bring all our rules back" {
  assert_results nftables-restart nftables-reload nftables-stop-start
}

@test "restart and stop+start of netfilter-persistent rewrite its rules and bring all our rules back" {
  assert_results netfilter-persistent-restart netfilter-persistent-stop-start
}

@test "stopping netfilter-persistent, which leaves its rules, leaves ours (MASQUERADE) too" {
  assert_results netfilter-persistent-stop
}

@test "restart and reload of ferm rewrite its rules and keep ours; its stop leaves ours" {
  assert_results ferm-restart ferm-reload ferm-stop
}

@test "what each loader's own command does to our rules on each backend is what the README says" {
  # The README's table ends "| ours after its load, nft backend | iptables backend |", each
  # "all gone", "nat gone" or "kept".
  local loader backend column said left full
  for loader in nftables netfilter-persistent ferm; do
    for backend in nft iptables; do
      [ "$backend" = nft ] && column=2 || column=1
      left=$(result_of "effect-$backend-$loader" | sed -n 's/.* ok \([0-9]*\) of .*/\1/p')
      full=$(result_of "effect-$backend-$loader" | sed -n 's/.* of \([0-9]*\) left$/\1/p')
      said=$(grep -E "^\| \`$loader\` \|" "$REPO_ROOT/README.md" | awk -F'|' -v c="$column" '{print $(NF - c)}' | xargs)
      case $said in
      "all gone") [ "$left" = 0 ] ;;
      "nat gone") [ "$left" -gt 0 ] && [ "$left" -lt "$full" ] ;;
      kept) [ -n "$left" ] && [ "$left" = "$full" ] ;;
      *) false ;;
      esac || fail "$loader, $backend backend: README says '$said', the VM saw ${left:-no} of ${full:-no} objects left"
    done
  done
}

@test "journalctl -u pin-firewall has each line once" {
  assert_results journal-once
}

@test "real pppd brings ppp1 up and journalctl -t pin-hooks has the hook's line (real journald)" {
  assert_results pppd-ppp1-up journal-pppd
}

@test "a connection opened while ppp0's pppd is down still works after it is back (and breaks without us)" {
  assert_results traffic-link-restart traffic-link-restart-without
}

@test "with our copy included after flush ruleset, systemctl reload nftables leaves no gap and a pinned connection loses nothing (without it, a gap and resent segments)" {
  assert_results nftables-reload-include nftables-reload-without-include
}

@test "remove with links up takes our rules, ip rules and tables; the loaders still work; purge leaves nothing" {
  assert_results remove remove-firewall remove-ip-rules remove-loaders-still-work purge purge-nothing-left
}
