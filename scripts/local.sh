#!/usr/bin/env bash
# The whole cluster on this machine's Docker engine with one command, and gone with another:
#
#   bash scripts/local.sh up      # npm run local
#   bash scripts/local.sh down    # npm run local:down
#
# Pulumi's state stays in this project's .pulumi-state/ folder (PULUMI_BACKEND_URL is set for
# every pulumi call): no Pulumi account is needed and your own `pulumi login` is left untouched.
# Secrets in that state are encrypted with PULUMI_CONFIG_PASSPHRASE or
# PULUMI_CONFIG_PASSPHRASE_FILE when you set one, otherwise with a passphrase generated once into
# .pulumi-state/passphrase.
#
# IPP_PROJECT_DIR points the script at another copy of the project (the tests use it).
set -euo pipefail

readonly STACK=local

project_dir=${IPP_PROJECT_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
project_dir=$(cd "$project_dir" && pwd)
readonly project_dir
readonly state_dir="$project_dir/.pulumi-state"
readonly passphrase_file="$state_dir/passphrase"

say() { printf '%s\n' "$*"; }
fail() {
    printf 'local: %s\n' "$*" >&2
    exit 1
}

usage() {
    say "usage: bash scripts/local.sh up|down" >&2
    exit 2
}

# Everything this script needs from the machine, with what to do when it is missing.
check_tools() {
    command -v pulumi >/dev/null 2>&1 ||
        fail "the Pulumi CLI (pulumi) is not on your PATH. Install it from https://www.pulumi.com/docs/install/ (no account needed), then run this again."
    command -v docker >/dev/null 2>&1 ||
        fail "the Docker CLI (docker) is not on your PATH. Install Docker (https://docs.docker.com/get-docker/), then run this again."
    docker info >/dev/null 2>&1 ||
        fail "cannot reach a Docker engine ('docker info' failed). Start Docker (or check DOCKER_HOST and your permissions), then run this again."
    [[ -d "$project_dir/node_modules" ]] ||
        fail "the project's packages are not installed. Run 'npm ci' first."
}

# PULUMI_BACKEND_URL for every pulumi call: the state lives in this project, never in the global login.
use_project_state() {
    mkdir -p "$state_dir"
    export PULUMI_BACKEND_URL="file://$state_dir"
}

# Which passphrase encrypts the stack's secrets: the user's own if set, else the generated one.
# $1: "create" makes the passphrase file when it is missing (up); "existing" requires it (down).
use_passphrase() {
    if [[ -n "${PULUMI_CONFIG_PASSPHRASE+set}" || -n "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
        return
    fi
    if [[ ! -f "$passphrase_file" ]]; then
        [[ "$1" == create ]] ||
            fail "no passphrase: .pulumi-state/passphrase does not exist. If you started the stack with your own passphrase, set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to it and run this again."
        if grep -q '^encryptionsalt:' "$project_dir/Pulumi.$STACK.yaml" 2>/dev/null; then
            fail "Pulumi.$STACK.yaml has an encryptionsalt line made with another passphrase. Set PULUMI_CONFIG_PASSPHRASE to that passphrase, or delete the line (nothing is lost if no stack '$STACK' exists), then run this again."
        fi
        local passphrase
        passphrase=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
        [[ ${#passphrase} -eq 64 ]] || fail "could not read 32 random bytes from /dev/urandom."
        (
            umask 077
            printf '%s\n' "$passphrase" >"$passphrase_file.tmp"
        )
        chmod 600 "$passphrase_file.tmp"
        mv "$passphrase_file.tmp" "$passphrase_file"
        say "The stack's secrets are encrypted with a passphrase kept in .pulumi-state/passphrase (readable by you alone; keep it while the stack exists)."
    fi
    export PULUMI_CONFIG_PASSPHRASE_FILE="$passphrase_file"
}

up() {
    check_tools
    use_project_state
    use_passphrase create
    cd "$project_dir"
    pulumi stack select --create "$STACK"
    pulumi up --yes --stack "$STACK"

    say ""
    say "Seed test (engine ids, then one greeting per engine):"
    local seed
    seed=$(pulumi stack output seedTest --stack "$STACK")
    eval "$seed"

    say ""
    say "The cluster is up."
    local url
    if url=$(pulumi stack output --show-secrets notebookUrl --stack "$STACK" 2>/dev/null) && [[ -n "$url" ]]; then
        say "  Notebook:      $url"
    fi
    say "  Remove it:     npm run local:down"
    say "  Pulumi by hand on this stack (shells, client file, scaling), in this shell first:"
    say "    export PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL"
    if [[ -n "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
        say "    export PULUMI_CONFIG_PASSPHRASE_FILE=$PULUMI_CONFIG_PASSPHRASE_FILE"
    fi
    say "    pulumi stack output --stack $STACK"
}

down() {
    check_tools
    use_project_state
    use_passphrase existing
    cd "$project_dir"
    pulumi destroy --yes --stack "$STACK"
    # --preserve-config: Pulumi.local.yaml is the project's file (it makes this stack the docker target).
    pulumi stack rm --yes --preserve-config "$STACK"
    say ""
    say "The cluster and the stack '$STACK' are removed. .pulumi-state/ keeps the passphrase (Pulumi.$STACK.yaml's encryptionsalt was made with it) for the next 'npm run local'."
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    *) usage ;;
esac
