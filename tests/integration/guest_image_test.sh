#!/usr/bin/env bash
# Boots the guest scripts/guest-image.sh builds (Debian's arm64 kernel + busybox initramfs) and
# checks its protocol (docs/guest-images.md): the XVM-GUEST-READY marker with the CPU count,
# the output of the xvm.cmd command, and that the machine powers itself off. Three boots:
# one CPU; two CPUs; a virtio-blk disk the guest reads from and writes to.
#   guest_image_test.sh [MACHINE [ENGINE [XVM-OPTION…]]]
# MACHINE is `qemu` (default: qemu-system-aarch64, the independent reference) or the path of an
# xvm binary, whose `xvm boot --engine ENGINE [XVM-OPTION…]` (default: xvm's default engine)
# must then pass the same checks.
# $((...)) in single quotes is for the guest's shell; commas are QEMU's option syntax.
# shellcheck disable=SC2016,SC2054
set -u
machine="${1:-qemu}"
engine="${2:-}"
extra=("${@:3}")
repo="$(cd "$(dirname "$0")/../.." && pwd)"
skip() { echo "SKIPPED: $*"; exit 77; }
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
if [ "$machine" = qemu ]; then
  command -v qemu-system-aarch64 >/dev/null || skip "qemu-system-aarch64 missing; run scripts/install-deps.sh"
else
  [ -x "$machine" ] || skip "no xvm binary at $machine"
fi
for t in python3 dpkg-deb apt-cache; do command -v "$t" >/dev/null || skip "$t missing"; done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$repo/scripts/guest-image.sh" > "$work/paths" 2> "$work/image.err"
case $? in
  0) ;;
  3) skip "scripts/guest-image.sh could not fetch Debian packages: $(tail -n 2 "$work/image.err" | tr '\n' ' ')" ;;
  *) cat "$work/image.err"; echo "FAIL: scripts/guest-image.sh failed"; exit 1 ;;
esac
{ read -r kernel; read -r initrd; } < "$work/paths"
if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then echo "FAIL: guest-image.sh printed '$kernel' '$initrd'"; exit 1; fi

# The archive as GNU cpio (not our writer) lists it: /dev/console must be character device 5,1.
if command -v cpio >/dev/null; then
  (cd "$work" && cpio -itv < "$initrd" 2>/dev/null) |
    awk '$NF == "dev/console" && $1 ~ /^c/ && $5 == "5," && $6 == "1" { ok = 1 } END { exit !ok }' ||
    fail "cpio -itv shows no character device 5,1 at dev/console"
fi

# boot NAME CPUS DISK(or "") XVM.CMD-PARAMETER: boots once, leaves the console in $work/NAME.log
# and checks what every boot must show.
boot() {
  local name="$1" cpus="$2" disk="$3" param="$4" cmd status start ms log before=$failed
  local append="console=ttyAMA0 nokaslr panic=-1 $param"
  if [ "$machine" = qemu ]; then
    # -nic none: virt would otherwise add a virtio-net-pci card wanting ipxe's ROM.
    # -no-reboot: a panic (panic=-1 reboots) ends QEMU instead of looping.
    cmd=(qemu-system-aarch64 -M virt,gic-version=3 -cpu cortex-a57 -m 512M -smp "$cpus"
         -nographic -no-reboot -nic none -kernel "$kernel" -initrd "$initrd" -append "$append")
    [ -z "$disk" ] || cmd+=(-drive "file=$disk,if=none,format=raw,id=d" -device virtio-blk-device,drive=d)
  else
    cmd=("$machine" boot --arch arm64 --kernel "$kernel" --initrd "$initrd" --append "$append"
         --memory 512M --cpus "$cpus" --console stdio)
    [ -z "$engine" ] || cmd+=(--engine "$engine")
    cmd+=("${extra[@]}")
    [ -z "$disk" ] || cmd+=(--disk "$disk")
  fi
  start=$(date +%s%N)
  timeout 60 "${cmd[@]}" < /dev/null 2>&1 | tr -d '\r' > "$work/$name.log"
  status=${PIPESTATUS[0]}
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  echo "boot $name ($machine${engine:+ --engine $engine} ${extra[*]}, cpus=$cpus): $((ms / 1000)).$(printf %03d $((ms % 1000))) s, exit status $status"
  log="$work/$name.log"
  if [ "$status" = 124 ]; then fail "$name: still running after 60 s"
  elif [ "$status" != 0 ]; then fail "$name: exit status $status"; fi
  grep -q 'Kernel panic' "$log" && fail "$name: the kernel panicked"
  # Printed by the kernel itself on power-off (kernel/reboot.c), not on a panic's reboot.
  grep -q 'reboot: Power down' "$log" || fail "$name: the guest did not power off"
  grep -qx "XVM-GUEST-READY cpus=$cpus" "$log" || fail "$name: no line 'XVM-GUEST-READY cpus=$cpus'"
  grep -q 'xvm-init: insmod' "$log" && fail "$name: a module failed to load"
  grep -qx 'XVM-GUEST-EXIT status=0' "$log" || fail "$name: the command did not exit with status 0"
  if ((failed > before)); then echo "--- $name console (last 30 lines):"; tail -n 30 "$log"; fi
}
# Expected outputs are computed by the guest's shell ($((...))) so that they do not already
# appear in the "Kernel command line:" line the kernel prints.
boot one-cpu 1 "" 'xvm.cmd="echo guest-says-$((6*7)); uname -m"'
grep -qx 'guest-says-42' "$work/one-cpu.log" || fail "one-cpu: no 'guest-says-42' from the command"
grep -qx 'aarch64' "$work/one-cpu.log" || fail "one-cpu: uname -m did not print aarch64"

boot two-cpus 2 "" 'xvm.cmd=nproc'   # the unquoted form
grep -qx '2' "$work/two-cpus.log" || fail "two-cpus: nproc did not print 2"

# The host writes a string at sector 0; the guest reads it back and writes another at sector 7.
# Afterwards the image must equal the host's own prediction byte for byte (rest untouched).
disk="$work/disk.img"
head -c 1048576 /dev/zero > "$disk"
printf 'host-wrote-%s' 9876 | dd of="$disk" conv=notrunc status=none
cp "$disk" "$work/want.img"
printf 'xvm-disk-%s\n' 1234 | dd of="$work/want.img" bs=512 seek=7 conv=notrunc status=none
boot disk 1 "$disk" \
  'xvm.cmd="head -c 15 /dev/vda; echo; printf xvm-disk-%s\\n $((1000+234)) | dd of=/dev/vda bs=512 seek=7 conv=fsync"'
grep -qx 'host-wrote-9876' "$work/disk.log" || fail "disk: the guest did not read the host's bytes from /dev/vda"
cmp -s "$disk" "$work/want.img" || fail "disk: the image differs from the expected one ($(cmp "$disk" "$work/want.img" 2>&1 | head -1))"

((failed)) && exit 1
echo "guest image: boots under $machine with 1 and 2 CPUs, runs xvm.cmd, reads and writes virtio-blk, powers off"
