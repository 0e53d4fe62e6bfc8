#!/usr/bin/env bash
# For the integration tests on a CI runner with a Docker engine of its own: an image registry on
# 127.0.0.1:5000 (where the tests push) and the Debian image the images start from.
set -euo pipefail
readonly REGISTRY_IMAGE=registry:3.0.0
readonly OS_IMAGE=debian:trixie-slim
if [[ "$(docker inspect -f '{{.State.Running}}' ipp-ci-registry 2>/dev/null || true)" != true ]]; then
    docker run -d --restart=always -p 127.0.0.1:5000:5000 --name ipp-ci-registry "$REGISTRY_IMAGE"
fi
docker pull --quiet "$OS_IMAGE"
for _ in $(seq 30); do
    if curl -fsS http://127.0.0.1:5000/v2/ >/dev/null; then
        echo "ci-registry: registry ready on 127.0.0.1:5000"
        exit 0
    fi
    sleep 1
done
echo "ci-registry: the registry on 127.0.0.1:5000 did not answer" >&2
exit 1
