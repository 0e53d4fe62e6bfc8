/**
 * The bench's `memory` case: the controller's memory under a long stream of tasks. One client pushes
 * 100,000 trivial tasks through the controller as one load-balanced map (one task per message, all
 * submitted at once, as `view.map` does), from a container of its own on the host network with the
 * laptop client file, so that its memory is not counted as the controller's. Every 2 s it samples the
 * controller container's memory as its cgroup counts it (what the limit applies to) and the resident
 * memory of the controller's processes; at the end it reads the cgroup's own peak, whether the
 * container was OOM-killed or restarted, and so whether the controller stayed under its limit.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CONTAINERS } from "../lib/names";
import { TEST_LABEL, docker, inspect } from "../testbed/docker-cli";
import { sleep } from "../testbed/time";
import { Deployment } from "../testbed/deploy";
import { python } from "../testbed/python";

const CLIENT = fs.readFileSync(path.join(__dirname, "client.py"), "utf8");
const RSS = fs.readFileSync(path.join(__dirname, "rss.py"), "utf8");
/** The cgroup's peak and current memory in bytes, from cgroup v2 or v1, whichever the engine has. */
const CGROUP_MEMORY =
    "cat /sys/fs/cgroup/memory.peak 2>/dev/null || cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes; " +
    "cat /sys/fs/cgroup/memory.current 2>/dev/null || cat /sys/fs/cgroup/memory/memory.usage_in_bytes";
export const MEMORY_TASKS = 100_000;
const SAMPLE_MS = 2000;

export interface MemoryResult {
    date: string;
    workers: number;
    tasks: number;
    /** The map's own time, in the client. */
    seconds: number;
    /** Every result came back, each the task's. */
    resultsOk: boolean;
    limitBytes: number;
    /** The controller container's peak as its cgroup recorded it (resident memory and page cache). */
    cgroupPeakBytes: number;
    /** The largest sum of the controller's processes' resident memory seen in a sample (pages they share counted in each), and of its largest process. */
    peakRssKb: number;
    peakLargestRssKb: number;
    /** At the end of the run. */
    endRssKb: number;
    samples: number;
    oomKilled: boolean;
    restarts: number;
    underLimit: boolean;
    controller: string[];
    /** What the numbers mean, written by hand into the committed results after a run; rendered as they are. */
    notes?: string[];
}

async function cgroupMemory(container: string): Promise<[number, number]> {
    const [peak, current] = (await docker(["exec", container, "sh", "-c", CGROUP_MEMORY])).stdout.trim().split("\n").map(Number);
    return [peak, current];
}

/** The controller's processes' resident memory: their sum and the largest (the task scheduler, under load), in kB. */
async function controllerRss(container: string): Promise<[number, number]> {
    const rss = (await python(container, RSS, [])).controller.map(([kb]: [number, number]) => kb);
    return [rss.reduce((a: number, b: number) => a + b, 0), Math.max(0, ...rss)];
}

/** Runs the client's stream of `tasks` from a container of its own; resolves with its JSON answer. */
async function streamFromOutside(image: string, clientFile: string, workers: number, tasks: number, runLabel: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ipp-bench-client-"));
    try {
        fs.chmodSync(dir, 0o755);
        fs.writeFileSync(path.join(dir, "client.json"), clientFile, { mode: 0o644 });
        const args = ["run", "--rm", "-i", "--network=host", "--label", `${TEST_LABEL}=${runLabel}`, "-v", `${dir}:/laptop:ro`, "--entrypoint", "python3"];
        const out = await docker([...args, image, "-", "stream", "/laptop/client.json", String(workers), String(tasks)], { input: CLIENT, allowFailure: true });
        if (out.code !== 0) throw new Error(`the streaming client failed: ${out.stderr.slice(-2000)}`);
        return JSON.parse(out.stdout.trim().split("\n").pop()!);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export async function controllerMemory(deployment: Deployment, workers: number, runLabel: string, tasks = MEMORY_TASKS): Promise<MemoryResult> {
    const cluster = deployment.cluster(runLabel);
    try {
        await cluster.up();
        const controller = cluster.frontend!.containers.find(c => c.name === CONTAINERS.controller)!.id;
        const image = deployment.objects.pods[0].inputs.spec.containers[0].image;
        const limitBytes = Number(await inspect(controller, "{{.HostConfig.Memory}}"));
        let done = false;
        let [peakRssKb, peakLargestRssKb, samples] = [0, 0, 0];
        const client = streamFromOutside(image, deployment.run.outputs.laptopClientFile, workers, tasks, runLabel).finally(() => (done = true));
        while (!done) {
            await Promise.race([sleep(SAMPLE_MS), client.catch(() => undefined)]);
            const [sum, main] = await controllerRss(controller).catch(() => [0, 0]);
            [peakRssKb, peakLargestRssKb, samples] = [Math.max(peakRssKb, sum), Math.max(peakLargestRssKb, main), samples + 1];
        }
        const answer = await client;
        const [cgroupPeakBytes] = await cgroupMemory(controller);
        const [endRssKb] = await controllerRss(controller);
        const oomKilled = (await inspect(controller, "{{.State.OOMKilled}}")) === "true";
        const restarts = Number(await inspect(controller, "{{.RestartCount}}"));
        // Still the same controller, answering: the engines' check from inside the frontend.
        const alive = await cluster.waitAnswering(workers, 30);
        return {
            date: new Date().toISOString(),
            workers,
            tasks: answer.tasks,
            seconds: answer.seconds,
            resultsOk: answer.ok,
            limitBytes,
            cgroupPeakBytes,
            peakRssKb,
            peakLargestRssKb,
            endRssKb,
            samples,
            oomKilled,
            restarts,
            underLimit: !oomKilled && restarts === 0 && alive.ok && cgroupPeakBytes < limitBytes,
            controller: deployment.objects.pods[0].inputs.spec.containers[0].args,
        };
    } finally {
        await cluster.down();
    }
}

/** The report's section on it. */
export function renderMemory(m: MemoryResult): string[] {
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
    return [
        "## Controller memory under 100,000 tasks",
        "",
        `One client pushed ${m.tasks.toLocaleString("en")} trivial tasks through the controller as one load-balanced map (one task per ` +
            `message, all submitted at once), from a container of its own, with ${m.workers} workers; measured ${m.date.slice(0, 10)}. ` +
            `The controller's memory was sampled every ${SAMPLE_MS / 1000} s (${m.samples} samples); its cgroup records its own peak.`,
        "",
        "| controller limit | cgroup peak (what the limit counts) | peak resident, sum of its processes / largest | sum at the end | OOM-killed | restarts | under its limit | map time |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        `| ${mib(m.limitBytes)} MiB | ${mib(m.cgroupPeakBytes)} MiB | ${mib(m.peakRssKb * 1024)} / ${mib(m.peakLargestRssKb * 1024)} MiB | ` +
            `${mib(m.endRssKb * 1024)} MiB | ${m.oomKilled ? "yes" : "no"} | ${m.restarts} | ${m.underLimit ? "yes" : "**no**"} | ${m.seconds.toFixed(0)} s |`,
        "",
        `Controller: \`${m.controller.join(" ")}\`. Every result came back right: ${m.resultsOk ? "yes" : "**no**"}.`,
        "",
        ...(m.notes ?? []).flatMap(note => [note, ""]),
    ];
}
