#!/usr/bin/env bash
# Installs the Debian packages Magpie builds, tests and benchmarks with.
# Idempotent: when everything is present it only runs dpkg-query and exits.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build clang libclang-rt-14-dev
  libgtest-dev libgmock-dev libbenchmark-dev libjemalloc-dev libxxhash-dev
  liblua5.1-0-dev lua-cjson-dev lua-bitop-dev libssl-dev liblzf-dev
  redis-server redis-tools memcached
  python3 python3-redis python3-hiredis python3-pymemcache python3-pytest
  postgresql python3-flask python3-psycopg2 python3-matplotlib
  procps
  prometheus chromium nodejs
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# The dashboard test runs npm (playwright-core). Debian ships it apart from
# nodejs; a nodejs from elsewhere may bring its own.
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The packaged redis-server and memcached are reference peers for tests and
# benchmarks, PostgreSQL backs the examples from private clusters they
# create themselves, and prometheus scrapes Magpie in a test: none of them is
# a service. Stop the ones the packages may have started.
for svc in redis-server memcached postgresql prometheus; do
  if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
  if command -v service >/dev/null 2>&1; then $SUDO service "$svc" stop >/dev/null 2>&1 || true; fi
done
