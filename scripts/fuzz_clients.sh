#!/usr/bin/env bash
# Install the published SDKs the fuzz client scripts drive (tests/fuzz/clients/):
#   - openai-node 4.x into tests/fuzz/node4/node_modules (npm; package.json pins "openai": "^4")
#   - openai-python 1.68.x into the venv .venv-fuzz-old/ (the current one is in .venv)
# Idempotent; each part is skipped with a note when its toolchain is missing.
# Usage: bash scripts/fuzz_clients.sh
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0
if command -v npm >/dev/null 2>&1; then
    npm install --prefix tests/fuzz/node4 --no-audit --no-fund --loglevel=error || rc=1
else
    echo "fuzz_clients: npm not found, openai-node 4.x not installed" >&2
fi
if [ ! -x .venv-fuzz-old/bin/python ]; then
    python3 -m venv .venv-fuzz-old || rc=1
fi
if [ -x .venv-fuzz-old/bin/python ]; then
    .venv-fuzz-old/bin/python -m pip install -q 'openai>=1.68,<1.69' || rc=1
fi
exit "$rc"
