#!/usr/bin/env bash
# Install the project with its dev tools into .venv, then lint, type-check and run the tests.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -m slow`).
set -uo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv || exit 1
.venv/bin/pip install -q --disable-pip-version-check -e '.[dev]' || exit 1
# headless Chromium for the HTML report's browser tests (they skip without it)
bash scripts/browser.sh >/dev/null || echo "no chromium: the HTML report's browser tests skip"
.venv/bin/ruff check . || exit 1
.venv/bin/ruff format --check . || exit 1
.venv/bin/mypy || exit 1
.venv/bin/pytest "$@"
rc=$?
# pytest exits 5 when a selection collected no test: not a failure of the suite
if [ "$rc" -eq 5 ]; then echo "no tests collected (pytest exit 5)"; rc=0; fi
exit "$rc"
