import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { runProgram } from "../../testbed/program";

/**
 * What the program declares for a set of stacks (every object with its URN, inputs and options, and the
 * stack outputs), against a record of it. A change that renames, replaces or alters a live object of an
 * existing stack shows here; one made on purpose updates the record
 * (`IPP_UPDATE_DECLARATIONS=1 npx mocha test/unit/declarations.test.ts`) and the diff shows it.
 */
const RECORD = path.join(__dirname, "declarations.json");
const REGISTRY = { registry: "registry.example.com/team" };

export const STACKS: { name: string; stack?: string; config: Record<string, string> }[] = [
    { name: "kubernetes", config: REGISTRY },
    {
        name: "kubernetes with credentials and a LoadBalancer",
        config: { ...REGISTRY, registryUsername: "alice", registryPassword: "s3cret", notebookServiceType: "LoadBalancer" },
    },
    {
        name: "kubernetes without a notebook, in a namespace of its own",
        config: { ...REGISTRY, notebook: "false", createNamespace: "false", namespace: "science", workers: "5" },
    },
    {
        name: "kubernetes with groups, a prefix, a kept claim and an NFS share",
        config: {
            ...REGISTRY,
            namePrefix: "ipp-alice",
            retainNotebookStorage: "true",
            storageClass: "fast",
            notebookServiceType: "NodePort",
            sharedVolume: JSON.stringify({ nfs: { server: "nfs.example.com", path: "/exports/data" }, readOnly: true }),
            workerGroups: JSON.stringify([
                { name: "cpu", workers: 3, enginesPerWorker: 4, memory: "2Gi" },
                {
                    name: "gpu",
                    workers: 1,
                    gpus: 2,
                    nodeSelector: { "cloud.google.com/gke-accelerator": "nvidia-l4" },
                    tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
                    priorityClassName: "high",
                },
            ]),
        },
    },
    {
        name: "kubernetes with packages, an emptyDir home and a claim share",
        config: {
            ...REGISTRY,
            aptPackages: JSON.stringify(["python3-numpy"]),
            pipPackages: JSON.stringify(["requests==2.32.3"]),
            pipIndexUrl: "http://pypi.example.com/simple",
            notebookStorage: "",
            sharedVolume: JSON.stringify({ claimName: "data" }),
        },
    },
    {
        name: "kubernetes on a base image of the user's, unpushed",
        config: { push: "false", baseImage: "ghcr.io/org/science:2025.1", enginesPerWorker: "2", workerMemory: "2Gi" },
    },
    { name: "docker", stack: "local", config: { target: "docker", push: "false", workers: "2" } },
    {
        name: "docker with groups, a kept volume and a host folder",
        stack: "local",
        config: {
            target: "docker",
            push: "false",
            retainNotebookStorage: "true",
            sharedVolume: JSON.stringify({ hostPath: "/srv/data", readOnly: true }),
            workerGroups: JSON.stringify([
                { name: "default", workers: 1 },
                { name: "big", workers: 2, enginesPerWorker: 2, memory: "1Gi", gpus: 1 },
            ]),
        },
    },
    { name: "docker without a notebook", stack: "local", config: { target: "docker", push: "false", notebook: "false", workers: "3" } },
];

/** What a run declares, in a form that compares and reads well. */
async function declarations(config: Record<string, string>, stack?: string) {
    const run = await runProgram(config, { stack });
    return {
        resources: run.resources
            .map(r => ({
                urn: r.urn,
                parent: r.parent,
                inputs: r.inputs,
                dependencies: [...r.dependencies].sort(),
                options: {
                    deleteBeforeReplace: r.deleteBeforeReplace,
                    replaceOnChanges: r.replaceOnChanges,
                    additionalSecretOutputs: r.additionalSecretOutputs,
                    retainOnDelete: r.retainOnDelete,
                    ignoreChanges: r.ignoreChanges,
                    provider: r.provider,
                },
            }))
            .sort((a, b) => a.urn.localeCompare(b.urn)),
        outputs: run.outputs,
        secretOutputs: [...run.secretOutputs].sort(),
    };
}

/**
 * What holds user data (the notebook's claim or Docker volume, and the namespace it lives in), as it was
 * declared before the Python stack changed the images: a change of the images must never replace it.
 */
const USER_DATA = path.join(__dirname, "user-data.json");
const HOLDS_USER_DATA = ["kubernetes:core/v1:PersistentVolumeClaim::", "kubernetes:core/v1:Namespace::", "docker:index/volume:Volume::"];

describe("what holds user data", () => {
    const before: Record<string, unknown[]> = JSON.parse(fs.readFileSync(USER_DATA, "utf8"));
    for (const s of STACKS) {
        it(`is declared as it was, URN, inputs and options, for a stack: ${s.name}`, async () => {
            const now = JSON.parse(JSON.stringify(await declarations(s.config, s.stack)));
            const held = now.resources.filter((r: { urn: string }) => HOLDS_USER_DATA.some(t => r.urn.includes(t)));
            assert.deepStrictEqual(held, before[s.name] ?? []);
        });
    }
});

describe("what existing stacks declare", () => {
    const record: Record<string, unknown> = fs.existsSync(RECORD) ? JSON.parse(fs.readFileSync(RECORD, "utf8")) : {};
    const update = process.env.IPP_UPDATE_DECLARATIONS === "1";
    const fresh: Record<string, unknown> = {};

    for (const s of STACKS) {
        it(`is unchanged for a stack: ${s.name}`, async () => {
            const now = JSON.parse(JSON.stringify(await declarations(s.config, s.stack)));
            fresh[s.name] = now;
            if (!update) assert.deepStrictEqual(now, record[s.name]);
        });
    }

    after(() => {
        if (update) fs.writeFileSync(RECORD, JSON.stringify(fresh, null, 1) + "\n");
    });
});
