#!/usr/bin/env bash
# Installs the dashboard test's npm dependencies (playwright-core, pinned by
# package-lock.json) when node_modules is missing. The browser is Debian's
# /usr/bin/chromium: playwright-core downloads nothing.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f node_modules/playwright-core/package.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
