import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { readPackages } from "../../bench/packages-report";
import { readShapes } from "../../bench/shapes-report";
import { readStacks } from "../../bench/stacks-report";
import { readWatcher } from "../../bench/watcher-report";
import { readEngines } from "../../bench/engines-report";
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
        });
        assert.ok(report.includes("## Starting and supervising engines"));
        assert.ok(report.includes("## Your own packages"));
        assert.ok(report.includes("## 16 engines in three shapes"));
        assert.strictEqual(fs.readFileSync(path.join(ROOT, "BENCHMARKS.md"), "utf8"), report);
    });

    it("a run of the memory case alone reports that case and nothing it did not measure", () => {
        const committed = readResults(path.join(ROOT, "bench", "results.json"));
        const report = renderReport({ ...committed, samples: [], recovery: {}, images: undefined });
        assert.ok(report.includes(MEMORY), report);
        for (const absent of ["## Ready time", "## Throughput", "## Recovery", "## Images", "## Targets"]) assert.ok(!report.includes(absent), absent);
    });
});
