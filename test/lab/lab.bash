# The lab: a router with PPP-like uplinks to ISPs that drop spoofed sources, a LAN client and an
# internet server, each in a network namespace of its own. Sourced by the bats tests and the demo.
#
#   lan 10.0.0.2 --eth0-- router --pppX-- ispX --upX-- inet (server 198.51.100.200)
#
# Uplink X: router pppX 203.0.113.1X peer 192.0.2.(X+1); ispX customer side the reverse;
# ispX wan <-> inet ispX on 198.51.100.(4X+1)/30 <-> .(4X+2)/30. Only test ranges, only our namespaces.

LAB_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_BIN=${LAB_BIN:-$LAB_REPO/dist/pin-hooks}
LAB_TRAFFIC=$LAB_REPO/test/lab/traffic.mjs
LAB_NODE=${LAB_NODE:-$(command -v node)}
LAB_UPLINKS=${LAB_UPLINKS:-3}
LAB_SERVER=198.51.100.200
LAB_PORT=9000        # the internet server
LAB_ROUTER_PORT=7070 # a listener on the router itself
LAB_LAN_PORT=8080    # DNATed from every uplink to the LAN client
# The firewall backend under test: `npm test` runs the lab once with each.
LAB_BACKEND=${PIN_HOOKS_LAB_BACKEND:-iptables}

lab_init() {
  LAB=pinh-${1:-$$}
  LAB_TMP=$(mktemp -d "/tmp/$LAB.XXXXXX")
  LAB_PIDS=()
  lab_config
}

ns() { local name=$1; shift; ip netns exec "$LAB-$name" "$@"; }
router() { ns router "$@"; }
uplink_addr() { echo "203.0.113.1$1"; }
isp_addr() { echo "192.0.2.$(($1 + 1))"; }

# Network namespaces start with ip_forward=0 and rp_filter=0.
_ns_add() {
  ip netns add "$LAB-$1"
  ns "$1" ip link set lo up
}

# A background process inside a namespace, killed by lab_teardown. fd 3 is closed for bats.
lab_spawn() {
  local name=$1; shift
  ip netns exec "$LAB-$name" "$@" >/dev/null 2>&1 3>&- &
  LAB_PIDS+=($!)
}

# pppd's view of an uplink: an interface with a /32 peer address. veth is not PPP, so the ISP
# answers ARP for everything (proxy_arp, no delay) to make `default dev pppX` routes work.
uplink_create() {
  local x=$1
  ip link add "ppp$x" netns "$LAB-router" type veth peer name cust netns "$LAB-isp$x"
  router ip addr add "$(uplink_addr "$x")" peer "$(isp_addr "$x")/32" dev "ppp$x"
  ns "isp$x" ip addr add "$(isp_addr "$x")" peer "$(uplink_addr "$x")/32" dev cust
  ns "isp$x" sysctl -qw net.ipv4.conf.cust.proxy_arp=1 net.ipv4.neigh.cust.proxy_delay=0
  ns "isp$x" ip link set cust up
  router ip link set "ppp$x" up
  _lab_default_route "$x"
}

# pppd's defaultroute and hand-set metrics, as routers have them without [uplinks] default_route;
# LAB_DEFAULT_ROUTES=no leaves the main table's default route to pin-hooks.
_lab_default_route() {
  [ "${LAB_DEFAULT_ROUTES:-yes}" = no ] || router ip route replace default dev "ppp$1" metric "$((10 * ($1 + 1)))"
}

# The router's config: the backend under test (its copy for nftables.conf kept in $LAB_TMP, not
# in the host's /var/lib) and the lines given, written to $LAB_TMP and named by PIN_HOOKS_CONFIG,
# which Debian's /etc/ppp/ip-up passes on to the hooks (pppd itself would clear it; the lab has no pppd).
lab_config() {
  { printf '[firewall]\nbackend = %s\nnft_file = %s\n' "$LAB_BACKEND" "$LAB_TMP/nft.d/pin-hooks.nft"; printf '%s\n' "$@"; } >"$LAB_TMP/pin-hooks.conf"
  export PIN_HOOKS_CONFIG=$LAB_TMP/pin-hooks.conf
}

# Hooks run the way pppd runs them: Debian's /etc/ppp/ip-up with pppd's six arguments; run-parts
# finds our hook in the router's own /etc/ppp (ip netns exec bind-mounts /etc/netns/NS over /etc).
# What the hooks print goes to $LAB_TMP/hooks.log, as pppd gives hooks no terminal.
ppp_hook() {
  local event=$1 x=$2
  router /etc/ppp/"$event" "ppp$x" "/dev/pts/$x" 115200 "$(uplink_addr "$x")" "$(isp_addr "$x")" "isp$x" 2>>"$LAB_TMP/hooks.log"
}

uplink_up() { uplink_create "$1"; [ "$LAB_MODE" = plain ] || ppp_hook ip-up "$1"; }

# pppd deletes the interface, then runs ip-down.
uplink_delete() { router ip link del "ppp$1"; [ "$LAB_MODE" = plain ] || ppp_hook ip-down "$1"; }

# The other flap style: the link goes down and comes back with the same interface.
uplink_link_down() { router ip link set "ppp$1" down; [ "$LAB_MODE" = plain ] || ppp_hook ip-down "$1"; }
uplink_link_up() {
  router ip link set "ppp$1" up
  _lab_default_route "$1"
  [ "$LAB_MODE" = plain ] || ppp_hook ip-up "$1"
}

# The router's /etc/ppp and /etc/pin-hooks, seen only inside its namespace.
_router_etc() {
  local etc=/etc/netns/$LAB-router
  mkdir -p "$etc/ppp/ip-up.d" "$etc/ppp/ip-down.d"
  # Hide a config the host may have: the lab runs on the built-in defaults unless a test says otherwise.
  if [ -d /etc/pin-hooks ]; then mkdir -p "$etc/pin-hooks"; fi
  cp /etc/ppp/ip-up /etc/ppp/ip-down "$etc/ppp/"
  if [ "$LAB_MODE" != plain ]; then
    ln -s "$LAB_BIN" "$etc/ppp/ip-up.d/pin-hooks"
    ln -s "$LAB_BIN" "$etc/ppp/ip-down.d/pin-hooks"
  fi
}

# LAB_MODE=pinned (pin-firewall init + hooks) or plain (MASQUERADE only: the setup we fix).
lab_up() {
  LAB_MODE=${1:-pinned}
  local x
  for name in lan router inet; do _ns_add "$name"; done
  _router_etc
  ns inet ip addr add "$LAB_SERVER/32" dev lo

  ip link add eth0 netns "$LAB-router" type veth peer name eth0 netns "$LAB-lan"
  router ip addr add 10.0.0.1/24 dev eth0
  router ip link set eth0 up
  ns lan ip addr add 10.0.0.2/24 dev eth0
  ns lan ip link set eth0 up
  ns lan ip route add default via 10.0.0.1
  router sysctl -qw net.ipv4.ip_forward=1

  for ((x = 0; x < LAB_UPLINKS; x++)); do
    _ns_add "isp$x"
    ns "isp$x" sysctl -qw net.ipv4.ip_forward=1
    ip link add wan netns "$LAB-isp$x" type veth peer name "isp$x" netns "$LAB-inet"
    ns "isp$x" ip addr add "198.51.100.$((4 * x + 1))/30" dev wan
    ns "isp$x" ip link set wan up
    ns "isp$x" ip route add default via "198.51.100.$((4 * x + 2))"
    ns inet ip addr add "198.51.100.$((4 * x + 2))/30" dev "isp$x"
    ns inet ip link set "isp$x" up
    ns inet ip route add "$(uplink_addr "$x")/32" via "198.51.100.$((4 * x + 1))"
    # Anti-spoofing, as real ISPs do: only the address this ISP assigned may leave its customer.
    ns "isp$x" iptables -A FORWARD -i cust ! -s "$(uplink_addr "$x")" -j DROP
  done

  router iptables -t nat -A PREROUTING ! -i eth0 -p tcp --dport "$LAB_LAN_PORT" -j DNAT --to-destination "10.0.0.2:$LAB_LAN_PORT"
  if [ "$LAB_MODE" = plain ]; then
    for ((x = 0; x < LAB_UPLINKS; x++)); do router iptables -t nat -A POSTROUTING -o "ppp$x" -j MASQUERADE; done
  else
    lab_firewall >"$LAB_TMP/firewall.before-init"
    router "$LAB_BIN" firewall init 2>>"$LAB_TMP/hooks.log"
  fi
  for ((x = 0; x < LAB_UPLINKS; x++)); do uplink_up "$x"; done

  lab_spawn inet "$LAB_NODE" "$LAB_TRAFFIC" serve "$LAB_PORT"
  lab_spawn router "$LAB_NODE" "$LAB_TRAFFIC" serve "$LAB_ROUTER_PORT"
  lab_spawn lan "$LAB_NODE" "$LAB_TRAFFIC" serve "$LAB_LAN_PORT"
  lab_wait_listening inet "$LAB_PORT" && lab_wait_listening router "$LAB_ROUTER_PORT" && lab_wait_listening lan "$LAB_LAN_PORT"
}

lab_wait_listening() {
  local tries
  for ((tries = 0; tries < 100; tries++)); do
    ns "$1" ss -Hltn "sport = :$2" | grep -q LISTEN && return 0
    sleep 0.05
  done
  echo "nothing listens on port $2 in $1" >&2
  return 1
}

# Opens COUNT connections from NS to the server, runs STEP (a command), then keeps exchanging on
# them for SECONDS; prints the JSON summary of traffic.mjs hold.
lab_hold_across() {
  local from=$1 count=$2 seconds=$3; shift 3
  _lab_hold "$from" "$count" "$seconds" after "$@"
}

# The same, but exchanging all the while STEP runs (at most SECONDS), and stopping when it ends.
lab_hold_during() {
  local from=$1 count=$2 seconds=$3; shift 3
  _lab_hold "$from" "$count" "$seconds" during "$@"
}

_lab_hold() {
  local from=$1 count=$2 seconds=$3 when=$4; shift 4
  local tag=$LAB_TMP/hold.$RANDOM tries holder
  ns "$from" "$LAB_NODE" "$LAB_TRAFFIC" hold "$LAB_SERVER" "$LAB_PORT" "$count" "$seconds" "$tag.ready" "$tag.go" "$tag.stop" >"$tag.out" 3>&- &
  holder=$!
  for ((tries = 0; tries < 200; tries++)); do [ -e "$tag.ready" ] && break; sleep 0.05; done
  if [ "$when" = during ]; then
    touch "$tag.go"
    "$@"
    touch "$tag.stop"
  else
    "$@"
    touch "$tag.go"
  fi
  wait "$holder"
  cat "$tag.out"
}

lab_once() { ns "$1" "$LAB_NODE" "$LAB_TRAFFIC" once "$2" "$3"; }

# What a flap must leave as it found it: rules, routes, firewall (without counters and dates).
lab_state() {
  router ip rule show
  router ip -4 route show table all
  lab_firewall
}

# The router's firewall as both backends see it: iptables-save, and our nft table if there is one.
lab_firewall() {
  router iptables-save | lab_normalize_iptables
  router nft list table inet pin_hooks 2>/dev/null || true
}

lab_normalize_iptables() { grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]//'; }

# Whether the backend under test has our rules in place.
lab_ours_present() {
  if [ "$LAB_BACKEND" = nft ]; then router nft list table inet pin_hooks >/dev/null 2>&1; else router iptables-save | grep -q -- '-j PIN-PREROUTING'; fi
}

# Where our rules enter the packet path: 5 jumps from built-in chains (iptables), 4 base chains (nft).
lab_our_hooks() {
  if [ "$LAB_BACKEND" = nft ]; then router nft list table inet pin_hooks | grep -c ' hook '; else router iptables-save | grep -c -- '-j PIN-'; fi
}

lab_teardown() {
  local pid name
  for pid in "${LAB_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for name in $(ip netns list | awk '{print $1}' | grep "^$LAB-"); do ip netns pids "$name" | xargs -r kill 2>/dev/null; ip netns del "$name"; done
  rm -rf "/etc/netns/$LAB-router" "$LAB_TMP"
  unset PIN_HOOKS_CONFIG
  rmdir /etc/netns 2>/dev/null || true
}
