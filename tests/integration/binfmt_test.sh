#!/usr/bin/env bash
# `xvm binfmt install` makes AArch64 programs directly executable; `remove` undoes it.
#   binfmt_test.sh XVM AARCH64_CC QEMU
set -u
xvm="$1"; cc="${2:-}"; qemu="${3:-}"
skip() { echo "SKIPPED: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "binfmt_misc registration needs root"
[ -x "$cc" ] && [ -x "$qemu" ] || skip "aarch64-linux-gnu-gcc or qemu-aarch64 missing"
dir=/proc/sys/fs/binfmt_misc
[ -e "$dir/register" ] || mount -t binfmt_misc binfmt_misc "$dir" 2>/dev/null || skip "binfmt_misc cannot be mounted here"
[ -e "$dir/xvm-aarch64" ] && skip "an xvm-aarch64 entry is already registered (not ours to change)"
grep -qs '^magic 7f454c460201010000000000000000000200b700' "$dir"/* &&
  skip "another binfmt entry (e.g. qemu) already claims AArch64 ELF files"
work=$(mktemp -d)
trap '"$xvm" binfmt remove >/dev/null 2>&1; rm -rf "$work"' EXIT
printf '#include <stdio.h>\nint main(int c, char** v) { printf("%%s %%d\\n", v[0], c); return 7; }\n' |
  "$cc" -O2 -static -o "$work/prog" -x c -
want=$(cd "$work" && "$qemu" ./prog a b; echo "status $?")
"$xvm" binfmt install || { echo "FAIL: install"; exit 1; }
"$xvm" binfmt status >/dev/null || { echo "FAIL: status after install"; exit 1; }
got=$(cd "$work" && ./prog a b; echo "status $?")
"$xvm" binfmt remove || { echo "FAIL: remove"; exit 1; }
"$xvm" binfmt status >/dev/null && { echo "FAIL: still registered after remove"; exit 1; }
[ "$got" = "$want" ] || { echo "FAIL: direct run gave '$got', qemu-aarch64 gives '$want'"; exit 1; }
echo "binfmt: direct execution matches qemu-aarch64 ('$got'); entry removed"
