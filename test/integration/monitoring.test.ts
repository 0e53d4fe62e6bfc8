/**
 * Seeing the cluster, for real: a real Prometheus (Debian's) scrapes the watcher of a cluster of 2 worker
 * pods × 2 engines; the dashboard's queries parse in it; `ipp_cluster.status()` and `logs()` in the
 * notebook's kernel; the logs of an engine whose pod is gone.
 */
import * as assert from "assert";
import * as fs from "fs";
import { REGISTRY, removeTestContainers } from "../../testbed/docker-cli";
import { Deployment, cleanEngine, deploy } from "../../testbed/deploy";
import { TestCluster } from "../../testbed/cluster";
import { Kernel, startKernel } from "../../testbed/notebook";
import { Prometheus } from "../../testbed/prometheus";
import { sleep } from "../../testbed/time";
import { killOneEngine } from "../../testbed/failures";
import { CLIENT_FILE } from "../../lib/names";
import { DASHBOARD_FILE } from "../../lib/k8s/monitoring";

const RUN_LABEL = `monitoring-${process.pid}-${Date.now()}`;
const ENGINES = 4;
const TASKS = 500;

/** A load-balanced map of TASKS tasks, of which those with i % 50 == 7 raise; prints how many failed, as the client saw them. */
const MAP = `
import json, sys
import ipyparallel as ipp
c = ipp.Client(sys.argv[1])
c.wait_for_engines(${ENGINES}, timeout=60)
def task(i):
    if i % 50 == 7:
        raise ValueError(f"task {i} fails, as asked")
    return i
view = c.load_balanced_view()
results = [view.apply_async(task, i) for i in range(${TASKS})]
failed = 0
for r in results:
    try:
        r.get(120)
    except ipp.error.RemoteError:
        failed += 1
print(json.dumps({"failed": failed}))
`;

describe("seeing the cluster: the watcher, a real Prometheus, status() and logs()", function () {
    this.timeout(20 * 60_000);
    let deployment: Deployment;
    let cluster: TestCluster;
    let prometheus: Prometheus;
    let kernel: Kernel;

    before(async () => {
        await cleanEngine();
        deployment = await deploy({ registry: REGISTRY, workers: "2", enginesPerWorker: "2", watchSeconds: "1" });
        prometheus = await Prometheus.start(RUN_LABEL);
        cluster = deployment.cluster(RUN_LABEL);
        await cluster.up();
        const token = deployment.run.resources.find(r => r.name === "ipp-cluster-notebook-token")!.inputs.stringData.token;
        kernel = await startKernel(cluster, token);
    });

    afterEach(async function () {
        if (this.currentTest?.state === "failed") {
            await cluster.printLogs();
        }
    });

    after(async () => {
        await cluster?.down();
        await prometheus?.stop();
        await removeTestContainers();
    });

    it("Prometheus sees 500 tasks completed, the failures as the client saw them, and one killed engine lost and back", async () => {
        const out = await cluster.python("-", [CLIENT_FILE], MAP);
        assert.strictEqual(out.code, 0, out.stderr);
        const { failed } = JSON.parse(out.stdout.trim().split("\n").pop()!);
        assert.strictEqual(failed, TASKS / 50);

        assert.match(await killOneEngine(cluster.workers[0].containers[0].id), /^[0-9]+$/, "no engine process to kill");

        const wanted = {
            "sum(ipp_tasks_completed_total)": TASKS,
            "sum(ipp_tasks_failed_total)": failed,
            "sum(ipp_engines_registered)": ENGINES,
            "sum(ipp_engine_losses_total)": 1,
            "sum(ipp_engine_registrations_total)": ENGINES + 1,
        };
        const got = await prometheus.waitFor(wanted, 90_000);
        console.log(
            `      PromQL: ${Object.entries(got)
                .map(([q, v]) => `${q} = ${v}`)
                .join(", ")}`,
        );
        assert.deepStrictEqual(got, wanted);
        // Gauges by group and per engine, with the worker pods that run them.
        const queued = await prometheus.query('ipp_engine_tasks_queued{group="default"}');
        const pods = new Set(queued.data!.result.map(r => r.metric.worker_pod));
        assert.deepStrictEqual([...pods].sort(), cluster.workers.map(w => w.name).sort());
    });

    it("every panel of the dashboard asks Prometheus a query that parses, and the engines panel answers 4", async () => {
        const dashboard = JSON.parse(fs.readFileSync(DASHBOARD_FILE, "utf8"));
        const grafana = (expr: string) => expr.replace(/\$cluster/g, ".*").replace(/\$__rate_interval/g, "1m");
        for (const panel of dashboard.panels) {
            for (const target of panel.targets) {
                const r = await prometheus.query(grafana(target.expr));
                assert.strictEqual(r.status, "success", `${panel.title}: ${target.expr}: ${r.error}`);
            }
        }
        // The check can fail: a query that does not parse comes back as an error.
        assert.strictEqual((await prometheus.query("sum(ipp_engines_registered{")).status, "error");
        const engines = dashboard.panels.find((p: any) => p.title === "Engines");
        assert.strictEqual(await prometheus.value(grafana(engines.targets[0].expr)), ENGINES);
    });

    it("status() in the notebook's kernel lists the 4 engines and their pods, as a table and as HTML", async () => {
        const cell = await kernel.run(
            "import json, ipp_cluster\ns = ipp_cluster.status()\nprint(json.dumps([[e['id'], e['group'], e['pod']] for e in s['engines']]))\nprint(str(s).splitlines()[0])\nprint('<table>' in s._repr_html_())",
        );
        assert.strictEqual(cell.status, "ok", cell.error);
        const [engines, summary, html] = cell.stdout.trim().split("\n");
        const listed: [number, string, string][] = JSON.parse(engines);
        assert.strictEqual(listed.length, ENGINES);
        assert.deepStrictEqual([...new Set(listed.map(e => e[2]))].sort(), cluster.workers.map(w => w.name).sort());
        assert.ok(listed.every(e => e[1] === "default"));
        assert.match(summary, /^4 engines \(0 busy\), 0 tasks unassigned$/);
        assert.strictEqual(html, "True");
    });

    it("logs() gives the last lines of an engine whose pod is gone", async () => {
        // An engine of the second pod says something on its own stdout (not through IPython's), then its pod is killed.
        const said = await kernel.run(
            [
                "import json",
                "import ipyparallel as ipp",
                "c = ipp.Client()",
                "def speak():",
                "    import os",
                "    os.write(1, f'last words of {os.environ[\"IPP_POD_NAME\"]}\\n'.encode())",
                "    return os.environ['IPP_POD_NAME']",
                "print(json.dumps(dict(zip(c.ids, c[:].apply_sync(speak)))))",
            ].join("\n"),
        );
        assert.strictEqual(said.status, "ok", said.error);
        const pods: Record<string, string> = JSON.parse(said.stdout.trim());
        const victim = cluster.workers[1];
        const id = Object.entries(pods).find(([, pod]) => pod === victim.name)![0];
        await sleep(4000); // the worker reports every 2 s
        cluster.workers = cluster.workers.filter(w => w !== victim);
        await cluster.kubelet.deletePod(victim, false);
        const cell = await kernel.run(`import ipp_cluster\nprint(ipp_cluster.logs(engine=${id}, lines=1000))`);
        assert.strictEqual(cell.status, "ok", cell.error);
        assert.ok(cell.stdout.includes(`last words of ${victim.name}`), cell.stdout);
        assert.match(cell.stdout, new RegExp(`Completed registration with id ${id}`));
        const worker = await kernel.run(`import ipp_cluster\nprint(ipp_cluster.logs(pod="${victim.name}", lines=5000))`);
        assert.match(worker.stdout, /\[ipp-worker\]/);
    });
});
