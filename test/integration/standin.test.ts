/**
 * The stand-in engines (ipp_worker.standin, the engines of `npm run bench:hub`) speak the real protocol:
 * a real controller (the frontend image's `ipcontroller` with the program's flags) lists them under
 * their uuids, keeps them while they answer its heartbeats, and drops them once they stop.
 */
import * as assert from "assert";
import * as fs from "fs";
import { REGISTRY, docker, removeTestContainers } from "../../testbed/docker-cli";
import { cleanEngine, deploy } from "../../testbed/deploy";
import { CONN, connectionFolder, standinContainer, startController } from "../../testbed/hub";
import { startPython } from "../../testbed/python";
import { CONTAINERS } from "../../lib/names";
import { hubSettings } from "../../lib/hub-settings";

const RUN_LABEL = `standin-${process.pid}-${Date.now()}`;
const COUNT = 3;
const HUB = hubSettings(COUNT);

/**
 * python3 - CLIENT_FILE N WAIT: a client; prints `LISTED {ids, engines (id → uuid)}` once N engines are
 * listed and `LATER {ids}` after WAIT seconds; then waits (up to 3 × WAIT) for the hub to list none,
 * and ends with the ids it lists as its last line.
 */
const CLIENT = `
import json, sys, time
import ipyparallel as ipp
path, n, wait = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
rc = ipp.Client(path, timeout=30)
rc.wait_for_engines(n, timeout=60)
print("LISTED", json.dumps({"ids": rc.ids, "engines": {str(k): v for k, v in rc._engines.items()}}), flush=True)
time.sleep(wait)
print("LATER", json.dumps({"ids": rc.ids}), flush=True)
deadline = time.monotonic() + 3 * wait
while rc.ids and time.monotonic() < deadline:
    time.sleep(0.5)
print(json.dumps({"ids": rc.ids}), flush=True)
`;

/** Stand-ins for the open-files test: two heartbeat connections each in the heart monitor's process, well past 1,024. */
const MANY_ENGINES = 800;
/**
 * python3 - ENGINE_FILE KEY_FILE N SECONDS SETTLE: starts N stand-ins and asks the hub how many it lists
 * until all are, or the count has not grown for 10 s, or SECONDS pass; then, SETTLE seconds later (the
 * heart monitor drops an engine whose heartbeats it cannot take), how many it lists still; ends with
 * {"listed": count, "kept": count}.
 */
const MANY = `
import json, subprocess, sys, time
from ipp_worker.hub import Hub
engine_file, key_file, n, seconds, settle = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
args = [sys.executable, "-m", "ipp_worker.standin", "--file", engine_file, "--key-file", key_file, "--count", str(n), "--name", "many"]
standins = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
hub = Hub(engine_file, key_file, timeout_ms=10_000)
listed, grew, started = 0, time.monotonic(), time.monotonic()
while listed < n and time.monotonic() - started < seconds and time.monotonic() - grew < 10:
    answer = hub.registered()
    if answer is not None and len(answer.registered) > listed:
        listed, grew = len(answer.registered), time.monotonic()
    time.sleep(0.5)
time.sleep(settle)
answer = hub.registered()
standins.terminate()
standins.wait()
print(json.dumps({"listed": listed, "kept": len(answer.registered) if answer else None}), flush=True)
`;

describe("stand-in engines against a real controller", function () {
    let dir: string;
    let image: string;

    before(async () => {
        await cleanEngine();
        const deployment = await deploy({ registry: REGISTRY, workers: "1", notebook: "false" });
        const frontend = deployment.objects.pods.find(p => p.inputs.spec.containers.some((c: { name: string }) => c.name === CONTAINERS.controller));
        image = frontend!.inputs.spec.containers[0].image;
        dir = connectionFolder();
    });

    after(async () => {
        await removeTestContainers();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("are listed by the hub under their uuids, stay while they answer heartbeats, and are dropped when they stop", async () => {
        const controller = await startController(RUN_LABEL, image, dir, HUB);
        const standins = await standinContainer(RUN_LABEL, image, dir, [
            "python3",
            "-m",
            "ipp_worker.standin",
            `--file=${CONN.standinFile}`,
            `--key-file=${CONN.keyFile}`,
            `--count=${COUNT}`,
            "--name=probe",
        ]);
        // Longer than the heart monitor lets an engine stay silent: listed then means answering.
        const allowance = (HUB.heartbeatMs * (HUB.heartbeatMisses + 2)) / 1000;
        const client = startPython(controller, CLIENT, [CONN.clientFile, String(COUNT), String(allowance)]);
        const first = JSON.parse((await client.lineStarting("LISTED ", 90_000)).slice("LISTED ".length));
        console.log(`      listed: ${JSON.stringify(first.engines)}`);
        assert.deepStrictEqual(first.ids, [0, 1, 2]);
        assert.deepStrictEqual(Object.values(first.engines).sort(), ["probe-0", "probe-1", "probe-2"]);
        const later = JSON.parse((await client.lineStarting("LATER ", (allowance + 30) * 1000)).slice("LATER ".length));
        assert.deepStrictEqual(later.ids, [0, 1, 2], `not listed after ${allowance} s of heartbeats`);
        await docker(["rm", "-f", standins]);
        const end = await client.result;
        console.log(`      after the stand-ins stopped: ${JSON.stringify(end.ids)}`);
        assert.deepStrictEqual(end.ids, [], "the hub kept engines that no longer answer its heartbeats");
    });

    it("under a soft limit of 1,024 open files (containerd 2's default), the controller the frontend's entrypoint starts keeps 800 engines; started bare, it does not", async () => {
        const kept: Record<string, number> = {};
        // Past the heart monitor's allowance: listed then means its heartbeats are taken.
        const settle = (HUB.heartbeatMs * (HUB.heartbeatMisses + 3)) / 1000;
        for (const how of ["through the entrypoint", "bare"]) {
            const controller = await startController(RUN_LABEL, image, dir, HUB, { entrypoint: how !== "bare", openFiles: "1024:8192" });
            const standins = await standinContainer(RUN_LABEL, image, dir, ["sleep", "infinity"]);
            try {
                const count = await startPython(standins, MANY, [CONN.standinFile, CONN.keyFile, String(MANY_ENGINES), "40", String(settle)]).result;
                kept[how] = count.kept;
                console.log(`      ${how}: ${count.listed} of ${MANY_ENGINES} listed at most, ${count.kept} still ${settle} s later`);
            } finally {
                await docker(["rm", "-f", controller, standins], { allowFailure: true });
            }
        }
        assert.strictEqual(kept["through the entrypoint"], MANY_ENGINES);
        assert.ok(kept.bare < MANY_ENGINES, "the bare controller kept them all: the limit did not bind, and the test shows nothing");
    });
});
