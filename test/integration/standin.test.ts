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
});
