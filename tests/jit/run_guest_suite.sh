#!/bin/sh
# Runs every cross-compiled guest program of tests/guest through its own runner
# (run_guest_test.sh: qemu-aarch64 is the oracle) with XVM_ENGINE=ENGINE.
# usage: run_guest_suite.sh ENGINE QEMU XVM GUEST_BUILD_DIR RUNNER
engine=$1 qemu=$2 xvm=$3 dir=$4 runner=$5
found=0 failed=0
for bin in "$dir"/*.aarch64; do
  [ -f "$bin" ] || continue
  found=$((found + 1))
  name=$(basename "$bin" .aarch64)
  native="$dir/${name%.O[23]}.x86_64"
  [ -f "$native" ] || native=-
  if XVM_ENGINE=$engine XVM_JIT_VERIFY=1 sh "$runner" "$qemu" "$xvm" "$bin" "$native" >"$dir/$name.$engine.log" 2>&1
  then
    echo "ok   $name"
  else
    rc=$?
    [ $rc -eq 77 ] && { cat "$dir/$name.$engine.log"; exit 77; }
    echo "FAIL $name (XVM_ENGINE=$engine):"
    tail -n 30 "$dir/$name.$engine.log"
    failed=$((failed + 1))
  fi
done
if [ $found -eq 0 ]; then
  echo "SKIPPED: no guest programs built in $dir (build the guest-programs target)"
  exit 77
fi
echo "$found guest programs under XVM_ENGINE=$engine, $failed failed"
[ $failed -eq 0 ]
