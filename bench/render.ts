/**
 * `npm run bench:report`: renders the report again from the raw results, without measuring, in the
 * place `npm run bench` writes: the scratch folder (bench/out, or IPP_BENCH_OUT), or with `-- --record`
 * the committed bench/results.json into BENCHMARKS.md.
 */
import * as fs from "fs";
import { renderReport } from "./report";
import { readPackages } from "./packages-report";
import { readShapes } from "./shapes-report";
import { readStacks } from "./stacks-report";
import { readEngines } from "./engines-report";
import { readWatcher } from "./watcher-report";
import { readHub } from "./hub-report";
import { readMany } from "./many-report";
import { BenchSettingsError, parseBenchFiles } from "./settings";
import { sectionDates, withFreshness } from "./freshness";

/** The main results and every other bench's, as the report reads them (JSON has no NaN: nulls are read back as NaN). */
export function readAllResults(resultsFile: string): any {
    const results = JSON.parse(fs.readFileSync(resultsFile, "utf8"), (_k, v) => (v === null ? NaN : v));
    return {
        ...results,
        packages: readPackages(resultsFile),
        shapes: readShapes(resultsFile),
        stacks: readStacks(resultsFile),
        engines: readEngines(resultsFile),
        watcher: readWatcher(resultsFile),
        hub: readHub(resultsFile),
        many: readMany(resultsFile),
    };
}

/** BENCHMARKS.md from every result, each section saying when it was measured and whether the software changed since. */
export function renderAll(results: any, resultsLink?: string): string {
    return withFreshness(renderReport(results, resultsLink), sectionDates(results));
}

function main() {
    const files = parseBenchFiles(process.env, process.argv.slice(2));
    if (!fs.existsSync(files.results)) {
        console.error(`No results at ${files.results}: run \`npm run bench\` first, or \`npm run bench:report -- --record\` to render the committed ones.`);
        process.exit(2);
    }
    fs.writeFileSync(files.report, renderAll(readAllResults(files.results), files.resultsLink));
    console.log(`[bench] rendered ${files.report} from ${files.results}`);
}

if (require.main === module) {
    try {
        main();
    } catch (e) {
        if (!(e instanceof BenchSettingsError)) throw e;
        console.error(e.message);
        process.exit(2);
    }
}
