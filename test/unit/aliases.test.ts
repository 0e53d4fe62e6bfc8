import * as assert from "assert";
import { runProgram } from "../../testbed/program";
import { FORMER_ROLES, hadFormerUrn } from "../../components/cluster-args";

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

/** The aliases' URNs, without the stack's prefix. */
function formerUrns(run: Awaited<ReturnType<typeof runProgram>>, stack: string): string[] {
    const prefix = `urn:pulumi:${stack}::ipp-cluster::`;
    return run.resources
        .flatMap(r => r.aliasUrns)
        .map(urn => {
            assert.ok(urn.startsWith(prefix), urn);
            return urn.slice(prefix.length);
        });
}

/** The resources whose URN has `part` (a component's type and `$`, or a resource type) that carry no alias, by logical name. */
function unaliased(run: Awaited<ReturnType<typeof runProgram>>, part: string): string[] {
    return run.resources
        .filter(r => r.urn.includes(part) && r.aliasUrns.length === 0)
        .map(r => r.name)
        .sort();
}

describe("existing stacks update in place", () => {
    it("every object a Kubernetes stack had before children were renamed is aliased to the URN it had, and only those", async () => {
        const run = await runProgram({ registry: "registry.example.com/team", registryUsername: "alice", registryPassword: "pw" });
        assert.deepStrictEqual(formerUrns(run, "dev").sort(), [...FORMER_KUBERNETES].sort());
        // The notebook's claim and the provider that adopts a kept one came later: no stack had another URN for them.
        assert.deepStrictEqual(unaliased(run, `${K8S}$`), ["cluster-adopting-provider", "cluster-notebook-home"]);
    });

    it("a named worker group's Deployment never had another URN: it carries no alias", async () => {
        const groups = JSON.stringify([
            { name: "default", workers: 1 },
            { name: "gpu", workers: 1, gpus: 1 },
        ]);
        const run = await runProgram({ registry: "registry.example.com/team", workerGroups: groups, notebook: "false" });
        assert.deepStrictEqual(unaliased(run, "$kubernetes:apps/v1:Deployment::"), ["cluster-workers-gpu"]);
        assert.ok(formerUrns(run, "dev").includes(`${K8S}$kubernetes:apps/v1:Deployment::workers`), "the default group's Deployment lost its alias");
    });

    it("every container and the network of a Docker stack are aliased to the URNs they had before; its notebook volume, its watcher and named groups' containers to none", async () => {
        const run = await runProgram({ target: "docker", push: "false", workers: "2" }, { stack: "local" });
        assert.deepStrictEqual(formerUrns(run, "local").sort(), [...FORMER_DOCKER].sort());
        assert.deepStrictEqual(unaliased(run, `${DOCKER}$`), ["cluster-notebook-home", "cluster-watcher"]);
        const groups = JSON.stringify([{ name: "big", workers: 1 }]);
        const grouped = await runProgram({ target: "docker", push: "false", workerGroups: groups, notebook: "false" }, { stack: "local" });
        assert.deepStrictEqual(unaliased(grouped, `${DOCKER}$`), ["cluster-watcher", "cluster-worker-big-1"]);
    });

    it("the list of former roles is the one the components use", () => {
        assert.deepStrictEqual(FORMER_KUBERNETES.map(urn => urn.split("::")[1]).sort(), [...FORMER_ROLES.kubernetes].sort());
        for (const role of ["frontend", "network", "notebook", "worker-1", "worker-17"]) assert.ok(hadFormerUrn("docker", role), role);
        for (const role of ["notebook-home", "worker-big-1", "workers"]) assert.ok(!hadFormerUrn("docker", role), role);
        for (const role of ["notebook-home", "adopting-provider", "workers-gpu"]) assert.ok(!hadFormerUrn("kubernetes", role), role);
    });

    it("the images, the key and the token keep their names: they need no alias", async () => {
        const run = await runProgram({ registry: "registry.example.com/team" });
        const kept = run.resources.filter(r => r.type.startsWith("docker:index/image") || r.type.startsWith("random:"));
        assert.deepStrictEqual(kept.map(r => r.name).sort(), ["images-base", "images-frontend", "images-worker", "notebook-token", "session-key"]);
        assert.ok(kept.every(r => r.aliasUrns.length === 0));
    });
});
