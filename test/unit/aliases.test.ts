import * as assert from "assert";
import { ProgramRun, runProgram } from "../../testbed/program";
import { matchOldUrns } from "../../testbed/aliases";
import { FORMER_ROLES, hadFormerUrn } from "../../components/cluster-args";

/**
 * The URNs of the cluster's objects in the oldest stacks: before their logical names were derived from
 * the component's name, and before the cluster component took the stack program's objects (then the
 * cluster component was `cluster`, at the top of the stack). Aliases keep such a stack's objects (the
 * controller Pod, the workers' Deployment, the key's Secret, …) in place on the next `pulumi up`
 * instead of replacing them; the engine's matching (testbed/aliases.ts) shows which object each takes.
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

/** A stack's URN of a resource, as the mocks write it for the top of the stack or one below. */
function stackUrn(stack: string, urn: string): string {
    return `urn:pulumi:${stack}::ipp-cluster::${urn}`;
}

/** The old objects the program's resources take, without the stack's prefix, and the resources under `part` that take none. */
function taking(run: ProgramRun, stack: string, olds: string[], part: string) {
    const prefix = stackUrn(stack, "");
    const taken = matchOldUrns(
        run.resources,
        olds.map(u => stackUrn(stack, u)),
    );
    return {
        taken: [...taken.values()].map(u => u.slice(prefix.length)).sort(),
        none: run.resources
            .filter(r => r.urn.includes(part) && !taken.has(r.urn))
            .map(r => r.name)
            .sort(),
    };
}

/** The oldest stacks' cluster component, at the top of the stack. */
const OLDEST = (type: string) => `pulumi:pulumi:Stack$${type}::cluster`;

describe("the oldest stacks update in place", () => {
    it("every object a Kubernetes stack had before children were renamed is taken by the resource it was, and only those", async () => {
        const run = await runProgram({ registry: "registry.example.com/team", registryUsername: "alice", registryPassword: "pw" });
        const olds = [OLDEST(K8S), ...FORMER_KUBERNETES];
        const { taken, none } = taking(run, "dev", olds, `${K8S}$`);
        assert.deepStrictEqual(taken, [...olds].sort());
        // The notebook's claim and the provider that adopts a kept one came later: no stack had another URN for them.
        assert.deepStrictEqual(none, ["ipp-cluster-adopting-provider", "ipp-cluster-notebook-home"]);
        const frontend = run.resources.find(r => r.name === "ipp-cluster-frontend")!;
        assert.strictEqual(
            matchOldUrns(
                run.resources,
                olds.map(u => stackUrn("dev", u)),
            ).get(frontend.urn),
            stackUrn("dev", `${K8S}$kubernetes:core/v1:Pod::frontend`),
        );
    });

    it("a named worker group's Deployment never had another URN: it takes none", async () => {
        const groups = JSON.stringify([
            { name: "default", workers: 1 },
            { name: "gpu", workers: 1, gpus: 1 },
        ]);
        const run = await runProgram({ registry: "registry.example.com/team", workerGroups: groups, notebook: "false" });
        const { taken, none } = taking(run, "dev", [OLDEST(K8S), ...FORMER_KUBERNETES], "$kubernetes:apps/v1:Deployment::");
        assert.deepStrictEqual(none, ["ipp-cluster-workers-gpu"]);
        assert.ok(taken.includes(`${K8S}$kubernetes:apps/v1:Deployment::workers`), "the default group's Deployment lost its alias");
    });

    it("every container and the network of a Docker stack are taken by the resources they were; its notebook volume, its watcher and named groups' containers take none", async () => {
        const run = await runProgram({ target: "docker", push: "false", workers: "2" }, { stack: "local" });
        const olds = [OLDEST(DOCKER), ...FORMER_DOCKER];
        const { taken, none } = taking(run, "local", olds, `${DOCKER}$`);
        assert.deepStrictEqual(taken, [...olds].sort());
        assert.deepStrictEqual(none, ["ipp-cluster-notebook-home", "ipp-cluster-watcher"]);
        const groups = JSON.stringify([{ name: "big", workers: 1 }]);
        const grouped = await runProgram({ target: "docker", push: "false", workerGroups: groups, notebook: "false" }, { stack: "local" });
        assert.deepStrictEqual(taking(grouped, "local", olds, `${DOCKER}$`).none, ["ipp-cluster-watcher", "ipp-cluster-worker-big-1"]);
    });

    it("the list of former roles is the one the components use", () => {
        assert.deepStrictEqual(FORMER_KUBERNETES.map(urn => urn.split("::")[1]).sort(), [...FORMER_ROLES.kubernetes].sort());
        for (const role of ["frontend", "network", "notebook", "worker-1", "worker-17"]) assert.ok(hadFormerUrn("docker", role), role);
        for (const role of ["notebook-home", "worker-big-1", "workers"]) assert.ok(!hadFormerUrn("docker", role), role);
        for (const role of ["notebook-home", "adopting-provider", "workers-gpu"]) assert.ok(!hadFormerUrn("kubernetes", role), role);
    });

    it("the images, the key and the token are taken by the cluster component's children, named after it", async () => {
        const run = await runProgram({ registry: "registry.example.com/team" });
        const olds = ["Images::images", "Images$docker:index/image:Image::images-base", "Images$docker:index/image:Image::images-worker"]
            .map(u => `ipp-cluster:index:${u}`)
            .concat(
                ["random:index/randomBytes:RandomBytes::session-key", "random:index/randomPassword:RandomPassword::notebook-token"].map(
                    u => `pulumi:pulumi:Stack$${u}`,
                ),
            );
        const { taken } = taking(run, "dev", olds, "");
        assert.deepStrictEqual(taken, [...olds].sort());
    });

    it("without the cluster component's aliases, nothing of an existing stack would be kept (the check can fail)", async () => {
        const run = await runProgram({ registry: "registry.example.com/team" });
        for (const r of run.resources) r.aliasSpecs = [];
        assert.deepStrictEqual(taking(run, "dev", [OLDEST(K8S), ...FORMER_KUBERNETES], "").taken, []);
    });
});
