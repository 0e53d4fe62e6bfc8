/**
 * Whether each section of BENCHMARKS.md still describes the software: whether what it measures (the
 * images and the pods' specs) changed after the commit that recorded its measurement (the first commit
 * after the measurement that changed its results file: the code of that commit is the code that was
 * measured, committed with or just before its figures). The report says it under every section's
 * heading, so a figure older than the code it describes says so; the unit test that holds
 * BENCHMARKS.md to the rendered report fails when a change makes a section older than the software
 * and the report was not rendered again.
 */
import { execFileSync } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");

/** What every section measures: what runs in the containers, and how the program declares them. */
export const MEASURED_PATHS = ["images", "lib/runtime.ts", "lib/ports.ts", "lib/connection.ts", "lib/k8s", "lib/docker"];

/** When a section was measured, and the results file (under bench/) its figures are recorded in. */
export interface Measured {
    date: string;
    file: string;
}

/** Whether something in `paths` changed after the commit that recorded `measured` (or is changed and not committed yet). */
export type Changed = (measured: Measured, paths: string[]) => boolean;

function git(args: string[]): string[] {
    return execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
}

/** A time as git's --since reads it without guessing (`2026-11-26 02:44:22 +0000`). */
function gitTime(iso: string): string {
    return new Date(iso)
        .toISOString()
        .replace("T", " ")
        .replace(/\.[0-9]+Z$/, " +0000");
}

/**
 * From this repository's history: the commits after the one that recorded the figures (before they
 * are committed: after the measurement), and what is changed in the working tree. A change that is
 * not committed yet counts, so that the report rendered before a commit says what holds after it.
 */
export const gitChanged: Changed = (measured, paths) => {
    const since = `--since=${gitTime(measured.date)}`;
    const [recorded] = git(["log", "--reverse", since, "--format=%H", "--", `bench/${measured.file}`]);
    const committed = git(["log", "-1", "--format=%H", ...(recorded ? [`${recorded}..HEAD`] : [since]), "--", ...paths]);
    return committed.length > 0 || git(["status", "--porcelain", "--", ...paths]).length > 0;
};

/** When each section of the report was measured and where it is recorded, by its heading (without `## `). */
export function sectionDates(r: any): Record<string, Measured | undefined> {
    const at = (date: string | undefined, file: string) => (date ? { date, file } : undefined);
    const main = at(r.date, "results.json");
    return {
        "Ready time": main,
        Throughput: main,
        "Memory after the throughput run": main,
        "Recovery (ours)": main,
        Images: main,
        Targets: main,
        "Controller memory under 100,000 tasks": at(r.memory?.date, "results.json"),
        "Your own packages": at(r.packages?.date, "packages.json"),
        "16 engines in three shapes": at(r.shapes?.date, "shapes.json"),
        "The Python stacks": at(r.stacks?.date, "stacks.json"),
        "The watcher": at(r.watcher?.date, "watcher.json"),
        "Starting and supervising engines": at(r.engines?.date, "engines.json"),
        "How far one controller goes": at(r.hub?.date, "hub.json"),
        ...(r.many ? { [`${r.many.pods * r.many.perPod} engines on one machine`]: at(r.many.date, "many.json") } : {}),
    };
}

/** The line under a section's heading: when it was measured, and whether what it measures changed since. */
export function freshnessLine(measured: Measured, changed: Changed): string {
    const day = measured.date.slice(0, 10);
    if (!changed(measured, MEASURED_PATHS)) return `_Measured ${day}; nothing it measures (the images and the pods' specs) has changed since._`;
    return `_Measured ${day}. **Older than the software:** what it measures (the images and the pods' specs) has changed since; run its bench again to bring it up to date._`;
}

/** The report with the freshness line under every section's heading; a section without a date is refused. */
export function withFreshness(report: string, dates: Record<string, Measured | undefined>, changed: Changed = gitChanged): string {
    return report.replace(/^## (.+)\n\n/gm, (heading, title: string) => {
        const measured = dates[title];
        if (!measured) throw new Error(`BENCHMARKS.md section "${title}" has no date of measurement`);
        return `${heading}${freshnessLine(measured, changed)}\n\n`;
    });
}
