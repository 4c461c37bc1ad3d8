#!/usr/bin/env bats
# The package as users get it: a fresh Debian 12 chroot, our dist/apt repository added as a
# signed file: source, then apt-get install / upgrade from the previous build / remove / purge.
load "$BATS_TEST_DIRNAME/../../node_modules/bats-support/load"
load "$BATS_TEST_DIRNAME/../../node_modules/bats-assert/load"

REPO_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CACHE=${PIN_HOOKS_TEST_CACHE:-/var/cache/pin-hooks-test}
MIRROR=${PIN_HOOKS_TEST_MIRROR:-http://deb.debian.org/debian}
PREVIOUS=0.1.0-0+prev

in_root() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
apt_in_root() { in_root apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"; }
# Removing the package runs `pin-hooks ip-down --all`, which changes ip rules and tables: that
# happens in a network namespace of the test's own, never in the host's. (Install and upgrade
# need the Debian mirror and touch no network state.)
apt_in_root_netns() { ip netns exec "$NETNS" chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@"; }

setup_file() {
  ROOT=$(mktemp -d /tmp/pinh-$$-chroot.XXXXXX)
  NETNS=pinh-$$-package
  export ROOT NETNS
  ip netns add "$NETNS"
  # The previous build (an older version of the same tree) and the current one, in one repository.
  node "$REPO_ROOT/scripts/deb.mjs" --version "$PREVIOUS" >&3
  node "$REPO_ROOT/scripts/deb.mjs" >&3
  node "$REPO_ROOT/scripts/repo.mjs" >&3
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
  command -v systemd-analyze >/dev/null || apt-get install -y -qq systemd >/dev/null
  if [ ! -e "$CACHE/bookworm-minbase.tar" ]; then
    mkdir -p "$CACHE"
    debootstrap --variant=minbase --make-tarball="$CACHE/bookworm-minbase.tar.part" bookworm "$ROOT/.tarball-work" "$MIRROR" >/dev/null
    mv "$CACHE/bookworm-minbase.tar.part" "$CACHE/bookworm-minbase.tar"
    rm -rf "$ROOT/.tarball-work"
  fi
  debootstrap --variant=minbase --unpack-tarball="$CACHE/bookworm-minbase.tar" bookworm "$ROOT" "$MIRROR" >/dev/null
  mount -t proc proc "$ROOT/proc"
  # As in any chroot, nothing may start: install and upgrade run in the host's network namespace,
  # where the postinst's invoke-rc.d start (the init script) would apply our rules.
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
  chmod 755 "$ROOT/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
  mkdir -p "$ROOT/srv"
  cp -r "$REPO_ROOT/dist/apt" "$ROOT/srv/apt"
  cp "$REPO_ROOT/dist/apt/pin-hooks-archive-keyring.gpg" "$ROOT/usr/share/keyrings/"
  echo "deb [signed-by=/usr/share/keyrings/pin-hooks-archive-keyring.gpg] file:/srv/apt ./" >"$ROOT/etc/apt/sources.list.d/pin-hooks.list"
  apt_in_root update >/dev/null
}

teardown_file() {
  umount "$ROOT/proc" 2>/dev/null || true
  rm -rf "$ROOT"
  ip netns del "$NETNS" 2>/dev/null || true
}

@test "the chroot is a Debian 12 without Node" {
  run in_root cat /etc/debian_version
  assert_output --regexp '^12\.'
  local dir
  for dir in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
    [ ! -e "$ROOT$dir/node" ] && [ ! -e "$ROOT$dir/nodejs" ] || fail "$dir has node"
  done
}

@test "apt-get install pin-hooks (the previous build) from the signed repository" {
  run apt_in_root install "pin-hooks=$PREVIOUS"
  assert_success
  run in_root dpkg-query -W -f '${Version} ${Status}' pin-hooks
  assert_output "$PREVIOUS install ok installed"
}

@test "the hooks are executable and run-parts finds them; pin-firewall runs without Node" {
  [ -x "$ROOT/etc/ppp/ip-up.d/pin-hooks" ] && [ -x "$ROOT/etc/ppp/ip-down.d/pin-hooks" ]
  run in_root run-parts --test /etc/ppp/ip-up.d
  assert_output "/etc/ppp/ip-up.d/pin-hooks"
  run in_root run-parts --test /etc/ppp/ip-down.d
  assert_output "/etc/ppp/ip-down.d/pin-hooks"
  run in_root pin-firewall --version
  assert_output "pin-firewall 0.1.0"
  run in_root pin-firewall show
  assert_success
  assert_line '# config: /etc/pin-hooks/pin-hooks.conf'
  run in_root /etc/ppp/ip-up.d/pin-hooks --help
  assert_line --index 0 --partial 'Usage: pin-hooks ip-up'
}

@test "the boot unit is enabled, the config and table names are in place" {
  [ -L "$ROOT/etc/systemd/system/multi-user.target.wants/pin-firewall.service" ]
  [ -f "$ROOT/etc/pin-hooks/pin-hooks.conf" ]
  run in_root stat -c '%U %a' /etc/pin-hooks/pin-hooks.conf
  assert_output "root 644"
  run grep -cE '^[0-9]+[[:space:]]+ppp[0-9]$' "$ROOT/etc/iproute2/rt_tables.d/pin-hooks.conf"
  assert_output 5
  # the prefix routes' protocol has its name: ip reads it from the chroot's /etc/iproute2
  ip -n "$NETNS" link add ppp1 type veth peer name peer1
  ip -n "$NETNS" link set peer1 up
  ip -n "$NETNS" link set ppp1 up
  ip -n "$NETNS" route add 11.0.0.0/24 dev ppp1 proto 112
  run ip netns exec "$NETNS" chroot "$ROOT" ip route show proto pin-hooks
  assert_output '11.0.0.0/24 dev ppp1 scope link '
}

@test "the unit verifies and is ordered after, and follows, the distribution's firewall loaders" {
  # systemd is not PID 1 here: test/vm/systemd.bats runs the loaders; this checks the unit as read.
  run systemd-analyze verify --man=no --root="$ROOT" pin-firewall.service
  assert_success
  refute_output --partial pin-firewall
  local unit=$ROOT/lib/systemd/system/pin-firewall.service loader
  for loader in nftables.service netfilter-persistent.service ferm.service; do
    grep -qE "^After=.*\b$loader\b" "$unit" || fail "not After=$loader"
    grep -qE "^ReloadPropagatedFrom=.*\b$loader\b" "$unit" || fail "not ReloadPropagatedFrom=$loader (reload)"
  done
  # nftables' stop flushes everything: we stop and start with it. The others' stop keeps rules.
  grep -qx 'PartOf=nftables.service' "$unit"
  grep -qx 'WantedBy=multi-user.target nftables.service' "$unit"
  [ -L "$ROOT/etc/systemd/system/nftables.service.wants/pin-firewall.service" ]
  for loader in netfilter-persistent ferm; do
    grep -qx 'ExecStartPost=-/bin/systemctl --no-block try-reload-or-restart pin-firewall.service' "$ROOT/lib/systemd/system/$loader.service.d/pin-hooks.conf"
  done
  grep -qx 'ExecStart=/usr/sbin/pin-firewall init' "$unit"
  grep -qx 'ExecStop=/usr/sbin/pin-firewall flush' "$unit"
  grep -qx 'RemainAfterExit=yes' "$unit"
}

@test "upgrade to the current build keeps a config the admin changed" {
  printf '\n[log]\nsyslog = no\n' >>"$ROOT/etc/pin-hooks/pin-hooks.conf"
  run apt_in_root install pin-hooks
  assert_success
  run in_root dpkg-query -W -f '${Version}' pin-hooks
  assert_output "0.1.0-1"
  run tail -1 "$ROOT/etc/pin-hooks/pin-hooks.conf"
  assert_output "syslog = no"
}

in_netns_root() { ip netns exec "$NETNS" chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
# Our firewall objects on either backend: nft's table inet pin_hooks, iptables' PIN-* chains.
our_objects() { { in_netns_root nft list table inet pin_hooks 2>/dev/null; in_netns_root iptables-save 2>/dev/null | grep 'PIN-'; } | wc -l; }

@test "the init script for systems without systemd applies and removes our rules" {
  [ -x "$ROOT/etc/init.d/pin-firewall" ]
  run grep -E '^# Should-Start: +nftables netfilter-persistent ferm$' "$ROOT/etc/init.d/pin-firewall"
  assert_success
  run in_netns_root /etc/init.d/pin-firewall start
  assert_success
  [ "$(our_objects)" -gt 0 ] || fail "start made no rules"
  run in_netns_root /etc/init.d/pin-firewall stop
  assert_success
  run our_objects
  assert_output 0
}

@test "remove without systemd running (a chroot) takes our firewall rules and every uplink's rule, table and prefix route; it keeps the config" {
  # What boot and ppp1's ip-up made, in the test's own network namespace (ppp1 is up since above).
  in_netns_root pin-firewall init
  ip -n "$NETNS" addr add 198.51.100.10 peer 198.51.100.1/32 dev ppp1
  in_netns_root env PPP_IFACE=ppp1 PPP_LOCAL=198.51.100.10 PPP_REMOTE=198.51.100.1 /etc/ppp/ip-up.d/pin-hooks
  [ "$(our_objects)" -gt 0 ] || fail "init made no rules"
  [ -n "$(ip -n "$NETNS" rule show table 101)" ] || fail "ip-up made no rule"
  run apt_in_root_netns remove pin-hooks
  assert_success
  run our_objects
  assert_output 0
  [ -z "$(ip -n "$NETNS" rule show table 101)" ] || fail "the rule of table 101 survived: $(ip -n "$NETNS" rule)"
  [ -z "$(ip -n "$NETNS" route show table 101)" ] || fail "table 101 survived"
  [ -z "$(ip -n "$NETNS" route show proto 112)" ] || fail "a prefix route survived: $(ip -n "$NETNS" route)"
  [ -n "$(ip -n "$NETNS" link show ppp1)" ]
  [ ! -e "$ROOT/usr/libexec/pin-hooks/pin-hooks" ]
  [ ! -e "$ROOT/usr/sbin/pin-firewall" ]
  [ ! -e "$ROOT/etc/ppp/ip-up.d/pin-hooks" ]
  [ -f "$ROOT/etc/pin-hooks/pin-hooks.conf" ]
}

@test "purge leaves nothing of ours" {
  run apt_in_root_netns purge pin-hooks
  assert_success
  run in_root dpkg-query -W -f '${Status}' pin-hooks
  refute_output --partial "installed"
  local path
  for path in /etc/pin-hooks /etc/iproute2/rt_tables.d/pin-hooks.conf /etc/iproute2/rt_protos.d/pin-hooks.conf /usr/libexec/pin-hooks /usr/sbin/pin-firewall \
    /etc/ppp/ip-up.d/pin-hooks /etc/ppp/ip-down.d/pin-hooks /lib/systemd/system/pin-firewall.service \
    /etc/systemd/system/multi-user.target.wants/pin-firewall.service /etc/systemd/system/nftables.service.wants/pin-firewall.service \
    /lib/systemd/system/netfilter-persistent.service.d/pin-hooks.conf /lib/systemd/system/ferm.service.d/pin-hooks.conf \
    /etc/init.d/pin-firewall /usr/share/doc/pin-hooks; do
    [ ! -e "$ROOT$path" ] && [ ! -L "$ROOT$path" ] || fail "$path survived the purge"
  done
  run find "$ROOT"/etc/rc?.d -name '*pin-firewall*'
  assert_output ''
}
