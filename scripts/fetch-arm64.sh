#!/usr/bin/env bash
# Fetches Debian arm64 packages into xvm's cache and unpacks them into a sysroot folder there.
# Nothing is installed system-wide (WORKLOADS.md): `apt-get download` + `dpkg-deb -x` only.
#
#   scripts/fetch-arm64.sh [--deps] [--name NAME] [--download-only] PKG...
#
# Prints the sysroot's path on stdout. Downloads are cached by package version in
# ${XDG_CACHE_HOME:-~/.cache}/xvm/debs, so each version is fetched once per machine.
# --deps also fetches the packages' recursive dependencies (Depends/PreDepends only).
# --download-only unpacks nothing and prints the cached .deb files' paths instead, one a line.
set -euo pipefail

cache="${XDG_CACHE_HOME:-$HOME/.cache}/xvm"
name=""
deps=0
download_only=0
pkgs=()
while (($#)); do
  case "$1" in
    --deps) deps=1 ;;
    --download-only) download_only=1 ;;
    --name) name="$2"; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) pkgs+=("$1") ;;
  esac
  shift
done
((${#pkgs[@]})) || { echo "usage: $0 [--deps] [--name NAME] [--download-only] PKG..." >&2; exit 2; }
[ -n "$name" ] || name="${pkgs[0]}"

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "fetch-arm64: arm64 is not a foreign architecture here; run scripts/install-deps.sh" >&2
  exit 1
fi

list=("${pkgs[@]}")
if ((deps)); then
  mapfile -t list < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
      --no-breaks --no-replaces --no-enhances "${pkgs[@]/%/:arm64}" 2>/dev/null |
    grep -E '^[a-z0-9][^ ]*:arm64$' | sed 's/:arm64$//' | sort -u)
fi

mkdir -p "$cache/debs" "$cache/sysroots"
debs=()
for p in "${list[@]}"; do
  ver=$(apt-cache policy "$p:arm64" | awk '/Candidate:/ {print $2}')
  if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
    echo "fetch-arm64: no arm64 candidate for $p (is the package list up to date? apt-get update)" >&2
    exit 1
  fi
  file=$(ls "$cache/debs/${p}_${ver//:/%3a}_arm64.deb" 2>/dev/null || true)
  if [ -z "$file" ]; then
    echo "fetch-arm64: downloading $p $ver" >&2
    (cd "$cache/debs" && apt-get download -q "$p:arm64=$ver" >&2)
    file=$(ls "$cache/debs/${p}_${ver//:/%3a}_arm64.deb")
  fi
  debs+=("$file")
done
if ((download_only)); then printf '%s\n' "${debs[@]}"; exit 0; fi

# The sysroot is rebuilt when the set of .debs changes (their names carry the versions).
root="$cache/sysroots/$name"
stamp=$(printf '%s\n' "${debs[@]}" | sha256sum | cut -c1-16)
if [ ! -f "$root/.xvm-stamp" ] || [ "$(cat "$root/.xvm-stamp")" != "$stamp" ]; then
  rm -rf "$root.tmp"
  mkdir -p "$root.tmp"
  for d in "${debs[@]}"; do dpkg-deb -x "$d" "$root.tmp"; done
  # bookworm is not usr-merged: make /bin, /sbin, /lib resolve into /usr where absent.
  for d in bin sbin lib; do
    if [ -d "$root.tmp/usr/$d" ] && [ ! -e "$root.tmp/$d" ]; then ln -s "usr/$d" "$root.tmp/$d"; fi
  done
  echo "$stamp" > "$root.tmp/.xvm-stamp"
  rm -rf "$root"
  mv "$root.tmp" "$root"
fi
echo "$root"
