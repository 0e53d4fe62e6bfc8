import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { renderReport } from "../../bench/report";

const ROOT = path.resolve(__dirname, "..", "..");
const MEMORY = "## Controller memory under 100,000 tasks";
const readResults = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"), (_k, v) => (v === null ? NaN : v));

describe("the benchmark report (npm run bench:report)", () => {
    it("BENCHMARKS.md's memory section is what the report renders from the committed bench/results.json", () => {
        const committed = readResults(path.join(ROOT, "bench", "results.json"));
        const section = (report: string) => report.slice(report.indexOf(MEMORY), report.indexOf("\n## ", report.indexOf(MEMORY)));
        const rendered = section(renderReport(committed));
        assert.ok(rendered.includes("| 2048 MiB |"), rendered);
        assert.strictEqual(section(fs.readFileSync(path.join(ROOT, "BENCHMARKS.md"), "utf8")), rendered);
    });

    it("a run of the memory case alone reports that case and nothing it did not measure", () => {
        const committed = readResults(path.join(ROOT, "bench", "results.json"));
        const report = renderReport({ ...committed, samples: [], recovery: {}, images: undefined });
        assert.ok(report.includes(MEMORY), report);
        for (const absent of ["## Ready time", "## Throughput", "## Recovery", "## Images", "## Targets"]) assert.ok(!report.includes(absent), absent);
    });
});
