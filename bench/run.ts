/**
 * `npm run bench`: measures, on a real Docker engine and with the images the program builds, what a
 * user would feel: ready time, throughput, recovery and memory of this cluster against
 * ipyparallel's own processes in the same image (`ipcontroller`, then N `ipengine`), and what the
 * images cost. Prints the numbers and writes results.json and BENCHMARKS.md to a scratch folder
 * (bench/out, or IPP_BENCH_OUT); `npm run bench -- --record` writes the committed bench/results.json
 * and BENCHMARKS.md instead. bench/settings.ts reads the settings (IPP_BENCH_SIZES, IPP_BENCH_REPS,
 * IPP_BENCH_CASES, IPP_BENCH_VARIANTS, IPP_BENCH_CONFIG) and checks them before anything starts. The
 * memory case (bench/memory.ts) pushes 100,000 tasks through one client. Runs on one shared
 * machine spread widely, so the cases take turns and the report gives medians.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runProgram } from "../test/harness";
import { BuildRecord, buildingNewResource } from "../test/integration/build";
import { TestCluster } from "../test/integration/cluster";
import { REGISTRY, TEST_LABEL, docker, inspect, removeTestContainers, requireEngine } from "../test/integration/docker-cli";
import { frontendRestart, lostWorker } from "../test/integration/drills";
import { DeclaredObjects, Kubelet, sleep } from "../test/integration/kubelet";
import { READY_TIMEOUT_SECONDS, Usage, WORKER_ROLES, client, cpuOf, mean, readyController, sum, timeReady, usage } from "./measure";
import { CLIENT_FILE } from "../lib/names";
import { controllerCommand, engineCommand } from "../lib/runtime";
import { renderReport } from "./report";
import { readPackages } from "./packages-report";
import { readShapes } from "./shapes-report";
import { readEngines } from "./engines-report";
import { MemoryResult, controllerMemory } from "./memory";
import { removeStandIns } from "../test/integration/volumes";
import { BenchSettings, BenchSettingsError, Variant, parseBenchSettings } from "./settings";

const ROOT = path.resolve(__dirname, "..");
const TASKS = 3000;
const LABEL = "bench";
/** Workers for the memory case. */
const MEMORY_WORKERS = 4;

export type { Variant };
export interface Sample {
    variant: Variant;
    workers: number;
    /** NaN when not every engine answered in time; `failure` then says how far it got. */
    readySeconds: number;
    failure?: string;
    lbTasksPerSecond: number;
    directTasksPerSecond: number;
    controllerRssKb: number;
    controllerMainRssKb: number;
    engineRssKb: number;
    supervisorRssKb?: number;
    /** CPU seconds each worker used to start (engine and nanny, plus the entrypoint for ours), read at ready time. */
    startupCpuSecondsPerWorker: number;
    /** CPU milliseconds per task over the throughput run, by party: what bounds the rate on shared cores. */
    cpuMsPerTask?: { client: number; controller: number; engines: number };
}

function log(message: string) {
    console.log(`[bench] ${message}`);
}

function failed(variant: Variant, workers: number, failure: string): Sample {
    return {
        variant,
        workers,
        readySeconds: NaN,
        failure,
        lbTasksPerSecond: NaN,
        directTasksPerSecond: NaN,
        controllerRssKb: NaN,
        controllerMainRssKb: NaN,
        engineRssKb: NaN,
        startupCpuSecondsPerWorker: NaN,
    };
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

/** Our cluster from these declared objects: ready time of all its engines (`workers` in the sample), then the rest. */
export async function oursOnce(objects: DeclaredObjects): Promise<Sample> {
    const cluster = new TestCluster(objects, new Kubelet(objects, LABEL));
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
    const controllerArgs = ourFlags ? controllerCommand().filter(a => a !== "--reuse") : ["ipcontroller"];
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

export async function recovery(objects: DeclaredObjects, reps: number, results: Record<string, number[]>, saved: () => void) {
    for (let r = 0; r < reps; r++) {
        for (const [name, drill] of [
            ["frontendRestart", frontendRestart],
            ["lostWorker", lostWorker],
        ] as const) {
            const cluster = new TestCluster(objects, new Kubelet(objects, LABEL));
            try {
                await cluster.up();
                const result = await drill(cluster);
                if (!result.ok) throw new Error(`${name}: ${result.detail}`);
                results[name].push(result.seconds);
                saved();
                log(`recovery ${name} (${cluster.replicas} workers): ${result.seconds.toFixed(1)} s`);
            } finally {
                await cluster.down();
            }
        }
    }
}

async function imageCosts(builds: BuildRecord[], reps: number) {
    const size = async (ref: string) => Number(await inspect(ref, "{{.Size}}"));
    const ref = (name: string) => builds.find(b => b.name === name)!.repoDigest;
    const sizes = { base: await size(ref("images-base")), frontend: await size(ref("images-frontend")), worker: await size(ref("images-worker")) };

    const noChange: { build: number[]; push: number[] } = { build: [], push: [] };
    for (let r = 0; r < reps; r++) {
        const records: BuildRecord[] = [];
        await runProgram({ registry: REGISTRY, workers: "1" }, { newResource: buildingNewResource(records) });
        noChange.build.push(sum(records.map(b => b.seconds)));
        noChange.push.push(sum(records.map(b => b.pushSeconds)));
        log(`no-change rebuild of all three: build ${noChange.build.at(-1)!.toFixed(2)} s, push ${noChange.push.at(-1)!.toFixed(2)} s`);
    }

    // Change only the worker's entrypoint (a copy of its build context) and rebuild the worker.
    const workerChange: { build: number[]; push: number[] } = { build: [], push: [] };
    const run = await runProgram({ registry: REGISTRY, workers: "1" }, { newResource: buildingNewResource([]) });
    const worker = run.resources.find(r => r.name === "images-worker")!.inputs;
    for (let r = 0; r < reps; r++) {
        const context = fs.mkdtempSync(path.join(os.tmpdir(), "ipp-bench-worker-"));
        try {
            fs.cpSync(path.join(ROOT, worker.build.context), context, { recursive: true });
            fs.appendFileSync(path.join(context, "ipp-worker"), `\n# changed for a rebuild benchmark: ${Date.now()}\n`);
            const args = Object.entries<string>(worker.build.args).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
            const tag = `${REGISTRY}/ipp-worker:bench-change`;
            let started = Date.now();
            await docker(["build", "--network=host", "-t", tag, ...args, context]);
            workerChange.build.push((Date.now() - started) / 1000);
            started = Date.now();
            await docker(["push", "--quiet", tag]);
            workerChange.push.push((Date.now() - started) / 1000);
            log(`worker rebuild after an entrypoint change: build ${workerChange.build.at(-1)!.toFixed(2)} s, push ${workerChange.push.at(-1)!.toFixed(2)} s`);
        } finally {
            fs.rmSync(context, { recursive: true, force: true });
        }
    }
    return { sizes, addedByFrontend: sizes.frontend - sizes.base, addedByWorker: sizes.worker - sizes.base, noChange, workerChange };
}

function common(s: BenchSettings) {
    return {
        date: new Date().toISOString(),
        machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), kernel: os.release() },
        settings: {
            tasks: TASKS,
            repetitions: s.reps,
            sizes: s.sizes,
            variants: s.variants,
            stackConfig: s.stackConfig,
            readyTimeoutSeconds: READY_TIMEOUT_SECONDS,
            controller: controllerCommand(),
            engine: engineCommand(),
        },
    };
}

async function main(settings: BenchSettings) {
    const { files } = settings;
    const where = files.record ? "the committed results" : "a scratch folder; `npm run bench -- --record` writes the committed results";
    log(`writing ${files.results} and ${files.report} (${where})`);
    fs.mkdirSync(path.dirname(files.results), { recursive: true });
    fs.mkdirSync(path.dirname(files.report), { recursive: true });
    // A scratch folder holds this run only: an earlier run's files would pass for this one's if it broke off early.
    if (!files.record) for (const f of [files.results, files.report]) fs.rmSync(f, { force: true });
    /** Written after every case, so that a run that breaks off keeps what it measured. */
    const writeResults = (results: object) => fs.writeFileSync(files.results, JSON.stringify({ ...common(settings), ...results }, null, 2) + "\n");

    await requireEngine();
    await removeTestContainers();
    const builds: BuildRecord[] = [];
    const started = Date.now();
    const runFor = async (workers: number, records: BuildRecord[] = []) =>
        new DeclaredObjects(
            await runProgram({ ...settings.stackConfig, registry: REGISTRY, workers: String(workers) }, { newResource: buildingNewResource(records) }),
        );
    const first = await runFor(1, builds);
    const frontendImage = first.pods[0].inputs.spec.containers[0].image;
    log(`images built: ${builds.map(b => `${b.name} ${b.seconds.toFixed(1)} s`).join(", ")}`);

    const samples: Sample[] = [];
    if (settings.cases.includes("compare")) {
        // One unrecorded run first: the first containers after a build pay for a cold page cache.
        const warmUp = await oursOnce(await runFor(4));
        log(`warm-up (not recorded): ours N=4 ready ${warmUp.readySeconds.toFixed(1)} s`);

        for (const workers of settings.sizes) {
            const objects = await runFor(workers);
            const reps = workers >= 64 ? Math.min(settings.reps, 1) : settings.reps;
            for (let r = 0; r < reps; r++) {
                for (const variant of settings.variants) {
                    const sample = variant === "ours" ? await oursOnce(objects) : await baselineOnce(frontendImage, workers, variant === "baselineOurFlags");
                    samples.push(sample);
                    writeResults({ partial: true, samples });
                    if (sample.failure) {
                        log(`${variant} N=${workers}: ${sample.failure}`);
                        continue;
                    }
                    log(
                        `${variant} N=${workers}: ready ${sample.readySeconds.toFixed(1)} s, lb ${sample.lbTasksPerSecond.toFixed(0)}/s, ` +
                            `direct ${sample.directTasksPerSecond.toFixed(0)}/s, controller ${(sample.controllerRssKb / 1024).toFixed(0)} MiB, ` +
                            `engine ${(sample.engineRssKb / 1024).toFixed(0)} MiB`,
                    );
                }
            }
        }
    }

    const recoveryResults: Record<number, Record<string, number[]>> = {};
    for (const workers of settings.cases.includes("recovery") ? settings.sizes.filter(n => n <= 16) : []) {
        recoveryResults[workers] = { frontendRestart: [], lostWorker: [] };
        await recovery(await runFor(workers), Math.min(settings.reps, 3), recoveryResults[workers], () =>
            writeResults({ partial: true, samples, recovery: recoveryResults }),
        );
    }

    const images = settings.cases.includes("images") ? await imageCosts(builds, Math.min(settings.reps, 3)) : undefined;

    let memory: MemoryResult | undefined;
    if (settings.cases.includes("memory")) {
        memory = await controllerMemory(await runFor(MEMORY_WORKERS), MEMORY_WORKERS, LABEL);
        const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
        log(
            `memory: ${memory.tasks} tasks in ${memory.seconds.toFixed(0)} s; controller cgroup peak ${mib(memory.cgroupPeakBytes)} of ${mib(memory.limitBytes)}, ` +
                `peak resident ${mib(memory.peakRssKb * 1024)}; OOM-killed: ${memory.oomKilled}; under its limit: ${memory.underLimit}`,
        );
    }
    await removeTestContainers();
    removeStandIns();

    const results = {
        ...common(settings),
        samples,
        recovery: recoveryResults,
        images,
        memory,
        benchSeconds: (Date.now() - started) / 1000,
    };
    writeResults(results);
    const report = renderReport(
        { ...results, packages: readPackages(files.results), shapes: readShapes(files.results), engines: readEngines(files.results) },
        files.resultsLink,
    );
    fs.writeFileSync(files.report, report);
    console.log(report);
    log(`wrote ${files.results} and ${files.report}`);
}

if (require.main === module) {
    let settings: BenchSettings;
    try {
        settings = parseBenchSettings(process.env, process.argv.slice(2));
    } catch (e) {
        if (!(e instanceof BenchSettingsError)) throw e;
        console.error(e.message);
        process.exit(2);
    }
    main(settings).catch(e => {
        console.error(e);
        if (fs.existsSync(settings.files.results)) log(`what it measured before it stopped is in ${settings.files.results}`);
        process.exit(1);
    });
}
