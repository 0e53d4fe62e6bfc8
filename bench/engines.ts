/**
 * `npm run bench:engines`: what starting and supervising engines costs, ours (the worker entrypoint
 * as every engine's nanny) against ipyparallel's own processes in the same image (`ipcontroller`,
 * then N `ipengine`, default settings), on a real Docker engine with the images the program builds:
 *   - at 4 and 16 engines, in interleaved turns: ready time, start-up CPU per engine, throughput
 *     (load-balanced and direct), ours in two shapes: one engine per pod (the default) and engines
 *     packed PACKED to a pod (1 × 4 and 2 × 8), where engines fork from their pod's fork server;
 *   - at 16 engines, both shapes: the controller restarted, until every engine answers again (and a
 *     lost worker);
 *   - 128 engines, once each: ours as 16 pods × 8 engines, and the stock baseline.
 * Writes engines.json beside the main results (bench/out/, or with --record bench/), which
 * `npm run bench:report` renders into BENCHMARKS.md.
 *
 *   IPP_BENCH_REPS  turns (default 3)
 *   --record        write bench/engines.json instead of bench/out/engines.json
 *   --recovery      measure the recovery drills only, keeping the other figures of the engines.json
 *                   it writes (its recovery figures then carry their own date and commit)
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REGISTRY, removeTestContainers } from "../testbed/docker-cli";
import { Deployment, cleanEngine, deploy } from "../testbed/deploy";
import { parseBenchFiles } from "./settings";
import { baselineOnce, oursOnce, recovery } from "./compare";
import { Sample } from "./samples";
import { EnginesResult, enginesFile, readEngines } from "./engines-report";
import { machine, measuredCommit } from "./provenance";

const REPS = Number(process.env.IPP_BENCH_REPS ?? 3);
const SIZES = [4, 16];
/** Engines per pod in the packed shape (fewer when there are fewer engines). */
const PACKED = 8;
const RECOVERY_FLAG = "--recovery";

function log(message: string) {
    console.log(`[bench:engines] ${message}`);
}

function describe(s: Sample): string {
    if (s.failure) return `${s.variant} N=${s.workers}: ${s.failure}`;
    return (
        `${s.variant} N=${s.workers}: ready ${s.readySeconds.toFixed(1)} s, start-up CPU ${s.startupCpuSecondsPerWorker.toFixed(2)} s/engine, ` +
        `lb ${s.lbTasksPerSecond.toFixed(0)}/s, direct ${s.directTasksPerSecond.toFixed(0)}/s`
    );
}

async function main() {
    const args = process.argv.slice(2);
    const recoveryOnly = args.includes(RECOVERY_FLAG);
    const files = parseBenchFiles(
        process.env,
        args.filter(a => a !== RECOVERY_FLAG),
    );
    const out = enginesFile(files.results);
    await cleanEngine();
    const declare = (config: Record<string, string>) => deploy({ registry: REGISTRY, ...config });
    const bySize = new Map<number, Deployment>();
    const packedBySize = new Map<number, Deployment>();
    for (const n of recoveryOnly ? [16] : SIZES) {
        bySize.set(n, await declare({ workers: String(n) }));
        const perPod = Math.min(n, PACKED);
        packedBySize.set(n, await declare({ workers: String(n / perPod), enginesPerWorker: String(perPod), workerMemory: "2Gi" }));
    }
    const earlier = recoveryOnly ? readEngines(files.results) : undefined;
    if (recoveryOnly && !earlier) throw new Error(`${RECOVERY_FLAG} keeps the other figures of ${out}, and there is none: run it whole first`);
    const result: EnginesResult = earlier ?? {
        date: new Date().toISOString(),
        cores: os.cpus().length,
        reps: REPS,
        samples: [],
        packed: [],
        recovery: { frontendRestart: [], lostWorker: [] },
        packedRecovery: { frontendRestart: [], lostWorker: [] },
        large: [],
    };
    const save = () => {
        fs.mkdirSync(path.dirname(out), { recursive: true });
        fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
    };

    if (recoveryOnly) {
        result.recovery = { frontendRestart: [], lostWorker: [] };
        result.packedRecovery = { frontendRestart: [], lostWorker: [] };
        result.recoveryMeasured = { date: new Date().toISOString(), commit: measuredCommit(), machine: machine(), reps: REPS };
        await recovery(bySize.get(16)!, REPS, result.recovery, save);
        await recovery(packedBySize.get(16)!, REPS, result.packedRecovery, save);
        await removeTestContainers();
        log(`wrote ${out}`);
        return;
    }
    const image = bySize.get(4)!.objects.pods[0].inputs.spec.containers[0].image;
    log(`warm-up (not recorded): ${describe(await oursOnce(bySize.get(4)!))}`);
    for (let r = 0; r < REPS; r++) {
        for (const n of SIZES) {
            for (const sample of [await oursOnce(bySize.get(n)!), await baselineOnce(image, n, false)]) {
                result.samples.push(sample);
                log(describe(sample));
                save();
            }
            const packed = await oursOnce(packedBySize.get(n)!);
            result.packed.push(packed);
            log(`packed ${Math.min(n, PACKED)} to a pod: ${describe(packed)}`);
            save();
        }
    }
    await recovery(bySize.get(16)!, REPS, result.recovery, save);
    await recovery(packedBySize.get(16)!, REPS, result.packedRecovery, save);

    const large = await declare({ workers: "16", enginesPerWorker: "8", workerMemory: "2Gi" });
    for (const sample of [await oursOnce(large), await baselineOnce(image, 128, false)]) {
        result.large.push({ ...sample, shape: sample.variant === "ours" ? "16 pods × 8 engines" : "one container, 128 ipengine" });
        log(describe(sample));
        save();
    }
    await removeTestContainers();
    save();
    log(`wrote ${out}`);
}

main().catch(e => {
    console.error(e);
    process.exit(1);
});
