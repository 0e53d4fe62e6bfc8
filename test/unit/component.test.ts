import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { ProgramRun, runProgram } from "../../testbed/program";
import { readSchema } from "../../lib/config";
import { ConfigError } from "../../lib/reader";
import { ClusterSettings } from "../../components/cluster-settings";
import { STACKS } from "./stacks";
import { PACKAGE_ROOT, imageFolder } from "../../lib/names";

/**
 * The cluster as a component package: the schema Pulumi's own ComponentProvider infers from the
 * TypeScript (what `pulumi package add` turns into an SDK for each language) against a committed
 * snapshot (`IPP_UPDATE_SCHEMA=1 npx mocha test/unit/component.test.ts` updates it), every stack setting
 * among its inputs and every stack output among its outputs; and the component built from typed
 * settings declaring what the stack program declares.
 */
const ROOT = path.resolve(__dirname, "../..");
const SNAPSHOT = path.join(__dirname, "component-schema.json");
const TOKEN = "ipp-cluster:index:Cluster";

/** The Cluster class as loaded afresh in a run (the program's modules are cleared before each). */
function freshCluster(): typeof import("../../components/cluster") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("../../components/cluster");
}

/** Runs a program that declares clusters from typed settings, as a program of another language would. */
function runClusters(clusters: [string, ClusterSettings][], stack = "dev"): Promise<ProgramRun> {
    return runProgram(
        {},
        {
            stack,
            program: async () => {
                const { Cluster, outputsOf } = freshCluster();
                const made = clusters.map(([name, settings]) => new Cluster(name, settings));
                return outputsOf(made[0]);
            },
        },
    );
}

/** What a run declares, to compare two runs: every resource's URN, inputs and options, and the outputs. */
function declared(run: ProgramRun) {
    const resources = run.resources.map(r => ({ ...r, order: 0 })).sort((a, b) => a.urn.localeCompare(b.urn));
    return { resources: JSON.parse(JSON.stringify(resources)), outputs: run.outputs, secretOutputs: [...run.secretOutputs].sort() };
}

describe("the cluster as a component package", () => {
    let schema: any;
    before(async function () {
        this.timeout(120000);
        const { Cluster } = freshCluster();
        schema = JSON.parse(await new ComponentProvider({ dirname: ROOT, name: "ipp-cluster", components: [Cluster] }).getSchema());
    });

    it("has the schema of the committed snapshot", () => {
        const text = JSON.stringify(schema, null, 1) + "\n";
        if (process.env.IPP_UPDATE_SCHEMA === "1") fs.writeFileSync(SNAPSHOT, text);
        assert.deepStrictEqual(
            schema,
            JSON.parse(fs.readFileSync(SNAPSHOT, "utf8")),
            "the component's schema changed: update the snapshot (IPP_UPDATE_SCHEMA=1)",
        );
    });

    it("takes every stack setting as an input of the same name, type and description (with its default), and nothing else", () => {
        const inputs = schema.resources[TOKEN].inputProperties;
        const settings = readSchema();
        assert.deepStrictEqual(Object.keys(inputs).sort(), Object.keys(settings).sort());
        const types: Record<string, string> = { string: "string", integer: "number", boolean: "boolean", array: "array", object: "object" };
        for (const [name, spec] of Object.entries(settings)) {
            const input = inputs[name];
            const counts = name === "minWorkers" || name === "maxWorkers";
            if (!input.$ref) assert.strictEqual(input.type, counts ? "number" : types[spec.type], name);
            const d = spec.default;
            const empty = d === "" || (Array.isArray(d) && d.length === 0) || (typeof d === "object" && Object.keys(d).length === 0);
            const shown = empty ? "" : ` Default: ${typeof d === "string" ? d : JSON.stringify(d)}.`;
            const description = counts ? spec.description.replace('"" means workers', "unset means workers") : spec.description;
            assert.strictEqual(input.description, description + shown, name);
            assert.strictEqual(input.optional, true, `${name} must be optional: left out, it takes the default`);
            // Plain values, checked before anything is declared; only the password may be an Output (a secret).
            assert.strictEqual(input.plain, name === "registryPassword" ? undefined : true, name);
        }
    });

    it("gives every output any stack shows, and no other", async function () {
        this.timeout(120000);
        const shown = new Set<string>();
        for (const s of STACKS) for (const k of Object.keys((await runProgram(s.config, { stack: s.stack })).outputs)) shown.add(k);
        assert.deepStrictEqual(Object.keys(schema.resources[TOKEN].properties).sort(), [...shown].sort());
    });

    it("declares from typed settings exactly what the stack program declares from the same stack config", async function () {
        this.timeout(120000);
        const groups = [
            { name: "cpu", workers: 3, enginesPerWorker: 4, memory: "2Gi" },
            { name: "gpu", workers: 1, gpus: 2, nodeSelector: { accelerator: "l4" }, tolerations: [{ key: "nvidia.com/gpu", operator: "Exists" }] },
        ];
        const typed: ClusterSettings = {
            registry: "registry.example.com/team",
            namePrefix: "ipp-alice",
            notebookServiceType: "NodePort",
            workerGroups: groups,
            watchSeconds: 10,
        };
        const config = {
            registry: "registry.example.com/team",
            namePrefix: "ipp-alice",
            notebookServiceType: "NodePort",
            workerGroups: JSON.stringify(groups),
            watchSeconds: "10",
        };
        assert.deepStrictEqual(declared(await runClusters([["ipp", typed]])), declared(await runProgram(config)));
        const docker: ClusterSettings = { target: "docker", push: false, workers: 2, notebook: false, sharedVolume: { hostPath: "/srv/data", readOnly: true } };
        const dockerConfig = {
            target: "docker",
            push: "false",
            workers: "2",
            notebook: "false",
            sharedVolume: JSON.stringify({ hostPath: "/srv/data", readOnly: true }),
        };
        assert.deepStrictEqual(declared(await runClusters([["ipp", docker]], "local")), declared(await runProgram(dockerConfig, { stack: "local" })));
    });

    it("refuses bad settings before anything is declared, naming the field, the value and what is allowed", async () => {
        const bad: any = { registry: "registry.example.com/team", workers: 2.5, target: "gke", frontendCpu: "lots", colour: "blue" };
        const refusal = await runClusters([["ipp", bad]]).then(
            () => assert.fail("accepted"),
            e => e,
        );
        assert.ok(refusal instanceof ConfigError || refusal.name === "ConfigError", String(refusal));
        assert.strictEqual(refusal.declared, 0, "something was declared before the settings were checked");
        assert.match(refusal.message, /ipp-cluster:colour is not a setting of the cluster, which takes target, workers, .*; got "blue"\./);
        const fixed = await runClusters([["ipp", { ...bad, colour: undefined }]]).then(
            () => assert.fail("accepted"),
            e => e.message,
        );
        assert.match(fixed, /ipp-cluster:target must be kubernetes or docker; got "gke"\./);
        assert.match(fixed, /ipp-cluster:workers must be an integer from 0 to 1000; got "2\.5"\./);
        assert.match(fixed, /ipp-cluster:frontendCpu must be a positive Kubernetes CPU quantity, such as 500m, 1 or 2\.5; got "lots"\./);
    });

    it("declares two clusters in one program when their names differ, and refuses two that would share names or both create one namespace", async function () {
        this.timeout(120000);
        const base = { registry: "registry.example.com/team", notebook: false };
        const two = await runClusters([
            ["analysis", { ...base, namePrefix: "ipp-analysis" }],
            ["training", { ...base, namePrefix: "ipp-training", createNamespace: false, workers: 4 }],
        ]);
        const pods = two.resources.filter(r => r.type === "kubernetes:core/v1:Pod").map(r => r.inputs.metadata.name);
        assert.deepStrictEqual(pods.sort(), ["ipp-analysis-frontend", "ipp-training-frontend"]);
        assert.strictEqual(new Set(two.resources.map(r => r.urn)).size, two.resources.length);
        assert.strictEqual(two.resources.filter(r => r.type === "kubernetes:core/v1:Namespace").length, 1);
        const refusal = async (clusters: [string, ClusterSettings][]) =>
            runClusters(clusters).then(
                () => assert.fail("accepted"),
                e => e.message,
            );
        assert.match(
            await refusal([
                ["analysis", base],
                ["training", base],
            ]),
            /ipp-cluster:namePrefix "ipp-dev" is already used by the cluster "analysis" in namespace ipp-dev; give each cluster its own ipp-cluster:namePrefix or ipp-cluster:namespace\./,
        );
        assert.match(
            await refusal([
                ["analysis", { ...base, namePrefix: "ipp-analysis" }],
                ["training", { ...base, namePrefix: "ipp-training" }],
            ]),
            /ipp-cluster:namespace "ipp-dev" is already created by the cluster "analysis": give this cluster a namespace of its own, or set ipp-cluster:createNamespace false on every cluster but one that shares it\./,
        );
    });

    it("refuses an Output for a setting other than the password (a secret, or another resource's output), naming it", async () => {
        const refusal = await runProgram(
            {},
            {
                program: async () => {
                    const { Cluster } = freshCluster();
                    const pulumi = await import("@pulumi/pulumi");
                    new Cluster("ipp", {
                        registry: pulumi.output("registry.example.com/team") as any,
                        registryUsername: pulumi.secret("alice") as any,
                        registryPassword: pulumi.secret("pw"),
                    });
                    return {};
                },
            },
        ).then(
            () => assert.fail("accepted"),
            e => e,
        );
        assert.strictEqual(refusal.declared, 0);
        for (const name of ["registry", "registryUsername"]) {
            assert.match(refusal.message, new RegExp(`ipp-cluster:${name} must be a plain value, known when the program runs .*; got an Output`));
        }
        assert.doesNotMatch(refusal.message, /registryPassword must/);
    });

    it("refuses a Kubernetes provider given to it, saying that it runs on the current context", async () => {
        const refusal = await runProgram(
            {},
            {
                program: async () => {
                    const { Cluster } = freshCluster();
                    const k8s = await import("@pulumi/kubernetes");
                    const provider = new k8s.Provider("elsewhere", { context: "other" });
                    new Cluster("ipp", { registry: "registry.example.com/team" }, { providers: [provider] });
                    return {};
                },
            },
        ).then(
            () => assert.fail("accepted"),
            e => e.message,
        );
        assert.match(refusal, /an explicit Kubernetes provider \(the provider or providers option\) is not supported/);
    });

    it("builds from images/ by the relative path stacks recorded only for this project run from this folder; from anywhere else, by absolute path", () => {
        assert.strictEqual(imageFolder("base", "ipp-cluster", ROOT), "images/base");
        for (const [project, dir] of [
            ["ipp-cluster-python", ROOT],
            ["ipp-cluster", path.join(ROOT, "examples", "python")],
            ["science", "/srv/infra"],
        ]) {
            const folder = imageFolder("worker", project, dir);
            assert.strictEqual(folder, path.join(PACKAGE_ROOT, "images", "worker"), `${project} in ${dir}`);
            assert.ok(fs.existsSync(path.join(folder, "Dockerfile")));
        }
    });
});
