#!/usr/bin/env bash
# npm run lint: the layout of the TypeScript (prettier), its lint (eslint with typescript-eslint), no
# import rings (madge), the Python lint (ruff, installed pinned into .tools/ on first use), and the Go
# tool's gofmt and go vet.
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

RUFF=$(bash scripts/python-tool.sh lint ruff) || status=1

check "prettier (npm run format mends it)" npx prettier --check "**/*.{ts,mjs}"
check "eslint" npx eslint --max-warnings=0 .
check "import rings (madge)" npx madge --circular --extensions ts --ts-config tsconfig.json index.ts lib components testbed test bench
check "ruff" "$RUFF" check --quiet --output-format concise .
check "gofmt and go vet (tools/)" bash -c 'test -z "$(gofmt -l tools)" && cd tools/sdkgen && go vet ./...'
exit $status
