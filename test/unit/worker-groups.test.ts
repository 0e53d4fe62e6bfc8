import * as assert from "assert";
import { Declared, ProgramRun, find, ofType, runProgram } from "../../testbed/program";
import { validateObjects } from "./k8s-schema";
import { GPU_GROUP } from "./worker-group-fixtures";

const REGISTRY = { registry: "registry.example.com/team" };
const K8S = "urn:pulumi:dev::ipp-cluster::ipp-cluster:index:KubernetesCluster$kubernetes";
const TOPOLOGY = (selector: Record<string, string>) => [
    {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: selector },
        matchLabelKeys: ["pod-template-hash"],
    },
];
const INSTANCE = (instance: string) => ({ "app.kubernetes.io/name": "ipp-cluster", "app.kubernetes.io/instance": instance });
const COMMON = { "app.kubernetes.io/part-of": "ipp-cluster", "app.kubernetes.io/managed-by": "pulumi" };

const env = (container: any) => Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

/** Whether a Kubernetes label selector (matchLabels, matchExpressions with Exists/In) selects `labels`. */
function selects(selector: any, labels: Record<string, string>): boolean {
    const matchLabels = selector.matchLabels ?? (selector.matchExpressions ? {} : selector);
    const expressions: any[] = selector.matchExpressions ?? [];
    return (
        Object.entries(matchLabels).every(([k, v]) => labels[k] === v) &&
        expressions.every(e =>
            e.operator === "Exists" ? k(e) in labels : e.operator === "In" ? e.values.includes(labels[k(e)]) : assert.fail(`operator ${e.operator}`),
        )
    );
    function k(e: any): string {
        return e.key;
    }
}

/** Every pod a run declares, by its labels. */
function podLabels(run: ProgramRun): Record<string, string>[] {
    return [
        ...ofType(run, "core/v1:Pod").map(p => p.inputs.metadata.labels),
        ...ofType(run, "apps/v1:Deployment").map(d => d.inputs.spec.template.metadata.labels),
    ];
}

/** Every selector a run declares: Services', Deployments', NetworkPolicies' pod selectors and their ingress sources. */
function selectors(run: ProgramRun): [string, any][] {
    return [
        ...ofType(run, "core/v1:Service").map(s => [s.name, s.inputs.spec.selector] as [string, any]),
        ...ofType(run, "apps/v1:Deployment").map(d => [d.name, d.inputs.spec.selector] as [string, any]),
        ...ofType(run, "NetworkPolicy").flatMap(n => [
            [n.name, n.inputs.spec.podSelector] as [string, any],
            // Peers in the namespace itself (a peer in another namespace, such as the scrapers', selects none of the stacks' pods).
            ...n.inputs.spec.ingress.flatMap((i: any) =>
                (i.from ?? []).filter((f: any) => !f.namespaceSelector).map((f: any) => [`${n.name} ingress`, f.podSelector] as [string, any]),
            ),
        ]),
    ];
}

describe("worker groups on Kubernetes", () => {
    describe("a stack without workerGroups (as every stack was before them)", () => {
        let run: ProgramRun;
        let workers: Declared;
        before(async () => {
            run = await runProgram({ ...REGISTRY, workers: "3" });
            workers = find(run, "Deployment", "ipp-cluster-workers");
        });

        it("keeps its one Deployment in place: the same URN (by alias), selector and name", () => {
            assert.strictEqual(ofType(run, "Deployment").length, 1);
            assert.deepStrictEqual(workers.aliasUrns, [`${K8S}:apps/v1:Deployment::workers`]);
            // The selector it always had: changing it would replace the Deployment.
            assert.deepStrictEqual(workers.inputs.spec.selector, {
                matchLabels: { "app.kubernetes.io/name": "ipp-cluster", "app.kubernetes.io/instance": "dev", "app.kubernetes.io/component": "worker" },
            });
            // A new stack gets <prefix>-workers-default; an existing one keeps the name Pulumi gave it.
            assert.strictEqual(workers.inputs.metadata.name, "ipp-dev-workers-default");
            assert.deepStrictEqual(workers.ignoreChanges, ["metadata.name"]);
        });

        it("runs one engine per pod, which knows its group and pod, the pods spread over nodes", () => {
            const pod = workers.inputs.spec.template.spec;
            const engine = pod.containers[0];
            assert.deepStrictEqual((({ IPP_ENGINES, IPP_WORKER_GROUP, IPP_POD_NAME }) => ({ IPP_ENGINES, IPP_WORKER_GROUP, IPP_POD_NAME }))(env(engine)), {
                IPP_ENGINES: "1",
                IPP_WORKER_GROUP: "default",
                IPP_POD_NAME: { fieldRef: { fieldPath: "metadata.name" } },
            });
            assert.deepStrictEqual(pod.topologySpreadConstraints, TOPOLOGY({ ...INSTANCE("dev"), "app.kubernetes.io/component": "worker" }));
            assert.deepStrictEqual(engine.resources, { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } });
            for (const field of ["nodeSelector", "tolerations", "affinity", "priorityClassName"]) assert.strictEqual(pod[field], undefined, field);
        });

        it("keeps the notebook's claim under whatever name it has (a claim from before names followed the stack is ipp-notebook-home)", () => {
            const claim = find(run, "PersistentVolumeClaim", "ipp-cluster-notebook-home");
            assert.deepStrictEqual(claim.ignoreChanges, ["metadata.name"]);
            const frontend = find(run, "Pod", "ipp-cluster-frontend").inputs.spec;
            const home = frontend.volumes.find((v: any) => v.name === "notebook-home");
            assert.strictEqual(home.persistentVolumeClaim.claimName, claim.inputs.metadata.name, "the Pod mounts the claim by the name the claim reports");
        });

        it("rolls the workers when their connection file changes, and only then", async () => {
            const digest = (r: ProgramRun) =>
                find(r, "Deployment", "ipp-cluster-workers").inputs.spec.template.metadata.annotations["ipp-cluster/connection-file"];
            assert.match(digest(run), /^[0-9a-f]{16}$/);
            assert.strictEqual(digest(await runProgram({ ...REGISTRY, workers: "5", enginesPerWorker: "2" })), digest(run));
            assert.notStrictEqual(digest(await runProgram({ ...REGISTRY, namePrefix: "lab" })), digest(run));
        });

        it("outputs the one Deployment as before, and every group's", () => {
            assert.strictEqual(run.outputs.workerDeployment, "ipp-dev-workers-default");
            assert.deepStrictEqual(run.outputs.workerDeployments, { default: "ipp-dev-workers-default" });
            assert.deepStrictEqual([run.outputs.workers, run.outputs.engines], [3, 3]);
            assert.deepStrictEqual(run.outputs.workerGroups, { default: { workers: 3, enginesPerWorker: 1, gpus: 0 } });
        });
    });

    describe("enginesPerWorker", () => {
        it("puts that many engines in each pod, which the outputs count", async () => {
            const run = await runProgram({ ...REGISTRY, workers: "2", enginesPerWorker: "4", workerMemory: "1Gi" });
            const engine = find(run, "Deployment", "ipp-cluster-workers").inputs.spec.template.spec.containers[0];
            assert.strictEqual(env(engine).IPP_ENGINES, "4");
            assert.deepStrictEqual([run.outputs.workers, run.outputs.engines], [2, 8]);
        });
    });

    describe("a CPU group and a GPU group", () => {
        let run: ProgramRun;
        const GPU = GPU_GROUP;
        before(async () => {
            run = await runProgram({ ...REGISTRY, workerGroups: JSON.stringify([{ name: "cpu", workers: 20 }, GPU]) });
        });

        it("declares one Deployment per group, each after the frontend Pod", () => {
            const frontend = find(run, "Pod", "ipp-cluster-frontend");
            const deployments = ofType(run, "Deployment");
            assert.deepStrictEqual(
                deployments.map(d => [d.name, d.inputs.metadata.name, d.inputs.spec.replicas]),
                [
                    ["ipp-cluster-workers-cpu", "ipp-dev-workers-cpu", 20],
                    ["ipp-cluster-workers-gpu", "ipp-dev-workers-gpu", 2],
                ],
            );
            for (const d of deployments) assert.ok(d.dependencies.includes(frontend.urn), `${d.name} depends on the frontend Pod`);
        });

        it("gives the CPU group the default shape and the GPU group its resources, GPU limit, placement and spread", () => {
            const cpu = find(run, "Deployment", "ipp-cluster-workers-cpu").inputs.spec;
            const gpu = find(run, "Deployment", "ipp-cluster-workers-gpu").inputs.spec;
            const select = (group: string) => ({ ...INSTANCE("dev"), "app.kubernetes.io/component": `worker-${group}` });
            assert.deepStrictEqual(cpu.selector, { matchLabels: select("cpu") });
            assert.deepStrictEqual(gpu.selector, { matchLabels: select("gpu") });
            assert.deepStrictEqual(gpu.template.metadata.labels, { ...select("gpu"), ...COMMON, "ipp-cluster/worker-group": "gpu" });
            assert.deepStrictEqual(cpu.template.spec.containers[0].resources, { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } });
            const pod = gpu.template.spec;
            assert.deepStrictEqual(pod.containers[0].resources, { requests: { cpu: "8", memory: "32Gi" }, limits: { memory: "32Gi", "nvidia.com/gpu": "1" } });
            assert.deepStrictEqual(
                [pod.nodeSelector, pod.tolerations, pod.affinity, pod.priorityClassName],
                [GPU.nodeSelector, GPU.tolerations, GPU.affinity, GPU.priorityClassName],
            );
            assert.deepStrictEqual(pod.topologySpreadConstraints, TOPOLOGY(select("gpu")));
            assert.deepStrictEqual([env(pod.containers[0]).IPP_WORKER_GROUP, env(pod.containers[0]).IPP_ENGINES], ["gpu", "2"]);
            assert.deepStrictEqual([env(cpu.template.spec.containers[0]).IPP_WORKER_GROUP, env(cpu.template.spec.containers[0]).IPP_ENGINES], ["cpu", "1"]);
        });

        it("no group's selector selects another group's pods; one NetworkPolicy covers the workers of every group", () => {
            const deployments = ofType(run, "Deployment");
            for (const a of deployments) {
                for (const b of deployments) {
                    assert.strictEqual(selects(a.inputs.spec.selector, b.inputs.spec.template.metadata.labels), a === b, `${a.name} selects ${b.name}'s pods`);
                }
            }
            const policy = find(run, "NetworkPolicy", "ipp-cluster-netpol-workers").inputs.spec;
            for (const d of deployments) assert.ok(selects(policy.podSelector, d.inputs.spec.template.metadata.labels), `the workers' policy covers ${d.name}`);
            assert.ok(!selects(policy.podSelector, find(run, "Pod", "ipp-cluster-frontend").inputs.metadata.labels));
        });

        it("asks for another vendor's GPUs through gpuResource", async () => {
            const amd = await runProgram({ ...REGISTRY, gpuResource: "amd.com/gpu", workerGroups: JSON.stringify([GPU]) });
            const limits = find(amd, "Deployment", "ipp-cluster-workers-gpu").inputs.spec.template.spec.containers[0].resources.limits;
            assert.deepStrictEqual(limits, { memory: "32Gi", "amd.com/gpu": "1" });
        });

        it("outputs every group's Deployment and shape, and commands that reach a worker of each group", () => {
            assert.deepStrictEqual(run.outputs.workerDeployments, { cpu: "ipp-dev-workers-cpu", gpu: "ipp-dev-workers-gpu" });
            assert.strictEqual(run.outputs.workerDeployment, undefined);
            assert.deepStrictEqual([run.outputs.workers, run.outputs.engines], [22, 24]);
            assert.deepStrictEqual(run.outputs.workerGroups, {
                cpu: { workers: 20, enginesPerWorker: 1, gpus: 0 },
                gpu: { workers: 2, enginesPerWorker: 2, gpus: 1 },
            });
            assert.deepStrictEqual(run.outputs.workerShells, [
                "kubectl exec -it -n ipp-dev deployment/ipp-dev-workers-cpu -c engine -- bash",
                "kubectl exec -it -n ipp-dev deployment/ipp-dev-workers-gpu -c engine -- bash",
            ]);
        });

        it("declares objects that pass the Kubernetes schema, and makes the runtime warn about nothing", async () => {
            await validateObjects(run);
            assert.deepStrictEqual(run.warnings, []);
        });
    });

    describe("two stacks in one namespace", () => {
        let a: ProgramRun;
        let b: ProgramRun;
        const shared = {
            ...REGISTRY,
            namespace: "science",
            createNamespace: "false",
            workerGroups: JSON.stringify([
                { name: "cpu", workers: 2 },
                { name: "big", workers: 1, enginesPerWorker: 2 },
            ]),
        };
        before(async () => {
            a = await runProgram(shared, { stack: "a" });
            b = await runProgram(shared, { stack: "b" });
        });

        /** The names the program gives (the rest Pulumi makes unique with a random suffix). */
        const fixedNames = (run: ProgramRun) =>
            run.resources
                .filter(r => r.type.startsWith("kubernetes:") && r.inputs.metadata?.name && !r.type.endsWith("Provider"))
                .map(r => `${r.type.split(":").pop()}/${r.inputs.metadata.name}`);

        it("share no object name", () => {
            assert.deepStrictEqual(fixedNames(a).sort(), [
                "Deployment/ipp-a-workers-big",
                "Deployment/ipp-a-workers-cpu",
                "PersistentVolumeClaim/ipp-a-notebook-home",
                "Pod/ipp-a-frontend",
                "Service/ipp-a-controller",
                "Service/ipp-a-notebook",
            ]);
            const taken = new Set(fixedNames(a));
            for (const name of fixedNames(b)) assert.ok(!taken.has(name), `${name} is in both stacks`);
            for (const run of [a, b]) {
                const autonamed = run.resources.filter(r => r.type.startsWith("kubernetes:") && !r.type.endsWith("Provider") && !r.inputs.metadata?.name);
                assert.deepStrictEqual(autonamed.map(r => r.type.split(":").pop()).sort(), [
                    "ConfigMap",
                    "ConfigMap",
                    "NetworkPolicy",
                    "NetworkPolicy",
                    "Secret",
                    "Secret",
                ]);
            }
        });

        it("have no selector that matches the other's pods, and each selector matches pods of its own", () => {
            for (const [mine, other] of [
                [a, b],
                [b, a],
            ]) {
                for (const [name, selector] of selectors(mine)) {
                    assert.ok(
                        podLabels(mine).some(l => selects(selector, l)),
                        `${name} selects none of its own pods`,
                    );
                    assert.ok(!podLabels(other).some(l => selects(selector, l)), `${name} selects the other stack's pods`);
                }
            }
        });

        it("point their connection files, outputs and commands at their own objects", () => {
            const workerFile = JSON.parse(find(b, "ConfigMap", "ipp-cluster-configmap-wn").inputs.data["ipcontroller-engine.json"]);
            assert.deepStrictEqual([workerFile.interface, workerFile.location], ["tcp://ipp-b-controller", "ipp-b-controller"]);
            const frontendFile = JSON.parse(find(b, "ConfigMap", "ipp-cluster-configmap-fn").inputs.data["ipcontroller-client.json"]);
            assert.strictEqual(frontendFile.location, "ipp-b-frontend");
            assert.deepStrictEqual([b.outputs.frontendPod, b.outputs.service], ["ipp-b-frontend", "ipp-b-controller"]);
            assert.match(b.outputs.seedTest, /^kubectl exec -n science ipp-b-frontend -c controller /);
            assert.strictEqual(b.outputs.clientPortForward.split(" ").slice(0, 5).join(" "), "kubectl port-forward -n science pod/ipp-b-frontend");
            assert.strictEqual(b.outputs.notebookPortForward, "kubectl port-forward -n science service/ipp-b-notebook 8888");
        });

        it("with namePrefix, take the prefix for names and for the instance label", async () => {
            const run = await runProgram({ ...REGISTRY, namePrefix: "alice" }, { stack: "a" });
            assert.strictEqual(find(run, "Pod", "ipp-cluster-frontend").inputs.metadata.name, "alice-frontend");
            assert.strictEqual(find(run, "Pod", "ipp-cluster-frontend").inputs.metadata.labels["app.kubernetes.io/instance"], "alice");
            assert.strictEqual(run.outputs.namespace, "ipp-a", "the namespace still follows the stack");
        });
    });
});
