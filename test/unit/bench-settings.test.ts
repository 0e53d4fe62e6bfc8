import * as assert from "assert";
import * as path from "path";
import { BenchSettingsError, RECORDED, SCRATCH_DIR, parseBenchFiles, parseBenchSettings } from "../../bench/settings";

const ROOT = path.resolve(__dirname, "..", "..");
/** A short list of stack settings, so that the messages below do not depend on Pulumi.yaml. */
const SETTINGS = ["target", "workers", "registry", "frontendCpu", "workerMemory"];
const CONFIG_ALLOWED =
    "IPP_BENCH_CONFIG must be a JSON object of string values keyed by stack setting (target, frontendCpu, workerMemory; " +
    'not registry or workers, which the bench sets), such as {"frontendCpu":"1"}';
const SIZES_ALLOWED = "IPP_BENCH_SIZES must be worker counts from 1 to 1000, separated by commas and each at most once, such as 4,16,64";
const VARIANTS_ALLOWED = "IPP_BENCH_VARIANTS must be one or more of ours, baseline, baselineOurFlags, separated by commas and each at most once";

const CASES_ALLOWED = "IPP_BENCH_CASES must be one or more of compare, recovery, images, memory, separated by commas and each at most once";

function errorOf(env: Record<string, string>, argv: string[] = []): string {
    try {
        parseBenchSettings(env, argv, SETTINGS);
    } catch (e) {
        assert.ok(e instanceof BenchSettingsError, `expected a BenchSettingsError, got ${e}`);
        return (e as Error).message;
    }
    assert.fail(`accepted ${JSON.stringify(env)} ${argv.join(" ")}`);
}

/** One test per bad list: the message names the variable, what is allowed, the value and why. */
function refusesLists(variable: string, allowed: string, cases: [string, string][]) {
    for (const [bad, why] of cases) {
        it(`refuses ${JSON.stringify(bad)}`, () => assert.strictEqual(errorOf({ [variable]: bad }), `${allowed}; got ${JSON.stringify(bad)}: ${why}.`));
    }
}

describe("benchmark settings (npm run bench)", () => {
    it("defaults to every size, five repetitions, all three variants, every case, no stack settings, and the scratch folder", () => {
        assert.deepStrictEqual(parseBenchSettings({}, [], SETTINGS), {
            files: {
                record: false,
                results: path.join(ROOT, "bench", "out", "results.json"),
                report: path.join(ROOT, "bench", "out", "BENCHMARKS.md"),
                resultsLink: "results.json",
            },
            sizes: [4, 16, 64],
            reps: 5,
            variants: ["ours", "baseline", "baselineOurFlags"],
            cases: ["compare", "recovery", "images", "memory"],
            stackConfig: {},
        });
        assert.strictEqual(SCRATCH_DIR, path.join(ROOT, "bench", "out"));
    });

    it("reads the stack settings there are from Pulumi.yaml when not told", () => {
        assert.deepStrictEqual(parseBenchSettings({ IPP_BENCH_CONFIG: '{"frontendCpu":"1"}' }, []).stackConfig, { frontendCpu: "1" });
    });

    it("takes what the environment chooses", () => {
        const s = parseBenchSettings(
            {
                IPP_BENCH_SIZES: "2, 8",
                IPP_BENCH_REPS: "1",
                IPP_BENCH_VARIANTS: "baseline,ours",
                IPP_BENCH_CASES: "memory, images",
                IPP_BENCH_CONFIG: '{"frontendCpu":"1","workerMemory":"512Mi"}',
                IPP_BENCH_OUT: "trial",
            },
            [],
            SETTINGS,
        );
        assert.deepStrictEqual(s, {
            files: {
                record: false,
                results: path.resolve("trial", "results.json"),
                report: path.resolve("trial", "BENCHMARKS.md"),
                resultsLink: "results.json",
            },
            sizes: [2, 8],
            reps: 1,
            variants: ["baseline", "ours"],
            cases: ["memory", "images"],
            stackConfig: { frontendCpu: "1", workerMemory: "512Mi" },
        });
    });

    describe("--record", () => {
        it("writes the committed results: bench/results.json and BENCHMARKS.md", () => {
            const files = parseBenchSettings({}, ["--record"], SETTINGS).files;
            assert.deepStrictEqual(files, {
                record: true,
                results: path.join(ROOT, "bench", "results.json"),
                report: path.join(ROOT, "BENCHMARKS.md"),
                resultsLink: "bench/results.json",
            });
            assert.deepStrictEqual({ results: files.results, report: files.report }, RECORDED);
        });
        it("is the same for npm run bench:report, which needs no other setting", () => {
            assert.deepStrictEqual(parseBenchFiles({ IPP_BENCH_SIZES: "not read" }, ["--record"]), parseBenchSettings({}, ["--record"], SETTINGS).files);
            assert.deepStrictEqual(parseBenchFiles({}, []), parseBenchSettings({}, [], SETTINGS).files);
        });
        it("refuses IPP_BENCH_OUT with it", () => {
            assert.strictEqual(
                errorOf({ IPP_BENCH_OUT: "trial" }, ["--record"]),
                'IPP_BENCH_OUT chooses the scratch folder and --record the committed files, so give one or the other; got IPP_BENCH_OUT="trial" with --record.',
            );
        });
        it("refuses any other argument", () => {
            assert.strictEqual(
                errorOf({}, ["--recrod"]),
                'Unknown argument "--recrod": the only one is --record (write bench/results.json and BENCHMARKS.md).',
            );
            assert.throws(() => parseBenchFiles({}, ["record"]), {
                message: 'Unknown argument "record": the only one is --record (write bench/results.json and BENCHMARKS.md).',
            });
        });
    });

    it("refuses an empty IPP_BENCH_OUT", () => {
        assert.strictEqual(errorOf({ IPP_BENCH_OUT: "" }), `IPP_BENCH_OUT must name a folder for a trial run's files; got "".`);
    });

    describe("IPP_BENCH_VARIANTS", () => {
        refusesLists("IPP_BENCH_VARIANTS", VARIANTS_ALLOWED, [
            ["ours,basline", '"basline" is not a variant'],
            ["Ours", '"Ours" is not a variant'],
            ["ours,ours", '"ours" comes twice'],
            ["", "it is empty"],
            ["ours,,baseline", "it has an empty entry"],
        ]);
        it("accepts one variant, and spaces after the commas", () => {
            assert.deepStrictEqual(parseBenchSettings({ IPP_BENCH_VARIANTS: "baselineOurFlags" }, [], SETTINGS).variants, ["baselineOurFlags"]);
            assert.deepStrictEqual(parseBenchSettings({ IPP_BENCH_VARIANTS: "ours, baseline" }, [], SETTINGS).variants, ["ours", "baseline"]);
        });
    });

    describe("IPP_BENCH_CASES", () => {
        refusesLists("IPP_BENCH_CASES", CASES_ALLOWED, [
            ["memroy", '"memroy" is not a case'],
            ["memory,memory", '"memory" comes twice'],
            ["", "it is empty"],
            ["compare,,memory", "it has an empty entry"],
        ]);
        it("runs the memory case alone when asked", () => {
            assert.deepStrictEqual(parseBenchSettings({ IPP_BENCH_CASES: "memory" }, [], SETTINGS).cases, ["memory"]);
        });
        it("must not let part of the bench replace the committed results", () => {
            assert.strictEqual(
                errorOf({ IPP_BENCH_CASES: "memory" }, ["--record"]),
                "IPP_BENCH_CASES chooses part of the bench, and --record would replace the committed results with that part; " +
                    'record every case, or run part of them without --record; got IPP_BENCH_CASES="memory" with --record.',
            );
            assert.deepStrictEqual(parseBenchSettings({ IPP_BENCH_CASES: "compare,recovery,images,memory" }, ["--record"], SETTINGS).cases.length, 4);
        });
    });

    describe("IPP_BENCH_SIZES", () => {
        refusesLists("IPP_BENCH_SIZES", SIZES_ALLOWED, [
            ["0", '"0" is not a whole number from 1 to 1000'],
            ["4,x", '"x" is not a whole number from 1 to 1000'],
            ["-4", '"-4" is not a whole number from 1 to 1000'],
            ["2.5", '"2.5" is not a whole number from 1 to 1000'],
            ["016", '"016" is not a whole number from 1 to 1000'],
            ["1001", '"1001" is not a whole number from 1 to 1000'],
            ["4 16", '"4 16" is not a whole number from 1 to 1000'],
            ["4,4", '"4" comes twice'],
            ["", "it is empty"],
            ["4,,16", "it has an empty entry"],
        ]);
        it("accepts 1 and 1000", () => {
            assert.deepStrictEqual(parseBenchSettings({ IPP_BENCH_SIZES: "1,1000" }, [], SETTINGS).sizes, [1, 1000]);
        });
    });

    describe("IPP_BENCH_REPS", () => {
        for (const bad of ["0", "-1", "1.5", "abc", "", " 3", "1e2"]) {
            it(`refuses ${JSON.stringify(bad)}`, () => {
                assert.strictEqual(
                    errorOf({ IPP_BENCH_REPS: bad }),
                    `IPP_BENCH_REPS must be a whole number from 1 up, the repetitions per case; got ${JSON.stringify(bad)}.`,
                );
            });
        }
    });

    describe("IPP_BENCH_CONFIG", () => {
        for (const [bad, why] of [
            ['{"frontendCpu":"1"', "it is not JSON"],
            ["frontendCpu=1", "it is not JSON"],
            ["", "it is not JSON"],
            ['["frontendCpu"]', "it is not an object"],
            ["null", "it is not an object"],
            ['"frontendCpu"', "it is not an object"],
            ['{"frontendCpu":1}', 'the value of "frontendCpu" is 1, not a string'],
            ['{"frontendCpu":null}', 'the value of "frontendCpu" is null, not a string'],
            ['{"frontendCPU":"1"}', '"frontendCPU" is not one of those settings'],
            ['{"workers":"3"}', '"workers" is not one of those settings'],
            ['{"registry":"localhost:5000"}', '"registry" is not one of those settings'],
        ]) {
            it(`refuses ${JSON.stringify(bad)}`, () => {
                assert.strictEqual(errorOf({ IPP_BENCH_CONFIG: bad }), `${CONFIG_ALLOWED}; got ${JSON.stringify(bad)}: ${why}.`);
            });
        }
    });

    it("reports every problem at once", () => {
        assert.strictEqual(
            errorOf({ IPP_BENCH_SIZES: "4,x", IPP_BENCH_REPS: "0", IPP_BENCH_VARIANTS: "ours,basline", IPP_BENCH_CONFIG: "[]" }, ["--recrod"]),
            [
                "Invalid benchmark settings:",
                '  Unknown argument "--recrod": the only one is --record (write bench/results.json and BENCHMARKS.md).',
                `  ${SIZES_ALLOWED}; got "4,x": "x" is not a whole number from 1 to 1000.`,
                '  IPP_BENCH_REPS must be a whole number from 1 up, the repetitions per case; got "0".',
                `  ${VARIANTS_ALLOWED}; got "ours,basline": "basline" is not a variant.`,
                `  ${CONFIG_ALLOWED}; got "[]": it is not an object.`,
            ].join("\n"),
        );
    });
});
