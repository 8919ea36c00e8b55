#!/usr/bin/env bash
# Builds the arm64 test guest that `xvm boot` (and QEMU, the reference) boots: Debian bookworm's
# arm64 kernel as a raw Image, and an initramfs holding busybox-static, the kernel's virtio
# modules and /init (scripts/guest-init.sh). Nothing is installed and no root is needed.
#
#   scripts/guest-image.sh
#
# Prints two lines on stdout: the kernel Image's path, then the initramfs's path. Both live in
# ${XDG_CACHE_HOME:-~/.cache}/xvm/guest/arm64/KERNELPACKAGE_VERSION/, so a rerun with the same
# kernel package downloads and extracts nothing (the initramfs is remade only when busybox,
# guest-init.sh or mkinitramfs.py changed). The kernel package is the one Debian's
# linux-image-arm64 metapackage currently depends on. docs/guest-images.md explains the guest.
# Exit status: 0 built, 1 error, 2 usage, 3 a package could not be fetched (archive unreachable
# or not in the apt lists).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/xvm"
# The virtio drivers Debian builds as modules (CONFIG_VIRTIO_MMIO=m, ..._BLK/NET/CONSOLE=m,
# HW_RANDOM_VIRTIO=m) plus what virtio_net needs; mkinitramfs.py checks that their depends=
# fields name nothing outside this list and orders them.
modules=(virtio_mmio virtio_blk failover net_failover virtio_net virtio_console virtio-rng)
# The applets guest-init.sh calls before it installs the rest.
applets=(sh mount cat insmod nproc setsid cttyhack sync poweroff)

case "${1:-}" in
  "") ;;
  -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--help]" >&2; exit 2 ;;
esac
say() { echo "guest-image: $*" >&2; }

# 1. Which kernel: the metapackage's single "linux-image-6.1.*-arm64 (= VERSION)" dependency.
meta=$(apt-cache show --no-all-versions linux-image-arm64:arm64 2>/dev/null) ||
  { say "apt knows no linux-image-arm64:arm64 (run scripts/install-deps.sh, then apt-get update)"; exit 3; }
mapfile -t kdeps < <(sed -n 's/^Depends: //p' <<<"$meta" | tr ',' '\n' | sed 's/^ *//' |
  grep -E '^linux-image-6\.1\.[^ ]*-arm64 \(= [^)]+\)$')
if ((${#kdeps[@]} != 1)); then
  say "expected linux-image-arm64 to depend on one linux-image-6.1.*-arm64, got: ${kdeps[*]:-none}"
  exit 1
fi
kpkg=${kdeps[0]%% *}
kver=${kdeps[0]#*(= }; kver=${kver%)}
out="$cache/guest/arm64/${kpkg}_${kver//:/%3a}"

# 2. The kernel: /boot/vmlinuz-* and the modules only (the whole package unpacks to 350 MB).
if [ ! -f "$out/.kernel-done" ]; then
  deb=$("$here/fetch-arm64.sh" --download-only "$kpkg") || { say "could not fetch $kpkg"; exit 3; }
  got=$(dpkg-deb -f "$deb" Version)
  [ "$got" = "$kver" ] || { say "$deb is version $got, the metapackage wants $kver"; exit 1; }
  say "extracting the kernel and ${#modules[@]} modules from $(basename "$deb")"
  rm -rf "$out.tmp"
  mkdir -p "$out.tmp/x" "$out.tmp/modules"
  patterns=('./boot/vmlinuz-*' './boot/config-*')
  for m in "${modules[@]}"; do patterns+=("./lib/modules/*/$m.ko"); done
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$out.tmp/x" --wildcards "${patterns[@]}"
  for m in "${modules[@]}"; do
    mapfile -t found < <(find "$out.tmp/x/lib/modules" -name "$m.ko")
    ((${#found[@]} == 1)) || { say "$kpkg holds ${#found[@]} files named $m.ko, expected 1"; exit 1; }
    mv "${found[0]}" "$out.tmp/modules/"
  done
  mv "$out.tmp"/x/boot/vmlinuz-* "$out.tmp/Image"
  mv "$out.tmp"/x/boot/config-* "$out.tmp/config"
  rm -rf "$out.tmp/x"
  # Debian's arm64 vmlinuz is an uncompressed Image (with an EFI stub header), not Image.gz:
  # its arm64 boot header's magic "ARM\x64" is at offset 0x38 (Linux Documentation/arm64/booting.rst).
  [ "$(od -An -tx1 -j56 -N4 "$out.tmp/Image" | tr -d ' ')" = 41524d64 ] ||
    { say "$kpkg's vmlinuz is not a raw arm64 Image (no ARM\\x64 magic at 0x38)"; exit 1; }
  touch "$out.tmp/.kernel-done"
  rm -rf "$out"
  mv "$out.tmp" "$out"
fi

# 3. The initramfs. Uncompressed: the kernel also takes gzip, xz and zstd (CONFIG_RD_GZIP/XZ/
# ZSTD=y in $out/config) but an emulated guest would spend its own time decompressing.
bbroot=$("$here/fetch-arm64.sh" busybox-static) || { say "could not fetch busybox-static"; exit 3; }
stamp=$( (cat "$bbroot/.xvm-stamp" "$here/guest-init.sh" "$here/mkinitramfs.py"
          echo "${modules[*]} ${applets[*]}") | sha256sum | cut -c1-16)
if [ ! -f "$out/initramfs.cpio" ] || [ "$(cat "$out/initramfs.stamp" 2>/dev/null)" != "$stamp" ]; then
  say "writing $out/initramfs.cpio"
  args=()
  for m in "${modules[@]}"; do args+=("--module=$out/modules/$m.ko"); done
  python3 "$here/mkinitramfs.py" "$out/initramfs.cpio" --init "$here/guest-init.sh" \
    --busybox "$bbroot/bin/busybox" "${applets[@]/#/--applet=}" "${args[@]}"
  echo "$stamp" > "$out/initramfs.stamp"
fi
echo "$out/Image"
echo "$out/initramfs.cpio"
