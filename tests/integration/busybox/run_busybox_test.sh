#!/usr/bin/env bash
# Runs workload.sh with Debian's arm64 busybox under xvm and compares the output byte for byte
# with the same script run by Debian's amd64 busybox of the same version, natively.
#   run_busybox_test.sh XVM ARM64_BUSYBOX NATIVE_BUSYBOX WORKLOAD
#
# Why native and not qemu-aarch64: Debian's busybox runs applets by execve("/proc/self/exe"),
# and qemu-user 7.2 hands that execve to the host kernel, which starts qemu itself with the
# applet's argv ("-l: applet not found"). The native amd64 build of the same package version is
# the independent reference WORKLOADS.md names for that case.
set -u
xvm="$1"; busybox="$2"; native="$3"; workload="$4"
skip() { echo "SKIPPED: $*"; exit 77; }
[ -x "$busybox" ] || skip "arm64 busybox not fetched ($busybox); run scripts/fetch-arm64.sh busybox-static"
[ -x "$native" ] || skip "native busybox ($native) missing; run scripts/install-deps.sh"
arm_ver=$(dpkg-deb -f "$(ls "${XDG_CACHE_HOME:-$HOME/.cache}"/xvm/debs/busybox-static_*_arm64.deb | tail -1)" Version 2>/dev/null)
nat_ver=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null)
[ -z "$arm_ver" ] || [ "$arm_ver" = "$nat_ver" ] ||
  skip "arm64 busybox $arm_ver and native busybox $nat_ver differ; outputs would not be comparable"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {  # run LABEL BUSYBOX [RUNNER...]
  local label="$1" bb="$2"; shift 2
  local dir="$work/$label"
  mkdir -p "$dir/bin" "$dir/run"
  # Applet links, so that the shell finds every command as this busybox.
  for a in $("$@" "$bb" --list); do ln -sf "$bb" "$dir/bin/$a"; done
  (cd "$dir/run" && env -i PATH="$dir/bin" HOME=/ XVM_TEST_VAR=42 LC_ALL=C TZ=UTC \
     "$@" "$bb" sh "$workload" > "$work/$label.out" 2>&1; echo "exit status $?" >> "$work/$label.out")
}
run native "$native"
run xvm "$busybox" "$xvm" run
if cmp -s "$work/native.out" "$work/xvm.out"; then
  echo "busybox workload: identical output under xvm and native amd64 busybox ($(wc -l < "$work/xvm.out") lines)"
  exit 0
fi
echo "busybox workload: output differs (native amd64 < > xvm):"
diff "$work/native.out" "$work/xvm.out" | head -80
exit 1
