/** The section of BENCHMARKS.md on worker shapes, from `npm run bench:shapes`. */
import * as fs from "fs";
import * as path from "path";
import { show, stat } from "./stats";

/** The shapes compared, [pods, engines per pod], all 16 engines. */
export const SHAPES: [number, number][] = [
    [16, 1],
    [4, 4],
    [2, 8],
];

export interface ShapeSample {
    pods: number;
    enginesPerPod: number;
    /** From starting the worker pods until every engine answered. */
    readySeconds: number;
    /** CPU until then of the engines, their nannies and the entrypoints, per engine. */
    startupCpuSecondsPerEngine: number;
    /** The worker pods' memory (cgroup) once ready, per engine. */
    memoryMiBPerEngine: number;
}

export interface ShapesResult {
    date: string;
    cores: number;
    engines: number;
    reps: number;
    samples: ShapeSample[];
}

/** Where `npm run bench:shapes` writes, beside the main results (committed with --record). */
export function shapesFile(resultsFile: string): string {
    return path.join(path.dirname(resultsFile), "shapes.json");
}

/** The shapes results beside `resultsFile`, when there are some. */
export function readShapes(resultsFile: string): ShapesResult | undefined {
    const file = shapesFile(resultsFile);
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined;
}

export function renderShapes(r: ShapesResult): string[] {
    const of = (pods: number, perPod: number) => r.samples.filter(s => s.pods === pods && s.enginesPerPod === perPod);
    const rows = SHAPES.map(([pods, perPod]) => {
        const s = of(pods, perPod);
        return `| ${pods} pods × ${perPod} | ${show(stat(s.map(x => x.readySeconds)))} | ${show(stat(s.map(x => x.startupCpuSecondsPerEngine)), 2)} | ${show(stat(s.map(x => x.memoryMiBPerEngine)), 0)} |`;
    });
    const median = (pods: number, perPod: number) => stat(of(pods, perPod).map(x => x.readySeconds)).median;
    const [one, four, eight] = SHAPES.map(([p, e]) => median(p, e));
    return [
        "",
        `## ${r.engines} engines in three shapes`,
        "",
        `Measured ${r.date.slice(0, 10)} by \`npm run bench:shapes\` on ${r.cores} cores, ${r.reps} interleaved turns after one unrecorded warm-up: ` +
            `from starting the worker pods until all ${r.engines} engines answer (\`enginesPerWorker\`).`,
        "",
        "| shape | ready (s) | start-up CPU per engine (s) | worker memory per engine (MiB) |",
        "| --- | --- | --- | --- |",
        ...rows,
        "",
        `4 × 4 is ready in ${(four / one).toFixed(2)} × the time of 16 × 1, and 2 × 8 in ${(eight / one).toFixed(2)} ×. ` +
            "The start-up CPU counts the engines and, in each pod, the worker entrypoint (every engine's nanny) and, with more than one " +
            "engine, its fork server; on this machine every shape shares the same two cores, so the time follows the CPU. The memory is " +
            "each pod's cgroup, in which the pages forked engines share with their server count once.",
        "",
    ];
}
