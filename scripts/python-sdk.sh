#!/usr/bin/env bash
# The component's Python SDK as `pulumi package add` generates it, made without the Pulumi CLI: builds
# tools/sdkgen (Pulumi's own code generator, pinned in its go.mod), generates the SDK from the schema
# snapshot (test/unit/component-schema.json) into .tools/sdk/pulumi-ipp-cluster, and installs the
# Pulumi Python SDK and mypy (pinned with hashes in scripts/sdk-requirements.txt) into
# .tools/sdk/python. Prints the folder; `npm run test:sdk` uses it.
set -euo pipefail
cd "$(dirname "$0")/.."
readonly out=.tools/sdk
mkdir -p "$out"
(cd tools/sdkgen && go build -buildvcs=false -o "../../$out/sdkgen" .) >&2
rm -rf "$out/pulumi-ipp-cluster"
"$out/sdkgen" test/unit/component-schema.json "$out/pulumi-ipp-cluster" >&2
# What installing it records, and all the SDK asks of its installation (its version, by its name).
version=$(sed -n 's/^VERSION = "\(.*\)"$/\1/p' "$out/pulumi-ipp-cluster/setup.py")
mkdir -p "$out/pulumi-ipp-cluster/pulumi_ipp_cluster-$version.dist-info"
printf 'Metadata-Version: 2.1\nName: pulumi_ipp_cluster\nVersion: %s\n' "$version" >"$out/pulumi-ipp-cluster/pulumi_ipp_cluster-$version.dist-info/METADATA"
if ! cmp -s scripts/sdk-requirements.txt "$out/python/.requirements" 2>/dev/null; then
    rm -rf "$out/python"
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --only-binary=:all: --target "$out/python" \
        --require-hashes -r scripts/sdk-requirements.txt >&2
    cp scripts/sdk-requirements.txt "$out/python/.requirements"
fi
echo "$out"
