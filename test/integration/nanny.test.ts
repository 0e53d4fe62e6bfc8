/**
 * The worker entrypoint as the engines' nanny, on real containers (2 worker pods × 2 engines): a
 * client's SIGINT interrupts one engine's task, and an engine killed with SIGKILL is reported gone
 * at once, its task failing with EngineError.
 */
import * as assert from "assert";
import { TestCluster } from "../../testbed/cluster";
import { REGISTRY, docker, removeTestContainers } from "../../testbed/docker-cli";
import { cleanEngine, deploy } from "../../testbed/deploy";
import { startPython } from "../../testbed/python";
import { CLIENT_FILE, CONTAINERS } from "../../lib/names";

const RUN_LABEL = `nanny-${process.pid}-${Date.now()}`;

/**
 * python3 - CLIENT_FILE N MODE: with N engines answering, runs `time.sleep(60)` on the first engine,
 * prints `PID <engine's pid> <engine's pod>` and `STARTED`, then
 *   interrupt: sends it SIGINT through the client and reports how the task ended and how soon;
 *   kill:      waits for the task to end (the test kills the engine) and reports how and when.
 * Then checks that the engine (or, after a kill, every engine left) runs the next task.
 */
const CLIENT = `
import json, os, signal, sys, time
import ipyparallel as ipp
path, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rc = ipp.Client(path, timeout=30)
rc.wait_for_engines(n, timeout=60)
target = rc.ids[0]
view = rc[target]
pid, pod = view.apply_sync(lambda: (__import__("os").getpid(), __import__("os").environ["IPP_POD_NAME"]))
ar = view.apply_async(lambda: __import__("time").sleep(60))
time.sleep(1.0)
print("PID", pid, pod, flush=True)
started = time.time()
if mode == "interrupt":
    rc.send_signal(signal.SIGINT, targets=[target], block=True)
else:
    print("STARTED", flush=True)
try:
    ar.get(timeout=30)
    outcome = "finished"
except ipp.error.RemoteError as e:
    outcome = e.ename
except Exception as e:
    outcome = type(e).__name__
ended = time.time()
if mode == "interrupt":
    after = view.apply_sync(lambda: "next")
else:
    after = rc[[i for i in rc.ids if i != target]].apply_sync(lambda: "next")
print(json.dumps({"outcome": outcome, "since_signal": ended - started, "ended_at": ended, "after": after, "ids": rc.ids}))
`;

/** python3 - CLIENT_FILE: sends signal 0 to an engine running a 3 s task; the reply, then how the task ended. */
const SIGNAL_0 = `
import json, sys, time, ipyparallel as ipp
rc = ipp.Client(sys.argv[1])
rc.wait_for_engines(4, timeout=60)
ar = rc[rc.ids[0]].apply_async(lambda: __import__("time").sleep(3) or "finished")
time.sleep(0.5)
rc.send_signal(0, targets=[rc.ids[0]], block=True)
print(json.dumps({"reply": "ok", "task": ar.get(timeout=30)}))
`;

/** python3 - CLIENT_FILE: each engine's pod, a draw from `random` and 16 bytes of os.urandom. */
const RANDOM_DRAWS = `
import json, sys, ipyparallel as ipp
rc = ipp.Client(sys.argv[1])
rc.wait_for_engines(4, timeout=60)
def draws():
    import os, random
    return os.environ["IPP_POD_NAME"], random.random(), os.urandom(16).hex()
print(json.dumps(rc[:].apply_sync(draws)))
`;

/**
 * Counts the container's processes by name (/proc/PID/comm: a script's name, or the name the fork
 * server gives itself and its engines), this listing left out, and tells each engine's parent.
 */
const LIST_PROGRAMS = `
import json, os
counts, parents, pids = {}, {}, {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    if int(pid) == os.getpid():  # this listing itself
        continue
    try:
        name = open(f"/proc/{pid}/comm").read().strip()
        ppid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
    except OSError:
        continue
    counts[name] = counts.get(name, 0) + 1
    parents.setdefault(name, []).append(ppid)
    pids.setdefault(name, []).append(int(pid))
print(json.dumps({"counts": counts, "worker": pids.get("ipp-worker"), "engineParents": parents.get("ipp-engine", [])}))
`;

/** Each Python stack's: the worker is the same, ipyparallel is 9 (pypi) or 8.8 (debian). */
const STACKS: Record<string, Record<string, string>> = {
    pypi: {},
    debian: { pythonStack: "debian", buildCaCertificates: "" },
};

for (const [stack, settings] of Object.entries(STACKS))
    describe(`the worker as the engines' nanny, on a real Docker engine (the ${stack} stack)`, function () {
        this.timeout(20 * 60_000);
        let cluster: TestCluster;

        before(async () => {
            await cleanEngine();
            cluster = (await deploy({ registry: REGISTRY, workers: "2", enginesPerWorker: "2", ...settings })).cluster(RUN_LABEL);
            await cluster.up();
            const check = await cluster.waitAnswering(4, 60);
            assert.ok(check.ok, check.error);
        });

        it("runs no second Python process per engine: the worker is each engine's nanny and parent, engines fork from one server", async () => {
            for (const pod of cluster.workers) {
                const programs = await docker(["exec", pod.containers[0].id, "python3", "-c", LIST_PROGRAMS]);
                const { counts, worker, engineParents } = JSON.parse(programs.stdout);
                assert.deepStrictEqual(counts, { tini: 1, "ipp-worker": 1, "ipp-fork-server": 1, "ipp-engine": 2 }, `${pod.name} runs ${programs.stdout}`);
                assert.deepStrictEqual(engineParents, [worker[0], worker[0]], `${pod.name}: ${programs.stdout}`);
                const logs = await cluster.logs(pod, 200);
                assert.match(logs, /its control channel goes through this worker/);
                assert.match(logs, /forked engine \d+ \(\S+\) as pid \d+/);
            }
        });

        it("gives forked engines of one pod their own random numbers", async () => {
            const out = await cluster.python("-", [CLIENT_FILE], RANDOM_DRAWS);
            assert.strictEqual(out.code, 0, out.stderr);
            const draws: [string, number, string][] = JSON.parse(out.stdout.trim().split("\n").pop()!);
            for (const pod of new Set(draws.map(d => d[0]))) {
                const mine = draws.filter(d => d[0] === pod);
                assert.strictEqual(mine.length, 2, out.stdout);
                assert.notStrictEqual(mine[0][1], mine[1][1], `random.random() repeats across ${pod}'s engines`);
                assert.notStrictEqual(mine[0][2], mine[1][2], `os.urandom repeats across ${pod}'s engines`);
            }
        });

        afterEach(async function () {
            if (this.currentTest?.state === "failed") {
                await cluster.printLogs();
            }
        });

        after(async () => {
            await cluster?.down();
            await removeTestContainers();
        });

        const controller = () => cluster.frontend!.containers.find(c => c.name === CONTAINERS.controller)!.id;

        it("a client's SIGINT interrupts a running time.sleep(60) on that engine within 2 s, and the engine runs the next task", async () => {
            const run = startPython(controller(), CLIENT, [CLIENT_FILE, "4", "interrupt"]);
            const result = await run.result;
            console.log(`      SIGINT: the task ended with ${result.outcome} ${result.since_signal.toFixed(2)} s after send_signal (limit 2 s)`);
            assert.strictEqual(result.outcome, "KeyboardInterrupt");
            assert.ok(result.since_signal <= 2, `${result.since_signal.toFixed(2)} s`);
            assert.strictEqual(result.after, "next");
        });

        it("signal 0 is answered, as ipyparallel's own nanny answers it, and leaves the engine's task running", async () => {
            const out = await cluster.python("-", [CLIENT_FILE], SIGNAL_0);
            assert.strictEqual(out.code, 0, out.stderr);
            assert.deepStrictEqual(JSON.parse(out.stdout.trim().split("\n").pop()!), { reply: "ok", task: "finished" });
        });

        it("an engine killed with SIGKILL is reported gone at once: its task fails with EngineError within 2 s", async () => {
            const run = startPython(controller(), CLIENT, [CLIENT_FILE, "4", "kill"]);
            const [, pid, pod] = (await run.lineStarting("PID ", 90_000)).split(" ");
            await run.printed("STARTED", 10_000);
            const worker = cluster.workers.find(w => w.name === pod);
            assert.ok(worker, `no worker pod is named ${pod}`);
            const killedAt = Date.now() / 1000;
            await docker(["exec", worker.containers[0].id, "python3", "-c", "import os, sys; os.kill(int(sys.argv[1]), 9)", pid]);
            const result = await run.result;
            const seconds = result.ended_at - killedAt;
            console.log(`      SIGKILL: the task failed with ${result.outcome} ${seconds.toFixed(2)} s after the kill (limit 2 s)`);
            assert.strictEqual(result.outcome, "EngineError");
            assert.ok(seconds <= 2, `${seconds.toFixed(2)} s`);
            assert.deepStrictEqual(result.after, ["next", "next", "next"]);
            // The worker starts the engine again: 4 engines answer.
            const check = await cluster.waitAnswering(4, 30);
            assert.ok(check.ok, check.error);
        });
    });
