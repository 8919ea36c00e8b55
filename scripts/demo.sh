#!/usr/bin/env bash
# Installs, builds xvm and runs Debian's arm64 busybox under it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
root=$(scripts/fetch-arm64.sh busybox-static)
cmake --preset release >/dev/null
cmake --build --preset release --target xvm
xvm=build/release/src/xvm
echo "--- running Debian's arm64 busybox ($(file -b "$root/bin/busybox" | cut -d, -f1-2)) under xvm:"
"$xvm" run "$root/bin/busybox" sh -c \
  'echo "Hello from busybox on $(uname -m), emulated by xvm"; echo 3 1 2 | tr " " "\n" | sort -n | tr "\n" " "; echo'
