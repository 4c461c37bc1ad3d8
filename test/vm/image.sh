#!/usr/bin/env bash
# Builds what the pppd VM test boots: Debian 12's kernel, a cached base image (mmdebstrap:
# ppp, pppoe, iproute2, iptables, kmod, busybox) as a compressed cpio, and a small second
# archive with the files under test (the kernel unpacks both): the built .deb, the kernel modules
# for PPP, PPPoE and our rules, and the test's init. A code change rebuilds only the small one.
# Usage: image.sh OUT_DIR DEB
set -euo pipefail
out=$1 deb=$2
here=$(cd "$(dirname "$0")" && pwd)
cache=${PIN_HOOKS_TEST_CACHE:-/var/cache/pin-hooks-test}
mirror=${PIN_HOOKS_TEST_MIRROR:-http://deb.debian.org/debian}
packages=ppp,pppoe,iproute2,iptables,kmod,busybox,libstdc++6,procps
mkdir -p "$out" "$cache"

missing=()
for tool in qemu-system-x86_64:qemu-system-x86 mmdebstrap:mmdebstrap cpio:cpio; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || missing+=(linux-image-amd64)
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
kernel=$(ls /boot/vmlinuz-*-amd64 | sort -V | tail -1)
release=${kernel#/boot/vmlinuz-}
cp "$kernel" "$out/vmlinuz"

work=()
trap 'rm -rf "${work[@]}"' EXIT

# The base image, keyed by what it is made of.
key=$(echo "$packages $mirror" | sha256sum | cut -c1-12)
base=$cache/vm-base-$key.cpio.gz
if [ ! -e "$base" ]; then
  root=$(mktemp -d /tmp/pinh-$$-vmroot.XXXXXX)
  work+=("$root")
  mmdebstrap --quiet --variant=minbase --include="$packages" bookworm "$root" "$mirror" >/dev/null
  (cd "$root" && find . | cpio --quiet -o -H newc | gzip -1 >"$base.part")
  mv "$base.part" "$base"
fi
cp "$base" "$out/base.cpio.gz"

# The files under test.
overlay=$(mktemp -d /tmp/pinh-$$-vmoverlay.XXXXXX)
work+=("$overlay")
mkdir -p "$overlay/modules" "$overlay/root"
: >"$overlay/modules/order"
for module in ppp_async pppoe veth crc32c_generic nft_compat nft_chain_nat xt_connmark xt_conntrack xt_MASQUERADE xt_mark; do
  modprobe --show-depends -S "$release" "$module" | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' | while read -r file; do
  cp "$file" "$overlay/modules/"
  echo "/modules/$(basename "$file")" >>"$overlay/modules/order"
done
cp "$deb" "$overlay/root/pin-hooks.deb"
cp "$here/init" "$overlay/init"
chmod 755 "$overlay/init"
(cd "$overlay" && find . | cpio --quiet -o -H newc | gzip -1 >"$out/overlay.cpio.gz")
cat "$out/base.cpio.gz" "$out/overlay.cpio.gz" >"$out/initrd.gz"
