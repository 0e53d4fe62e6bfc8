/**
 * `npm run bench:broadcast`: whether clusters past 100 engines need a deeper broadcast scheduler.
 * For 16 and 128 engines (2 and 16 pods of 8), the seconds per call of a no-op on every engine,
 * through the direct view and through the broadcast view (ipyparallel's default tree: depth 1, two
 * leaf schedulers), ROUNDS interleaved calls each. Prints the medians and ranges and writes
 * bench/out/broadcast.json.
 *
 *   IPP_BENCH_ROUNDS  calls per view (default 20)
 */
import * as fs from "fs";
import * as path from "path";
import { REGISTRY, removeTestContainers } from "../testbed/docker-cli";
import { cleanEngine, deploy } from "../testbed/deploy";
import { CLIENT_FILE } from "../lib/names";
import { client, readyController } from "./measure";
import { show, stat } from "./stats";

const ROUNDS = Number(process.env.IPP_BENCH_ROUNDS ?? 20);
const PODS = [2, 16];
const PER_POD = 8;
const LABEL = "bench-broadcast";

async function main() {
    await cleanEngine();
    const results: Record<string, { direct_s: number[]; broadcast_s: number[] }> = {};
    for (const pods of PODS) {
        const deployment = await deploy({ registry: REGISTRY, workers: String(pods), enginesPerWorker: String(PER_POD), workerMemory: "2Gi" });
        const cluster = deployment.cluster(LABEL);
        const engines = pods * PER_POD;
        try {
            const controller = await readyController(cluster);
            await cluster.startWorkers();
            const answer = await client(controller, ["broadcast", CLIENT_FILE, String(engines), String(ROUNDS)]);
            if (answer.error) throw new Error(`${engines} engines: ${answer.error}`);
            results[String(engines)] = answer;
            const ms = (xs: number[]) => show(stat(xs.map(x => x * 1000)), 1);
            console.log(
                `[bench:broadcast] ${engines} engines (${pods} pods × ${PER_POD}): ms per call to all, direct ${ms(answer.direct_s)}, broadcast ${ms(answer.broadcast_s)}`,
            );
        } finally {
            await cluster.down();
        }
    }
    const file = path.join(__dirname, "out", "broadcast.json");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), rounds: ROUNDS, results }, null, 2) + "\n");
    console.log(`[bench:broadcast] wrote ${file}`);
    await removeTestContainers();
}

main().catch(e => {
    console.error(e);
    process.exit(1);
});
