#!/usr/bin/env bash
# The end-to-end run on a real Kubernetes cluster (kind) with the Pulumi CLI. The workflow
# .github/workflows/e2e.yml runs these steps in this order; so can you, by hand:
#
#   bash scripts/e2e.sh kind-up            # kind cluster + local registry on localhost:5001
#   bash scripts/e2e.sh login              # pulumi login --local (changes your global Pulumi login)
#   bash scripts/e2e.sh up                 # stack ci: registry localhost:5001/ipp, 2 workers, pulumi up
#   bash scripts/e2e.sh seed 2 [SECONDS]   # the stack's seedTest must print [0, 1] and two greetings
#   bash scripts/e2e.sh scale 3            # ipp_cluster.scale(3) in the notebook's container; 3 replicas
#   bash scripts/e2e.sh seed 3 120
#   bash scripts/e2e.sh up-keeps 3         # pulumi up again: no conflict, 3 replicas kept, no changes left
#   bash scripts/e2e.sh replace-frontend   # delete the frontend Pod, pulumi up --refresh recreates it
#   bash scripts/e2e.sh seed 3 120
#   bash scripts/e2e.sh down               # pulumi destroy
#   bash scripts/e2e.sh namespace-gone     # waits until namespace ipp-ci no longer exists
#   bash scripts/e2e.sh diagnose           # what the cluster holds, when a step failed
#   bash scripts/e2e.sh kind-down          # removes the kind cluster and the registry
#
# The component from another language (the workflow's second job), with IPP_E2E_PROGRAM=python:
#
#   bash scripts/e2e.sh py-up              # examples/python: its venv, `pulumi package add ../..`, pulumi up
#   bash scripts/e2e.sh seed 2 120         # the example's seed_test output; then down, namespace-gone
#
# Needs: docker, kind, kubectl, pulumi, and `npm ci` done. The environment chooses the stack
# (IPP_E2E_STACK, default ci), its registry (IPP_E2E_REGISTRY, default localhost:5001/ipp) and
# its workers (IPP_E2E_WORKERS, default 2, and IPP_E2E_MAX_WORKERS, default 4, for the scaler);
# PULUMI_CONFIG_PASSPHRASE as Pulumi needs it. IPP_E2E_PROGRAM picks the program: stack (default: this
# project's stack program) or python (examples/python, its virtual environment IPP_E2E_VENV).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly STACK=${IPP_E2E_STACK:-ci}
readonly NAMESPACE="ipp-$STACK"
readonly REGISTRY=${IPP_E2E_REGISTRY:-localhost:5001/ipp}
readonly WORKERS=${IPP_E2E_WORKERS:-2}
readonly MAX_WORKERS=${IPP_E2E_MAX_WORKERS:-4}
readonly CLUSTER=${IPP_E2E_CLUSTER:-ipp-e2e}
# kind v0.32.0's default node image, pinned by digest.
readonly KIND_NODE_IMAGE=kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5
readonly REGISTRY_IMAGE=registry:3.0.0
readonly REGISTRY_NAME=kind-registry
readonly REGISTRY_PORT=5001
readonly PROGRAM=${IPP_E2E_PROGRAM:-stack}
case "$PROGRAM" in
    stack) readonly PROGRAM_DIR=. SEED_OUTPUT=seedTest ;;
    python) readonly PROGRAM_DIR=examples/python SEED_OUTPUT=seed_test ;;
    *)
        printf 'e2e: IPP_E2E_PROGRAM must be stack or python; got %s.\n' "$PROGRAM" >&2
        exit 2
        ;;
esac
readonly VENV=${IPP_E2E_VENV:-examples/python/venv}

log() { printf 'e2e: %s\n' "$*"; }
fail() {
    printf 'e2e: %s\n' "$*" >&2
    exit 1
}

usage() {
    echo "usage: bash scripts/e2e.sh kind-up|login|up|py-up|seed N [SECONDS]|replace-frontend|down|namespace-gone [SECONDS]|diagnose|kind-down" >&2
    exit 2
}

is_count() { [[ "$1" =~ ^[0-9]+$ ]]; }

# A kind cluster whose nodes pull localhost:5001/... from a registry container, as kind's
# "Local Registry" guide sets it up: the registry on the kind network, containerd's config_path
# pointing at /etc/containerd/certs.d, and a hosts.toml there that sends localhost:5001 to it.
kind_up() {
    if [[ "$(docker inspect -f '{{.State.Running}}' "$REGISTRY_NAME" 2>/dev/null || true)" != true ]]; then
        docker run -d --restart=always -p "127.0.0.1:$REGISTRY_PORT:5000" --name "$REGISTRY_NAME" "$REGISTRY_IMAGE"
    fi
    if ! kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
        kind create cluster --name "$CLUSTER" --image "$KIND_NODE_IMAGE" --wait 180s --config=- <<'EOF'
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
containerdConfigPatches:
- |-
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "/etc/containerd/certs.d"
EOF
    fi
    # localhost in a node is the node itself: tell containerd that localhost:5001 is the registry.
    local dir="/etc/containerd/certs.d/localhost:$REGISTRY_PORT" nodes node
    mapfile -t nodes < <(kind get nodes --name "$CLUSTER")
    for node in "${nodes[@]}"; do
        docker exec "$node" mkdir -p "$dir"
        printf '[host."http://%s:5000"]\n' "$REGISTRY_NAME" | docker exec -i "$node" cp /dev/stdin "$dir/hosts.toml"
    done
    if [[ "$(docker inspect -f '{{json .NetworkSettings.Networks.kind}}' "$REGISTRY_NAME")" == null ]]; then
        docker network connect kind "$REGISTRY_NAME"
    fi
    kubectl config use-context "kind-$CLUSTER"
    kubectl apply -f - <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-registry-hosting
  namespace: kube-public
data:
  localRegistryHosting.v1: |
    host: "localhost:$REGISTRY_PORT"
    help: "https://kind.sigs.k8s.io/docs/user/local-registry/"
EOF
    kubectl get nodes -o wide
}

kind_down() {
    kind delete cluster --name "$CLUSTER"
    docker rm -f "$REGISTRY_NAME"
}

login() {
    pulumi login --local
}

# Pulumi in the program's folder (this project's stack program: here).
pulumi_program() {
    if [[ "$PROGRAM_DIR" == . ]]; then pulumi "$@"; else pulumi -C "$PROGRAM_DIR" "$@"; fi
}

# The Python example with this checkout as its ipp-cluster package: its virtual environment, the
# package added (Pulumi generates the pulumi_ipp_cluster SDK from the component's schema), pulumi up.
py_up() {
    [[ "$PROGRAM" == python ]] || fail "py-up needs IPP_E2E_PROGRAM=python; got '$PROGRAM'."
    local python="$VENV/bin/python"
    python3 -m venv "$VENV"
    "$python" -m pip install --quiet -r "$PROGRAM_DIR/requirements.txt"
    pulumi_program stack select --create "$STACK"
    pulumi_program package add ../..
    pulumi_program install
    if ! "$python" -c "import pulumi_ipp_cluster"; then
        # Where `pulumi package add` left the SDK, when it did not install it itself.
        "$python" -m pip install --quiet "$PROGRAM_DIR/sdks/ipp-cluster"
        "$python" -c "import pulumi_ipp_cluster" || fail "no pulumi_ipp_cluster in $VENV after pulumi package add ../.."
    fi
    pulumi_program config set --stack "$STACK" registry "$REGISTRY"
    pulumi_program up --yes --stack "$STACK"
}

up() {
    is_count "$WORKERS" || fail "IPP_E2E_WORKERS must be a whole number; got '$WORKERS'."
    is_count "$MAX_WORKERS" || fail "IPP_E2E_MAX_WORKERS must be a whole number; got '$MAX_WORKERS'."
    pulumi stack select --create "$STACK"
    pulumi config set --stack "$STACK" registry "$REGISTRY"
    pulumi config set --stack "$STACK" workers "$WORKERS"
    pulumi config set --stack "$STACK" maxWorkers "$MAX_WORKERS"
    pulumi up --yes --stack "$STACK"
}

# The replicas the worker Deployment asks for now.
replicas() {
    local deployment
    deployment=$(pulumi stack output workerDeployment --stack "$STACK")
    kubectl get deployment "$deployment" -n "$NAMESPACE" -o jsonpath='{.spec.replicas}'
}

# ipp_cluster.scale(N) where a notebook's kernel runs (the notebook's container: the same Python and
# client file), then the Deployment must ask for N.
scale() {
    local n=${1:-} pod out
    is_count "$n" || fail "usage: scale N; got '$n'."
    pod=$(pulumi stack output frontendPod --stack "$STACK")
    out=$(kubectl exec -n "$NAMESPACE" "$pod" -c notebook -- python3 -c \
        "import json, ipp_cluster; r = ipp_cluster.scale($n, timeout=240); print(json.dumps(dict(r))); assert r['done'], r")
    log "scale: $out"
    [[ "$(replicas)" == "$n" ]] || fail "the worker Deployment asks for $(replicas) replicas after scale($n)."
}

# pulumi up after the scaler changed the count: it must succeed (no conflict on spec.replicas), keep N,
# and leave nothing to change.
up_keeps() {
    local n=${1:-}
    is_count "$n" || fail "usage: up-keeps N; got '$n'."
    pulumi up --yes --stack "$STACK"
    [[ "$(replicas)" == "$n" ]] || fail "pulumi up changed the scaler's $n replicas to $(replicas)."
    pulumi preview --expect-no-changes --stack "$STACK"
    log "up-keeps: pulumi up kept $n replicas."
}

# What the seed's test prints with N engines: their ids, then one greeting from each.
expected_seed_output() {
    local n=$1 i ids="" greetings=""
    for ((i = 0; i < n; i++)); do
        ids+="${ids:+, }$i"
        greetings+="${greetings:+, }'Hello, World'"
    done
    printf '[%s]\n[%s]' "$ids" "$greetings"
}

# True when OUTPUT ($2) is exactly what the seed's test prints with N ($1) engines.
seed_output_ok() {
    [[ "$2" == "$(expected_seed_output "$1")" ]]
}

# Runs the stack's seedTest until it prints exactly the output for N engines, for up to SECONDS
# (default 0: once). Engines register again by themselves after a frontend replacement; this
# gives them the time to.
seed() {
    local n=${1:-} wait=${2:-0}
    is_count "$n" || fail "usage: seed N [SECONDS], N the number of engines expected; got '$n'."
    is_count "$wait" || fail "usage: seed N [SECONDS]; got SECONDS '$wait'."
    local command out err rc deadline=$((SECONDS + wait))
    command=$(pulumi_program stack output "$SEED_OUTPUT" --stack "$STACK")
    err=$(mktemp)
    while :; do
        rc=0
        out=$(eval "$command" 2>"$err") || rc=$?
        if [[ $rc -eq 0 ]] && seed_output_ok "$n" "$out"; then
            rm -f "$err"
            printf '%s\n' "$out"
            log "seed: ok, $n engines answered."
            return 0
        fi
        ((SECONDS < deadline)) || break
        sleep 5
    done
    printf 'e2e: seed: expected (%s engines):\n%s\ngot (exit code %s):\n%s\n' "$n" "$(expected_seed_output "$n")" "$rc" "$out" >&2
    cat "$err" >&2
    rm -f "$err"
    return 1
}

# Deletes the frontend Pod (a bare Pod: nothing recreates it) and lets `pulumi up --refresh` do it.
replace_frontend() {
    local pod before after
    pod=$(pulumi stack output frontendPod --stack "$STACK")
    before=$(kubectl get pod "$pod" -n "$NAMESPACE" -o jsonpath='{.metadata.uid}')
    kubectl delete pod "$pod" -n "$NAMESPACE" --wait=true --timeout=180s
    pulumi up --refresh --yes --stack "$STACK"
    after=$(kubectl get pod "$pod" -n "$NAMESPACE" -o jsonpath='{.metadata.uid}')
    [[ -n "$after" && "$after" != "$before" ]] || fail "the frontend Pod was not recreated (uid before $before, after '$after')."
    log "frontend Pod recreated (uid $before -> $after)."
}

down() {
    pulumi_program destroy --yes --stack "$STACK"
}

# Waits up to SECONDS (default 300) until the stack's namespace no longer exists.
namespace_gone() {
    local timeout=${1:-300} found
    is_count "$timeout" || fail "usage: namespace-gone [SECONDS]; got '$timeout'."
    local deadline=$((SECONDS + timeout))
    while :; do
        found=$(kubectl get namespace "$NAMESPACE" --ignore-not-found -o name)
        if [[ -z "$found" ]]; then
            log "namespace $NAMESPACE is gone."
            return 0
        fi
        if ((SECONDS >= deadline)); then
            kubectl get namespace "$NAMESPACE" -o yaml >&2 || true
            fail "namespace $NAMESPACE still exists after ${timeout}s."
        fi
        sleep 3
    done
}

# Best effort: what a failed run leaves behind.
diagnose() {
    kubectl get all,configmaps,secrets,networkpolicies -n "$NAMESPACE" -o wide || true
    kubectl describe pods -n "$NAMESPACE" || true
    kubectl get events -n "$NAMESPACE" --sort-by=.lastTimestamp || true
    local pod
    for pod in $(kubectl get pods -n "$NAMESPACE" -o name 2>/dev/null || true); do
        echo "--- logs of $pod"
        kubectl logs -n "$NAMESPACE" "$pod" --all-containers --tail=100 || true
    done
    pulumi_program stack --stack "$STACK" || true
}

subcommand=${1:-}
shift || true
case "$subcommand" in
    kind-up) kind_up ;;
    kind-down) kind_down ;;
    login) login ;;
    up) up ;;
    py-up) py_up ;;
    seed) seed "$@" ;;
    scale) scale "$@" ;;
    up-keeps) up_keeps "$@" ;;
    replace-frontend) replace_frontend ;;
    down) down ;;
    namespace-gone) namespace_gone "$@" ;;
    diagnose) diagnose ;;
    *) usage ;;
esac
