import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { readPackages } from "../../bench/packages-report";
import { readShapes } from "../../bench/shapes-report";
import { readStacks } from "../../bench/stacks-report";
import { readWatcher } from "../../bench/watcher-report";
import { readEngines } from "../../bench/engines-report";
import { HubTurn, readHub, renderHub } from "../../bench/hub-report";
import { renderReport } from "../../bench/report";

const ROOT = path.resolve(__dirname, "..", "..");
const MEMORY = "## Controller memory under 100,000 tasks";
const readResults = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"), (_k, v) => (v === null ? NaN : v));

describe("the benchmark report (npm run bench:report)", () => {
    it("BENCHMARKS.md's memory section is what the report renders from the committed bench/results.json", () => {
        const committed = readResults(path.join(ROOT, "bench", "results.json"));
        const section = (report: string) => report.slice(report.indexOf(MEMORY), report.indexOf("\n## ", report.indexOf(MEMORY)));
        const report = renderReport({ ...committed, packages: readPackages(path.join(ROOT, "bench", "results.json")) });
        const rendered = section(report);
        assert.ok(rendered.includes("| 2048 MiB |"), rendered);
        assert.strictEqual(section(fs.readFileSync(path.join(ROOT, "BENCHMARKS.md"), "utf8")), rendered);
    });

    it("BENCHMARKS.md as a whole is what `npm run bench:report -- --record` renders, the packages' costs and the worker shapes included", () => {
        const results = path.join(ROOT, "bench", "results.json");
        const report = renderReport({
            ...readResults(results),
            packages: readPackages(results),
            shapes: readShapes(results),
            stacks: readStacks(results),
            engines: readEngines(results),
            watcher: readWatcher(results),
            hub: readHub(results),
        });
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
        assert.ok(lines.includes("A note."));
    });

    it("a run of the memory case alone reports that case and nothing it did not measure", () => {
        const committed = readResults(path.join(ROOT, "bench", "results.json"));
        const report = renderReport({ ...committed, samples: [], recovery: {}, images: undefined });
        assert.ok(report.includes(MEMORY), report);
        for (const absent of ["## Ready time", "## Throughput", "## Recovery", "## Images", "## Targets"]) assert.ok(!report.includes(absent), absent);
    });
});
