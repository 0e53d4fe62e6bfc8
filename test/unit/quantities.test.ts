import * as assert from "assert";
import { cpuCores, cpuShares, memoryBytes, memoryMiB } from "../../lib/quantities";

describe("resource quantities (lib/quantities.ts)", () => {
    it("reads CPU as cores, and nothing else as a CPU", () => {
        assert.deepStrictEqual(["500m", "1", "2.5", "0.125"].map(cpuCores), [0.5, 1, 2.5, 0.125]);
        for (const bad of ["lots", "1.2345", "-1", "1Gi", ""]) assert.ok(Number.isNaN(cpuCores(bad)), bad);
    });
    it("reads memory in binary and decimal units", () => {
        assert.deepStrictEqual(["128Mi", "2Gi", "1G", "512", "1.5Ki"].map(memoryBytes), [134217728, 2147483648, 1e9, 512, 1536]);
        assert.ok(Number.isNaN(memoryBytes("2GB")));
    });
    it("turns them into Docker's CPU weight and mebibytes", () => {
        assert.deepStrictEqual(["1500m", "1", "1m"].map(cpuShares), [1536, 1024, 2]);
        assert.deepStrictEqual(["768Mi", "2Gi"].map(memoryMiB), [768, 2048]);
    });
});
