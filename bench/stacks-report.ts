/** The section of BENCHMARKS.md on the two Python stacks, from `npm run bench:stacks`. */
import * as fs from "fs";
import * as path from "path";
import type { Sample } from "./samples";
import { show, stat } from "./stats";

export interface StackResult {
    stack: string;
    ipyparallel: string;
    python: string;
    /** Bytes of each image, as `docker image inspect` gives them. */
    sizes: Record<"base" | "frontend" | "worker", number>;
    /** Seconds of each image's build without the build cache. */
    coldBuild: Record<"base" | "frontend" | "worker", number>;
    /** Seconds of all three builds when nothing changed (the build cache), and of their pushes. */
    noChangeBuild: number;
    noChangePush: number;
    /** Starts of the same engines, interleaved: ours and stock. */
    ours: Sample[];
    stock: Sample[];
}

export interface StacksResult {
    date: string;
    cores: number;
    engines: number;
    reps: number;
    stacks: StackResult[];
}

/** The no-change rebuild's target, in seconds. */
export const NO_CHANGE_TARGET_SECONDS = 2;

/** Where `npm run bench:stacks` writes, beside the main results (committed with --record). */
export function stacksFile(resultsFile: string): string {
    return path.join(path.dirname(resultsFile), "stacks.json");
}

export function readStacks(resultsFile: string): StacksResult | undefined {
    const file = stacksFile(resultsFile);
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined;
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(0);
/** Ours and stock: medians with their range. */
const both = (s: StackResult, f: (x: Sample) => number, digits: number) => `${show(stat(s.ours.map(f)), digits)} / ${show(stat(s.stock.map(f)), digits)}`;
const s1 = (seconds: number) => seconds.toFixed(1);

export function renderStacks(r: StacksResult): string[] {
    const cols = r.stacks;
    const row = (what: string, f: (s: StackResult) => string) => `| ${what} | ${cols.map(f).join(" | ")} |`;
    const kinds = ["base", "frontend", "worker"] as const;
    const met = (s: StackResult) => (s.noChangeBuild <= NO_CHANGE_TARGET_SECONDS ? "met" : "**missed**");
    return [
        "",
        "## The Python stacks",
        "",
        `Measured ${r.date.slice(0, 10)} by \`npm run bench:stacks\` on ${r.cores} cores: the images of each stack built once again with ` +
            `nothing changed, then once without the build cache; then ${r.reps} interleaved turns of ${r.engines} engines (${r.engines} pods × 1) ` +
            "started, ours against ipyparallel's own `ipcontroller` and `ipengine` of the same version in the same image (stock), as in the " +
            "sections above: medians, with the range in parentheses.",
        "",
        `| | ${cols.map(s => `${s.stack} (ipyparallel ${s.ipyparallel}, Python ${s.python})`).join(" | ")} |`,
        `| --- | ${cols.map(() => "---").join(" | ")} |`,
        ...kinds.map(k => row(`${k} image (MB)`, s => mb(s.sizes[k]))),
        ...kinds.map(k => row(`${k} build, no cache (s)`, s => s1(s.coldBuild[k]))),
        row(`no-change rebuild, all three (s; target ≤ ${NO_CHANGE_TARGET_SECONDS})`, s => `${s1(s.noChangeBuild)} (${met(s)}), push ${s1(s.noChangePush)}`),
        row(`ready, ${r.engines} engines, ours / stock (s)`, s => both(s, x => x.readySeconds, 1)),
        row("start-up CPU per engine, ours / stock (s)", s => both(s, x => x.startupCpuSecondsPerWorker, 2)),
        row("load-balanced tasks/s, ours / stock", s => both(s, x => x.lbTasksPerSecond, 0)),
        row("direct tasks/s, ours / stock", s => both(s, x => x.directTasksPerSecond, 0)),
        "",
        "The pypi stack's images are larger: they hold JupyterLab and Notebook 7 with their dependencies in every image (one environment " +
            "everywhere), and its cold build downloads every wheel from PyPI. The builds are one run each.",
        "",
    ];
}
