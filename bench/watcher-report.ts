/** The section of BENCHMARKS.md on the watcher's cost, from `npm run bench:watcher`. */
import * as fs from "fs";
import * as path from "path";
import { show, stat } from "./stats";

/** One cluster size: the watcher's CPU while the engines idle and while tasks run, and the throughput with and without it. */
export interface WatcherSize {
    engines: number;
    pods: number;
    /** The watcher's CPU, as a share of one core, over windows of idle engines. */
    idleCpuShare: number[];
    /** The same over a throughput run. */
    loadCpuShare: number[];
    /** The watcher container's memory (bytes), after the runs. */
    memoryBytes: number;
    /** Seconds per look at the controller, as the watcher counts them (its poll seconds over its polls). */
    pollSeconds: number;
    /** Load-balanced and direct tasks per second, interleaved: with the watcher running, and with it stopped. */
    lbWith: number[];
    lbWithout: number[];
    directWith: number[];
    directWithout: number[];
}

export interface WatcherResult {
    date: string;
    cores: number;
    watchSeconds: number;
    windowSeconds: number;
    sizes: WatcherSize[];
}

/** The watcher's CPU target, as a share of one core at its default interval. */
export const CPU_TARGET_SHARE = 0.05;

export function watcherFile(resultsFile: string): string {
    return path.join(path.dirname(resultsFile), "watcher.json");
}

export function readWatcher(resultsFile: string): WatcherResult | undefined {
    const file = watcherFile(resultsFile);
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined;
}

const pct = (xs: number[]) => show(stat(xs.map(x => x * 100)), 2, " %");

export function renderWatcher(r: WatcherResult): string[] {
    const row = (what: string, f: (s: WatcherSize) => string) => `| ${what} | ${r.sizes.map(f).join(" | ")} |`;
    const met = (s: WatcherSize) => (Math.max(...s.idleCpuShare, ...s.loadCpuShare) < CPU_TARGET_SHARE ? "met" : "**missed**");
    return [
        "",
        "## The watcher",
        "",
        `Measured ${r.date.slice(0, 10)} by \`npm run bench:watcher\` on ${r.cores} cores, the watcher asking the controller every ` +
            `${r.watchSeconds} s (the default): its container's CPU time over windows of ${r.windowSeconds} s while the engines idle, and ` +
            "over each throughput run; then the throughput (as in the sections above) with the watcher running and with its container " +
            "stopped, interleaved. Medians, with the range in parentheses.",
        "",
        `| | ${r.sizes.map(s => `${s.engines} engines (${s.pods} pods)`).join(" | ")} |`,
        `| --- | ${r.sizes.map(() => "---").join(" | ")} |`,
        row(`watcher CPU, engines idle (% of a core; target < ${CPU_TARGET_SHARE * 100} %)`, s => `${pct(s.idleCpuShare)} (${met(s)})`),
        row("watcher CPU, tasks running (% of a core)", s => pct(s.loadCpuShare)),
        row("one look at the controller (ms)", s => (s.pollSeconds * 1000).toFixed(1)),
        row("watcher memory (MB)", s => (s.memoryBytes / 1e6).toFixed(0)),
        row("load-balanced tasks/s, with / without", s => `${show(stat(s.lbWith), 0)} / ${show(stat(s.lbWithout), 0)}`),
        row("direct tasks/s, with / without", s => `${show(stat(s.directWith), 0)} / ${show(stat(s.directWithout), 0)}`),
        "",
    ];
}
