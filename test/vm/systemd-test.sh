#!/bin/bash
# Runs inside the systemd VM at every boot (pinh-payload.service, systemd as PID 1). Boot 1
# installs pin-hooks from the signed repository and gives each firewall loader a canary config,
# then reboots; boot 2 checks the rules after the reboot, drives the loaders through systemctl,
# real pppd and real journald, traffic across a link's restart, then remove and purge. It prints
# one "RESULT name ok|FAIL detail" line per check on the serial console, then powers off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
here=/run/pinh
state=/var/lib/pinh-test
mkdir -p "$state"

result() { echo "RESULT $1 $2 ${3:-}"; }
check() { # check NAME DETAIL COMMAND...: one RESULT from a command's success
  local name=$1 detail=$2; shift 2
  if "$@" >/tmp/check.out 2>&1; then result "$name" ok "$detail"; else result "$name" FAIL "$detail: $(tail -3 /tmp/check.out | tr '\n' ' ')"; fi
}
now() { date +%s%N; }
ms_since() { echo $((($(now) - $1) / 1000000)); }
# wait_until SECONDS COMMAND...: polls every 0.1 s.
wait_until() {
  local limit=$(($(now) + $1 * 1000000000)); shift
  while ! "$@" >/dev/null 2>&1; do
    [ "$(now)" -lt "$limit" ] || return 1
    sleep 0.1
  done
}
# Our firewall objects on either backend: the lines of nft's table inet pin_hooks, or iptables'
# PIN-* chains, their rules and the jumps to them. The default config takes nft here.
our_objects() { { nft list table inet pin_hooks 2>/dev/null; iptables-save 2>/dev/null | grep 'PIN-'; } | wc -l; }
our_masquerade() { { nft list chain inet pin_hooks nat_out; iptables -t nat -S PIN-POSTROUTING; } 2>/dev/null | grep -qi masquerade; }
all_ours() { [ "$(our_objects)" = "$(cat "$state/full")" ]; }
none_ours() { [ "$(our_objects)" = 0 ]; }
active() { systemctl -q is-active pin-firewall.service; }
pinned() { active && all_ours; }
rules_of() { ip -N rule show | grep -c "lookup $1\$"; }
# A poller samples our nat chain; poll_gap says how long it was missing.
poll_start() {
  rm -f /tmp/poll.stop
  (for _ in $(seq 3000); do
    [ -e /tmp/poll.stop ] && break
    if our_masquerade; then echo "1 $(now)"; else echo "0 $(now)"; fi
  done >/tmp/poll.out) &
  POLL_PID=$!
}
# The time our chain was missing: from the first sample without it to the next one with it.
poll_gap() {
  touch /tmp/poll.stop
  wait "$POLL_PID"
  awk 'NR == 1 {first = $2} {last = $2} $1 == 0 && !gone {gone = $2} $1 == 1 && gone && !back {back = $2}
    END {
      gap = !gone ? "0 ms" : !back ? "not back" : int((back - gone) / 1000000) " ms"
      every = (NR > 1) ? int((last - first) / (NR - 1) / 1000000) : 0
      print gap " (sampled every " every " ms)"
    }' /tmp/poll.out
}
# The unit's journal from here on (journal_since CURSOR), and the cursor to pass.
journal_cursor() { journalctl -q -n 1 --show-cursor | sed -n 's/^-- cursor: //p'; }
journal_since() { journalctl -q -o cat -u pin-firewall.service --after-cursor="$1"; }

if [ ! -e "$state/phase" ]; then
  started=$(now)
  echo "BOOTED 1 $(cut -d' ' -f1 /proc/uptime) s"
  check pid1 "$(cat /proc/1/comm)" test "$(cat /proc/1/comm)" = systemd

  # The repository as users add it: signed-by our key. A wrong key must fail the update.
  cp -r "$here/apt" /srv/apt
  cp /srv/apt/pin-hooks-archive-keyring.gpg /usr/share/keyrings/
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] file:/srv/apt ./" >/etc/apt/sources.list.d/pin-hooks.list
  if apt-get update >/tmp/apt.log 2>&1 && ! grep -q 'NO_PUBKEY\|not signed' /tmp/apt.log; then result apt-wrong-key FAIL "update passed with the wrong key"; else result apt-wrong-key ok "$(grep -o 'NO_PUBKEY [0-9A-F]*' /tmp/apt.log | head -1)"; fi
  echo "deb [signed-by=/usr/share/keyrings/pin-hooks-archive-keyring.gpg] file:/srv/apt ./" >/etc/apt/sources.list.d/pin-hooks.list
  check apt-update "signed-by our key" sh -c 'apt-get update 2>&1 | tee /tmp/apt.log && ! grep -q "^[WE]:" /tmp/apt.log'
  # The previous build first, then the upgrade to this one, which must re-apply our rules
  # without a moment when they are missing (no stop, so no flush).
  previous=$(apt-cache madison pin-hooks | awk '{print $3}' | tail -1)
  check apt-install-previous "$previous" env DEBIAN_FRONTEND=noninteractive apt-get install -y "pin-hooks=$previous"
  check unit-active-previous "" active
  cursor=$(journal_cursor)
  poll_start
  t=$(now)
  check apt-install "upgrade to $(apt-cache madison pin-hooks | awk '{print $3}' | head -1)" env DEBIAN_FRONTEND=noninteractive apt-get install -y pin-hooks
  result install-time ok "$(ms_since "$t") ms"
  gap=$(poll_gap)
  wait_until 10 eval 'journal_since "$cursor" | grep -q "installed pinning"'
  upgrade_log=$(journal_since "$cursor" | sed 's/^pin-hooks: //' | tr '\n' ';')
  if [ "$gap" != "${gap#0 ms}" ] && [[ $upgrade_log == *"installed pinning"* ]] && [[ $upgrade_log != *removed* ]]; then
    result upgrade-no-gap ok "re-applied, never flushed: $upgrade_log our masquerade missing $gap"
  else
    result upgrade-no-gap FAIL "the unit logged: $upgrade_log our masquerade missing $gap"
  fi
  # Its twin: the restart the upgrade did before (its stop flushes our rules).
  cursor=$(journal_cursor)
  systemctl restart pin-firewall.service
  wait_until 10 eval 'journal_since "$cursor" | grep -q "installed pinning"'
  restart_log=$(journal_since "$cursor" | sed 's/^pin-hooks: //' | tr '\n' ';')
  if [[ $restart_log == *removed* ]]; then result upgrade-restart-flushes ok "$restart_log"; else result upgrade-restart-flushes FAIL "the lab does not show the failure: $restart_log"; fi
  check unit-enabled "" systemctl -q is-enabled pin-firewall.service
  check unit-active "" active
  our_objects >"$state/full"
  check rules-applied "$(cat "$state/full") objects" test "$(cat "$state/full")" -gt 0

  # Canary configs: each loader's own chain, and for netfilter-persistent a nat table as
  # `iptables-save > rules.v4` on a NATing router has it (its restore replaces our nat chains).
  printf 'flush ruleset\ntable inet canary {\n\tchain input { type filter hook input priority 0; }\n}\n' >/etc/nftables.conf
  printf '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:NP-CANARY - [0:0]\nCOMMIT\n' >/etc/iptables/rules.v4
  printf 'table filter chain FERM-CANARY proto tcp dport 9 ACCEPT;\n' >/etc/ferm/ferm.conf
  echo 2 >"$state/phase"
  echo "PHASE1-DONE $(ms_since "$started") ms"
  systemctl reboot
  exit 0
fi

started=$(now)
echo "BOOTED 2 $(cut -d' ' -f1 /proc/uptime) s"
# This script starts as part of the boot: let the rest of it finish first (bounded).
timeout 120 systemctl is-system-running --wait >/dev/null
canaries() { nft list table inet canary && iptables -t nat -S NP-CANARY && iptables-legacy -S FERM-CANARY; }
check reboot-loaders "the three canaries loaded at boot" canaries
check reboot-rules "$(our_objects) of $(cat "$state/full") objects, unit $(systemctl is-active pin-firewall.service)" pinned
pinned || { systemctl list-jobs --no-pager; journalctl -b -o short-monotonic --no-pager -u pin-firewall -u nftables -u ferm -u netfilter-persistent; } 2>&1 | sed 's/^/DIAG /'

# What each loader's own command does to our rules on each backend, without systemd re-applying
# them: the README's table says the same (test/vm/systemd.bats compares).
effect() { # effect BACKEND LOADER COMMAND...
  local backend=$1 loader=$2 full; shift 2
  printf '[firewall]\nbackend = %s\n' "$backend" >"/run/pinh-$backend.conf"
  PIN_HOOKS_CONFIG=/run/pinh-$backend.conf pin-firewall init 2>/dev/null
  full=$(our_objects)
  "$@" >/tmp/effect.log 2>&1
  result "effect-$backend-$loader" ok "$(our_objects) of $full left"
}
for backend in nft iptables; do
  effect "$backend" nftables nft -f /etc/nftables.conf
  effect "$backend" netfilter-persistent netfilter-persistent start
  effect "$backend" ferm env _SYSTEMCTL_SKIP_REDIRECT=1 /etc/init.d/ferm reload
done
pin-firewall init 2>/dev/null
check default-backend-again "$(our_objects) objects" all_ours

# Every systemctl case: a stale chain in the loader's ruleset proves it really rewrote its
# rules; a poller samples our nat chain to measure the time it was missing.
stale_add() {
  case $1 in
  nftables) nft add chain inet canary stale ;;
  netfilter-persistent) iptables -t nat -N NP-STALE ;;
  ferm) iptables-legacy -N FERM-STALE ;;
  esac
}
rewrote() {
  case $1 in
  nftables) nft list table inet canary && ! nft list chain inet canary stale ;;
  netfilter-persistent) iptables -t nat -S NP-CANARY && ! iptables -t nat -S NP-STALE ;;
  ferm) iptables-legacy -S FERM-CANARY && ! iptables-legacy -S FERM-STALE ;;
  esac
}
# Each case starts from our unit active with all its rules, whatever the case before left.
fresh() { systemctl start pin-firewall.service && wait_until 30 pinned; }
# loader_case NAME LOADER ACTION...: systemctl ACTION LOADER, then our rules must come back.
loader_case() {
  local name=$1 loader=$2 t returned at_return back gap; shift 2
  fresh
  stale_add "$loader" 2>/dev/null
  poll_start
  t=$(now)
  for action in "$@"; do systemctl "$action" "$loader.service"; done
  returned=$(ms_since "$t")
  at_return=$(our_objects)
  t=$(now)
  wait_until 30 pinned
  back=$(ms_since "$t")
  gap=$(poll_gap)
  if pinned && rewrote "$loader" >/dev/null 2>&1; then
    result "$name" ok "rewrote its rules; systemctl took $returned ms, $at_return objects of ours at its return, all back $back ms later; our masquerade missing $gap"
  else
    result "$name" FAIL "unit $(systemctl is-active pin-firewall.service), $(our_objects) objects, rewrote: $(rewrote "$loader" >/dev/null 2>&1 && echo yes || echo no)"
  fi
}
# stop_keeps NAME LOADER: stopping a loader that leaves its rules must leave ours too.
stop_keeps() {
  fresh
  systemctl stop "$2.service"
  sleep 2
  if pinned && our_masquerade; then
    result "$1" ok "unit active, MASQUERADE kept"
  else
    result "$1" FAIL "unit $(systemctl is-active pin-firewall.service), $(our_objects) objects"
  fi
  systemctl start "$2.service"
  wait_until 30 pinned
}
loader_case nftables-restart nftables restart
loader_case nftables-reload nftables reload
loader_case nftables-stop-start nftables stop start
loader_case netfilter-persistent-restart netfilter-persistent restart
stop_keeps netfilter-persistent-stop netfilter-persistent
loader_case netfilter-persistent-stop-start netfilter-persistent stop start
loader_case ferm-restart ferm restart
loader_case ferm-reload ferm reload
stop_keeps ferm-stop ferm

# The unit's own log: each line once (stderr and syslog both reach journald under systemd).
systemctl restart pin-firewall.service
invocation=$(systemctl show -p InvocationID --value pin-firewall.service)
journalctl -q -o cat _SYSTEMD_UNIT=pin-firewall.service _SYSTEMD_INVOCATION_ID="$invocation" | sed 's/^pin-hooks: //' >/tmp/unit.log
if [ -s /tmp/unit.log ] && [ -z "$(sort /tmp/unit.log | uniq -d)" ]; then
  result journal-once ok "$(wc -l </tmp/unit.log) lines: $(head -1 /tmp/unit.log)"
else
  result journal-once FAIL "$(sort /tmp/unit.log | uniq -c | sort -rn | head -2 | tr '\n' ' ')"
fi

# Real pppd: ppp1 and then ppp0 over ptys to an ISP namespace holding the server, whose
# rp_filter drops packets that arrive on the wrong link (the ISPs' anti-spoofing).
sysctl -qw net.ipv4.ip_forward=1
modprobe -a ppp_generic ppp_async veth
ip netns add isp
ip netns exec isp sh -c 'ip link set lo up; ip addr add 203.0.113.100/32 dev lo; sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1'
ip netns exec isp socat TCP-LISTEN:7,fork,reuseaddr PIPE &
SERVER_PID=$!
ip netns add lan
ip link add eth0 type veth peer name eth0 netns lan
ip addr add 10.0.0.1/24 dev eth0
ip link set eth0 up
ip netns exec lan sh -c 'ip link set lo up; ip link set eth0 up; ip addr add 10.0.0.2/24 dev eth0; ip route add default via 10.0.0.1'
# start_link UNIT LOCAL PEER OPTIONS...: pppd over a pty; the peer pppd runs in the ISP namespace.
start_link() {
  local unit=$1 local=$2 peer=$3; shift 3
  pppd pty "ip netns exec isp pppd notty noauth lcp-restart 1 ipcp-restart 1 $peer:$local" \
    noauth nodetach unit "$unit" lcp-restart 1 ipcp-restart 1 "$@" "$local:$peer" >/dev/null 2>&1 &
  eval "LINK$unit=\$!"
}
up() { [ "$(rules_of $((100 + $1)))" = 1 ] && ip link show "ppp$1" | grep -q LOWER_UP; }
default_via() { ip route show default | grep -q "dev $1"; }
start_link 1 198.51.100.10 198.51.100.1 defaultroute
check pppd-ppp1-up "rule and default route" wait_until 60 eval 'up 1 && default_via ppp1'
up 1 || { ip -br link; ip rule; ip route; journalctl -b -q --no-pager -t pppd -t pin-hooks | tail -20; } 2>&1 | sed 's/^/DIAG /'
check journal-pppd "journalctl -t pin-hooks has ip-up's line" wait_until 10 eval 'journalctl -q -t pin-hooks | grep -q "ppp1 up"'

# conversation NAME: a LAN client opens a connection while ppp0 is down, then (after "go") uses it again.
conversation() {
  rm -f "/tmp/$1".*
  ip netns exec lan bash -c "
    exec 3<>/dev/tcp/203.0.113.100/7 || exit 1
    echo one >&3; read -t 5 -r a <&3; echo \"\$a\" >/tmp/$1.first
    for _ in \$(seq 600); do [ -e /tmp/$1.go ] && break; sleep 0.1; done
    echo two >&3; read -t 5 -r b <&3; echo \"\$b\" >/tmp/$1.second" &
  CLIENT_PID=$!
}
# link_restart_case NAME [COMMAND...]: ppp0's pppd comes up while the connection is open, then
# COMMAND runs; ANSWER is what the server echoed before and after, "one-two" when the connection
# survived.
link_restart_case() {
  conversation "$1"
  wait_until 20 grep -qx one "/tmp/$1.first"
  start_link 0 192.0.2.10 192.0.2.1 defaultroute replacedefaultroute
  wait_until 60 eval 'up 0 && default_via ppp0'
  "${@:2}"
  touch "/tmp/$1.go"
  wait "$CLIENT_PID"
  ANSWER="$(cat "/tmp/$1.first" 2>/dev/null)-$(cat "/tmp/$1.second" 2>/dev/null)"
}
link_restart_case pinned
if [ "$ANSWER" = one-two ] && up 0; then result traffic-link-restart ok "the connection opened over ppp1 answers after ppp0's pppd is back"; else result traffic-link-restart FAIL "answer '$ANSWER', $(ip rule | tr '\n' ' ')"; fi
up 0 || journalctl -b -q --no-pager -t pppd -t pin-hooks | tail -8 | sed 's/^/DIAG /'
ppp0_down() {
  kill "$LINK0"
  wait "$LINK0"
  ip route replace default dev ppp1
}

# README's "No gap at all": /etc/nftables.conf includes our table's copy after `flush ruleset`,
# and `systemctl reload nftables` runs under a connection pinned to ppp1; the client sends again
# as soon as systemctl returns. Without our table that packet leaves by ppp0 and the ISP drops
# it, so TCP has to resend it: the twin without the include shows the gap and the resent segments.
nftables_conf() { # nftables_conf with-include|without-include
  {
    echo 'flush ruleset'
    [ "$1" = with-include ] && echo 'include "/var/lib/pin-hooks/*.nft"'
    printf 'table inet canary {\n\tchain input { type filter hook input priority 0; }\n}\n'
  } >/etc/nftables.conf
}
# TCP segments the LAN host has resent (its namespace's own counter).
resent() { ip netns exec lan awk '$1 == "Tcp:" && !column {for (i = 2; i <= NF; i++) if ($i == "RetransSegs") column = i; next} $1 == "Tcp:" {print $column}' /proc/net/snmp; }
reload_nftables() {
  poll_start
  local t
  t=$(now)
  RESENT=$(resent)
  systemctl reload nftables.service
  touch "/tmp/$CASE.go"
  RELOADED="systemctl took $(ms_since "$t") ms, $(our_objects) of $(cat "$state/full") objects of ours at its return"
}
cp /etc/nftables.conf /tmp/nftables.conf.canary
for include in with-include without-include; do
  nftables_conf "$include"
  ppp0_down
  CASE=reload-$include
  link_restart_case "$CASE" reload_nftables
  wait_until 30 pinned
  gap=$(poll_gap)
  resent=$(($(resent) - RESENT))
  detail="answer '$ANSWER', $resent segments resent; $RELOADED; our masquerade missing $gap"
  case $include:$ANSWER:$gap in
  with-include:one-two:"0 ms"*) [ "$resent" = 0 ] && result nftables-reload-include ok "$detail" || result nftables-reload-include FAIL "$detail" ;;
  with-include:*) result nftables-reload-include FAIL "$detail" ;;
  without-include:*:"0 ms"*) result nftables-reload-without-include FAIL "the lab does not show the gap: $detail" ;;
  without-include:*) [ "$resent" -gt 0 ] && result nftables-reload-without-include ok "$detail" || result nftables-reload-without-include FAIL "nothing resent: $detail" ;;
  esac
done
cp /tmp/nftables.conf.canary /etc/nftables.conf
systemctl reload nftables.service
wait_until 30 pinned
# Its twin without pinning: our rules flushed, a plain MASQUERADE in their place, same steps.
systemctl stop pin-firewall.service
iptables -t nat -A POSTROUTING -o ppp+ -j MASQUERADE
ppp0_down
link_restart_case unpinned
if [ "$ANSWER" = one- ]; then result traffic-link-restart-without ok "answered over ppp1, broken once ppp0 is back, as expected"; else result traffic-link-restart-without FAIL "answer '$ANSWER': the lab does not show the failure"; fi
iptables -t nat -D POSTROUTING -o ppp+ -j MASQUERADE
systemctl start pin-firewall.service

# Remove with links up: our rules, ip rules and tables go; purge leaves no file of ours.
check remove "" env DEBIAN_FRONTEND=noninteractive apt-get remove -y pin-hooks
check remove-firewall "$(our_objects) objects left" none_ours
check remove-ip-rules "$(ip rule | grep -c 'lookup 10[0-4]') rules left" eval '! ip rule | grep -q "lookup 10[0-4]" && [ -z "$(ip route show table 101)" ]'
check remove-loaders-still-work "" systemctl restart nftables.service netfilter-persistent.service ferm.service
check purge "" env DEBIAN_FRONTEND=noninteractive apt-get purge -y pin-hooks
left=$(find / -xdev \( -name '*pin-hooks*' -o -name '*pin-firewall*' \) \
  ! -path '/srv/apt*' ! -path '/var/lib/apt/lists/*' ! -path '/var/cache/apt/*' ! -path '/var/lib/pinh-test*' \
  ! -path /usr/share/keyrings/pin-hooks-archive-keyring.gpg ! -path /etc/apt/sources.list.d/pin-hooks.list 2>/dev/null)
if [ -z "$left" ] && ! dpkg-query -W -f '${Status}' pin-hooks 2>/dev/null | grep -q installed; then result purge-nothing-left ok; else result purge-nothing-left FAIL "$(echo $left)"; fi

kill "$LINK1" "$SERVER_PID" 2>/dev/null
echo "VM-DONE $(ms_since "$started") ms"
systemctl poweroff
