/** The section of BENCHMARKS.md on hundreds of real engines on one machine, from `npm run bench:many`. */
import * as fs from "fs";
import * as path from "path";
import { show, stat } from "./stats";

/** One turn that got every engine answering. */
export interface ManyRun {
    /** From starting the worker pods until every engine answered a direct-view apply to all. */
    readySeconds: number;
    /** CPU until then of the engines, their nannies, fork servers and entrypoints, per engine. */
    startupCpuSecondsPerEngine: number;
    lbTasksPerSecond: number;
    directTasksPerSecond: number;
    /** Over the rest that follows the throughput run: */
    restSeconds: number;
    /** the controller container's CPU, in cores; */
    controllerCpuAtRest: number;
    controllerMemoryBytes: number;
    /** open files of all its processes, and the most of one (the limit is per process); */
    controllerOpenFiles: number;
    controllerMostOpenFilesOfOneProcess: number;
    /** the loopback device's traffic (the host's: heartbeats and the workers' looks, at rest); */
    loopbackBytesPerSecond: number;
    loopbackPacketsPerSecond: number;
    /** the worker pods' memory (cgroup), per engine. */
    workerMemoryBytesPerEngine: number;
}

/** A turn: its figures, or how far it got. */
export type ManySample = ManyRun | { failure: string };

export interface ManyResult {
    date: string;
    commit: string;
    machine: string;
    cores: number;
    pods: number;
    perPod: number;
    restSeconds: number;
    samples: ManySample[];
    /** What the numbers mean, written by hand into the committed results after a run; rendered as they are. */
    notes?: string[];
}

/** Where `npm run bench:many` writes, beside the main results (committed with --record). */
export function manyFile(resultsFile: string): string {
    return path.join(path.dirname(resultsFile), "many.json");
}

export function readMany(resultsFile: string): ManyResult | undefined {
    const file = manyFile(resultsFile);
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined;
}

export function renderMany(r: ManyResult): string[] {
    const engines = r.pods * r.perPod;
    const runs = r.samples.filter((s): s is ManyRun => !("failure" in s));
    const failures = r.samples.filter((s): s is { failure: string } => "failure" in s);
    const row = (what: string, f: (s: ManyRun) => number, digits = 1) => `| ${what} | ${show(stat(runs.map(f)), digits)} |`;
    const floor = (s: ManyRun) => (s.startupCpuSecondsPerEngine * engines) / r.cores;
    return [
        "",
        `## ${engines} engines on one machine`,
        "",
        `Measured ${r.date.slice(0, 10)} at commit ${r.commit} on ${r.machine} by \`npm run bench:many\`: the program's cluster as ` +
            `${r.pods} worker pods × ${r.perPod} engines (forked from each pod's fork server), run as real containers. Ready: from starting ` +
            "the worker pods until every engine has answered a direct-view `apply` to all of them. The floor: the engines' start-up CPU " +
            `(engines, nannies, fork servers and entrypoints until ready) over the machine's ${r.cores} cores. Then throughput, and over ` +
            `${r.restSeconds} s of rest: the controller's CPU, memory and open files, and the traffic on the loopback device, which the containers ` +
            "share (the heartbeats and the workers' looks). Medians, with the range in parentheses." +
            (failures.length ? ` Turns where not every engine answered: ${failures.length} (${failures.map(f => f.failure).join("; ")}).` : ""),
        "",
        "| measure | value |",
        "| --- | --- |",
        row("ready (s)", s => s.readySeconds),
        row("start-up CPU per engine (CPU-s)", s => s.startupCpuSecondsPerEngine, 3),
        row("the floor: start-up CPU × engines / cores (s)", floor),
        row("ready ÷ floor", s => s.readySeconds / floor(s), 2),
        row("load-balanced (tasks/s)", s => s.lbTasksPerSecond, 0),
        row("direct (tasks/s)", s => s.directTasksPerSecond, 0),
        row("controller CPU at rest (% of a core)", s => s.controllerCpuAtRest * 100),
        row("controller memory (MB)", s => s.controllerMemoryBytes / 1e6, 0),
        row("controller open files, all processes", s => s.controllerOpenFiles, 0),
        row("controller open files, the most of one process", s => s.controllerMostOpenFilesOfOneProcess, 0),
        row("loopback traffic at rest (kB/s)", s => s.loopbackBytesPerSecond / 1e3, 0),
        row("loopback packets at rest (per s)", s => s.loopbackPacketsPerSecond, 0),
        row("worker pods' memory per engine (MiB)", s => s.workerMemoryBytesPerEngine / 2 ** 20, 0),
        "",
        ...(r.notes ?? []).flatMap(n => [n, ""]),
    ];
}
