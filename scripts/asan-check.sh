#!/usr/bin/env bash
# Builds xvm with AddressSanitizer + UndefinedBehaviorSanitizer (the `asan` preset: build/asan)
# and runs the guest-program suite, the integration, unit and fuzz tests under it.
#
#   scripts/asan-check.sh            the labels guest|integration|unit|fuzz (guest includes the
#                                    suite under the tiered engine and the JIT)
#   scripts/asan-check.sh --all      every target and every test (difftest, workloads too)
#   scripts/asan-check.sh ARGS...    ARGS go to ctest instead of the default label filter
#
# Every sanitizer report fails the run, also one from a process whose exit status no test
# looks at (a guest's child, a helper): the reports go to build/asan/sanitizer-logs/ and the
# script ends with exit 1 and prints them when there are any. UBSan stops at the first report
# (-fno-sanitize-recover=undefined in the preset).
#
# No ASan options are built into xvm: xvm's SIGSEGV/SIGBUS handler (memory/host_fault.cpp)
# replaces ASan's when installed (ASan's allow_user_segv_handler=1 default), and ASan's
# siglongjmp interceptor unpoisons the interpreter frames the handler leaves.
# CI runs it after scripts/test.sh (.ci/run): cold build ~3.5 min, tests ~1.5 min on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

all=false
if [ "${1:-}" = --all ]; then
  all=true
  shift
fi

cmake --preset asan >/dev/null
if $all; then
  cmake --build --preset asan
else
  cmake --build --preset asan --target xvm guest-programs xvm-elf-loader-test \
    xvm-initial-stack-test xvm-arena-test xvm-elf-loader-fuzz xvm-devices-tests \
    xvm-machine-tests xvm-arm64-system-test xvm-base-test xvm-virtqueue-fuzz
fi

logs=build/asan/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
# The caller's options come last, so they win.
export ASAN_OPTIONS="log_path=$PWD/$logs/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$PWD/$logs/ubsan:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

status=0
if [ $# -gt 0 ]; then
  ctest --test-dir build/asan -j2 --output-on-failure "$@" || status=$?
elif $all; then
  ctest --test-dir build/asan -j2 --output-on-failure || status=$?
else
  ctest --test-dir build/asan -j2 --output-on-failure -L 'guest|integration|unit|fuzz' ||
    status=$?
fi

if [ -n "$(ls -A "$logs")" ]; then
  echo "sanitizer reports ($logs):"
  for f in "$logs"/*; do
    echo "=== $f"
    cat "$f"
  done
  exit 1
fi
echo "no sanitizer reports"
exit $status
