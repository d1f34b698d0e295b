#!/usr/bin/env bash
# Install every Debian package zerial needs (build, tests, interop, benchmarks), idempotently.
# Runs apt-get update only when something is missing; uses sudo when not root.
# Then runs `npm ci` in each folder of the project that has a package-lock.json.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config clang libclang-rt-14-dev llvm
  # libraries
  liblz4-dev libzstd-dev zlib1g-dev libdeflate-dev libxxhash-dev libsqlite3-dev
  libjansson-dev libssl-dev libmicrohttpd-dev libcurl4-openssl-dev
  # tests and tools
  libcmocka-dev valgrind gcovr doxygen curl
  # docs: the man page is checked with groff and man (tests/docs/cli_help.test.sh)
  groff-base man-db
  # peers for benchmarks
  libmsgpack-dev libcbor-dev libblosc-dev
  # Python side (Debian's /usr/bin/python3)
  python3 python3-dev python3-numpy python3-scipy python3-pandas python3-pytest
  python3-hypothesis python3-msgpack python3-setuptools python3-pip python3-xxhash
  # BEAM side
  erlang-base erlang-dev erlang-eunit elixir
  # operations
  prometheus
  # JavaScript interop (apache-arrow from the npm registry); npm comes with nodejs where
  # nodejs is NodeSource's build, and from Debian's npm package otherwise (see below)
  nodejs
)

missing=()
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(npm); fi
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

top="$(cd "$(dirname "$0")/.." && pwd)"
while IFS= read -r lock; do
  dir="$(dirname "$lock")"
  if [ ! -d "$dir/node_modules" ] || [ "$lock" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "install-deps: npm ci in ${dir#$top/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done < <(find "$top" -name package-lock.json -not -path '*/node_modules/*' 2>/dev/null)
exit 0
