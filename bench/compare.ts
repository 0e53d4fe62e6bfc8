/**
 * The bench's two ways of starting N engines, measured the same way: ours (the program's cluster, run by
 * the test kubelet) and ipyparallel's own (`ipcontroller`, then N `ipengine` in one container of the
 * same image); and the recovery drills on ours. `npm run bench` and `npm run bench:engines` use them.
 */
import { TEST_LABEL, docker } from "../testbed/docker-cli";
import { sleep } from "../testbed/time";
import { Deployment } from "../testbed/deploy";
import { frontendRestart, lostWorker } from "../testbed/drills";
import { describeTrace, restartTrace } from "../testbed/restart-trace";
import { CLIENT_FILE } from "../lib/names";
import { controllerCommand, engineCommand } from "../lib/runtime";
import { hubSettings } from "../lib/hub-settings";
import { Usage, WORKER_ROLES, client, cpuOf, mean, readyController, sum, timeReady, usage } from "./measure";
import { Sample, failed } from "./samples";

/** Trivial tasks per throughput run. */
export const TASKS = 3000;
/** The label of every container the bench starts. */
export const LABEL = "bench";

export function log(message: string) {
    console.log(`[bench] ${message}`);
}

/** Start-up CPU (read first), then throughput, then memory after the throughput run. */
async function measureRunning(clientContainer: string, workers: number, containers: string[]) {
    const before = await usage(containers);
    const startupCpuSecondsPerWorker = cpuOf(before, WORKER_ROLES) / workers;
    const t = await client(clientContainer, ["throughput", CLIENT_FILE, String(workers), String(TASKS)]);
    const u = await usage(containers);
    // Engines and the controller are the same processes before and after, so their CPU grew by this much
    // (the warm-up and the connecting are in it too: a little over the tasks' own share).
    const perTask = (seconds: number) => (1000 * seconds) / t.tasks_run;
    const rss = (role: keyof Usage) => u[role].map(([kb]) => kb);
    return {
        lbTasksPerSecond: t.lb_tasks_per_s,
        directTasksPerSecond: t.direct_tasks_per_s,
        controllerRssKb: sum(rss("controller")),
        controllerMainRssKb: Math.max(...rss("controller")),
        engineRssKb: mean(rss("engine")) + mean(rss("nanny")),
        supervisorRssKb: u.worker.length ? mean(rss("worker")) : undefined,
        startupCpuSecondsPerWorker,
        cpuMsPerTask: {
            client: perTask(t.client_cpu_s),
            controller: perTask(cpuOf(u, ["controller"]) - cpuOf(before, ["controller"])),
            engines: perTask(cpuOf(u, WORKER_ROLES) - cpuOf(before, WORKER_ROLES)),
        },
    };
}

/** Our cluster of this deployment: ready time of all its engines (`workers` in the sample), then the rest. */
export async function oursOnce(deployment: Deployment): Promise<Sample> {
    const cluster = deployment.cluster(LABEL);
    const workers = cluster.engines;
    try {
        const controller = await readyController(cluster);
        const ready = await timeReady(controller, workers, () => cluster.startWorkers());
        if (ready.failure) return failed("ours", workers, ready.failure);
        const readySeconds = ready.seconds;
        const measured = await measureRunning(controller, workers, [controller, ...cluster.workers.map(w => w.containers[0].id)]);
        return { variant: "ours", workers, readySeconds, ...measured };
    } finally {
        await cluster.down();
    }
}

/**
 * Starts N copies of a command at once, in the background: `bash -c START_ENGINES NAME N COMMAND...`.
 * The count and the command come in as arguments, so nothing is pasted into the script.
 */
const START_ENGINES = 'n=$1; shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 & done; wait';

/** ipyparallel's own way: one container of the same image, `ipcontroller`, then N `ipengine` processes. */
export async function baselineOnce(image: string, workers: number, ourFlags: boolean): Promise<Sample> {
    const controllerArgs = ourFlags ? controllerCommand(hubSettings(workers)).filter(a => a !== "--reuse") : ["ipcontroller"];
    // ipyparallel's own engine (with its own nanny), with our flags but for the files.
    const engineArgs = ourFlags
        ? [
              "ipengine",
              ...engineCommand()
                  .slice(1)
                  .filter(a => !a.startsWith("--file=") && !a.startsWith("--keyfile=")),
          ]
        : ["ipengine"];
    const id = (await docker(["run", "-d", "--network=host", "--label", `${TEST_LABEL}=${LABEL}`, "--entrypoint", "sleep", image, "infinity"])).stdout.trim();
    try {
        await docker(["exec", "-d", id, ...controllerArgs]);
        for (let i = 0; (await docker(["exec", id, "test", "-e", CLIENT_FILE], { allowFailure: true })).code !== 0; i++) {
            if (i > 120) throw new Error("the baseline controller wrote no client file");
            await sleep(250);
        }
        const variant = ourFlags ? "baselineOurFlags" : "baseline";
        const ready = await timeReady(id, workers, () =>
            docker(["exec", "-d", id, "bash", "-c", START_ENGINES, "start-engines", String(workers), ...engineArgs]),
        );
        if (ready.failure) {
            const alive = (await usage([id])).engine.length;
            return failed(variant, workers, `${ready.failure}; ${alive} of ${workers} ipengine processes still running`);
        }
        const measured = await measureRunning(id, workers, [id]);
        return { variant, workers, readySeconds: ready.seconds, ...measured };
    } finally {
        await docker(["rm", "-f", id], { allowFailure: true });
    }
}

/** The two recovery drills, `reps` times each, every time on a fresh cluster of this deployment. */
export async function recovery(deployment: Deployment, reps: number, results: Record<string, number[]>, saved: () => void) {
    for (let r = 0; r < reps; r++) {
        for (const [name, drill] of [
            ["frontendRestart", frontendRestart],
            ["lostWorker", lostWorker],
        ] as const) {
            const cluster = deployment.cluster(LABEL);
            try {
                await cluster.up();
                const result = await drill(cluster);
                if (!result.ok) throw new Error(`${name}: ${result.detail}`);
                results[name].push(result.seconds);
                saved();
                log(`recovery ${name} (${cluster.replicas} workers): ${result.seconds.toFixed(1)} s`);
                if (name === "frontendRestart") {
                    await sleep(2000); // the workers' next look, which sees the engines listed
                    log(`  trace: ${describeTrace(await restartTrace(cluster, result.startedMs, result.seconds))}`);
                }
            } finally {
                await cluster.down();
            }
        }
    }
}
