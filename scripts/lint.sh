#!/usr/bin/env bash
# npm run lint: the layout of the TypeScript (prettier), its lint (eslint with typescript-eslint), no
# import rings (madge), and the Python lint (ruff, installed pinned into .tools/ on first use).
# Runs every check, then fails when any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0

check() {
    local what=$1
    shift
    if ! out=$("$@" 2>&1); then
        echo "lint: $what failed:"
        echo "$out"
        status=1
    else
        echo "lint: $what passed"
    fi
}

RUFF=.tools/python/bin/ruff
RUFF_VERSION=$(sed -n 's/^ruff==\([0-9.]*\).*/\1/p' scripts/lint-requirements.txt)
if [ "$("$RUFF" --version 2>/dev/null)" != "ruff $RUFF_VERSION" ]; then
    rm -rf .tools/python
    python3 -m pip install --quiet --disable-pip-version-check --only-binary=:all: --target .tools/python \
        --require-hashes -r scripts/lint-requirements.txt || status=1
fi

check "prettier (npm run format mends it)" npx prettier --check "**/*.{ts,mjs}"
check "eslint" npx eslint --max-warnings=0 .
check "import rings (madge)" npx madge --circular --extensions ts --ts-config tsconfig.json index.ts lib components testbed test bench
check "ruff" "$RUFF" check --quiet --output-format concise .
exit $status
