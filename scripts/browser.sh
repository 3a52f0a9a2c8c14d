#!/usr/bin/env bash
# Headless Chromium for the HTML report's browser tests (tests/reports/test_html.py) and
# bench/bench_report.py: Debian's `chromium`, installed when missing (as root, as CI runs).
# Prints the version; exits 1 when it cannot be had. Usage: bash scripts/browser.sh
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "chromium is missing: as root, apt-get install -y chromium fonts-dejavu-core" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
chromium --version 2>/dev/null
