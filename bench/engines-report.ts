/** The section of BENCHMARKS.md on starting and supervising engines, from `npm run bench:engines`. */
import * as fs from "fs";
import * as path from "path";
import type { Sample } from "./samples";
import { Stat, show, stat } from "./stats";

export interface EnginesResult {
    date: string;
    cores: number;
    reps: number;
    /** Ours (one engine per pod) and the stock baseline at 4 and 16 engines (`workers` counts engines). */
    samples: Sample[];
    /** Ours with engines packed to a pod (1 × 4 and 2 × 8), forked from the pod's fork server. */
    packed: Sample[];
    /** Seconds until every engine answers again, 16 engines (one per pod). */
    recovery: { frontendRestart: number[]; lostWorker: number[] };
    /** The same, 2 pods × 8 engines. */
    packedRecovery: { frontendRestart: number[]; lostWorker: number[] };
    /** When the recovery figures were measured, if apart from the rest (`--recovery`). */
    recoveryMeasured?: { date: string; commit: string; machine: string; reps: number };
    /** 128 engines, once each. */
    large: (Sample & { shape: string })[];
}

/** Where `npm run bench:engines` writes, beside the main results (committed with --record). */
export function enginesFile(resultsFile: string): string {
    return path.join(path.dirname(resultsFile), "engines.json");
}

export function readEngines(resultsFile: string): EnginesResult | undefined {
    const file = enginesFile(resultsFile);
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8"), (_k, v) => (v === null ? NaN : v)) : undefined;
}

const verdict = (met: boolean, by: string) => (met ? `met (${by})` : `**missed** (${by})`);

/**
 * `before`: the main results' samples (measured before the worker was the engines' nanny), for the
 * throughput that must not fall.
 */
export function renderEngines(r: EnginesResult, before: Sample[] = []): string[] {
    const pick = (samples: Sample[], variant: string, n: number, f: (s: Sample) => number): Stat =>
        stat(
            samples
                .filter(s => s.variant === variant && s.workers === n && !s.failure)
                .map(f)
                .filter(Number.isFinite),
        );
    const packed = r.packed ?? [];
    const packedRecovery = r.packedRecovery ?? { frontendRestart: [], lostWorker: [] };
    const row = (n: number, what: string, f: (s: Sample) => number, digits = 1) =>
        `| ${what}, ${n} engines | ${show(pick(r.samples, "ours", n, f), digits)} | ${show(pick(packed, "ours", n, f), digits)} | ` +
        `${show(pick(r.samples, "baseline", n, f), digits)} |`;
    const base16 = pick(r.samples, "baseline", 16, s => s.readySeconds).median;
    const shapes = [
        { name: "one engine per pod (16 × 1)", samples: r.samples, restart: stat(r.recovery.frontendRestart) },
        { name: "packed (2 × 8)", samples: packed, restart: stat(packedRecovery.frontendRestart) },
    ];
    const ready16 = (samples: Sample[]) => pick(samples, "ours", 16, s => s.readySeconds).median;
    const cpu16 = (samples: Sample[]) => pick(samples, "ours", 16, s => s.startupCpuSecondsPerWorker).median;
    const large = (variant: string) => r.large.find(s => s.variant === variant);
    const largeCell = (s?: Sample & { shape: string }) =>
        !s ? "not run" : s.failure ? `${s.shape}: ${s.failure}` : `${s.shape}: all ${s.workers} answering after ${s.readySeconds.toFixed(1)} s`;
    const measured = r.recoveryMeasured;
    const lb16 = pick(r.samples, "ours", 16, s => s.lbTasksPerSecond).median;
    const stockLb16 = pick(r.samples, "baseline", 16, s => s.lbTasksPerSecond).median;
    const party = (k: "client" | "controller" | "engines") => pick(r.samples, "ours", 16, s => s.cpuMsPerTask?.[k] ?? NaN).median;
    const taskCpu = { client: party("client"), controller: party("controller"), engines: party("engines") };
    /** Ours, one engine per pod, against the stock baseline in the same run: not lower. */
    const againstStock = (n: number) => {
        const lb = (v: string) => pick(r.samples, v, n, s => s.lbTasksPerSecond).median;
        const direct = (v: string) => pick(r.samples, v, n, s => s.directTasksPerSecond).median;
        const by = `load-balanced ${lb("ours").toFixed(0)}/s against ${lb("baseline").toFixed(0)}/s, direct ${direct("ours").toFixed(0)}/s against ${direct("baseline").toFixed(0)}/s`;
        return `| throughput at ${n} engines not lower than the stock baseline's (medians; the spreads are in the table) | ${verdict(lb("ours") >= lb("baseline") && direct("ours") >= direct("baseline"), by)} |`;
    };
    const mark = measured ? " ¹" : "";
    const throughput = (n: number, kind: "lbTasksPerSecond" | "directTasksPerSecond", name: string) => {
        const now = pick(r.samples, "ours", n, s => s[kind]).median;
        const then = pick(before, "ours", n, s => s[kind]).median;
        if (!Number.isFinite(then)) return `| ${name} throughput at ${n} engines not lower than before | not comparable: no earlier figure |`;
        return `| ${name} throughput at ${n} engines not lower than before (${then.toFixed(0)}/s) | ${verdict(now >= then, `${now.toFixed(0)}/s`)} |`;
    };
    return [
        "",
        "## Starting and supervising engines",
        "",
        `Measured ${r.date.slice(0, 10)} by \`npm run bench:engines\` on ${r.cores} cores, ${r.reps} interleaved turns after one unrecorded warm-up, ` +
            "with the worker entrypoint as every engine's nanny (no second Python process per engine) and, in pods of several engines, " +
            "the engines forked from one process that has imported them, against ipyparallel's own " +
            "`ipcontroller` and N `ipengine` with default settings in the same image. Sections that say they are older than the software were measured before those changes.",
        "",
        "| | ours, one engine per pod | ours, packed 4 or 8 to a pod (1 × 4, 2 × 8) | stock baseline |",
        "| --- | --- | --- | --- |",
        ...[4, 16].flatMap(n => [
            row(n, "ready (s)", s => s.readySeconds),
            row(n, "start-up CPU per engine (s)", s => s.startupCpuSecondsPerWorker, 2),
            row(n, "load-balanced tasks/s", s => s.lbTasksPerSecond, 0),
            row(n, "direct tasks/s", s => s.directTasksPerSecond, 0),
        ]),
        `| controller restarted, 16 engines: all answering again (s)${mark} | ${show(shapes[0].restart)} | ${show(shapes[1].restart)} | – |`,
        `| a worker pod lost, 16 engines: all answering again (s)${mark} | ${show(stat(r.recovery.lostWorker))} | ${show(stat(packedRecovery.lostWorker))} | – |`,
        `| 128 engines | ${largeCell(large("ours"))} | | ${largeCell(large("baseline"))} |`,
        "",
        "| target | this run |",
        "| --- | --- |",
        ...shapes.flatMap(({ name, samples, restart }) => [
            `| ${name}: ready time at 16 engines ≤ 0.75 × the stock baseline | ${verdict(ready16(samples) <= 0.75 * base16, `${(ready16(samples) / base16).toFixed(2)} ×: ${ready16(samples).toFixed(1)} s against ${base16.toFixed(1)} s`)} |`,
            `| ${name}: all 16 engines answering after a controller restart ≤ 8 s${mark} | ${verdict(restart.median <= 8, `${restart.median.toFixed(1)} s`)} |`,
            `| ${name}: start-up CPU per engine ≤ 0.8 s | ${verdict(cpu16(samples) <= 0.8, `${cpu16(samples).toFixed(2)} s at 16 engines`)} |`,
        ]),
        ...[4, 16].flatMap(n => [throughput(n, "lbTasksPerSecond", "load-balanced"), throughput(n, "directTasksPerSecond", "direct")]),
        ...[4, 16].map(n => againstStock(n)),
        `| stretch: load-balanced throughput at 16 engines ≥ 1.5 × the stock baseline | ${verdict(lb16 >= 1.5 * stockLb16, `${(lb16 / stockLb16).toFixed(2)} ×: ${lb16.toFixed(0)}/s against ${stockLb16.toFixed(0)}/s`)} |`,
        ...(measured ? ["", recoveryNote(measured)] : []),
        "",
        "What bounds them. " +
            (cpu16(r.samples) <= 0.8 ? STARTUP_NOW : STARTUP_BEFORE) +
            " " +
            (shapes.every(x => x.restart.median <= 8) ? RESTART_NOW : RESTART_BEFORE) +
            " " +
            throughputBound(r.cores, taskCpu, lb16, stockLb16) +
            " Throughput figures on this machine spread by ±20 % between turns (see above), so a difference of a few per cent is not a change.",
        "",
    ];
}

/** The sentence on what bounds the load-balanced throughput: the CPU each task costs the three parties on shared cores. */
function throughputBound(cores: number, cpu: { client: number; controller: number; engines: number }, lb: number, stock: number): string {
    const total = cpu.client + cpu.controller + cpu.engines;
    const ceiling = (cores * 1000) / total;
    return (
        `Throughput: at 16 engines (one per pod) a task costs the client ${cpu.client.toFixed(2)} ms of CPU, the controller ` +
        `${cpu.controller.toFixed(2)} and the engines ${cpu.engines.toFixed(2)} (medians over the throughput runs, load-balanced and direct ` +
        `together), ${total.toFixed(1)} ms in all, and the three share ${cores} cores: no arrangement of them passes about ` +
        `${ceiling.toFixed(0)} tasks/s here, so 1.5 × the stock baseline's load-balanced ${stock.toFixed(0)}/s ` +
        `(${(1.5 * stock).toFixed(0)}/s) is ${1.5 * stock > ceiling ? "out of reach on this machine" : "within that bound"}; ours ran at ${lb.toFixed(0)}/s.`
    );
}

/** The recovery rows' own date, commit and machine, when `--recovery` measured them apart from the rest. */
function recoveryNote(m: NonNullable<EnginesResult["recoveryMeasured"]>): string {
    return (
        `¹ Measured ${m.date.slice(0, 10)} at commit ${m.commit} on ${m.machine} by \`npm run bench:engines -- --recovery\`, ` +
        `n=${m.reps} per shape and drill, with the worker asking a restarted controller to take its running engines back; ` +
        "the rest of the table is from the date above."
    );
}

/** What bounded a one-engine pod's start-up CPU before the Python stack and the worker changes of 2026-12 (2026-11-28). */
const STARTUP_BEFORE =
    "One engine per pod: each pod still starts one Python interpreter that imports ipyparallel, IPython and ipykernel (about " +
    "1 CPU-second here), so that shape's start-up CPU per engine stays above 0.8 s; a fork server there would only add a second " +
    "interpreter (measured: 0.45 CPU-s more per pod), so a pod of one engine has none.";

/** The same since (measured in the worker image on 2026-12-05, `python3 -X importtime`, n=6). */
const STARTUP_NOW =
    "One engine per pod, start-up CPU met: two thirds of it is the imports every engine makes (everything an engine imports " +
    "costs 0.27 CPU-s in the worker image, 0.265–0.301 over 6 runs, against 0.03 for a bare interpreter; the largest, by " +
    "`-X importtime`, ipyparallel.client.asyncresult, 105 ms with what it pulls in, and debugpy, 49 ms, through ipykernel's debugger); " +
    "a fork server there would only add a second interpreter (measured: 0.45 CPU-s more per pod), so a pod of one engine has none.";

/** Where a controller restart's seconds went, before the worker took its engines back (traced on 2026-11-28). */
const RESTART_BEFORE =
    "A controller restart: traced once with 2 × 8 (all answering after 8.3 s), the restarted frontend took 2.9 s until the " +
    "controller's heartbeat was up (`docker restart` of the pod's two containers, then ipcontroller's own start); the workers " +
    "noticed the new controller on their next question (a question left unanswered takes 2 s, then 1 s of waiting), killed " +
    "their engines and forked new ones, which registered between 6.0 and 8.0 s (the hub takes new hearts once per 1 s " +
    "heartbeat period); the drill's checker, a new Python process in the restarted container, answered at 8.3 s. With one " +
    "engine per pod, 16 new interpreters on the same 2 cores add about 4 s more.";

/** The same since (the trace `npm run bench:engines -- --recovery` logs for each restart, 2026-12-05, all six alike within 0.2 s). */
const RESTART_NOW =
    "A controller restart, met in both shapes: traced by `npm run bench:engines -- --recovery` on 2026-12-05 in each of six restarts, the controller container was started again " +
    "after 0.2–0.3 s and ipcontroller's heart monitor beat from 0.8–1.1 s; the workers saw the controller listen again at " +
    "0.5–0.9 s (their connection to its registration port reconnects every 100 ms) and asked it to take their running engines " +
    "back at 0.8–1.1 s, each under its id, one request per engine on one connection per pod; no engine was restarted. The hub " +
    "finishes those registrations when its heart monitor hands it the engines' hearts, two 1 s heartbeat periods after it " +
    "started (2.9–3.1 s), and every engine answered the drill's checker at 3.1–3.3 s. What is left is ipcontroller's own " +
    "start (about 0.7 s) and those two heartbeat periods: a shorter `--ping` would shorten them. Before the take-back (the same " +
    "`--recovery` run at commit 4ad5410, the same day, n=3), when the workers killed and started again every engine: 6.1 s " +
    "(6.0–8.3) with one engine per pod, 4.3 s (3.7–4.3) packed.";
