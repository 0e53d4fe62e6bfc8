/** The section of BENCHMARKS.md on what your own packages cost, from `npm run bench:packages`. */
import * as fs from "fs";
import * as path from "path";
import { show, stat } from "./stats";

export interface PackagesResult {
    date: string;
    sizes: Record<"plain" | "science", Record<"base" | "frontend" | "worker", number>>;
    baseBuildWithPackagesSeconds: number;
    noChangeRebuildSeconds: number[];
    startupCpuSecondsPerWorker: Record<"plain" | "science", number[]>;
}

/** Where `npm run bench:packages` writes, beside the main results (committed with --record). */
export function packagesFile(resultsFile: string): string {
    return path.join(path.dirname(resultsFile), "packages.json");
}

/** The packages results beside `resultsFile`, when there are some. */
export function readPackages(resultsFile: string): PackagesResult | undefined {
    const file = packagesFile(resultsFile);
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined;
}

/** A median with its spread, to two places, as the rest of the report shows them. */
export const spread = (xs: number[], digits = 2) => show(stat(xs), digits);

export function renderPackages(p: PackagesResult): string[] {
    const mb = (b: number) => (b / 1e6).toFixed(1);
    const row = (what: string, s: PackagesResult["sizes"]["plain"]) => `| ${what} | ${mb(s.base)} | ${mb(s.frontend)} | ${mb(s.worker)} |`;
    const plain = stat(p.startupCpuSecondsPerWorker.plain).median;
    const science = stat(p.startupCpuSecondsPerWorker.science).median;
    return [
        "",
        "## Your own packages",
        "",
        `Measured ${p.date.slice(0, 10)} by \`npm run bench:packages\`, 4 workers, on the same machine.`,
        "",
        "| images | base (MB) | frontend (MB) | worker (MB) |",
        "| --- | --- | --- | --- |",
        row("no packages", p.sizes.plain),
        row("`aptPackages: [python3-numpy, python3-scipy]`", p.sizes.science),
        "",
        "| cost | seconds |",
        "| --- | --- |",
        `| base rebuild when the two packages are added (the layers below them cached) | ${p.baseBuildWithPackagesSeconds.toFixed(1)} |`,
        `| no-change rebuild of all three images, with the packages | ${spread(p.noChangeRebuildSeconds)} |`,
        `| start-up CPU per worker (engine, nanny, entrypoint), no packages | ${spread(p.startupCpuSecondsPerWorker.plain)} |`,
        `| start-up CPU per worker, with numpy and scipy present | ${spread(p.startupCpuSecondsPerWorker.science)} |`,
        "",
        `Start-up CPU does not grow with the packages (${science.toFixed(2)} s against ${plain.toFixed(2)} s): engines import numpy only when a task uses it. ` +
            "The no-change rebuild stays within its 2 s target. These start-up figures count CPU until every worker is Ready, on a loaded 2-core machine, so they are not comparable with the ready-time table's figure above.",
        "",
    ];
}
