#!/usr/bin/env bash
# Prints the path of a Python tool pinned in scripts/<NAME>-requirements.txt, installing it first
# (with its hashes, into .tools/<NAME>) when it is missing or of another version.
#   bash scripts/python-tool.sh lint ruff      .tools/lint/bin/ruff
#   bash scripts/python-tool.sh lock uv        .tools/lock/bin/uv
set -euo pipefail
cd "$(dirname "$0")/.."
readonly set=$1 tool=$2
readonly requirements="scripts/$set-requirements.txt" target=".tools/$set"
readonly version=$(sed -n "s/^$tool==\([0-9.]*\).*/\1/p" "$requirements")
if [[ "$("$target/bin/$tool" --version 2>/dev/null)" != "$tool $version"* ]]; then
    rm -rf "$target"
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --only-binary=:all: --target "$target" \
        --require-hashes -r "$requirements" >&2
fi
echo "$target/bin/$tool"
