import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync, spawnSync } from "child_process";
import * as yaml from "js-yaml";
import { ProgramRun, runProgram } from "../../testbed/program";

/**
 * The component from other Pulumi languages, without the Pulumi CLI: the Python SDK that Pulumi's own
 * code generator makes from the schema snapshot (scripts/python-sdk.sh), the Python example checked
 * against it with mypy and run under Pulumi's Python mocks, and what that program (and the YAML
 * example) gives the component declared by the component itself.
 */
const ROOT = path.resolve(__dirname, "../..");
const PYTHON_EXAMPLE = path.join(ROOT, "examples/python/__main__.py");
const YAML_EXAMPLE = path.join(ROOT, "examples/yaml/Pulumi.yaml");
const REGISTRY = "registry.example.com/team";

let env: NodeJS.ProcessEnv;

/** mypy --strict on a Python file, against the generated SDK and Pulumi's Python SDK: its exit code and output. */
function mypy(file: string): { status: number; output: string } {
    const r = spawnSync("python3", ["-m", "mypy", "--strict", "--no-incremental", file], { cwd: ROOT, env, encoding: "utf8" });
    return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** The clusters a Python program declares, as the generated SDK sends them to the engine. */
function pythonClusters(program: string, project: string): { name: string; inputs: Record<string, unknown> }[] {
    const out = execFileSync("python3", ["test/sdk/record_clusters.py", program, project, `registry=${REGISTRY}`], { cwd: ROOT, env, encoding: "utf8" });
    return JSON.parse(out);
}

/** Declares, under mocks, the Cluster component as the engine would construct it from these inputs. */
function construct(name: string, inputs: Record<string, unknown>, project: string): Promise<ProgramRun> {
    return runProgram(
        {},
        {
            project,
            program: async () => {
                // Loaded afresh for the run, as the program's modules are.
                // eslint-disable-next-line @typescript-eslint/no-require-imports
                const { Cluster, outputsOf } = require("../../components/cluster");
                return outputsOf(new Cluster(name, inputs));
            },
        },
    );
}

/** A cluster of 2 worker pods with an engine each, named after the component, in the stack's namespace. */
function assertTwoWorkers(run: ProgramRun, name: string) {
    assert.strictEqual(run.outputs.workers, 2);
    assert.strictEqual(run.outputs.engines, 2);
    assert.strictEqual(run.outputs.namespace, "ipp-dev");
    const deployments = run.resources.filter(r => r.type === "kubernetes:apps/v1:Deployment");
    assert.deepStrictEqual(
        deployments.map(d => [d.name, d.inputs.spec.replicas, d.inputs.spec.template.spec.containers[0].resources.limits.memory]),
        [[`${name}-cluster-workers`, 2, "2Gi"]],
    );
    const images = run.resources.filter(r => r.type === "docker:index/image:Image");
    assert.deepStrictEqual(images.map(r => r.inputs.imageName.split(":")[0]).sort(), [
        `${REGISTRY}/ipp-base`,
        `${REGISTRY}/ipp-frontend`,
        `${REGISTRY}/ipp-worker`,
    ]);
    // Docker's provider runs in that program's folder: it gets this package's image folders by absolute path.
    for (const image of images) {
        assert.ok(path.isAbsolute(image.inputs.build.context), image.inputs.build.context);
        assert.ok(fs.existsSync(image.inputs.build.dockerfile), image.inputs.build.dockerfile);
    }
}

describe("the component from Python and YAML programs", () => {
    before(function () {
        this.timeout(900000);
        const out = execFileSync("bash", ["scripts/python-sdk.sh"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
        const sdk = path.join(ROOT, out);
        env = { ...process.env, PYTHONPATH: [path.join(sdk, "python"), path.join(sdk, "pulumi-ipp-cluster")].join(path.delimiter) };
    });

    it("the Python example type-checks (mypy --strict) against the SDK generated from the schema", () => {
        const { status, output } = mypy(PYTHON_EXAMPLE);
        assert.strictEqual(status, 0, output);
    });

    it("a misspelled or a mistyped setting in a Python program fails that check", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ipp-sdk-"));
        try {
            const example = fs.readFileSync(PYTHON_EXAMPLE, "utf8");
            for (const wrong of ["worker_count=2,", 'workers="two",']) {
                const text = example.replace("workers=2,", wrong);
                assert.notStrictEqual(text, example);
                const file = path.join(dir, "__main__.py");
                fs.writeFileSync(file, text);
                const { status, output } = mypy(file);
                assert.notStrictEqual(status, 0, `${wrong} passed: ${output}`);
                assert.match(output, /No overload variant of "Cluster" matches argument types/, output);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the Python example, run under Pulumi's mocks, gives the component what makes a cluster of 2 workers", async () => {
        const clusters = pythonClusters(PYTHON_EXAMPLE, "ipp-cluster-python");
        assert.deepStrictEqual(clusters, [{ name: "science", inputs: { registry: REGISTRY, workers: 2, workerMemory: "2Gi" } }]);
        assertTwoWorkers(await construct(clusters[0].name, clusters[0].inputs, "ipp-cluster-python"), "science");
    });

    it("the YAML example's cluster takes only the component's inputs and makes a cluster of 2 workers", async () => {
        const program = yaml.load(fs.readFileSync(YAML_EXAMPLE, "utf8")) as any;
        const [name, resource] = Object.entries<any>(program.resources)[0];
        assert.strictEqual(resource.type, "ipp-cluster:index:Cluster");
        const schema = JSON.parse(fs.readFileSync(path.join(ROOT, "test/unit/component-schema.json"), "utf8"));
        const inputs = schema.resources[resource.type].inputProperties;
        for (const k of Object.keys(resource.properties)) assert.ok(k in inputs, `${k} is not an input of the component`);
        const outputs = schema.resources[resource.type].properties;
        for (const [k, v] of Object.entries<string>(program.outputs)) {
            const m = /^\$\{cluster\.([A-Za-z]+)\}$/.exec(v);
            assert.ok(m && m[1] in outputs, `output ${k}: ${v} is not an output of the component`);
        }
        const properties = JSON.parse(JSON.stringify(resource.properties).replace('"${registry}"', JSON.stringify(REGISTRY)));
        assertTwoWorkers(await construct(name, properties, program.name), name);
    });
});
