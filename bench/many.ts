/**
 * `npm run bench:many`: hundreds of real engines on one machine, as the program would declare them
 * (64 worker pods × 8 engines by default), on a real Docker engine with the images the program builds.
 * Each turn: the seconds from starting the worker pods until every engine answers a direct-view
 * `apply` to all of them, and its ratio to the floor (the engines' start-up CPU over the machine's
 * cores); throughput (load-balanced and direct); then, over a rest, the controller's CPU, memory and
 * open files (the most of one process: its limit is per process), the loopback traffic (heartbeats
 * and the workers' looks: the containers share the host's network) and the worker pods' memory.
 * Writes many.json beside the main results (bench/out/, or with --record bench/), which
 * `npm run bench:report` renders into BENCHMARKS.md.
 *
 *   IPP_BENCH_REPS         turns (default 3)
 *   IPP_BENCH_MANY_SHAPE   pods × engines per pod, as 64x8 (the default)
 *   --record               write bench/many.json instead of bench/out/many.json
 */
import * as fs from "fs";
import * as path from "path";
import * as os from "os";
import { REGISTRY, docker, removeTestContainers } from "../testbed/docker-cli";
import { Deployment, cleanEngine, deploy } from "../testbed/deploy";
import { sleep } from "../testbed/time";
import { CLIENT_FILE } from "../lib/names";
import { parseBenchFiles, runBench } from "./settings";
import { WORKER_ROLES, client, cpuOf, readyController, timeReady, usage } from "./measure";
import { TASKS } from "./compare";
import { cgroup, machine, measuredCommit } from "./provenance";
import { ManyResult, ManySample, manyFile } from "./many-report";

const REPS = Number(process.env.IPP_BENCH_REPS ?? 3);
const SHAPE = (process.env.IPP_BENCH_MANY_SHAPE ?? "64x8").split("x").map(Number);
const LABEL = "bench-many";
const REST_SECONDS = 30;
/** Each pod's memory limit per engine: the program's least (160Mi) with room. */
const MEMORY_PER_ENGINE_MI = 192;

/** Open files of every process in a container: the sum, and the most of one process. */
const OPEN_FILES = 'm=0; t=0; for d in /proc/[0-9]*/fd; do n=$(ls "$d" 2>/dev/null | wc -l); t=$((t+n)); [ "$n" -gt "$m" ] && m=$n; done; echo "$t $m"';

function log(message: string) {
    console.log(`[bench:many] ${message}`);
}

/** Bytes and packets through the loopback device so far (the host's, which the containers share). */
async function loopback(container: string): Promise<{ bytes: number; packets: number }> {
    const line = (await docker(["exec", container, "cat", "/proc/net/dev"])).stdout.split("\n").find(l => l.trim().startsWith("lo:"))!;
    const [bytes, packets] = line.split(":")[1].trim().split(/\s+/).map(Number);
    return { bytes, packets };
}

async function once(deployment: Deployment, engines: number): Promise<ManySample> {
    const cluster = deployment.cluster(LABEL);
    try {
        const controller = await readyController(cluster);
        const ready = await timeReady(controller, engines, () => cluster.startWorkers());
        if (ready.failure) return { failure: ready.failure };
        const workers = cluster.workers.map(w => w.containers[0].id);
        const startupCpuSeconds = cpuOf(await usage(workers), WORKER_ROLES);
        const t = await client(controller, ["throughput", CLIENT_FILE, String(engines), String(TASKS)]);
        await sleep(5000); // the throughput run's tail
        const before = { controller: await cgroup(controller), lo: await loopback(controller), at: Date.now() };
        await sleep(REST_SECONDS * 1000);
        const after = { controller: await cgroup(controller), lo: await loopback(controller), at: Date.now() };
        const rest = (after.at - before.at) / 1000;
        const [openFiles, mostOpenFiles] = (await docker(["exec", controller, "sh", "-c", OPEN_FILES])).stdout.trim().split(/\s+/).map(Number);
        const workerMemory = (await Promise.all(workers.map(w => cgroup(w)))).reduce((a, w) => a + w.memory, 0);
        return {
            readySeconds: ready.seconds,
            startupCpuSecondsPerEngine: startupCpuSeconds / engines,
            lbTasksPerSecond: t.lb_tasks_per_s,
            directTasksPerSecond: t.direct_tasks_per_s,
            restSeconds: rest,
            controllerCpuAtRest: (after.controller.cpu - before.controller.cpu) / rest,
            controllerMemoryBytes: after.controller.memory,
            controllerOpenFiles: openFiles,
            controllerMostOpenFilesOfOneProcess: mostOpenFiles,
            loopbackBytesPerSecond: (after.lo.bytes - before.lo.bytes) / rest,
            loopbackPacketsPerSecond: (after.lo.packets - before.lo.packets) / rest,
            workerMemoryBytesPerEngine: workerMemory / engines,
        };
    } finally {
        await cluster.down();
    }
}

async function main() {
    const [pods, perPod] = SHAPE;
    if (!(pods >= 1 && perPod >= 1)) throw new Error(`IPP_BENCH_MANY_SHAPE must be PODSxENGINES, such as 64x8; got ${process.env.IPP_BENCH_MANY_SHAPE}`);
    const engines = pods * perPod;
    const files = parseBenchFiles(process.env, process.argv.slice(2));
    const out = manyFile(files.results);
    await cleanEngine();
    const config = { registry: REGISTRY, workers: String(pods), enginesPerWorker: String(perPod), workerMemory: `${perPod * MEMORY_PER_ENGINE_MI}Mi` };
    const deployment = await deploy(config);
    const result: ManyResult = {
        date: new Date().toISOString(),
        commit: measuredCommit(),
        machine: machine(),
        cores: os.cpus().length,
        pods,
        perPod,
        restSeconds: REST_SECONDS,
        samples: [],
    };
    const save = () => {
        fs.mkdirSync(path.dirname(out), { recursive: true });
        fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
    };
    for (let r = 0; r < REPS; r++) {
        const s = await once(deployment, engines);
        result.samples.push(s);
        save();
        if ("failure" in s) {
            log(`${pods} × ${perPod}: ${s.failure}`);
            continue;
        }
        log(
            `${pods} × ${perPod}: ready ${s.readySeconds.toFixed(1)} s, start-up CPU ${s.startupCpuSecondsPerEngine.toFixed(3)} s/engine, ` +
                `lb ${s.lbTasksPerSecond.toFixed(0)}/s, direct ${s.directTasksPerSecond.toFixed(0)}/s; at rest: controller ${(s.controllerCpuAtRest * 100).toFixed(1)} % of a core, ` +
                `${(s.controllerMemoryBytes / 1e6).toFixed(0)} MB, ${s.controllerOpenFiles} open files (${s.controllerMostOpenFilesOfOneProcess} in one process), ` +
                `loopback ${(s.loopbackBytesPerSecond / 1e3).toFixed(0)} kB/s; workers ${(s.workerMemoryBytesPerEngine / 2 ** 20).toFixed(0)} MiB per engine`,
        );
    }
    await removeTestContainers();
    save();
    log(`wrote ${out}`);
}

runBench(main);
