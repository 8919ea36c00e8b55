#!/usr/bin/env bash
# Installs every build and test dependency of xvm from Debian 12 packages.
# Idempotent: packages already present are left alone. Uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libasmjit-dev libcli11-dev libfmt-dev libspdlog-dev libfdt-dev libslirp-dev libglib2.0-dev
  libcapstone-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
  libunicorn-dev
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user busybox-static
  dpkg-dev cpio xz-utils file python3
  # qemu-system-aarch64: the reference machine for the guest image test and the boot benchmark
  qemu-system-arm
  # amd64 builds of the Debian workloads, for bench/run.py's native column
  lua5.4 sqlite3 zstd bzip2 perl
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
else
  echo "install-deps: all ${#packages[@]} packages present"
fi

# arm64 must be a known foreign architecture so that `apt-get download PKG:arm64` works
# (scripts/fetch-arm64.sh). Nothing arm64 is ever installed system-wide.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  "${sudo_cmd[@]}" dpkg --add-architecture arm64
  "${sudo_cmd[@]}" apt-get update -qq
fi
