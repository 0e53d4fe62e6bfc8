import * as assert from "assert";
import { parseConfig } from "../../lib/config";
import { problemsOf } from "./config-problems";
import { GPU_GROUP } from "./worker-group-fixtures";

const K8S = { registry: "localhost:5000" };
const groups = (value: unknown, base: Record<string, string> = K8S) => ({ ...base, workerGroups: JSON.stringify(value) });
const GROUPS = "ipp-cluster:workerGroups";

describe("worker settings: enginesPerWorker, workerGroups, gpuResource, namePrefix", () => {
    describe("without workerGroups", () => {
        it("today's settings describe one group named default, one engine per pod", () => {
            assert.deepStrictEqual(parseConfig({ ...K8S, workers: "3" }, "dev").workerGroups, [
                {
                    name: "default",
                    workers: 3,
                    minWorkers: 3,
                    maxWorkers: 3,
                    enginesPerWorker: 1,
                    cpu: "500m",
                    memory: "1Gi",
                    gpus: 0,
                    nodeSelector: {},
                    tolerations: [],
                    priorityClassName: "",
                },
            ]);
        });
        it("enginesPerWorker sets the engines of that group's pods", () => {
            const [group] = parseConfig({ ...K8S, enginesPerWorker: "4", workerMemory: "1Gi" }, "dev").workerGroups;
            assert.deepStrictEqual([group.workers, group.enginesPerWorker], [2, 4]);
        });
        for (const bad of ["0", "257", "-1", "two", "1.5"]) {
            it(`refuses enginesPerWorker = ${JSON.stringify(bad)}`, () => {
                assert.deepStrictEqual(problemsOf({ ...K8S, enginesPerWorker: bad }), [
                    `ipp-cluster:enginesPerWorker must be an integer from 1 to 256; got ${JSON.stringify(bad)}.`,
                ]);
            });
        }
        it("refuses a workerMemory that cannot hold its engines", () => {
            assert.deepStrictEqual(problemsOf({ ...K8S, enginesPerWorker: "8" }), [
                'ipp-cluster:workerMemory must hold 8 engines of 160Mi each: at least 1280Mi; got "1Gi".',
            ]);
        });
        it("refuses more than 8000 engines in all, and takes 2000 or 8000", () => {
            assert.deepStrictEqual(problemsOf({ ...K8S, workers: "300", enginesPerWorker: "32", workerMemory: "8Gi" }), [
                "The cluster may have at most 8000 engines (ipp-cluster:workers × ipp-cluster:enginesPerWorker); got 9600 (default: 300 × 32).",
            ]);
            assert.deepStrictEqual(problemsOf({ ...K8S, workers: "1000", enginesPerWorker: "2", workerMemory: "1Gi" }), []);
            assert.deepStrictEqual(problemsOf({ ...K8S, workers: "1000", enginesPerWorker: "8", workerMemory: "2Gi", frontendMemory: "6Gi" }), []);
        });
    });

    describe("workerGroups", () => {
        it("takes a CPU group and a GPU group, with placement; unset fields come from enginesPerWorker, workerCpu and workerMemory", () => {
            // The CLI may hand a number over as text ("2"), as `pulumi config set --path` does.
            const c = parseConfig(
                groups([
                    { name: "cpu", workers: 20 },
                    { ...GPU_GROUP, workers: "2" },
                ]),
                "dev",
            );
            assert.deepStrictEqual(c.workerGroups, [
                {
                    name: "cpu",
                    workers: 20,
                    minWorkers: 20,
                    maxWorkers: 20,
                    enginesPerWorker: 1,
                    cpu: "500m",
                    memory: "1Gi",
                    gpus: 0,
                    nodeSelector: {},
                    tolerations: [],
                    priorityClassName: "",
                },
                GPU_GROUP,
            ]);
            assert.strictEqual(c.gpuResource, "nvidia.com/gpu");
        });

        it("refuses workers set beside them: each group has its own", () => {
            assert.deepStrictEqual(problemsOf(groups([{ name: "cpu", workers: 2 }], { ...K8S, workers: "4" })), [
                'ipp-cluster:workers cannot be set together with ipp-cluster:workerGroups: give each group its own workers (`pulumi config rm workers`); got workers "4".',
            ]);
        });

        const BAD: [string, unknown, string][] = [
            [
                "a duplicate name",
                [
                    { name: "cpu", workers: 1 },
                    { name: "cpu", workers: 1 },
                ],
                `${GROUPS}[1].name must differ from every other group's; got "cpu", which ${GROUPS}[0] has too.`,
            ],
            [
                "an invalid name",
                [{ name: "GPU_nodes", workers: 1 }],
                `${GROUPS}[0].name must be a DNS label of at most 20 characters (lowercase letters, digits and "-", starting with a letter), such as gpu; got "GPU_nodes".`,
            ],
            [
                "a name too long for the pods' names",
                [{ name: "a-very-long-group-name", workers: 1 }],
                `${GROUPS}[0].name must be a DNS label of at most 20 characters (lowercase letters, digits and "-", starting with a letter), such as gpu; got "a-very-long-group-name".`,
            ],
            [
                "no name",
                [{ workers: 1 }],
                `${GROUPS}[0].name must be a DNS label of at most 20 characters (lowercase letters, digits and "-", starting with a letter), such as gpu; got nothing.`,
            ],
            ["no workers", [{ name: "cpu" }], `${GROUPS}[0].workers must be an integer from 0 to 1000; got nothing.`],
            [
                "negative GPUs",
                [
                    { name: "cpu", workers: 1 },
                    { name: "gpu", workers: 1, gpus: -1 },
                ],
                `${GROUPS}[1].gpus must be an integer from 0 to 64; got -1.`,
            ],
            [
                "enginesPerWorker 0",
                [{ name: "cpu", workers: 1, enginesPerWorker: 0 }],
                `${GROUPS}[0].enginesPerWorker must be an integer from 1 to 256; got 0.`,
            ],
            [
                "a CPU that is no quantity",
                [{ name: "cpu", workers: 1, cpu: "lots" }],
                `${GROUPS}[0].cpu must be a positive Kubernetes CPU quantity, such as 500m, 4 or 2.5; got "lots".`,
            ],
            [
                "memory that cannot hold its engines",
                [{ name: "big", workers: 1, enginesPerWorker: 16, memory: "2Gi" }],
                `${GROUPS}[0].memory must hold 16 engines of 160Mi each: at least 2560Mi; got "2Gi".`,
            ],
            [
                "over 8000 engines across groups",
                [
                    { name: "cpu", workers: 600 },
                    { name: "big", workers: 1000, enginesPerWorker: 8, memory: "2Gi" },
                ],
                "The cluster may have at most 8000 engines over all groups; got 8600 (cpu: 600 × 1, big: 1000 × 8).",
            ],
            [
                "an unknown field",
                [{ name: "cpu", workers: 1, replicas: 3 }],
                `${GROUPS}[0].replicas is not a field of a worker group, which takes name, workers, minWorkers, maxWorkers, enginesPerWorker, cpu, memory, gpus, nodeSelector, tolerations, affinity, priorityClassName; got 3.`,
            ],
            [
                "a toleration without key or operator Exists",
                [{ name: "gpu", workers: 1, tolerations: [{ effect: "NoSchedule" }] }],
                `${GROUPS}[0].tolerations[0] must be a toleration with a key, or with "operator": "Exists" (which tolerates every taint); got {"effect":"NoSchedule"}.`,
            ],
            [
                "a toleration with another operator",
                [{ name: "gpu", workers: 1, tolerations: [{ key: "gpu", operator: "In" }] }],
                `${GROUPS}[0].tolerations[0].operator must be Equal or Exists; got "In".`,
            ],
            [
                "a toleration with another effect",
                [{ name: "gpu", workers: 1, tolerations: [{ key: "gpu", operator: "Exists", effect: "Never" }] }],
                `${GROUPS}[0].tolerations[0].effect must be NoSchedule, PreferNoSchedule, NoExecute or empty (every effect); got "Never".`,
            ],
            [
                "an invalid label in nodeSelector",
                [{ name: "gpu", workers: 1, nodeSelector: { "gpu type": "l4" } }],
                `${GROUPS}[0].nodeSelector key must be a label key: an optional DNS prefix and "/", then at most 63 letters, digits, "-", "_" and ".", such as node.kubernetes.io/instance-type; got "gpu type".`,
            ],
            [
                "an invalid label value in nodeSelector",
                [{ name: "gpu", workers: 1, nodeSelector: { accelerator: "nvidia l4" } }],
                `${GROUPS}[0].nodeSelector.accelerator must be a label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit; got "nvidia l4".`,
            ],
            [
                "an affinity that is no affinity",
                [{ name: "gpu", workers: 1, affinity: { nodeSelector: {} } }],
                `${GROUPS}[0].affinity must be a Kubernetes affinity: an object with nodeAffinity, podAffinity, podAntiAffinity; got {"nodeSelector":{}}.`,
            ],
            [
                "an invalid priority class",
                [{ name: "gpu", workers: 1, priorityClassName: "High Priority" }],
                `${GROUPS}[0].priorityClassName must be the name of a PriorityClass (lowercase letters, digits, "-" and "."), such as high-priority; got "High Priority".`,
            ],
            ["a group that is no object", ["gpu"], `${GROUPS}[0] must be an object such as {"name": "gpu", "workers": 2, "gpus": 1}; got "gpu".`],
            [
                "no list",
                { name: "gpu" },
                `${GROUPS} must be a list of groups such as [{"name": "cpu", "workers": 20}, {"name": "gpu", "workers": 2, "gpus": 1}]; got "{\\"name\\":\\"gpu\\"}".`,
            ],
        ];
        for (const [what, value, message] of BAD) {
            it(`refuses ${what}, naming the key path, the value and what is allowed`, () => {
                assert.deepStrictEqual(problemsOf(groups(value)), [message]);
            });
        }
    });

    describe("gpuResource", () => {
        it("takes another vendor's resource", () => assert.strictEqual(parseConfig({ ...K8S, gpuResource: "amd.com/gpu" }, "dev").gpuResource, "amd.com/gpu"));
        for (const bad of ["gpu", "nvidia.com/", "kubernetes.io/gpu", "NVIDIA.com/gpu"]) {
            it(`refuses ${JSON.stringify(bad)}`, () => {
                assert.deepStrictEqual(problemsOf({ ...K8S, gpuResource: bad }), [
                    `ipp-cluster:gpuResource must be an extended resource name (a domain, "/", a name), such as nvidia.com/gpu or amd.com/gpu; got ${JSON.stringify(bad)}.`,
                ]);
            });
        }
    });

    describe("namePrefix", () => {
        it("defaults to ipp-<stack>, cut to 30 characters and still a DNS label; the instance label stays the stack's name", () => {
            assert.deepStrictEqual((({ namePrefix, instance }) => ({ namePrefix, instance }))(parseConfig(K8S, "dev")), {
                namePrefix: "ipp-dev",
                instance: "dev",
            });
            assert.strictEqual(parseConfig(K8S, "Team_Alice.experiment-number-one").namePrefix, "ipp-team-alice-experiment-numb");
            assert.strictEqual(parseConfig(K8S, "a-stack-whose-26th-char-is-a-dash").namePrefix, "ipp-a-stack-whose-26th-char-is");
        });
        it("takes a prefix of the user's, which names the instance too", () => {
            const c = parseConfig({ ...K8S, namePrefix: "alice" }, "dev");
            assert.deepStrictEqual([c.namePrefix, c.instance], ["alice", "alice"]);
        });
        for (const bad of ["Alice", "1team", "a-prefix-longer-than-thirty-chars", "team-", "te_am"]) {
            it(`refuses ${JSON.stringify(bad)}`, () => {
                assert.deepStrictEqual(problemsOf({ ...K8S, namePrefix: bad }), [
                    `ipp-cluster:namePrefix must be a DNS label of at most 30 characters (lowercase letters, digits and "-", starting with a letter), such as ipp-alice, or "" for ipp-<stack>; got ${JSON.stringify(bad)}.`,
                ]);
            });
        }
    });
});
