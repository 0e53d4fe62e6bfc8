/** `npm run bench:report`: renders BENCHMARKS.md again from bench/results.json, without measuring. */
import * as fs from "fs";
import * as path from "path";
import { renderReport } from "./report";

const results = JSON.parse(fs.readFileSync(path.join(__dirname, "results.json"), "utf8"), (_k, v) => (v === null ? NaN : v));
fs.writeFileSync(path.join(__dirname, "..", "BENCHMARKS.md"), renderReport(results));
