/**
 * What one measured start of a cluster records (ours, or ipyparallel's own processes), as the bench
 * writes it to results.json and the reports read it.
 */
import type { Variant } from "./settings";

export type { Variant };
export interface Sample {
    variant: Variant;
    workers: number;
    /** NaN when not every engine answered in time; `failure` then says how far it got. */
    readySeconds: number;
    failure?: string;
    lbTasksPerSecond: number;
    directTasksPerSecond: number;
    controllerRssKb: number;
    controllerMainRssKb: number;
    engineRssKb: number;
    supervisorRssKb?: number;
    /** CPU seconds each worker used to start (engine and nanny, plus the entrypoint for ours), read at ready time. */
    startupCpuSecondsPerWorker: number;
    /** CPU milliseconds per task over the throughput run, by party: what bounds the rate on shared cores. */
    cpuMsPerTask?: { client: number; controller: number; engines: number };
}

/** A sample of a start that did not get every engine answering: `failure` says how far it got. */
export function failed(variant: Variant, workers: number, failure: string): Sample {
    return {
        variant,
        workers,
        readySeconds: NaN,
        failure,
        lbTasksPerSecond: NaN,
        directTasksPerSecond: NaN,
        controllerRssKb: NaN,
        controllerMainRssKb: NaN,
        engineRssKb: NaN,
        startupCpuSecondsPerWorker: NaN,
    };
}
