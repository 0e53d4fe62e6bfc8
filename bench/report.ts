/**
 * Renders the raw results as the report (BENCHMARKS.md): medians with their spread, ratios to the baseline,
 * and each target with whether this run met it and by how much.
 */
import type { Sample } from "./samples";
import type { Variant } from "./settings";
import { renderMemory } from "./memory";
import { renderPackages } from "./packages-report";
import { renderShapes } from "./shapes-report";
import { renderStacks } from "./stacks-report";
import { renderEngines } from "./engines-report";
import { renderWatcher } from "./watcher-report";
import { renderHub } from "./hub-report";
import { renderMany } from "./many-report";
import { Stat, show, stat } from "./stats";

/** a / b to two places, or a dash when either is missing. */
function ratio(a: number, b: number): string {
    return Number.isFinite(a / b) ? (a / b).toFixed(2) : "–";
}

function verdict(met: boolean, by: string): string {
    return met ? `met (${by})` : `**missed** (${by})`;
}

/** `resultsLink`: the raw numbers as the report links to them (bench/settings.ts says where they are). */
export function renderReport(r: any, resultsLink = "bench/results.json"): string {
    const samples: Sample[] = r.samples;
    const sizes: number[] = [...new Set(samples.map(s => s.workers))];
    const pick = (variant: Variant, workers: number, f: (s: Sample) => number) =>
        stat(
            samples
                .filter(s => s.variant === variant && s.workers === workers)
                .map(f)
                .filter(Number.isFinite),
        );
    const lines: string[] = [];
    const out = (...l: string[]) => lines.push(...l);

    out(
        "# Benchmarks",
        "",
        `Measured ${r.date.slice(0, 10)} by \`npm run bench\` on ${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memoryGiB} GiB,`,
        `Linux ${r.machine.kernel}; one Docker engine, host networking. Raw numbers: [${resultsLink}](${resultsLink}).`,
        `Each cell: median (min–max, n runs). ${r.settings.tasks} tasks per throughput run.`,
        "",
        "**Ours** runs the program's declared pods as containers, exactly as the integration test does (controller",
        "Pod first, then N worker pods started together). **Baseline** is ipyparallel's own way in the same",
        "image and on the same clock: one container, `ipcontroller`, then N `ipengine` processes, default",
        "settings. **Baseline, our flags** is the same with our controller and engine flags",
        `(\`${r.settings.controller.filter((a: string) => a !== "--reuse").join(" ")}\`;`,
        `\`${r.settings.engine.filter((a: string) => !a.startsWith("--file=") && !a.startsWith("--keyfile=")).join(" ")}\`),`,
        "so the gain from settings and from packaging show separately. The cases take turns (ours, baseline,",
        "baseline with our flags, then again); one unrecorded run of ours comes first, to warm the page cache.",
        "",
    );
    // A run of some cases only (IPP_BENCH_CASES) reports those.
    if (samples.length) compareSections(samples, sizes, pick, r.machine.cores, out);
    if (Object.keys(r.recovery ?? {}).length) {
        out(
            "## Recovery (ours)",
            "",
            "Seconds from the event until every engine answers again.",
            "",
            "| workers | frontend restart | lost worker (killed, replacement started) |",
            "| --- | --- | --- |",
        );
        for (const [n, rec] of Object.entries<any>(r.recovery)) out(`| ${n} | ${show(stat(rec.frontendRestart))} | ${show(stat(rec.lostWorker))} |`);
        out("");
    }
    const im = r.images;
    const mb = (b: number) => (b / 1e6).toFixed(1);
    if (im) {
        out(
            "## Images",
            "",
            "| image | size (MB) | added on top of base (MB) |",
            "| --- | --- | --- |",
            `| base | ${mb(im.sizes.base)} | – |`,
            `| frontend (with the notebook server) | ${mb(im.sizes.frontend)} | ${mb(im.addedByFrontend)} |`,
            `| worker | ${mb(im.sizes.worker)} | ${mb(im.addedByWorker)} |`,
            "",
            "| rebuild | build (s) | push (s) |",
            "| --- | --- | --- |",
            `| all three, nothing changed | ${show(stat(im.noChange.build), 2)} | ${show(stat(im.noChange.push), 2)} |`,
            `| worker, after changing only its entrypoint | ${show(stat(im.workerChange.build), 2)} | ${show(stat(im.workerChange.push), 2)} |`,
            "",
        );
    }
    if (r.memory) out(...renderMemory(r.memory));
    if (r.packages) out(...renderPackages(r.packages));
    if (r.shapes) out(...renderShapes(r.shapes));
    if (r.stacks) out(...renderStacks(r.stacks));
    if (r.watcher) out(...renderWatcher(r.watcher));
    if (r.hub) out(...renderHub(r.hub));
    if (r.many) out(...renderMany(r.many));
    if (r.engines) out(...renderEngines(r.engines, samples));
    if (samples.length || im) targetSections(sizes, pick, im, r.machine.cores, out);
    out(`The whole run took ${(r.benchSeconds / 60).toFixed(1)} minutes.`, "");
    return lines.join("\n");
}

type Pick = (variant: Variant, workers: number, f: (s: Sample) => number) => Stat;
type Out = (...l: string[]) => void;

/** Ready time, throughput, what bounds it, and memory after the throughput run, by variant and size. */
function compareSections(samples: Sample[], sizes: number[], pick: Pick, cores: number, out: Out) {
    out(
        "## Ready time",
        "",
        "From launching the engines (controller already up) to every engine answering the seed's `Hello, World`.",
        "",
        "| workers | ours (s) | baseline (s) | baseline, our flags (s) | ours / baseline | start-up CPU per worker, ours / baseline (s) |",
        "| --- | --- | --- | --- | --- | --- |",
    );
    for (const n of sizes) {
        const ours = pick("ours", n, s => s.readySeconds);
        const base = pick("baseline", n, s => s.readySeconds);
        out(
            `| ${n} | ${show(ours)} | ${show(base)} | ${show(pick("baselineOurFlags", n, s => s.readySeconds))} | ` +
                `${ratio(ours.median, base.median)} | ${show(
                    pick("ours", n, s => s.startupCpuSecondsPerWorker),
                    2,
                )} / ` +
                `${show(
                    pick("baseline", n, s => s.startupCpuSecondsPerWorker),
                    2,
                )} |`,
        );
    }

    const failures = samples.filter(s => s.failure);
    if (failures.length) {
        out("", "Cases in which not every engine answered (counted as failures, left out of the medians):", "");
        for (const f of failures) out(`- ${f.variant}, ${f.workers} workers: ${f.failure}.`);
    }

    out(
        "",
        "## Throughput",
        "",
        "Trivial tasks per second: a load-balanced view (`map`, one task per message) and a direct view (`apply` to all engines).",
        "",
    );
    out(
        "| workers | load-balanced, ours | load-balanced, baseline | ratio | direct, ours | direct, baseline | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    );
    for (const n of sizes) {
        const lo = pick("ours", n, s => s.lbTasksPerSecond);
        const lb = pick("baseline", n, s => s.lbTasksPerSecond);
        const dO = pick("ours", n, s => s.directTasksPerSecond);
        const dB = pick("baseline", n, s => s.directTasksPerSecond);
        out(`| ${n} | ${show(lo, 0)} | ${show(lb, 0)} | ${ratio(lo.median, lb.median)} | ${show(dO, 0)} | ${show(dB, 0)} | ${ratio(dO.median, dB.median)} |`);
    }

    out(
        "",
        "What bounds these rates: every party is a Python process on the same cores. CPU milliseconds per task over the",
        "throughput run (both kinds of view), by party, and the rate that this CPU allows on all cores together:",
        "",
        "| workers | variant | client | controller | engines | total | rate the CPU allows (tasks/s) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    );
    for (const n of sizes) {
        for (const v of ["ours", "baseline"] as Variant[]) {
            const part = (k: "client" | "controller" | "engines") => pick(v, n, s => s.cpuMsPerTask?.[k] ?? NaN).median;
            const [c, k, e] = [part("client"), part("controller"), part("engines")];
            if (![c, k, e].every(Number.isFinite)) continue;
            out(
                `| ${n} | ${v} | ${c.toFixed(2)} | ${k.toFixed(2)} | ${e.toFixed(2)} | ${(c + k + e).toFixed(2)} | ${((1000 * cores) / (c + k + e)).toFixed(0)} |`,
            );
        }
    }

    out(
        "",
        "## Memory after the throughput run",
        "",
        "Resident memory in MiB. Controller: its main process, and with the 8 processes it forks. Per engine: engine plus its nanny.",
        "",
    );
    out(
        "| workers | controller main, ours / baseline | controller total, ours / baseline | per engine, ours / baseline | worker entrypoint, ours |",
        "| --- | --- | --- | --- | --- |",
    );
    const mib = (kb: number) => (Number.isFinite(kb) ? (kb / 1024).toFixed(0) : "–");
    for (const n of sizes) {
        const m = (v: Variant, f: (s: Sample) => number) => mib(pick(v, n, f).median);
        out(
            `| ${n} | ${m("ours", s => s.controllerMainRssKb)} / ${m("baseline", s => s.controllerMainRssKb)} | ` +
                `${m("ours", s => s.controllerRssKb)} / ${m("baseline", s => s.controllerRssKb)} | ` +
                `${m("ours", s => s.engineRssKb)} / ${m("baseline", s => s.engineRssKb)} | ${m("ours", s => s.supervisorRssKb ?? 0)} |`,
        );
    }

    out("");
}

/** The targets this run met or missed, for what it measured. */
function targetSections(sizes: number[], pick: Pick, im: any, cores: number, out: Out) {
    const mb = (b: number) => (b / 1e6).toFixed(1);
    out("## Targets", "", "| target | this run |", "| --- | --- |");
    const at = (n: number) => sizes.includes(n);
    if (at(16)) {
        const base = pick("baseline", 16, s => s.readySeconds).median;
        const ours = pick("ours", 16, s => s.readySeconds).median;
        const cpu = pick("ours", 16, s => s.startupCpuSecondsPerWorker).median;
        const floor = (16 * cpu) / cores;
        const flags = pick("baselineOurFlags", 16, s => s.readySeconds).median;
        const by = `${(ours / base).toFixed(2)} ×: ${ours.toFixed(1)} s against a goal of ${(0.75 * base).toFixed(1)} s`;
        out(
            `| ready time ≤ 0.75 × baseline at 16 workers | ${verdict(ours <= 0.75 * base, by)}. Our settings alone give ` +
                `${(flags / base).toFixed(2)} × (baseline, our flags); the other ${(ours - flags).toFixed(1)} s are the packaging: ` +
                `16 containers started at once by one Docker engine on the same ${cores} cores. The engines' own start-up CPU ` +
                `(${cpu.toFixed(2)} s per worker: engine, its nanny, and our entrypoint) puts the floor at ${floor.toFixed(1)} s |`,
        );
    }
    for (const n of sizes) {
        for (const [what, f] of [
            ["load-balanced", (s: Sample) => s.lbTasksPerSecond],
            ["direct", (s: Sample) => s.directTasksPerSecond],
        ] as const) {
            const r = pick("ours", n, f).median / pick("baseline", n, f).median;
            if (!Number.isFinite(r)) {
                out(`| ${what} throughput ≥ 1.0 × baseline (aim 1.5) at ${n} workers | not comparable: a side never had all engines |`);
                continue;
            }
            out(`| ${what} throughput ≥ 1.0 × baseline (aim 1.5) at ${n} workers | ${verdict(r >= 1.0, `${r.toFixed(2)} ×`)} |`);
        }
    }
    if (im) {
        out(
            `| worker layer ≤ 1 MB on top of base | ${verdict(im.addedByWorker <= 1e6, `${mb(im.addedByWorker)} MB`)} |`,
            `| no-change rebuild ≤ 2 s (build) | ${verdict(stat(im.noChange.build).median <= 2, `${stat(im.noChange.build).median.toFixed(2)} s; push ${stat(im.noChange.push).median.toFixed(2)} s`)} |`,
        );
    }
    out("");
    const n0 = sizes[0];
    const share = (k: "client" | "controller" | "engines") => pick("ours", n0, s => s.cpuMsPerTask?.[k] ?? NaN).median;
    const all = share("client") + share("controller") + share("engines");
    if (Number.isFinite(all)) {
        out(
            `The aim of 1.5 × throughput is out of reach of controller settings: with ${n0} workers the controller used ` +
                `${share("controller").toFixed(2)} of the ${all.toFixed(2)} CPU milliseconds each task cost, so even a controller that ` +
                `cost nothing would raise the rate at most ${(all / (all - share("controller"))).toFixed(2)} × on these shared cores; ` +
                "the client and the engines are ipyparallel's own code, the same on both sides.",
            "",
        );
    }
}
