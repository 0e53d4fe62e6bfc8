/**
 * The failure drills behind the README's guarantees: work under lost workers, a call on an engine
 * that dies, and a controller cut off for a while. Each returns what it measured; the test holds it
 * to the guarantee.
 */
import * as fs from "fs";
import * as path from "path";
import { CLIENT_FILE, CONTAINERS, PATHS } from "../lib/names";
import { TestCluster } from "./cluster";
import { docker } from "./docker-cli";
import { sleep } from "./time";
import { startPython } from "./python";

const CLIENT = fs.readFileSync(path.join(__dirname, "drill_client.py"), "utf8");

function controllerId(cluster: TestCluster): string {
    return cluster.frontend!.containers.find(c => c.name === CONTAINERS.controller)!.id;
}

export interface MapUnderKills {
    ok: boolean;
    seconds: number;
    tasks: number;
    wrong: number;
    error: string;
    /** Seconds into the run at which each worker was killed. */
    kills: number[];
}

/**
 * A load-balanced map with retries while a worker is killed (as a lost node: SIGKILL, no
 * unregistration) every `everySeconds` and a replacement pod started, as the Deployment would.
 */
export async function mapUnderKills(cluster: TestCluster, tasks: number, taskSeconds: number, everySeconds: number, retries = 3): Promise<MapUnderKills> {
    const run = startPython(controllerId(cluster), CLIENT, [
        "map",
        CLIENT_FILE,
        String(cluster.engines),
        String(tasks),
        String(taskSeconds),
        String(retries),
        "300",
    ]);
    await run.printed("STARTED", 120_000);
    const started = Date.now();
    const kills: number[] = [];
    let done = false;
    const result = run.result.finally(() => (done = true));
    while (!done) {
        await Promise.race([sleep(everySeconds * 1000), result.catch(() => undefined)]);
        if (done) break;
        const lost = cluster.workers.shift()!;
        kills.push((Date.now() - started) / 1000);
        await cluster.kubelet.deletePod(lost, false);
        await cluster.startWorker();
    }
    return { ...(await result), kills };
}

export interface DirectFailure {
    /** The exception class the call raised ("" when it returned). */
    error: string;
    /** The class of the error it stands for, when it is a RemoteError. */
    ename: string;
    /** From the kill to the exception. */
    seconds: number;
    message: string;
}

/** A call on one engine (a direct view) that takes a minute; that engine's pod is killed mid-call and replaced. */
export async function directCallOnDeadEngine(cluster: TestCluster): Promise<DirectFailure> {
    const run = startPython(controllerId(cluster), CLIENT, ["direct", CLIENT_FILE, String(cluster.engines)]);
    const host = (await run.lineStarting("TARGET ", 120_000)).slice("TARGET ".length);
    await run.printed("SUBMITTED", 30_000);
    const target = cluster.workers.find(w => w.name === host);
    if (!target) throw new Error(`no worker pod is named ${host}`);
    cluster.workers = cluster.workers.filter(w => w !== target);
    const killedAt = Date.now() / 1000;
    await cluster.kubelet.deletePod(target, false);
    await cluster.startWorker();
    const out = await run.result;
    return { error: out.error, ename: out.ename, seconds: out.failed_at - killedAt, message: out.message };
}

export interface Partition {
    /** From the controller's unfreezing until every engine answers. */
    seconds: number;
    ok: boolean;
    detail: string;
    /** The session of every engine the hub has registered, and of every worker's engine, after; and of every worker's engine before. */
    registered: string[];
    workers: string[];
    workersBefore: string[];
}

/** The session of each worker's engine, as its readiness file names it ("" when it is not Ready). */
function workerSessions(cluster: TestCluster): Promise<string[]> {
    return Promise.all(
        cluster.workers.map(
            async w => (await docker(["exec", w.containers[0].id, "cat", PATHS.readyFile], { allowFailure: true })).stdout.trim().split(" ")[1] ?? "",
        ),
    ).then(sessions => sessions.sort());
}

/** The controller is frozen (`docker pause`) for `frozenSeconds`, then let go. */
export async function controllerPartition(cluster: TestCluster, frozenSeconds: number, limitSeconds: number): Promise<Partition> {
    const controller = controllerId(cluster);
    const workersBefore = await workerSessions(cluster);
    await docker(["pause", controller]);
    try {
        await sleep(frozenSeconds * 1000);
    } finally {
        await docker(["unpause", controller]);
    }
    const started = Date.now();
    const check = await cluster.waitAnswering(cluster.engines, limitSeconds * 2);
    const seconds = (Date.now() - started) / 1000;
    const engines = await startPython(controller, CLIENT, ["engines", CLIENT_FILE]).result;
    // Each worker writes its engine's session into its readiness file at its next look at the hub.
    await cluster.waitWorkersReady(cluster.workers, 30_000);
    const workers = await workerSessions(cluster);
    return {
        seconds,
        ok: check.ok,
        detail: check.ok ? `ids ${JSON.stringify(check.ids)}` : String(check.error),
        registered: Object.values<string>(engines.engines).sort(),
        workers,
        workersBefore,
    };
}

/** Kills one engine process (not the worker, not the fork server) in the container with SIGKILL; prints its pid. */
const KILL_ONE_ENGINE = `
import os, signal
for pid in sorted(int(p) for p in os.listdir("/proc") if p.isdigit()):
    try:
        name = open(f"/proc/{pid}/comm").read().strip()  # what the worker's fork server names each engine
    except OSError:
        continue
    if name == "ipp-engine":
        os.kill(pid, signal.SIGKILL)
        print(pid)
        break
`;

/** An engine of a worker pod's container crashes (SIGKILL); returns its pid, or "" when the container runs none. */
export async function killOneEngine(container: string): Promise<string> {
    return (await docker(["exec", container, "python3", "-c", KILL_ONE_ENGINE])).stdout.trim();
}
