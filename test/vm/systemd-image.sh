#!/usr/bin/env bash
# Builds what the systemd VM test boots: Debian 12's kernel (the one the pppd test boots), a small
# initramfs that only mounts the disk and hands over to systemd, and a disk: a qcow2 overlay on a
# cached ext4 image made with mmdebstrap (systemd as /sbin/init, the three firewall loaders, ppp,
# socat), so a reboot inside the VM keeps what the test installed. The cached image is keyed by
# this script; the files under test go in a separate tar the VM reads from its second disk.
# Usage: systemd-image.sh OUT_DIR
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
cache=${PIN_HOOKS_TEST_CACHE:-/var/cache/pin-hooks-test}
mirror=${PIN_HOOKS_TEST_MIRROR:-http://deb.debian.org/debian}
packages=systemd,systemd-sysv,kmod,iproute2,iptables,nftables,iptables-persistent,ferm,ppp,socat,procps,libstdc++6
mkdir -p "$out" "$cache"

missing=()
for tool in qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils mmdebstrap:mmdebstrap cpio:cpio mkfs.ext4:e2fsprogs; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
[ -x /bin/busybox ] && file -L /bin/busybox | grep -q 'statically linked' || missing+=(busybox-static)
ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || missing+=(linux-image-amd64)
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
kernel=$(ls /boot/vmlinuz-*-amd64 | sort -V | tail -1)
release=${kernel#/boot/vmlinuz-}
modules=/lib/modules/$release
cp "$kernel" "$out/vmlinuz"

work=()
trap 'rm -rf "${work[@]}"' EXIT

# The initramfs: a static busybox and the modules that reach an ext4 root on virtio.
initramfs=$(mktemp -d /tmp/pinh-$$-initramfs.XXXXXX)
work+=("$initramfs")
mkdir -p "$initramfs"/{bin,modules,proc,sys,dev,newroot}
cp /bin/busybox "$initramfs/bin/busybox"
for module in virtio_pci virtio_blk ext4 crc32c_generic; do
  modprobe --show-depends -S "$release" "$module" | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' | while read -r file; do
  cp "$file" "$initramfs/modules/"
  echo "/modules/$(basename "$file")" >>"$initramfs/modules/order"
done
cat >"$initramfs/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
while read -r module; do insmod "$module" 2>/dev/null; done </modules/order
for _ in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.1; done
mount -o rw /dev/vda /newroot || { echo "initramfs: cannot mount /dev/vda"; poweroff -f; }
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
INIT
chmod 755 "$initramfs/init"
(cd "$initramfs" && find . | cpio --quiet -o -H newc | gzip -1 >"$out/initrd.gz")

# The base disk, keyed by this script and the kernel whose modules it holds.
key=$( (cat "$0" "$here/systemd-payload.service"; echo "$release $mirror") | sha256sum | cut -c1-12)
base=$cache/vm-systemd-$key.raw
if [ ! -e "$base" ]; then
  root=$(mktemp -d /tmp/pinh-$$-vmroot.XXXXXX)
  work+=("$root")
  # No autosave: iptables-persistent's postinst would read (and so create) the build host's tables.
  mmdebstrap --quiet --variant=minbase --include="$packages" \
    --essential-hook='echo "iptables-persistent iptables-persistent/autosave_v4 boolean false" | chroot "$1" debconf-set-selections' \
    --essential-hook='echo "iptables-persistent iptables-persistent/autosave_v6 boolean false" | chroot "$1" debconf-set-selections' \
    bookworm "$root" "$mirror" >/dev/null
  # The modules the firewall, PPP and veth need, loadable by modprobe (and the kernel's autoload).
  mkdir -p "$root$modules/kernel/drivers/net"
  cp -a "$modules"/kernel/{net,lib,crypto} "$root$modules/kernel/"
  cp -a "$modules"/kernel/drivers/net/{ppp,slip,veth.ko} "$root$modules/kernel/drivers/net/"
  cp "$modules"/modules.{order,builtin,builtin.modinfo} "$root$modules/"
  depmod -b "$root" "$release"
  # Offline: only the test's own repository is a source. No login prompt (no udev for ttyS0).
  rm -f "$root/etc/apt/sources.list"
  ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
  ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"
  echo pinh-vm >"$root/etc/hostname"
  echo '/dev/vda / ext4 rw 0 1' >"$root/etc/fstab"
  cp "$here/systemd-payload.service" "$root/etc/systemd/system/pinh-payload.service"
  mkdir -p "$root/etc/systemd/system/multi-user.target.wants" "$root/etc/systemd/system/sysinit.target.wants"
  # Debian installs nftables disabled; a router that uses it has enabled it.
  ln -s /lib/systemd/system/nftables.service "$root/etc/systemd/system/sysinit.target.wants/nftables.service"
  ln -s /etc/systemd/system/pinh-payload.service "$root/etc/systemd/system/multi-user.target.wants/pinh-payload.service"
  mkfs.ext4 -q -L pinh -d "$root" "$base.part" 3G 2>/dev/null
  mv "$base.part" "$base"
fi
rm -f "$out/disk.qcow2"
qemu-img create -q -f qcow2 -b "$base" -F raw "$out/disk.qcow2"
