/**
 * Worker shapes on real containers: several engines in one pod (each pod Ready only while all its
 * engines are registered, one engine killed and brought back, the controller restarted), and two
 * worker groups whose engines know their group and pod.
 */
import * as assert from "assert";
import { find } from "../../testbed/program";
import { TestCluster } from "../../testbed/cluster";
import { REGISTRY, docker, removeTestContainers, removeTestVolumes } from "../../testbed/docker-cli";
import { RunningPod } from "../../testbed/declared";
import { sleep } from "../../testbed/time";
import { cleanEngine, deploy } from "../../testbed/deploy";
import { frontendRestart } from "../../testbed/drills";
import { describeTrace, restartTrace } from "../../testbed/restart-trace";
import { killOneEngine } from "../../testbed/failures";
import { ContainerRunner, RunningContainer } from "../../testbed/containers";
import { seedTestProgram } from "../../lib/commands";
import { CLIENT_FILE, PATHS } from "../../lib/names";

const RUN_LABEL = `groups-${process.pid}-${Date.now()}`;

/** Every engine's group and pod, by id, as the engines themselves report them; and the README's way to pick a group. */
const ENGINE_PLACES = `
import json, sys
import ipyparallel as ipp
rc = ipp.Client(sys.argv[1], timeout=30)
rc[:].execute("import os", block=True)
places = rc[:].apply_sync(lambda: os.environ["IPP_WORKER_GROUP"] + " " + os.environ["IPP_POD_NAME"])
groups = rc[:].apply_sync(lambda: os.environ["IPP_WORKER_GROUP"])
big = rc[[i for i, g in zip(rc.ids, groups) if g == "big"]]
print(json.dumps({"places": dict(zip(rc.ids, places)), "big": big.targets, "bigPods": big.apply_sync(lambda: os.environ["IPP_POD_NAME"])}))
`;

async function readyFile(pod: RunningPod): Promise<string[]> {
    const out = await docker(["exec", pod.containers[0].id, "cat", PATHS.readyFile], { allowFailure: true });
    return out.code === 0 ? out.stdout.trim().split("\n") : [];
}

describe("worker shapes on a real Docker engine", function () {
    this.timeout(20 * 60_000);
    let cluster: TestCluster | undefined;

    before(async () => {
        await cleanEngine();
    });

    afterEach(async function () {
        if (this.currentTest?.state === "failed" && cluster) {
            await cluster.printLogs();
        }
    });

    after(async () => {
        await cluster?.down();
        await removeTestContainers();
    });

    describe("enginesPerWorker: 4, two worker pods", () => {
        before(async () => {
            cluster = (await deploy({ registry: REGISTRY, workers: "2", enginesPerWorker: "4" })).cluster(RUN_LABEL);
        });
        after(async () => {
            await cluster?.down();
            cluster = undefined;
        });

        it("8 engines answer and the seed's test counts them; each pod is Ready with its 4 engines registered", async () => {
            const c = cluster!;
            assert.strictEqual(c.engines, 8);
            await c.up();
            const check = await c.waitAnswering(8, 60);
            assert.ok(check.ok, check.error);
            const ids = new Set(check.ids);
            for (const pod of c.workers) {
                const lines = await readyFile(pod);
                assert.strictEqual(lines.length, 4, `${pod.name}'s ready file: ${lines.join(" | ")}`);
                for (const line of lines) assert.ok(ids.has(Number(line.split(" ")[0])), `${pod.name}: engine ${line} is not registered`);
            }
            const seed = await c.python("-c", [seedTestProgram()]);
            assert.strictEqual(seed.code, 0, seed.stderr);
            const [printedIds, greetings] = seed.stdout.trim().split("\n");
            assert.deepStrictEqual(JSON.parse(printedIds), [0, 1, 2, 3, 4, 5, 6, 7]);
            assert.strictEqual(greetings, `[${Array(8).fill("'Hello, World'").join(", ")}]`);
        });

        it("one engine killed in a pod: the pod is not Ready until it is back, within 20 s", async () => {
            const c = cluster!;
            const pod = c.workers[0];
            const started = Date.now();
            assert.match(await killOneEngine(pod.containers[0].id), /^[0-9]+$/, "an engine process was killed");
            let sawNotReady = false;
            while (Date.now() - started < 20_000) {
                const ready = await c.kubelet.ready(pod);
                if (!ready) sawNotReady = true;
                else if (sawNotReady) break;
                await sleep(250);
            }
            const readyAgain = (Date.now() - started) / 1000;
            console.log(`      one engine killed: pod Ready again after ${readyAgain.toFixed(1)} s (limit 20 s)`);
            assert.ok(sawNotReady, "the pod stayed Ready with an engine gone");
            assert.ok(readyAgain <= 20, `not Ready again within 20 s (${readyAgain.toFixed(1)} s)`);
            assert.strictEqual((await readyFile(pod)).length, 4);
            const check = await c.waitAnswering(8, 30);
            assert.ok(check.ok, check.error);
            assert.ok((Date.now() - started) / 1000 <= 20, `8 engines answering only after ${((Date.now() - started) / 1000).toFixed(1)} s`);
        });

        it("the controller restarts: all 8 engines answer again within 10 s", async () => {
            const result = await frontendRestart(cluster!, 10);
            await sleep(2000); // the workers' next look, which sees the engines listed
            const trace = await restartTrace(cluster!, result.startedMs, result.seconds);
            console.log(`      frontend restart, 2 pods × 4 engines: ${result.seconds.toFixed(1)} s (limit 10 s): ${describeTrace(trace)}`);
            assert.ok(result.ok, result.detail);
            assert.ok(result.seconds <= 10, `${result.seconds.toFixed(1)} s`);
        });
    });

    describe("two groups: cpu (2 pods), big (1 pod, 2 engines)", () => {
        before(async () => {
            const workerGroups = JSON.stringify([
                { name: "cpu", workers: 2 },
                { name: "big", workers: 1, enginesPerWorker: 2 },
            ]);
            cluster = (await deploy({ registry: REGISTRY, workerGroups })).cluster(RUN_LABEL);
        });
        after(async () => {
            await cluster?.down();
            cluster = undefined;
        });

        it("4 engines answer, each knowing its group and pod; the README's selection picks the big group's", async () => {
            const c = cluster!;
            assert.deepStrictEqual(
                c.groups.map(g => [g.name, g.replicas, g.enginesPerPod]),
                [
                    ["ipp-dev-workers-cpu", 2, 1],
                    ["ipp-dev-workers-big", 1, 2],
                ],
            );
            await c.up();
            const check = await c.waitAnswering(4, 60);
            assert.ok(check.ok, check.error);
            const out = await c.python("-", [CLIENT_FILE], ENGINE_PLACES);
            assert.strictEqual(out.code, 0, out.stderr);
            const { places, big, bigPods } = JSON.parse(out.stdout.trim().split("\n").pop()!);
            const byPod = new Map<string, string[]>();
            for (const place of Object.values<string>(places)) {
                const [group, pod] = place.split(" ");
                byPod.set(pod, [...(byPod.get(pod) ?? []), group]);
            }
            const expected = new Map(c.workers.map(w => [w.name, c.groupOf(w).name.endsWith("-big") ? ["big", "big"] : ["cpu"]]));
            assert.deepStrictEqual(new Map([...byPod].sort()), new Map([...expected].sort()));
            assert.deepStrictEqual(
                big.sort(),
                Object.entries<string>(places)
                    .filter(([, p]) => p.startsWith("big "))
                    .map(([id]) => Number(id))
                    .sort(),
            );
            assert.strictEqual(big.length, 2);
            const bigPod = c.workers.find(w => c.groupOf(w).name.endsWith("-big"))!.name;
            assert.deepStrictEqual(bigPods, [bigPod, bigPod]);
        });
    });

    describe("on the docker target: groups default (1 container) and big (1 container, 2 engines)", () => {
        let runner: ContainerRunner;
        const started: RunningContainer[] = [];
        before(async () => {
            const workerGroups = JSON.stringify([
                { name: "default", workers: 1 },
                { name: "big", workers: 1, enginesPerWorker: 2 },
            ]);
            const { run } = await deploy({ target: "docker", push: "false", notebook: "false", workerGroups }, { stack: "itest-groups" });
            runner = new ContainerRunner(run, `groups-docker-${process.pid}`);
            started.push(await runner.start(find(run, "Container", "ipp-cluster-frontend")));
        });
        after(async () => {
            for (const c of started) await runner.remove(c);
            await removeTestVolumes();
        });

        it("3 engines answer, each with its group, container name and the engines of its container", async () => {
            // By name: the program's registrations complete in any order.
            const workers = runner.containers.filter(c => c.name.startsWith("ipp-cluster-worker")).sort((a, b) => a.name.localeCompare(b.name));
            assert.deepStrictEqual(
                workers.map(w => w.inputs.name),
                ["ipp-itest-groups-worker-1", "ipp-itest-groups-worker-big-1"],
            );
            started.push(...(await Promise.all(workers.map(w => runner.start(w)))));
            const frontend = started[0];
            const out = await docker(["exec", "-i", frontend.id, "python3", "-", CLIENT_FILE], {
                input: ENGINE_PLACES.replace("timeout=30)", "timeout=60)"),
                allowFailure: true,
            });
            assert.strictEqual(out.code, 0, out.stderr);
            const { places, bigPods } = JSON.parse(out.stdout.trim().split("\n").pop()!);
            assert.deepStrictEqual(Object.values(places).sort(), [
                "big ipp-itest-groups-worker-big-1",
                "big ipp-itest-groups-worker-big-1",
                "default ipp-itest-groups-worker-1",
            ]);
            assert.deepStrictEqual(bigPods, ["ipp-itest-groups-worker-big-1", "ipp-itest-groups-worker-big-1"]);
        });
    });
});
