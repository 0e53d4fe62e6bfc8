/**
 * The recovery drills, shared by the integration test (which asserts limits) and the benchmark
 * (which records the numbers). Each returns the seconds from the event to every engine answering.
 */
import { TestCluster } from "./cluster";
import { sleep } from "./time";

export interface DrillResult {
    seconds: number;
    ok: boolean;
    detail: string;
    /** When the event was caused (Date.now()). */
    startedMs: number;
}

async function measure(cluster: TestCluster, started: number, limitSeconds: number, n = cluster.engines): Promise<DrillResult> {
    const check = await cluster.waitAnswering(n, limitSeconds * 2);
    const seconds = (Date.now() - started) / 1000;
    return { seconds, ok: check.ok, detail: check.ok ? `ids ${JSON.stringify(check.ids)}` : String(check.error), startedMs: started };
}

/** The frontend is up; the workers start; until all engines answer. */
export async function coldStart(cluster: TestCluster, limitSeconds = 10): Promise<DrillResult> {
    await cluster.kubelet.waitReady(await cluster.startFrontend(), 120_000);
    const started = Date.now();
    await cluster.startWorkers();
    return measure(cluster, started, limitSeconds);
}

/** The workers start `leadSeconds` before the frontend; reports their restarts while waiting. */
export async function workersFirst(cluster: TestCluster, leadSeconds = 20, limitSeconds = 30): Promise<DrillResult & { restarts: number; readyEarly: number }> {
    const workers = await cluster.startWorkers();
    await sleep(leadSeconds * 1000);
    const restarts = (await Promise.all(workers.map(w => cluster.kubelet.restartCounts(w)))).flat().reduce((a, b) => a + b, 0);
    const readyEarly = (await Promise.all(workers.map(w => cluster.kubelet.ready(w)))).filter(Boolean).length;
    const started = Date.now();
    await cluster.startFrontend();
    return { ...(await measure(cluster, started, limitSeconds)), restarts, readyEarly };
}

/** The controller container restarts in place (its volumes survive). */
export async function frontendRestart(cluster: TestCluster, limitSeconds = 30): Promise<DrillResult> {
    const started = Date.now();
    await cluster.kubelet.restartContainers(cluster.frontend!);
    return measure(cluster, started, limitSeconds);
}

/** The frontend Pod is deleted and a new one, with fresh volumes, takes its place. */
export async function frontendReplacement(cluster: TestCluster, limitSeconds = 60): Promise<DrillResult> {
    const started = Date.now();
    await cluster.kubelet.deletePod(cluster.frontend!, true);
    await cluster.startFrontend();
    return measure(cluster, started, limitSeconds);
}

/** A worker is lost without warning (killed) and a replacement pod starts. */
export async function lostWorker(cluster: TestCluster, limitSeconds = 20): Promise<DrillResult> {
    const lost = cluster.workers.shift()!;
    const started = Date.now();
    await cluster.kubelet.deletePod(lost, false);
    await cluster.startWorker(cluster.groupOf(lost));
    return measure(cluster, started, limitSeconds);
}
