import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { randomBytes } from "crypto";
import { ProgramRun, find } from "../../testbed/program";
import { TestCluster } from "../../testbed/cluster";
import { REGISTRY, docker, inspect, removeTestContainers } from "../../testbed/docker-cli";
import { startKernel } from "../../testbed/notebook";
import { Kubelet } from "../../testbed/kubelet";
import { cleanEngine, deploy } from "../../testbed/deploy";
import { SAMPLE_NOTEBOOK, httpRequest, readNotebook, saveNotebook } from "../../testbed/access";
import { controllerPartition, directCallOnDeadEngine, mapUnderKills } from "../../testbed/failures";
import { CLIENT_FILE, CONTAINERS, PATHS } from "../../lib/names";
import { HEARTBEAT_MISSES, HEARTBEAT_MS } from "../../lib/hub-settings";

const WORKERS = 4;
const RUN_LABEL = `work-${process.pid}-${Date.now()}`;
const NOTEBOOK = "http://127.0.0.1:8888";
/** How long the controller takes at most to drop an engine it no longer hears: its heartbeat window. */
const HEARTBEAT_WINDOW_SECONDS = (HEARTBEAT_MS * (HEARTBEAT_MISSES + 1)) / 1000;
/** What the client adds to that window: the notice of the engine's death, the call's failure. */
const NOTICE_MARGIN_SECONDS = 3;

function report(what: string, seconds: number, limit: number) {
    console.log(`      ${what}: ${seconds.toFixed(1)} s (limit ${limit} s)`);
}

describe("work survives failures, on a real Docker engine", function () {
    this.timeout(20 * 60_000);
    let run: ProgramRun;
    let kubelet: Kubelet;
    let cluster: TestCluster;
    let auth: Record<string, string>;

    const container = (name: string) => cluster.frontend!.containers.find(c => c.name === name)!.id;
    const notebookApi = (method: string, api: string, body?: unknown) => httpRequest(method, `${NOTEBOOK}${api}`, auth, body);
    const claimName = () => find(run, "core/v1:PersistentVolumeClaim", "ipp-cluster-notebook-home").inputs.metadata.name;
    const claimFile = (name: string) => path.join(kubelet.volumes.claimPath(claimName()), name);

    before(async () => {
        await cleanEngine();
        const sharedVolume = JSON.stringify({ nfs: { server: "nfs.example.com", path: "/exports/ipp-test" } });
        const deployment = await deploy({ registry: REGISTRY, workers: String(WORKERS), sharedVolume });
        run = deployment.run;
        cluster = deployment.cluster(RUN_LABEL);
        kubelet = cluster.kubelet;
        auth = { Authorization: `token ${find(run, "core/v1:Secret", "ipp-cluster-notebook-token").inputs.stringData.token}` };
        await cluster.up();
    });

    afterEach(async function () {
        if (this.currentTest?.state === "failed") {
            await cluster.printLogs();
        }
    });

    after(async () => {
        await cluster?.down();
        kubelet?.volumes.removeAll();
        await removeTestContainers();
    });

    it("a notebook saved through Jupyter's REST API is still there, unchanged, after the frontend Pod is replaced", async () => {
        await saveNotebook(NOTEBOOK, auth, "lost-nothing.ipynb");
        const onDisk = fs.readFileSync(claimFile("lost-nothing.ipynb"));

        const started = Date.now();
        await kubelet.deletePod(cluster.frontend!, true);
        await kubelet.waitReady(await cluster.startFrontend(), 120_000);
        report("frontend replaced: the notebook server answers again", (Date.now() - started) / 1000, 120);

        assert.deepStrictEqual(await readNotebook(NOTEBOOK, auth, "lost-nothing.ipynb"), SAMPLE_NOTEBOOK);
        assert.ok(fs.readFileSync(claimFile("lost-nothing.ipynb")).equals(onDisk), "the file on the claim changed");
        assert.ok((await cluster.waitAnswering(WORKERS, 60)).ok, "the engines did not come back to the new controller");
    });

    it("a file the notebook writes into shared/ is read by every engine, and the notebook reads what every engine writes there", async () => {
        const text = randomBytes(16).toString("hex");
        const write = await docker(
            ["exec", container(CONTAINERS.notebook), "python3", "-c", `open("${PATHS.sharedDir}/from-notebook.txt", "w").write("${text}")`],
            { allowFailure: true },
        );
        assert.strictEqual(write.code, 0, write.stderr);
        const program =
            `import ipyparallel as ipp; c = ipp.Client("${CLIENT_FILE}"); c.wait_for_engines(${WORKERS}, timeout=60); ` +
            `print(c[:].apply_sync(lambda: open("${PATHS.sharedDir}/from-notebook.txt").read())); ` +
            `c[:].apply_sync(lambda: open("${PATHS.sharedDir}/from-" + __import__("socket").gethostname(), "w").write("engine"))`;
        const read = await cluster.python("-c", [program]);
        assert.strictEqual(read.code, 0, read.stderr);
        assert.strictEqual(read.stdout.trim(), `[${Array(WORKERS).fill(`'${text}'`).join(", ")}]`);
        const listed = await docker(["exec", container(CONTAINERS.notebook), "ls", PATHS.sharedDir]);
        const fromEngines = listed.stdout.split("\n").filter(f => f.startsWith("from-") && f !== "from-notebook.txt");
        assert.deepStrictEqual(fromEngines.sort(), cluster.workers.map(w => `from-${w.name}`).sort());
    });

    it("after the controller restarts, the notebook's kernel goes on with a new ipp.Client, the notebook server left running", async () => {
        const kernel = await startKernel(cluster, auth.Authorization.replace(/^token /, ""));
        const runCell = (code: string) => kernel.run(code);
        const notebook = container(CONTAINERS.notebook);
        const connect = `c = ipp.Client("${CLIENT_FILE}"); c.wait_for_engines(${WORKERS}, timeout=60); print(sorted(c[:].apply_sync(lambda: 1)))`;
        const ones = `[${Array(WORKERS).fill(1).join(", ")}]`;
        assert.deepStrictEqual(await runCell(`import ipyparallel as ipp\n${connect}`), { status: "ok", stdout: `${ones}\n`, error: "" });
        const notebookStarted = await inspect(notebook, "{{.State.StartedAt}}");

        const started = Date.now();
        await docker(["restart", container(CONTAINERS.controller)]);
        const back = await cluster.waitAnswering(WORKERS, 60);
        assert.ok(back.ok, back.error);
        report("controller restarted: every engine answers again", (Date.now() - started) / 1000, 30);

        assert.deepStrictEqual(await runCell(`c.close()\n${connect}`), { status: "ok", stdout: `${ones}\n`, error: "" });
        assert.strictEqual(await inspect(notebook, "{{.State.StartedAt}}"), notebookStarted, "the notebook server was restarted");
        const kernels = JSON.parse((await notebookApi("GET", "/api/kernels")).body).map((k: any) => k.id);
        assert.ok(kernels.includes(kernel.id), "the kernel was restarted");
    });

    it("the controller frozen for 20 s: afterwards every engine answers within 30 s, and none is registered twice", async () => {
        const result = await controllerPartition(cluster, 20, 30);
        report("controller frozen 20 s: every engine answers", result.seconds, 30);
        const kept = JSON.stringify(result.workers) === JSON.stringify(result.workersBefore);
        console.log(`      engines kept their registrations through it: ${kept ? "yes" : "no, some registered anew"}`);
        assert.ok(result.ok, result.detail);
        assert.ok(result.seconds <= 30, `${result.seconds.toFixed(1)} s`);
        assert.strictEqual(result.registered.length, WORKERS, `the hub has ${result.registered.length} engines`);
        assert.strictEqual(new Set(result.registered).size, WORKERS, "an engine is registered twice");
        assert.deepStrictEqual(result.registered, result.workers, "every worker's engine, each once");
    });

    it(`a direct-view call whose engine dies fails with EngineError (as a RemoteError) within the heartbeat window (${HEARTBEAT_WINDOW_SECONDS} s) and ${NOTICE_MARGIN_SECONDS} s`, async () => {
        const result = await directCallOnDeadEngine(cluster);
        const limit = HEARTBEAT_WINDOW_SECONDS + NOTICE_MARGIN_SECONDS;
        report("direct call on a killed engine: EngineError", result.seconds, limit);
        assert.deepStrictEqual([result.error, result.ename], ["RemoteError", "EngineError"], result.message);
        assert.ok(result.seconds <= limit, `${result.seconds.toFixed(1)} s`);
        assert.ok((await cluster.waitAnswering(WORKERS, 60)).ok, "the replacement did not join");
    });

    it("a load-balanced map of 2,000 tasks with retries completes with every result right while a worker is killed every 10 s", async () => {
        const result = await mapUnderKills(cluster, 2000, 0.05, 10);
        console.log(
            `      map of ${result.tasks} tasks under kills: ${result.seconds.toFixed(1)} s, workers killed at ${result.kills.map(k => `${k.toFixed(0)} s`).join(", ")}`,
        );
        assert.ok(result.ok, result.error || `${result.wrong} results wrong`);
        assert.deepStrictEqual([result.tasks, result.wrong], [2000, 0]);
        assert.ok(result.kills.length >= 2, `only ${result.kills.length} kill(s) happened during the run`);
        assert.ok((await cluster.waitAnswering(WORKERS, 60)).ok, "the replacements did not join");
    });

    it("after all of this, the notebook's claim holds the notebook and no key, token or keyed file", () => {
        const key = find(run, "core/v1:Secret", "ipp-cluster-session-key").inputs.stringData["session-key"];
        const token = find(run, "core/v1:Secret", "ipp-cluster-notebook-token").inputs.stringData.token;
        const files = kubelet.volumes.files(claimName());
        assert.ok(files.includes("lost-nothing.ipynb"), `the claim holds ${files.join(", ")}`);
        for (const f of files) {
            assert.doesNotMatch(path.basename(f), /^(ipcontroller-.*\.json|kernel-.*\.json|nbserver-.*\.json|session-key|token)$/, `${f} is a keyed file`);
            const text = fs.readFileSync(claimFile(f), "latin1");
            assert.ok(!text.includes(key) && !text.includes(token), `${f} holds the key or the token`);
        }
    });
});
