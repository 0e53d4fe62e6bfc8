import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { HubTurn, renderHub } from "../../bench/hub-report";
import { ManyRun, renderMany } from "../../bench/many-report";
import { renderReport } from "../../bench/report";
import { readAllResults, renderAll } from "../../bench/render";
import { Changed, freshnessLine, gitChanged, withFreshness } from "../../bench/freshness";

const ROOT = path.resolve(__dirname, "..", "..");
const MEMORY = "## Controller memory under 100,000 tasks";
const readResults = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"), (_k, v) => (v === null ? NaN : v));

describe("the benchmark report (npm run bench:report)", () => {
    it("BENCHMARKS.md's memory section is what the report renders from the committed bench/results.json", () => {
        const section = (report: string) => report.slice(report.indexOf(MEMORY), report.indexOf("\n## ", report.indexOf(MEMORY)));
        const report = renderAll(readAllResults(path.join(ROOT, "bench", "results.json")));
        const rendered = section(report);
        assert.ok(rendered.includes("| 2048 MiB |"), rendered);
        assert.strictEqual(section(fs.readFileSync(path.join(ROOT, "BENCHMARKS.md"), "utf8")), rendered);
    });

    it("BENCHMARKS.md as a whole is what `npm run bench:report -- --record` renders, each section saying whether the software changed since it was measured", () => {
        const report = renderAll(readAllResults(path.join(ROOT, "bench", "results.json")));
        assert.ok(report.includes("## Starting and supervising engines"));
        assert.ok(report.includes("## How far one controller goes"));
        assert.ok(report.includes("## Your own packages"));
        assert.ok(report.includes("## 16 engines in three shapes"));
        assert.strictEqual(fs.readFileSync(path.join(ROOT, "BENCHMARKS.md"), "utf8"), report);
    });

    it("the controller's section: medians per size and settings, and the turns in which the hub never listed them all", () => {
        const hub = { heartbeatMs: 1000, heartbeatMisses: 8, registrationSeconds: 120 };
        const turn = (engines: number, registerSeconds: number | null, registered: number): HubTurn => ({
            engines,
            variant: "today",
            hub,
            registerSeconds,
            registered,
            registeredEnd: registered,
            purged: engines - registered,
            lateBeats: engines - registered,
            lateBeatsAtRest: 0,
            dropped: 0,
            restCpuSeconds: 0.03 * engines * 30e-3,
            restSeconds: 30,
            memoryBytes: 100e6,
        });
        const lines = renderHub({
            date: "2026-12-05T15:00:00Z",
            commit: "abc1234",
            machine: "2 × CPU, 24 GiB",
            restSeconds: 30,
            perProcess: 2500,
            turns: [turn(1000, 3, 1000), turn(9000, null, 8990), turn(1000, 5, 1000), turn(9000, 80, 9000)],
            notes: ["A note."],
        });
        const row = (engines: string) => lines.find(l => l.startsWith(`| ${engines} |`)) ?? "";
        assert.ok(lines.some(l => l.includes("Measured 2026-12-05 at commit abc1234 on 2 × CPU, 24 GiB")));
        assert.ok(row("1,000").startsWith("| 1,000 | today: 1000 ms × 8, 120 s | 4.0 (3.0–5.0, n=2) | 1000 (1000–1000, n=2) | 0 (0–0, n=2) |"), row("1,000"));
        assert.ok(row("1,000").includes("| 30.0 (30.0–30.0, n=2) |"), row("1,000"));
        assert.ok(
            row("9,000").includes("| 80.0 (n=1); never all in 1 of 2 | 8995 (8990–9000, n=2) | 5 (0–10, n=2) | 5 (0–10, n=2) | 0 (0–0, n=2) |"),
            row("9,000"),
        );
        assert.ok(row("1,000").endsWith("| — | — |"), "turns that did not measure the questions show a dash");
        assert.ok(lines.includes("A note."));
        const asked = (all: number, own: number) => ({
            all: { questions: 200, seconds: 1, hubCpuMs: all },
            own: { questions: 200, seconds: 1, hubCpuMs: own },
        });
        const withQuestions = renderHub({
            date: "2026-12-05T15:00:00Z",
            commit: "abc1234",
            machine: "2 × CPU, 24 GiB",
            restSeconds: 30,
            perProcess: 2500,
            turns: [
                { ...turn(5000, 17, 5000), questions: asked(3, 0.5) },
                { ...turn(5000, 18, 5000), questions: asked(2.8, 0.7) },
            ],
        });
        assert.ok(withQuestions.find(l => l.startsWith("| 5,000 |"))!.endsWith("| 2.90 (2.80–3.00, n=2) | 0.60 (0.50–0.70, n=2) |"));
    });

    it("the many-engines section: medians, the floor from the start-up CPU, and the turns that did not get every engine answering", () => {
        const run = (readySeconds: number, startup: number): ManyRun => ({
            readySeconds,
            startupCpuSecondsPerEngine: startup,
            lbTasksPerSecond: 300,
            directTasksPerSecond: 500,
            restSeconds: 30,
            controllerCpuAtRest: 0.05,
            controllerMemoryBytes: 350e6,
            controllerOpenFiles: 4600,
            controllerMostOpenFilesOfOneProcess: 1080,
            loopbackBytesPerSecond: 250e3,
            loopbackPacketsPerSecond: 3000,
            workerMemoryBytesPerEngine: 25 * 2 ** 20,
        });
        const lines = renderMany({
            date: "2026-12-05T17:00:00Z",
            commit: "abc1234",
            machine: "2 × CPU, 24 GiB",
            cores: 2,
            pods: 64,
            perPod: 8,
            restSeconds: 30,
            samples: [run(40, 0.1), { failure: "fewer than 512 engines answered within 300 s; 500 registered" }, run(60, 0.2)],
        });
        const row = (what: string) => lines.find(l => l.startsWith(`| ${what} |`)) ?? "";
        assert.ok(lines.includes("## 512 engines on one machine"));
        assert.strictEqual(row("ready (s)"), "| ready (s) | 50.0 (40.0–60.0, n=2) |");
        // 0.1 × 512 / 2 = 25.6 s and 0.2 × 512 / 2 = 51.2 s; 40 / 25.6 = 1.56, 60 / 51.2 = 1.17
        assert.strictEqual(row("the floor: start-up CPU × engines / cores (s)"), "| the floor: start-up CPU × engines / cores (s) | 38.4 (25.6–51.2, n=2) |");
        assert.strictEqual(row("ready ÷ floor"), "| ready ÷ floor | 1.37 (1.17–1.56, n=2) |");
        assert.ok(lines.some(l => l.includes("Turns where not every engine answered: 1 (fewer than 512 engines answered within 300 s; 500 registered).")));
    });

    it("a run of the memory case alone reports that case and nothing it did not measure", () => {
        const committed = readResults(path.join(ROOT, "bench", "results.json"));
        const report = renderReport({ ...committed, samples: [], recovery: {}, images: undefined });
        assert.ok(report.includes(MEMORY), report);
        for (const absent of ["## Ready time", "## Throughput", "## Recovery", "## Images", "## Targets"]) assert.ok(!report.includes(absent), absent);
    });

    it("says under every heading when the section was measured, and calls it older than the software after a change to what it measures", () => {
        const calls: [string, string[]][] = [];
        const changed: Changed = (m, paths) => (calls.push([m.file, paths]), m.date < "2026-12-01");
        const dates = { Old: { date: "2026-11-26T02:44:22Z", file: "results.json" }, New: { date: "2026-12-05T10:00:00Z", file: "watcher.json" } };
        const report = withFreshness("# B\n\n## Old\n\ntext\n\n## New\n\nmore\n", dates, changed);
        assert.strictEqual(
            report,
            "# B\n\n## Old\n\n" +
                "_Measured 2026-11-26. **Older than the software:** what it measures (the images and the pods' specs) has changed since; run its bench again to bring it up to date._\n\ntext\n\n" +
                "## New\n\n_Measured 2026-12-05; nothing it measures (the images and the pods' specs) has changed since._\n\nmore\n",
        );
        assert.deepStrictEqual(
            calls.map(c => c[0]),
            ["results.json", "watcher.json"],
        );
        assert.ok(calls.every(([, paths]) => paths.includes("images") && paths.includes("lib/k8s")));
        assert.throws(() => withFreshness("## Undated\n\nx\n", {}, changed), /section "Undated" has no date of measurement/);
    });

    it("finds in this repository's history whether the images changed after the commit that recorded a measurement", () => {
        assert.strictEqual(gitChanged({ date: "2026-11-20T00:00:00Z", file: "results.json" }, ["images"]), true);
        const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
        assert.strictEqual(gitChanged({ date: tomorrow, file: "results.json" }, ["Pulumi.yaml"]), false);
        assert.match(freshnessLine({ date: "2026-11-20T00:00:00Z", file: "results.json" }, gitChanged), /Older than the software/);
    });
});
