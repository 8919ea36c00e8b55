#!/bin/sh
# Three-way comparison for one guest program (tests/guest/README.md):
#   qemu-aarch64 (the oracle)  vs  xvm run  vs  the native x86-64 build (when there is one).
# stdout and the exit status must match byte for byte; stderr is shown, not compared.
#
# usage: run_guest_test.sh QEMU XVM AARCH64_BINARY NATIVE_BINARY|-
#        run_guest_test.sh --skip REASON
# Exit 77 means "skipped" (CTest SKIP_RETURN_CODE, set in cmake/guest.cmake).
skip=77
if [ "$1" = --skip ]; then
  echo "SKIPPED: $2"
  exit $skip
fi
if [ $# -ne 4 ]; then
  echo "usage: $0 QEMU XVM AARCH64_BINARY NATIVE_BINARY|-" >&2
  exit 2
fi
qemu=$1 xvm=$2 bin=$3 native=$4
if [ ! -x "$qemu" ]; then
  echo "SKIPPED: qemu-aarch64 not found at configure time (Debian: qemu-user), no oracle"
  exit $skip
fi
[ -f "$bin" ] || { echo "FAIL: $bin was not built"; exit 1; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# run NAME COMMAND...: $tmp/NAME.out gets stdout followed by the exit status line.
run() {
  name=$1
  shift
  "$@" </dev/null >"$tmp/$name.out" 2>"$tmp/$name.err"
  echo "[exit status $?]" >>"$tmp/$name.out"
}

# compare NAME WHAT: NAME's result against the oracle's; prints a diff on mismatch.
compare() {
  if cmp -s "$tmp/qemu.out" "$tmp/$1.out"; then
    return 0
  fi
  echo "FAIL: $2"
  diff -u --label "qemu-aarch64" --label "$1" "$tmp/qemu.out" "$tmp/$1.out" | head -n 60
  echo "--- stderr of $1 (last lines):"
  tail -n 20 "$tmp/$1.err"
  return 1
}

# qemu-user hands a guest execve to the host kernel, so an AArch64 program that executes
# another (or itself) needs a binfmt_misc entry for qemu. Where the kernel has per-namespace
# binfmt_misc (Linux 6.7+), give this one qemu run a private entry in its own user+mount
# namespace, which changes nothing outside it; elsewhere run qemu as it is.
register=':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:'"$qemu"':F'
private='mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc && printf "%s" "$0" > /proc/sys/fs/binfmt_misc/register && exec "$@"'
if unshare --user --map-root-user --mount sh -c "$private" "$register" true 2>/dev/null; then
  run qemu unshare --user --map-root-user --mount sh -c "$private" "$register" "$qemu" "$bin"
else
  run qemu "$qemu" "$bin"
fi
if [ "$(tail -n 1 "$tmp/qemu.out")" != "[exit status 0]" ]; then
  echo "FAIL: the program fails its own checks under qemu-aarch64 (the oracle):"
  echo "the program or qemu is wrong, not xvm"
  cat "$tmp/qemu.out"
  tail -n 20 "$tmp/qemu.err"
  exit 1
fi

status=0
if [ "$native" != - ]; then
  run native "$native"
  compare native "the native x86-64 build prints something else: the program is not portable" ||
    status=1
fi

run xvm "$xvm" run "$bin"
compare xvm "xvm differs from qemu-aarch64" || status=1

if [ $status -eq 0 ]; then
  echo "OK: xvm, qemu-aarch64$([ "$native" != - ] && echo ' and native x86-64') agree:"
  cat "$tmp/qemu.out"
fi
exit $status
