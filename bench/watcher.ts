/**
 * `npm run bench:watcher`: what the watcher costs. For 16 engines (2 pods × 8) and 128 (8 pods × 16), at
 * the default interval: the watcher container's CPU time over windows of idle engines and over each
 * throughput run, its memory, and the throughput (as `npm run bench` measures it) with the watcher
 * running and with its container stopped, interleaved. Writes bench/out/watcher.json
 * (bench/watcher.json with `-- --record`), which BENCHMARKS.md renders. About 15 minutes.
 *
 *   IPP_BENCH_REPS   turns of each measurement (default 3)
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REGISTRY, docker, removeTestContainers } from "../testbed/docker-cli";
import { cleanEngine, deploy } from "../testbed/deploy";
import { TestCluster } from "../testbed/cluster";
import { sleep } from "../testbed/time";
import { CLIENT_FILE, CONTAINERS } from "../lib/names";
import { client } from "./measure";
import { LABEL, TASKS, log } from "./compare";
import { parseBenchFiles, runBench } from "./settings";
import { WatcherResult, WatcherSize, watcherFile } from "./watcher-report";
import { cgroup } from "./provenance";

const REPS = Number(process.env.IPP_BENCH_REPS ?? 3);
const WINDOW_SECONDS = 30;
const WATCH_SECONDS = 5;
const SIZES = [
    { pods: 2, enginesPerWorker: 8, memory: "2Gi" },
    { pods: 8, enginesPerWorker: 16, memory: "3Gi" },
];

/** The watcher's own count of its looks at the controller and their seconds, from its metrics. */
async function polls(container: string): Promise<{ polls: number; seconds: number }> {
    const code = "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:10120/metrics').read().decode())";
    const text = (await docker(["exec", container, "python3", "-c", code])).stdout;
    const value = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} ([0-9.e+-]+)$`, "m").exec(text)?.[1] ?? NaN);
    return { polls: value("ipp_watcher_polls_total"), seconds: value("ipp_watcher_poll_seconds_total") };
}

/** The watcher's CPU share of one core while `during` runs. */
async function cpuShare(watcher: string, during: () => Promise<unknown>): Promise<number> {
    const before = await cgroup(watcher);
    const started = Date.now();
    await during();
    const after = await cgroup(watcher);
    return (after.cpu - before.cpu) / ((Date.now() - started) / 1000);
}

async function throughput(cluster: TestCluster, engines: number): Promise<{ lb: number; direct: number }> {
    const controller = cluster.frontend!.containers.find(c => c.name === CONTAINERS.controller)!.id;
    const t = await client(controller, ["throughput", CLIENT_FILE, String(engines), String(TASKS)]);
    if (t.error) throw new Error(t.error);
    return { lb: t.lb_tasks_per_s, direct: t.direct_tasks_per_s };
}

async function measureSize(size: (typeof SIZES)[number]): Promise<WatcherSize> {
    const engines = size.pods * size.enginesPerWorker;
    const deployment = await deploy({
        registry: REGISTRY,
        workers: String(size.pods),
        enginesPerWorker: String(size.enginesPerWorker),
        workerMemory: size.memory,
        notebook: "false",
        watchSeconds: String(WATCH_SECONDS),
    });
    const cluster = deployment.cluster(LABEL);
    await cluster.up(600_000);
    const check = await cluster.waitAnswering(engines, 300);
    if (!check.ok) throw new Error(check.error);
    const watcher = cluster.frontend!.containers.find(c => c.name === CONTAINERS.watcher)!.id;
    const result: WatcherSize = {
        engines,
        pods: size.pods,
        idleCpuShare: [],
        loadCpuShare: [],
        memoryBytes: 0,
        pollSeconds: 0,
        lbWith: [],
        lbWithout: [],
        directWith: [],
        directWithout: [],
    };
    try {
        await sleep(WATCH_SECONDS * 2000); // the start-up's reports and first looks behind it
        for (let r = 0; r < REPS; r++) {
            const idle = await cpuShare(watcher, () => sleep(WINDOW_SECONDS * 1000));
            result.idleCpuShare.push(idle);
            let withWatcher = { lb: NaN, direct: NaN };
            const load = await cpuShare(watcher, async () => (withWatcher = await throughput(cluster, engines)));
            result.loadCpuShare.push(load);
            result.lbWith.push(withWatcher.lb);
            result.directWith.push(withWatcher.direct);
            await docker(["stop", "--time", "5", watcher]);
            const without = await throughput(cluster, engines);
            result.lbWithout.push(without.lb);
            result.directWithout.push(without.direct);
            await docker(["start", watcher]);
            await sleep(WATCH_SECONDS * 2000);
            log(
                `${engines} engines: watcher CPU ${(idle * 100).toFixed(2)} % idle, ${(load * 100).toFixed(2)} % under load; ` +
                    `lb ${withWatcher.lb.toFixed(0)} / ${without.lb.toFixed(0)} tasks/s, direct ${withWatcher.direct.toFixed(0)} / ${without.direct.toFixed(0)} (with / without)`,
            );
        }
        result.memoryBytes = (await cgroup(watcher)).memory;
        const p = await polls(watcher);
        result.pollSeconds = p.seconds / p.polls;
    } finally {
        await cluster.down();
    }
    return result;
}

async function main() {
    const files = parseBenchFiles(process.env, process.argv.slice(2));
    const out = watcherFile(files.results);
    await cleanEngine();
    const result: WatcherResult = {
        date: new Date().toISOString(),
        cores: os.cpus().length,
        watchSeconds: WATCH_SECONDS,
        windowSeconds: WINDOW_SECONDS,
        sizes: [],
    };
    for (const size of SIZES) result.sizes.push(await measureSize(size));
    await removeTestContainers();
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
    log(`wrote ${out}`);
}

runBench(main);
