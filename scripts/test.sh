#!/usr/bin/env bash
# Installs what the tests need, builds xvm (release preset) and runs the whole test suite.
# Ends with ctest's summary line. Extra arguments go to ctest (e.g. -L guest, -R difftest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fetch-arm64.sh busybox-static >/dev/null
preset=release
[ "${CI:-}" = true ] && preset=ci   # CI: warnings are errors
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" -j2 "$@"
