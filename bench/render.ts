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
import { BenchSettingsError, parseBenchFiles } from "./settings";

function main() {
    const files = parseBenchFiles(process.env, process.argv.slice(2));
    if (!fs.existsSync(files.results)) {
        console.error(`No results at ${files.results}: run \`npm run bench\` first, or \`npm run bench:report -- --record\` to render the committed ones.`);
        process.exit(2);
    }
    // JSON has no NaN: the missing values that were written as null are read back as NaN.
    const results = JSON.parse(fs.readFileSync(files.results, "utf8"), (_k, v) => (v === null ? NaN : v));
    results.packages = readPackages(files.results);
    results.shapes = readShapes(files.results);
    results.stacks = readStacks(files.results);
    results.engines = readEngines(files.results);
    results.watcher = readWatcher(files.results);
    results.hub = readHub(files.results);
    fs.writeFileSync(files.report, renderReport(results, files.resultsLink));
    console.log(`[bench] rendered ${files.report} from ${files.results}`);
}

try {
    main();
} catch (e) {
    if (!(e instanceof BenchSettingsError)) throw e;
    console.error(e.message);
    process.exit(2);
}
