import * as assert from "assert";
import { find } from "../../testbed/program";
import { TestCluster } from "../../testbed/cluster";
import { REGISTRY, inspect, removeTestContainers, requireEngine } from "../../testbed/docker-cli";
import { DeclaredObjects } from "../../testbed/declared";
import { Kubelet } from "../../testbed/kubelet";
import { Deployment, cleanEngine, deploy } from "../../testbed/deploy";
import { DrillResult, coldStart, frontendReplacement, frontendRestart, lostWorker, workersFirst } from "../../testbed/drills";
import { httpStatus, laptopGreetings } from "../../testbed/access";
import { seedTestProgram } from "../../lib/commands";
import { FILES, PATHS } from "../../lib/names";

const WORKERS = 4;
const RUN_LABEL = `run-${process.pid}-${Date.now()}`;

/** Prints the measured time, then holds it to the limit. */
function expectWithin(what: string, result: DrillResult, limit: number) {
    console.log(`      ${what}: ${result.seconds.toFixed(1)} s (limit ${limit} s)`);
    assert.ok(result.ok, result.detail);
    assert.ok(result.seconds <= limit, `${what} took ${result.seconds.toFixed(1)} s`);
}

describe("the cluster on a real Docker engine", function () {
    this.timeout(20 * 60_000);
    let deployment: Deployment;
    let cluster: TestCluster;

    before(async function () {
        const leftovers = await cleanEngine();
        if (leftovers) console.log(`      removed ${leftovers} containers left by an earlier run`);
        deployment = await deploy({ registry: REGISTRY, workers: String(WORKERS) });
        for (const b of deployment.builds) console.log(`      built ${b.name} in ${b.seconds.toFixed(1)} s, pushed in ${b.pushSeconds.toFixed(1)} s`);
    });

    beforeEach(() => {
        cluster = deployment.cluster(RUN_LABEL);
    });

    afterEach(async function () {
        if (this.currentTest?.state === "failed" && cluster) {
            await cluster.printLogs();
        }
        await cluster?.down();
    });

    after(async () => {
        await removeTestContainers();
    });

    it("builds the images for real; frontend and worker start FROM the pushed base digest", async () => {
        const { builds, run } = deployment;
        assert.deepStrictEqual(builds.map(b => b.name).sort(), ["ipp-images-base", "ipp-images-frontend", "ipp-images-worker"]);
        const base = builds.find(b => b.name === "ipp-images-base")!;
        assert.ok(base.repoDigest.startsWith(`${REGISTRY}/ipp-base@sha256:`), base.repoDigest);
        for (const kind of ["frontend", "worker"]) {
            const image = find(run, "Image", `ipp-images-${kind}`);
            assert.strictEqual(image.inputs.build.args.BASE_IMAGE, base.repoDigest);
            const built = builds.find(b => b.name === `ipp-images-${kind}`)!;
            assert.strictEqual(await inspect(built.repoDigest, '{{index .Config.Labels "org.opencontainers.image.base.digest"}}'), base.repoDigest);
            assert.strictEqual(await inspect(built.repoDigest, "{{.Config.User}}"), "1000");
        }
    });

    it("the Service routes every port to a port the frontend declares, and selects the frontend alone", () => {
        // Host networking cannot show the Service routing, so check what routing would use.
        const { objects } = deployment;
        const service = objects.services[0].inputs;
        const frontend = objects.pods[0].inputs;
        const workerLabels = objects.deployments[0].inputs.spec.template.metadata.labels;
        const selects = (labels: Record<string, string>) => Object.entries(service.spec.selector).every(([k, v]) => labels[k] === v);
        assert.ok(selects(frontend.metadata.labels));
        assert.ok(!selects(workerLabels));
        const declared = frontend.spec.containers.flatMap((c: any) => c.ports ?? []);
        for (const p of service.spec.ports) {
            const target = declared.find((d: any) => d.name === p.targetPort || d.containerPort === p.targetPort);
            assert.ok(target, `Service port ${p.name} targets ${p.targetPort}, which the frontend does not declare`);
            // On the host network the workers reach the Service port directly.
            assert.strictEqual(target.containerPort, p.port, `Service port ${p.name}`);
        }
    });

    it(`cold start: all ${WORKERS} engines answer within 10 s after the workers start`, async () => {
        const result = await coldStart(cluster);
        expectWithin("cold start", result, 10);
    });

    it("the seed's test passes verbatim in the frontend as soon as every pod is Ready", async () => {
        await cluster.up();
        const out = await cluster.python("-c", [seedTestProgram()]);
        assert.strictEqual(out.code, 0, out.stderr);
        const [ids, greetings] = out.stdout.trim().split("\n");
        assert.deepStrictEqual(JSON.parse(ids), [0, 1, 2, 3]);
        assert.strictEqual(greetings, `[${Array(WORKERS).fill("'Hello, World'").join(", ")}]`);
    });

    it("refuses a client without the key, and one with a wrong key", async () => {
        await cluster.up();
        const keyless = `${PATHS.connectionDir}/${FILES.client}`;
        const attempts: Record<string, [string, RegExp]> = {
            "the keyless file": [`import ipyparallel as ipp; ipp.Client("${keyless}", timeout=5)`, /Error/],
            "an empty key": [`import json, ipyparallel as ipp; f = json.load(open("${keyless}")); f["key"] = ""; ipp.Client(f, timeout=5)`, /TimeoutError/],
            "a wrong key": [
                `import json, ipyparallel as ipp; f = json.load(open("${keyless}")); f["key"] = "0" * 64; ipp.Client(f, timeout=5)`,
                /TimeoutError/,
            ],
        };
        for (const [what, [program, error]] of Object.entries(attempts)) {
            const out = await cluster.python("-c", [program]);
            assert.notStrictEqual(out.code, 0, `a client with ${what} connected`);
            assert.match(out.stderr, error, `a client with ${what}: ${out.stderr.slice(-500)}`);
        }
        const keyed = await cluster.waitAnswering(WORKERS, 10);
        assert.ok(keyed.ok, "the keyed client must still work");
    });

    it("workers started 20 s before the frontend wait without crash loops, then join", async () => {
        const result = await workersFirst(cluster, 20);
        assert.strictEqual(result.restarts, 0, "worker containers restarted while waiting");
        assert.strictEqual(result.readyEarly, 0, "a worker was Ready with no controller");
        expectWithin("workers first: answering after the frontend started", result, 30);
    });

    it("the frontend container restarts: every engine answers again within 30 s", async () => {
        await cluster.up();
        const result = await frontendRestart(cluster);
        expectWithin("frontend restart", result, 30);
    });

    it("the frontend is replaced (fresh volumes): every engine answers again within 60 s", async () => {
        await cluster.up();
        const result = await frontendReplacement(cluster);
        expectWithin("frontend replacement", result, 60);
    });

    it(`a worker is lost and replaced: exactly ${WORKERS} engines, all answering, within 20 s`, async () => {
        await cluster.up();
        const result = await lostWorker(cluster);
        expectWithin("lost worker", result, 20);
    });

    describe("with push off (images only in the local engine)", () => {
        let local: Deployment;
        before(async () => {
            local = await deploy({ push: "false", workers: "2" });
            assert.ok(local.builds.every(b => b.pushSeconds === 0 && b.repoDigest.startsWith("sha256:")));
        });

        it("runs from the local tags and passes the seed's test", async () => {
            const pod = local.objects.pods[0].inputs.spec.containers[0];
            assert.strictEqual(pod.image, "ipp-frontend:latest");
            cluster = local.cluster(RUN_LABEL);
            await cluster.up();
            const out = await cluster.python("-c", [seedTestProgram()]);
            assert.strictEqual(out.code, 0, out.stderr);
            assert.strictEqual(out.stdout.trim().split("\n")[1], "['Hello, World', 'Hello, World']");
        });
    });
});

describe("the integration test's own guard", () => {
    it("fails loudly when no Docker engine answers", async () => {
        const saved = process.env.DOCKER_HOST;
        process.env.DOCKER_HOST = "unix:///nonexistent/docker.sock";
        try {
            await assert.rejects(requireEngine(), /No Docker engine answers/);
        } finally {
            if (saved === undefined) delete process.env.DOCKER_HOST;
            else process.env.DOCKER_HOST = saved;
        }
    });

    it("refuses a spec field the test kubelet does not understand", async () => {
        const objects = new DeclaredObjects({ resources: [], outputs: {}, secretOutputs: [], warnings: [] });
        const kubelet = new Kubelet(objects, RUN_LABEL);
        await assert.rejects(
            kubelet.startPod("x", {
                metadata: {},
                spec: { automountServiceAccountToken: false, enableServiceLinks: false, hostNetwork: true, containers: [] },
            }),
            /does not understand PodSpec\.hostNetwork/,
        );
    });
});

describe("the notebook and the laptop client, on a real Docker engine", function () {
    this.timeout(20 * 60_000);
    let run: Deployment["run"];
    let cluster: TestCluster;
    let token: string;

    before(async () => {
        await cleanEngine();
        const deployment = await deploy({ registry: REGISTRY, workers: "2" });
        run = deployment.run;
        token = find(run, "core/v1:Secret", "ipp-cluster-notebook-token").inputs.stringData.token;
        cluster = deployment.cluster(RUN_LABEL);
        await cluster.up();
    });

    after(async () => {
        await cluster?.down();
        await removeTestContainers();
    });

    it("the notebook answers /api/status with the token, and refuses without it or with a wrong one", async () => {
        const status = (headers: Record<string, string>, query = "") => httpStatus(`http://127.0.0.1:8888/api/status${query}`, headers);
        assert.strictEqual(await status({ Authorization: `token ${token}` }), 200);
        assert.strictEqual(await status({}, `?token=${encodeURIComponent(token)}`), 200);
        assert.ok([401, 403].includes(await status({})), "no token must be refused");
        assert.ok([401, 403].includes(await status({ Authorization: "token wrong" })), "a wrong token must be refused");
        const url = new URL(run.outputs.notebookUrl);
        assert.strictEqual(url.searchParams.get("token"), token);
    });

    it("inside the notebook's container, the seed's client file works unchanged", async () => {
        const out = await cluster.python("-c", [seedTestProgram()], undefined, "notebook");
        assert.strictEqual(out.code, 0, out.stderr);
        assert.strictEqual(out.stdout.trim().split("\n")[1], "['Hello, World', 'Hello, World']");
    });

    it("no log shows the notebook's token or the session key", async () => {
        const key = find(run, "core/v1:Secret", "ipp-cluster-session-key").inputs.stringData["session-key"];
        const logs = await cluster.logs(cluster.frontend!, 1000);
        assert.match(logs, /Jupyter (Server|Notebook)/, "the notebook's log is there to check");
        assert.ok(!logs.includes(token), "a log shows the notebook's token");
        assert.ok(!logs.includes(key), "a log shows the session key");
    });

    it("a client outside the frontend, with the laptop's client file, reaches every engine through the forwarded ports on loopback", async () => {
        // The forwarded ports are the ones `clientPortForward` names, on this host's loopback.
        const forwarded = run.outputs.clientPortForward.split(" ").slice(5).map(Number);
        const file = JSON.parse(run.outputs.laptopClientFile);
        assert.deepStrictEqual(forwarded, [file.registration, file.control, file.mux, file.task, file.iopub, file.notification, file.broadcast]);
        const image = find(run, "Image", "ipp-images-base").inputs.imageName;
        assert.strictEqual(await laptopGreetings(image, run.outputs.laptopClientFile, RUN_LABEL), "['Hello, World', 'Hello, World']");
    });
});
