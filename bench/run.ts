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
import { BuildRecord } from "../testbed/build";
import { REGISTRY, docker, inspect, removeTestContainers } from "../testbed/docker-cli";
import { cleanEngine, deploy } from "../testbed/deploy";
import { removeStandIns } from "../testbed/volumes";
import { controllerCommand, engineCommand } from "../lib/runtime";
import { hubSettings } from "../lib/hub-settings";
import { LABEL, TASKS, baselineOnce, log, oursOnce, recovery } from "./compare";
import { READY_TIMEOUT_SECONDS, sum } from "./measure";
import { Sample } from "./samples";
import { readAllResults, renderAll } from "./render";
import { MemoryResult, controllerMemory } from "./memory";
import { BenchSettings, BenchSettingsError, parseBenchSettings } from "./settings";

const ROOT = path.resolve(__dirname, "..");
/** Workers for the memory case. */
const MEMORY_WORKERS = 4;

async function imageCosts(builds: BuildRecord[], reps: number) {
    const size = async (ref: string) => Number(await inspect(ref, "{{.Size}}"));
    const ref = (name: string) => builds.find(b => b.name === name)!.repoDigest;
    const sizes = { base: await size(ref("ipp-images-base")), frontend: await size(ref("ipp-images-frontend")), worker: await size(ref("ipp-images-worker")) };

    const noChange: { build: number[]; push: number[] } = { build: [], push: [] };
    for (let r = 0; r < reps; r++) {
        const records = (await deploy({ registry: REGISTRY, workers: "1" })).builds;
        noChange.build.push(sum(records.map(b => b.seconds)));
        noChange.push.push(sum(records.map(b => b.pushSeconds)));
        log(`no-change rebuild of all three: build ${noChange.build.at(-1)!.toFixed(2)} s, push ${noChange.push.at(-1)!.toFixed(2)} s`);
    }

    // Change only the worker's entrypoint (a copy of its build context) and rebuild the worker.
    const workerChange: { build: number[]; push: number[] } = { build: [], push: [] };
    const { run } = await deploy({ registry: REGISTRY, workers: "1" });
    const worker = run.resources.find(r => r.name === "ipp-images-worker")!.inputs;
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
            controller: controllerCommand(hubSettings(Math.max(...s.sizes))),
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

    await cleanEngine();
    const builds: BuildRecord[] = [];
    const started = Date.now();
    const runFor = (workers: number) => deploy({ ...settings.stackConfig, registry: REGISTRY, workers: String(workers) });
    const first = await runFor(1);
    builds.push(...first.builds);
    const frontendImage = first.objects.pods[0].inputs.spec.containers[0].image;
    log(`images built: ${builds.map(b => `${b.name} ${b.seconds.toFixed(1)} s`).join(", ")}`);

    const samples: Sample[] = [];
    if (settings.cases.includes("compare")) {
        // One unrecorded run first: the first containers after a build pay for a cold page cache.
        const warmUp = await oursOnce(await runFor(4));
        log(`warm-up (not recorded): ours N=4 ready ${warmUp.readySeconds.toFixed(1)} s`);

        for (const workers of settings.sizes) {
            const deployment = await runFor(workers);
            const reps = workers >= 64 ? Math.min(settings.reps, 1) : settings.reps;
            for (let r = 0; r < reps; r++) {
                for (const variant of settings.variants) {
                    const sample = variant === "ours" ? await oursOnce(deployment) : await baselineOnce(frontendImage, workers, variant === "baselineOurFlags");
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
    const report = renderAll({ ...readAllResults(files.results), ...results }, files.resultsLink);
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
