/**
 * `npm run bench:shapes`: the same 16 engines in three shapes (16 pods × 1 engine, 4 × 4, 2 × 8),
 * on a real Docker engine with the images the program builds, in interleaved turns: the seconds
 * from starting the worker pods until all 16 engines answer, the CPU each engine (with its nanny
 * and its share of the entrypoint) used to get there, and the memory of the worker pods. Writes
 * shapes.json beside the main results (bench/out/, or with --record bench/), which
 * `npm run bench:report` renders into BENCHMARKS.md.
 *
 *   IPP_BENCH_REPS  turns (default 3)
 *   --record        write bench/shapes.json instead of bench/out/shapes.json
 */
import * as fs from "fs";
import * as path from "path";
import * as os from "os";
import { REGISTRY, docker, removeTestContainers } from "../testbed/docker-cli";
import { Deployment, cleanEngine, deploy } from "../testbed/deploy";
import { memoryBytes } from "../lib/quantities";
import { parseBenchFiles, runBench } from "./settings";
import { WORKER_ROLES, cpuOf, readyController, timeReady, usage } from "./measure";
import { SHAPES, ShapeSample, ShapesResult, shapesFile } from "./shapes-report";

const REPS = Number(process.env.IPP_BENCH_REPS ?? 3);
const ENGINES = 16;
const LABEL = "bench-shapes";

function log(message: string) {
    console.log(`[bench:shapes] ${message}`);
}

/** What `docker stats` says a container holds, in MiB. */
async function memoryMiB(container: string): Promise<number> {
    const used = (await docker(["stats", "--no-stream", "--format", "{{.MemUsage}}", container])).stdout.split("/")[0].trim();
    return memoryBytes(used.replace(/B$/, "")) / 2 ** 20; // "398MiB" is the quantity 398Mi
}

async function once(deployment: Deployment, pods: number, enginesPerPod: number): Promise<ShapeSample> {
    const cluster = deployment.cluster(LABEL);
    try {
        const controller = await readyController(cluster);
        const ready = await timeReady(controller, ENGINES, () => cluster.startWorkers());
        if (ready.failure) throw new Error(`${pods} × ${enginesPerPod}: ${ready.failure}`);
        const workers = cluster.workers.map(w => w.containers[0].id);
        const used = await usage(workers);
        const memory = await Promise.all(workers.map(memoryMiB));
        return {
            pods,
            enginesPerPod,
            readySeconds: ready.seconds,
            startupCpuSecondsPerEngine: cpuOf(used, WORKER_ROLES) / ENGINES,
            memoryMiBPerEngine: memory.reduce((a, b) => a + b, 0) / ENGINES,
        };
    } finally {
        await cluster.down();
    }
}

async function main() {
    const files = parseBenchFiles(process.env, process.argv.slice(2));
    const out = shapesFile(files.results);
    await cleanEngine();
    const objects = new Map<string, Deployment>();
    for (const [pods, perPod] of SHAPES) {
        // Memory for the engines and a little over (the preview asks for 160Mi each).
        const config = { registry: REGISTRY, workers: String(pods), enginesPerWorker: String(perPod), workerMemory: `${Math.max(1024, perPod * 256)}Mi` };
        objects.set(`${pods}x${perPod}`, await deploy(config));
    }
    const warm = await once(objects.get("4x4")!, 4, 4);
    log(`warm-up (not recorded): 4 × 4 ready in ${warm.readySeconds.toFixed(1)} s`);
    const samples: ShapeSample[] = [];
    for (let r = 0; r < REPS; r++) {
        for (const [pods, perPod] of SHAPES) {
            const s = await once(objects.get(`${pods}x${perPod}`)!, pods, perPod);
            samples.push(s);
            log(
                `${pods} pods × ${perPod}: ready ${s.readySeconds.toFixed(1)} s, start-up CPU ${s.startupCpuSecondsPerEngine.toFixed(2)} s/engine, ${s.memoryMiBPerEngine.toFixed(0)} MiB/engine`,
            );
        }
    }
    await removeTestContainers();
    const result: ShapesResult = { date: new Date().toISOString(), cores: os.cpus().length, engines: ENGINES, reps: REPS, samples };
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
    log(`wrote ${out}`);
}

runBench(main);
