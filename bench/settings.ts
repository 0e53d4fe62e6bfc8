/**
 * What `npm run bench` and `npm run bench:report` do, read from the environment and the command line
 * and checked before anything starts: every problem names the variable, the value and what is allowed.
 *
 *   IPP_BENCH_SIZES      worker counts, such as 4,16,64 (the default)
 *   IPP_BENCH_REPS       repetitions per case (default 5; at most 1 for 64 workers and more)
 *   IPP_BENCH_CASES      what it measures, from compare (ready time, throughput and memory of each variant
 *                        and size), recovery, images and memory (100,000 tasks through one client);
 *                        default all four
 *   IPP_BENCH_VARIANTS   which variants compare runs, from ours, baseline and baselineOurFlags (default all three)
 *   IPP_BENCH_CONFIG     stack settings for our cluster besides registry and workers, as a JSON object
 *                        of strings, such as {"frontendCpu":"1"}
 *   IPP_BENCH_OUT        the scratch folder (default bench/out)
 *   --record             write the committed results instead: bench/results.json and BENCHMARKS.md
 */
import * as path from "path";
import { readSchema } from "../lib/config";
import { MAX_WORKERS } from "../lib/groups";

export const VARIANTS = ["ours", "baseline", "baselineOurFlags"] as const;
export type Variant = (typeof VARIANTS)[number];
export const CASES = ["compare", "recovery", "images", "memory"] as const;
export type Case = (typeof CASES)[number];

const ROOT = path.resolve(__dirname, "..");
/** The committed results, written only with --record. */
export const RECORDED = { results: path.join(ROOT, "bench", "results.json"), report: path.join(ROOT, "BENCHMARKS.md") };
/** Where a run goes unless IPP_BENCH_OUT says otherwise (ignored by git). */
export const SCRATCH_DIR = path.join(ROOT, "bench", "out");
export const RECORD_FLAG = "--record";

const DEFAULTS = { sizes: "4,16,64", reps: "5", variants: VARIANTS.join(","), cases: CASES.join(",") };
/** Stack settings the bench sets itself for every case. */
const SET_BY_BENCH = ["registry", "workers"];

export interface BenchFiles {
    /** True with --record: the committed files. */
    record: boolean;
    results: string;
    report: string;
    /** The results file as the report links to it, relative to the report. */
    resultsLink: string;
}

export interface BenchSettings {
    files: BenchFiles;
    sizes: number[];
    reps: number;
    variants: Variant[];
    cases: Case[];
    stackConfig: Record<string, string>;
}

/** Thrown with every problem found, so that one round fixes them all. */
export class BenchSettingsError extends Error {
    constructor(readonly problems: string[]) {
        super(problems.length === 1 ? problems[0] : `Invalid benchmark settings:\n  ${problems.join("\n  ")}`);
        this.name = "BenchSettingsError";
    }
}

type Env = Record<string, string | undefined>;
const shown = (value: string) => JSON.stringify(value);

/** The command line and IPP_BENCH_OUT: where results are read and written. */
function files(env: Env, argv: string[], problems: string[]): BenchFiles {
    const unknown = argv.filter(a => a !== RECORD_FLAG);
    for (const a of unknown) {
        problems.push(`Unknown argument ${shown(a)}: the only one is ${RECORD_FLAG} (write bench/results.json and BENCHMARKS.md).`);
    }
    const record = argv.includes(RECORD_FLAG);
    const out = env.IPP_BENCH_OUT;
    if (out !== undefined && out.trim() === "") problems.push(`IPP_BENCH_OUT must name a folder for a trial run's files; got ${shown(out)}.`);
    if (out !== undefined && record) {
        problems.push(
            `IPP_BENCH_OUT chooses the scratch folder and ${RECORD_FLAG} the committed files, so give one or the other; got IPP_BENCH_OUT=${shown(out)} with ${RECORD_FLAG}.`,
        );
    }
    const chosen = record ? RECORDED : { results: path.resolve(out || SCRATCH_DIR, "results.json"), report: path.resolve(out || SCRATCH_DIR, "BENCHMARKS.md") };
    const resultsLink = path.relative(path.dirname(chosen.report), chosen.results).split(path.sep).join("/");
    return { record, ...chosen, resultsLink };
}

/** The entries of a comma-separated list, without the spaces around them. */
const entries = (value: string) => value.split(",").map(s => s.trim());

/** What is wrong with a comma-separated list, if anything: an empty or a bad entry, or one that comes twice. */
function listProblem(value: string, isGood: (entry: string) => boolean, what: string): string | undefined {
    const list = entries(value);
    if (value.trim() === "") return "it is empty";
    if (list.includes("")) return "it has an empty entry";
    const bad = list.find(x => !isGood(x));
    if (bad !== undefined) return `${shown(bad)} is not ${what}`;
    const twice = list.find((x, i) => list.indexOf(x) !== i);
    if (twice !== undefined) return `${shown(twice)} comes twice`;
    return undefined;
}

function sizes(value: string, problems: string[]): number[] {
    const why = listProblem(value, s => /^[1-9][0-9]*$/.test(s) && Number(s) <= MAX_WORKERS, `a whole number from 1 to ${MAX_WORKERS}`);
    if (why) {
        problems.push(
            `IPP_BENCH_SIZES must be worker counts from 1 to ${MAX_WORKERS}, separated by commas and each at most once, ` +
                `such as ${DEFAULTS.sizes}; got ${shown(value)}: ${why}.`,
        );
    }
    return entries(value).map(Number);
}

function reps(value: string, problems: string[]): number {
    if (!/^[1-9][0-9]*$/.test(value)) problems.push(`IPP_BENCH_REPS must be a whole number from 1 up, the repetitions per case; got ${shown(value)}.`);
    return Number(value);
}

function variants(value: string, problems: string[]): Variant[] {
    const why = listProblem(value, v => (VARIANTS as readonly string[]).includes(v), "a variant");
    if (why) {
        problems.push(
            `IPP_BENCH_VARIANTS must be one or more of ${VARIANTS.join(", ")}, separated by commas and each at most once; got ${shown(value)}: ${why}.`,
        );
    }
    return entries(value) as Variant[];
}

function cases(value: string, problems: string[]): Case[] {
    const why = listProblem(value, c => (CASES as readonly string[]).includes(c), "a case");
    if (why)
        problems.push(`IPP_BENCH_CASES must be one or more of ${CASES.join(", ")}, separated by commas and each at most once; got ${shown(value)}: ${why}.`);
    return entries(value) as Case[];
}

function stackConfig(value: string, settingNames: string[], problems: string[]): Record<string, string> {
    const keys = settingNames.filter(k => !SET_BY_BENCH.includes(k));
    const allowed =
        `IPP_BENCH_CONFIG must be a JSON object of string values keyed by stack setting (${keys.join(", ")}; ` +
        `not ${SET_BY_BENCH.join(" or ")}, which the bench sets), such as {"frontendCpu":"1"}`;
    let parsed: unknown;
    try {
        parsed = JSON.parse(value);
    } catch {
        problems.push(`${allowed}; got ${shown(value)}: it is not JSON.`);
        return {};
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        problems.push(`${allowed}; got ${shown(value)}: it is not an object.`);
        return {};
    }
    const pairs = Object.entries(parsed);
    const why =
        pairs.filter(([k]) => !keys.includes(k)).map(([k]) => `${shown(k)} is not one of those settings`)[0] ??
        pairs.filter(([, v]) => typeof v !== "string").map(([k, v]) => `the value of ${shown(k)} is ${JSON.stringify(v)}, not a string`)[0];
    if (why) problems.push(`${allowed}; got ${shown(value)}: ${why}.`);
    return parsed as Record<string, string>;
}

/** Where `npm run bench:report` reads and writes; only the command line and IPP_BENCH_OUT matter to it. */
export function parseBenchFiles(env: Env, argv: string[]): BenchFiles {
    const problems: string[] = [];
    const result = files(env, argv, problems);
    if (problems.length) throw new BenchSettingsError(problems);
    return result;
}

/**
 * Everything `npm run bench` runs and where it writes; throws a BenchSettingsError with every problem.
 * `settingNames`: the stack settings there are (Pulumi.yaml declares them).
 */
export function parseBenchSettings(env: Env, argv: string[], settingNames = Object.keys(readSchema())): BenchSettings {
    const problems: string[] = [];
    const result: BenchSettings = {
        files: files(env, argv, problems),
        sizes: sizes(env.IPP_BENCH_SIZES ?? DEFAULTS.sizes, problems),
        reps: reps(env.IPP_BENCH_REPS ?? DEFAULTS.reps, problems),
        variants: variants(env.IPP_BENCH_VARIANTS ?? DEFAULTS.variants, problems),
        cases: cases(env.IPP_BENCH_CASES ?? DEFAULTS.cases, problems),
        stackConfig: stackConfig(env.IPP_BENCH_CONFIG ?? "{}", settingNames, problems),
    };
    if (result.files.record && env.IPP_BENCH_CASES !== undefined && result.cases.length < CASES.length) {
        problems.push(
            `IPP_BENCH_CASES chooses part of the bench, and ${RECORD_FLAG} would replace the committed results with that part; ` +
                `record every case, or run part of them without ${RECORD_FLAG}; got IPP_BENCH_CASES=${shown(env.IPP_BENCH_CASES)} with ${RECORD_FLAG}.`,
        );
    }
    if (problems.length) throw new BenchSettingsError(problems);
    return result;
}

/** Runs a benchmark's `main`: bad settings end it with their message and status 2, anything else with its stack and 1. */
export function runBench(main: () => Promise<void>) {
    main().catch(e => {
        if (e instanceof BenchSettingsError) {
            console.error(e.message);
            process.exit(2);
        }
        console.error(e);
        process.exit(1);
    });
}
