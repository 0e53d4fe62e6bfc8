/**
 * Sizing the cluster from where people work, for real: the scaler in the frontend Pod with its projected
 * token, in front of the test API server (RBAC from the declared Role, the declared admission policy's CEL,
 * the OpenAPI schema) and the ReplicaSet stand-in that starts and removes worker pods as the count changes.
 * From the notebook's kernel: scale(4), a refusal above maxWorkers; from a laptop client: scale(2); then
 * adapt(1, 4) over a map of 400 one-second tasks: up, every result right, down after the idle time, and no
 * pod removed while one of its engines ran a task.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";
import { REGISTRY, docker, removeTestContainers } from "../../testbed/docker-cli";
import { Deployment, cleanEngine, deploy } from "../../testbed/deploy";
import { TestCluster } from "../../testbed/cluster";
import { ReplicaSets } from "../../testbed/replicasets";
import { Kernel, startKernel } from "../../testbed/notebook";
import { CLIENT_FILE, CONTAINERS } from "../../lib/names";
import { sleep } from "../../testbed/time";
import { DELETION_COST } from "../../lib/scaling";
import { find, runProgram } from "../../testbed/program";

const RUN_LABEL = `scaling-${process.pid}-${Date.now()}`;
const BASE_DIR = path.join(__dirname, "..", "..", "images", "base");
const IDLE_SECONDS = 20;
const TASKS = 400;

/** 400 tasks of a second each, load-balanced; prints whether every result is right and each task's engine and times. */
const MAP = `
import json, sys, time
import ipyparallel as ipp
c = ipp.Client(sys.argv[1])
def task(i):
    import time
    time.sleep(1)
    return i * i
view = c.load_balanced_view()
ar = view.map_async(task, range(${TASKS}))
results = ar.get(900)
records = c.db_query({"msg_id": {"$in": ar.msg_ids}}, keys=["engine_uuid", "started", "completed"])
print(json.dumps({"right": results == [i * i for i in range(${TASKS})],
                  "tasks": [[r["engine_uuid"], r["started"].timestamp(), r["completed"].timestamp()] for r in records]}))
`;

/**
 * On the host, as a laptop would: polls the watcher's status for up to `seconds`, until the engines have
 * grown to 4 and come back to 1 (and stayed there 5 s); prints where each engine ran and the counts over time.
 */
const SAMPLER = `
import json, sys, time
from ipp_cluster import client
places, counts, end, grown, back = {}, [], time.time() + float(sys.argv[2]), False, None
while time.time() < end:
    s = client.call("GET", "/status", client_file=sys.argv[1])
    for e in s["engines"]:
        places[e["uuid"]] = e["pod"]
    n = len(s["engines"])
    counts.append([time.time(), n])
    grown = grown or n >= 4
    back = (back or time.time()) if grown and n == 1 else None
    if back and time.time() - back > 5:
        break
    time.sleep(0.5)
print(json.dumps({"places": places, "counts": counts}))
`;

function hostPython(code: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise(resolve => {
        const p = spawn("/usr/bin/python3", ["-c", code, ...args], { env: { ...process.env, PYTHONPATH: BASE_DIR } });
        let stdout = "";
        let stderr = "";
        p.stdout.on("data", d => (stdout += d));
        p.stderr.on("data", d => (stderr += d));
        p.on("close", c => resolve({ code: c ?? 1, stdout, stderr }));
    });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs: number) {
    const until = Date.now() + timeoutMs;
    while (!(await check())) {
        if (Date.now() > until) throw new Error(`no ${what} within ${timeoutMs / 1000} s`);
        await sleep(500);
    }
}

const cell = (c: { status: string; stdout: string; error: string }) => {
    assert.strictEqual(c.status, "ok", c.error);
    return c.stdout.trim().split("\n").pop();
};

const lastJson = (text: string) => JSON.parse(text.trim().split("\n").pop()!);

describe("sizing the cluster: scale(), adapt(), and scale-down that never removes a busy pod", function () {
    this.timeout(20 * 60_000);
    let deployment: Deployment;
    let cluster: TestCluster;
    let replicaSets: ReplicaSets;
    let kernel: Kernel;
    let laptopFile: string;

    const scaleFromKernel = async (code: string) => kernel.run(`import json, ipp_cluster\n${code}`, 300);

    before(async () => {
        await cleanEngine();
        deployment = await deploy({ registry: REGISTRY, workers: "1", minWorkers: "1", maxWorkers: "4", watchSeconds: "1" });
        cluster = deployment.cluster(RUN_LABEL);
        replicaSets = new ReplicaSets(cluster);
        await replicaSets.serve();
        await cluster.up();
        const token = deployment.run.resources.find(r => r.name === "ipp-cluster-notebook-token")!.inputs.stringData.token;
        kernel = await startKernel(cluster, token);
        laptopFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ipp-laptop-")), "client.json");
        fs.writeFileSync(laptopFile, deployment.run.outputs.laptopClientFile);
    });

    afterEach(async function () {
        if (this.currentTest?.state === "failed") {
            await cluster.printLogs(60);
            console.log(JSON.stringify(replicaSets.api?.requests.slice(-20), null, 1));
        }
    });

    after(async () => {
        await replicaSets?.api?.stop();
        await cluster?.down();
        await removeTestContainers();
    });

    it("scale(4) from the notebook's kernel: 1 → 4 engines answering, through the scale subresource alone", async () => {
        const cell = await scaleFromKernel("r = ipp_cluster.scale(4, timeout=120)\nprint(json.dumps(dict(r)))");
        assert.strictEqual(cell.status, "ok", cell.error);
        const result = JSON.parse(cell.stdout.trim().split("\n").pop()!);
        assert.strictEqual(result.done, true, JSON.stringify(result));
        console.log(`      scale(4): 4 engines answering ${result.seconds} s after the request`);
        assert.ok((await cluster.waitAnswering(4, 30)).ok);
        const kinds = new Set(replicaSets.api!.requests.map(r => `${r.method} ${r.path.replace(/[^/]+\/scale$/, "D/scale")}`));
        assert.ok(
            [...kinds].every(k => /deployments\/D\/scale$/.test(k)),
            [...kinds].join(", "),
        );
        assert.ok(
            replicaSets.api!.requests.every(r => r.status === 200),
            JSON.stringify(replicaSets.api!.requests.filter(r => r.status !== 200)),
        );
    });

    it("scale(5) is refused, naming maxWorkers; nothing changes", async () => {
        const cell = await scaleFromKernel("ipp_cluster.scale(5)");
        assert.strictEqual(cell.status, "error");
        assert.match(cell.error, /WatcherError: .*scales from 1 to 4 worker pods \(minWorkers, maxWorkers\); got 5/);
        assert.strictEqual(cluster.workers.length, 4);
    });

    it("a laptop client's scale(2) drains two idle pods, marks them, and exactly those go", async () => {
        const out = await hostPython(`import json, ipp_cluster, sys\nprint(json.dumps(dict(ipp_cluster.scale(2, timeout=120, client_file=sys.argv[1]))))`, [
            laptopFile,
        ]);
        assert.strictEqual(out.code, 0, out.stderr);
        const result = lastJson(out.stdout);
        assert.strictEqual(result.done, true, JSON.stringify(result));
        await replicaSets.settled();
        assert.strictEqual(replicaSets.removals.length, 2);
        const patched = replicaSets.api!.requests.filter(r => r.method === "PATCH" && r.path.includes("/pods/")).map(r => r.path.split("/").pop());
        assert.deepStrictEqual(patched.sort(), replicaSets.removals.map(r => r.pod).sort(), `removed pods that were not marked with ${DELETION_COST}`);
        assert.ok((await cluster.waitAnswering(2, 30)).ok);
        const scaler = cluster.frontend!.containers.find(c => c.name === CONTAINERS.scaler)!.id;
        const removed = [...replicaSets.removals.map(r => r.pod)].sort().join(", ");
        await waitFor(async () => (await docker(["logs", scaler])).stdout.includes(`removed exactly ${removed}`), "the scaler's check of what went", 30_000);
    });

    it('ipyparallel\'s own Cluster API: Cluster(controller="kubernetes", engines="kubernetes", n=1) adds a pod whose engine answers; stop_cluster() takes it away', async () => {
        const cell = await scaleFromKernel(
            [
                "import ipyparallel as ipp",
                'cluster = ipp.Cluster(controller="kubernetes", engines="kubernetes", n=1)',
                "rc = cluster.start_and_connect_sync()",
                "rc.wait_for_engines(3, timeout=60)",
                "answers = rc[:].apply_sync(lambda: 'hi')",
                "cluster.stop_cluster_sync()",
                'print(json.dumps([answers, ipp_cluster.scaling()["groups"]["default"]["workers"]]))',
            ].join("\n"),
        );
        assert.strictEqual(cell.status, "ok", cell.error);
        assert.deepStrictEqual(JSON.parse(cell.stdout.trim().split("\n").pop()!), [["hi", "hi", "hi"], 2]);
        await replicaSets.settled();
        assert.ok((await cluster.waitAnswering(2, 30)).ok);
    });

    it(`adapt(1, 4, idle_seconds=${IDLE_SECONDS}) over ${TASKS} one-second tasks: up to 4, every result right, down to 1 after the idle time, no busy pod removed`, async () => {
        const removedBefore = replicaSets.removals.length;
        const cell = await scaleFromKernel(`print(ipp_cluster.adapt(1, 4, idle_seconds=${IDLE_SECONDS}))`);
        assert.strictEqual(cell.status, "ok", cell.error);
        const sampling = hostPython(SAMPLER, [laptopFile, "260"]);
        const started = Date.now();
        const map = await cluster.python("-", [CLIENT_FILE], MAP);
        assert.strictEqual(map.code, 0, map.stderr);
        const { right, tasks } = lastJson(map.stdout);
        assert.strictEqual(right, true, "a result of the map is wrong");
        console.log(`      the map of ${TASKS} tasks took ${((Date.now() - started) / 1000).toFixed(1)} s`);

        const sample = await sampling;
        assert.strictEqual(sample.code, 0, sample.stderr);
        const { places, counts } = lastJson(sample.stdout);
        const most = Math.max(...counts.map((c: number[]) => c[1]));
        const last = counts[counts.length - 1][1];
        assert.strictEqual(most, 4, "it did not grow to 4 engines");
        assert.strictEqual(last, 1, `it did not shrink to 1 engine: ${last}`);

        const removals = replicaSets.removals.slice(removedBefore);
        for (const removal of removals) {
            const ran = tasks.filter((t: [string, number, number]) => places[t[0]] === removal.pod);
            const running = ran.filter((t: [string, number, number]) => t[1] * 1000 <= removal.at && t[2] * 1000 > removal.at);
            assert.deepStrictEqual(running, [], `${removal.pod} was removed while its engine ran a task`);
        }
        const decisions = JSON.parse(
            (await hostPython(`import json, ipp_cluster, sys\nprint(json.dumps(ipp_cluster.scaling(client_file=sys.argv[1])))`, [laptopFile])).stdout,
        );
        const downs = decisions.decisions.filter((d: any) => d.to < d.from && Date.parse(d.time) >= started - 1000).map((d: any) => Date.parse(d.time));
        for (let i = 1; i < downs.length; i++)
            assert.ok(downs[i] - downs[i - 1] >= IDLE_SECONDS * 1000 - 1000, `two scale-downs within one idle period: ${downs}`);
        console.log(`      adapt: grew to ${most} engines, ${removals.length} pods removed in ${downs.length} steps, none while busy`);

        // The scaler's container restarts (its home stays): it goes on adapting with the same settings.
        const scaler = cluster.frontend!.containers.find(c => c.name === CONTAINERS.scaler)!.id;
        await docker(["restart", scaler]);
        const adaptive = async () => {
            const out = await hostPython(`import json, ipp_cluster, sys\nprint(json.dumps(ipp_cluster.scaling(client_file=sys.argv[1])))`, [laptopFile]);
            return out.code === 0 ? lastJson(out.stdout).groups.default.adaptive : undefined;
        };
        await waitFor(async () => (await adaptive()) !== undefined, "the restarted scaler's answer", 60_000);
        assert.deepStrictEqual(await adaptive(), { minimum: 1, maximum: 4, idle_seconds: IDLE_SECONDS });
    });

    it("a pulumi up that lowers maxWorkers below the count: the scaler scales down to it, idle pods only", async () => {
        const off = await scaleFromKernel("ipp_cluster.adapt(False)\nr = ipp_cluster.scale(3, timeout=120)\nprint(r['done'])");
        assert.strictEqual(cell(off), "True");
        const removedBefore = replicaSets.removals.length;
        // What the kubelet does once the ConfigMap changes: the new bounds file in the scaler's volume.
        const lowered = await runProgram({ registry: REGISTRY, workers: "1", minWorkers: "1", maxWorkers: "2", watchSeconds: "1" });
        const data = find(lowered, "ConfigMap", "ipp-cluster-scaling").inputs.data;
        assert.match(data["scaling.json"], /"maximum": 2/);
        fs.writeFileSync(path.join(cluster.frontend!.volumeDir, "scaling", "scaling.json"), data["scaling.json"]);
        await waitFor(async () => replicaSets.replicas(cluster.groups[0].name) === 2, "the scale-down to maxWorkers", 60_000);
        await replicaSets.settled();
        const removed = replicaSets.removals.slice(removedBefore).map(r => r.pod);
        assert.strictEqual(removed.length, 1);
        const marked = replicaSets.api!.requests.filter(r => r.method === "PATCH" && r.path.endsWith(`/pods/${removed[0]}`));
        assert.strictEqual(marked.length, 1, `${removed[0]} went without its deletion cost`);
        assert.ok((await cluster.waitAnswering(2, 30)).ok);
    });
});
