import * as assert from "assert";
import { runProgram } from "../harness";

/**
 * The URNs of the cluster's objects before their logical names were derived from the component's
 * name. An alias to each keeps an existing stack's objects (the controller Pod, the workers'
 * Deployment, the key's Secret, …) in place on the next `pulumi up` instead of replacing them.
 */
const K8S = "ipp-cluster:index:KubernetesCluster";
const DOCKER = "ipp-cluster:index:DockerCluster";
const FORMER_KUBERNETES = [
    `${K8S}$kubernetes:core/v1:Namespace::namespace`,
    `${K8S}$kubernetes:core/v1:Secret::session-key`,
    `${K8S}$kubernetes:core/v1:Secret::notebook-token`,
    `${K8S}$kubernetes:core/v1:Secret::registry-credentials`,
    `${K8S}$kubernetes:core/v1:ConfigMap::configmap-fn`,
    `${K8S}$kubernetes:core/v1:ConfigMap::configmap-wn`,
    `${K8S}$kubernetes:core/v1:Service::service`,
    `${K8S}$kubernetes:core/v1:Pod::frontend`,
    `${K8S}$kubernetes:apps/v1:Deployment::workers`,
    `${K8S}$kubernetes:networking.k8s.io/v1:NetworkPolicy::netpol-frontend`,
    `${K8S}$kubernetes:networking.k8s.io/v1:NetworkPolicy::netpol-workers`,
    `${K8S}$kubernetes:core/v1:Service::notebook-service`,
];
const FORMER_DOCKER = [
    `${DOCKER}$docker:index/network:Network::network`,
    `${DOCKER}$docker:index/container:Container::frontend`,
    `${DOCKER}$docker:index/container:Container::worker-1`,
    `${DOCKER}$docker:index/container:Container::worker-2`,
    `${DOCKER}$docker:index/container:Container::notebook`,
];

/**
 * Children that came later (the notebook's claim or Docker volume, the provider that takes a kept claim
 * up again): their alias names a URN that no stack ever had, which is harmless.
 */
const NEWER = ["notebook-home", "adopting-provider"];

function formerUrns(run: Awaited<ReturnType<typeof runProgram>>, stack: string): string[] {
    const prefix = `urn:pulumi:${stack}::ipp-cluster::`;
    const newer = (urn: string) => NEWER.some(role => urn.endsWith(`::${role}`));
    return run.resources
        .flatMap(r => r.aliasUrns)
        .filter(urn => !newer(urn))
        .map(urn => {
            assert.ok(urn.startsWith(prefix), urn);
            return urn.slice(prefix.length);
        });
}

describe("existing stacks update in place", () => {
    it("every object of a Kubernetes stack is aliased to the URN it had before", async () => {
        const run = await runProgram({ registry: "registry.example.com/team", registryUsername: "alice", registryPassword: "pw" });
        assert.deepStrictEqual(formerUrns(run, "dev").sort(), [...FORMER_KUBERNETES].sort());
        const children = run.resources.filter(r => r.type.startsWith("kubernetes:"));
        assert.ok(
            children.every(r => r.aliasUrns.length === 1),
            "each Kubernetes object has exactly one alias",
        );
    });

    it("every container and the network of a Docker stack are aliased to the URNs they had before", async () => {
        const run = await runProgram({ target: "docker", push: "false", workers: "2" }, { stack: "local" });
        assert.deepStrictEqual(formerUrns(run, "local").sort(), [...FORMER_DOCKER].sort());
    });

    it("the images, the key and the token keep their names: they need no alias", async () => {
        const run = await runProgram({ registry: "registry.example.com/team" });
        const kept = run.resources.filter(r => r.type.startsWith("docker:index/image") || r.type.startsWith("random:"));
        assert.deepStrictEqual(kept.map(r => r.name).sort(), ["images-base", "images-frontend", "images-worker", "notebook-token", "session-key"]);
        assert.ok(kept.every(r => r.aliasUrns.length === 0));
    });
});
