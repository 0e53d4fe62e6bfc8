/** `npm run bench:report`: renders BENCHMARKS.md again from bench/results.json, without measuring. */
import * as fs from "fs";
import { REPORT_FILE, RESULTS_FILE, renderReport } from "./report";

// JSON has no NaN: the missing values that were written as null are read back as NaN.
const results = JSON.parse(fs.readFileSync(RESULTS_FILE, "utf8"), (_k, v) => (v === null ? NaN : v));
fs.writeFileSync(REPORT_FILE, renderReport(results));
