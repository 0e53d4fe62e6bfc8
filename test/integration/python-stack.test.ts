/**
 * The Python stacks, built from PyPI (through this machine's proxy, trusting its CA as
 * buildCaCertificates says) and from Debian, and run: the locked versions and `pip check` in every
 * image, JupyterLab behind its token with ipyparallel's extension, the seed's test from a notebook's
 * kernel and from a laptop's fresh virtual environment, numpy from PyPI on every engine, and the
 * debian stack's seed test and classic notebook.
 */
import * as assert from "assert";
import { seedTestProgram } from "../../lib/commands";
import { CLIENT_FILE, CONTAINERS } from "../../lib/names";
import { NOTEBOOK_PORT } from "../../lib/ports";
import { TestCluster } from "../../testbed/cluster";
import { REGISTRY, docker } from "../../testbed/docker-cli";
import { Deployment, cleanEngine, deploy } from "../../testbed/deploy";
import { httpStatus, venvLaptopGreetings } from "../../testbed/access";
import { startKernel } from "../../testbed/notebook";
import { lockedVersion } from "../../testbed/lock";

const RUN_LABEL = `stack-${process.pid}-${Date.now()}`;
const WORKERS = 2;
const GREETINGS = `[${Array(WORKERS).fill("'Hello, World'").join(", ")}]`;

/** A cluster of `settings` with 2 workers and a notebook, up. */
async function upCluster(settings: Record<string, string>): Promise<{ deployment: Deployment; cluster: TestCluster; token: string }> {
    const deployment = await deploy({ registry: REGISTRY, workers: String(WORKERS), ...settings });
    const cluster = deployment.cluster(RUN_LABEL);
    try {
        await cluster.up();
        const check = await cluster.waitAnswering(WORKERS, 60);
        assert.ok(check.ok, check.error);
    } catch (e) {
        await cluster.down();
        throw e;
    }
    const secret = deployment.run.resources.find(r => r.name === "ipp-cluster-notebook-token");
    return { deployment, cluster, token: secret?.inputs.stringData.token ?? "" };
}

const notebookPage = (page: string, token?: string) =>
    httpStatus(`http://127.0.0.1:${NOTEBOOK_PORT.port}${page}${token ? `?token=${encodeURIComponent(token)}` : ""}`);

describe("the Python stacks, built and run for real", function () {
    this.timeout(30 * 60_000);
    let cluster: TestCluster | undefined;

    before(async () => {
        await cleanEngine();
    });

    afterEach(async function () {
        if (this.currentTest?.state === "failed" && cluster) {
            await cluster.printLogs();
        }
    });

    describe("pypi (the default): ipyparallel 9, JupyterLab 4, from the lock", () => {
        let deployment: Deployment;
        let token: string;
        before(async () => {
            ({ deployment, cluster, token } = await upCluster({}));
        });
        after(async () => {
            await cluster?.down();
            cluster = undefined;
        });

        it("holds the locked versions, and pip check passes in the frontend's and the workers' images", async () => {
            const env = deployment.run.outputs.environment;
            assert.match(env.python, /^3\.13\./);
            assert.deepStrictEqual([env.ipyparallel, env.pyzmq], [lockedVersion("ipyparallel"), lockedVersion("pyzmq")]);
            for (const pod of [cluster!.frontend!, cluster!.workers[0]]) {
                const check = await docker(["exec", pod.containers[0].id, "python3", "-m", "pip", "check"], { allowFailure: true });
                assert.strictEqual(check.code, 0, `${pod.name}: ${check.stdout}${check.stderr}`);
                assert.match(check.stdout, /No broken requirements found/);
            }
        });

        it("serves JupyterLab at /lab behind its token, with ipyparallel's extension", async () => {
            assert.strictEqual(await notebookPage("/lab", token), 200);
            const refused = await notebookPage("/lab");
            assert.ok([302, 401, 403].includes(refused), `without the token: ${refused}`);
            assert.ok([401, 403].includes(await notebookPage("/api/status")), "the API without the token");
            assert.match(deployment.run.outputs.notebookUrl, /^http:\/\/127\.0\.0\.1:8888\/lab\?token=/);
            const notebook = cluster!.frontend!.containers.find(c => c.name === CONTAINERS.notebook)!.id;
            const extensions = await docker(["exec", notebook, "jupyter", "labextension", "list"], { allowFailure: true });
            // eslint-disable-next-line no-control-regex -- the escape sequences of its colours
            const listed = (extensions.stdout + extensions.stderr).replace(/\x1b\[[0-9;]*m/g, "");
            assert.match(listed, /ipyparallel-labextension v[0-9.]+ enabled OK/);
        });

        it("runs the seed's test in a kernel the notebook started, as a notebook's cell", async () => {
            const kernel = await startKernel(cluster!, token);
            const cell = await kernel.run(seedTestProgram().split("; ").join("\n"));
            assert.deepStrictEqual(cell, { status: "ok", stdout: `[${[...Array(WORKERS).keys()].join(", ")}]\n${GREETINGS}\n`, error: "" });
        });

        it("answers a laptop's fresh virtual environment holding exactly what laptopPipInstall names", async () => {
            const { laptopPipInstall, laptopClientFile } = deployment.run.outputs;
            assert.strictEqual(laptopPipInstall, `pip install ipyparallel==${lockedVersion("ipyparallel")} pyzmq==${lockedVersion("pyzmq")}`);
            assert.strictEqual(await venvLaptopGreetings("debian:trixie-slim", laptopPipInstall, laptopClientFile, RUN_LABEL), GREETINGS);
        });
    });

    describe("pipPackages [numpy], from PyPI itself", () => {
        before(async () => {
            ({ cluster } = await upCluster({ pipPackages: JSON.stringify(["numpy"]), notebook: "false" }));
        });
        after(async () => {
            await cluster?.down();
            cluster = undefined;
        });

        it("puts numpy on every engine and in the controller's Python, the same version; a 10 MB array comes back byte-identical", async () => {
            const program = `
import json, numpy, ipyparallel as ipp
c = ipp.Client("${CLIENT_FILE}")
c.wait_for_engines(${WORKERS}, timeout=60)
dv = c[:]
arr = numpy.random.default_rng(11).random(10 * 2**20 // 8)
dv.push({"a": arr}, block=True)
print(json.dumps({"versions": dv.apply_sync(lambda: __import__("numpy").__version__), "here": numpy.__version__,
                  "identical": [p.tobytes() == arr.tobytes() for p in dv.pull("a", block=True)]}))`;
            const out = await cluster!.python("-", [], program);
            assert.strictEqual(out.code, 0, out.stderr);
            const r = JSON.parse(out.stdout.trim().split("\n").pop()!);
            assert.deepStrictEqual(r.versions, Array(WORKERS).fill(r.here));
            assert.deepStrictEqual(r.identical, Array(WORKERS).fill(true));
        });
    });

    describe("debian: Debian trixie's own packages, built without the CA", () => {
        let deployment: Deployment;
        let token: string;
        before(async () => {
            ({ deployment, cluster, token } = await upCluster({ pythonStack: "debian", buildCaCertificates: "" }));
        });
        after(async () => {
            await cluster?.down();
            cluster = undefined;
        });

        it("passes the seed's test with Debian's ipyparallel 8.8", async () => {
            assert.strictEqual(deployment.run.outputs.environment.ipyparallel, "8.8.0");
            const out = await cluster!.python("-c", [seedTestProgram()]);
            assert.strictEqual(out.code, 0, out.stderr);
            assert.strictEqual(out.stdout.trim().split("\n")[1], GREETINGS);
        });

        it("serves the classic notebook at /tree behind its token", async () => {
            assert.strictEqual(await notebookPage("/tree", token), 200);
            assert.ok([302, 401, 403].includes(await notebookPage("/tree")), "without the token");
            assert.match(deployment.run.outputs.notebookUrl, /^http:\/\/127\.0\.0\.1:8888\/tree\?token=/);
        });
    });
});
