/**
 * The controller's timing, derived from how many engines the cluster may have: its heartbeat period,
 * the beats an engine may miss before it is dropped, and how long a registration may wait for its
 * first heartbeat. Measured by `npm run bench:hub` (BENCHMARKS.md, "How far one controller goes"):
 * up to SMALL_CLUSTER engines the fixed settings below hold; beyond, a registration flood keeps the
 * hub busy for a time that grows with the square of the engines, and the heartbeats' load with
 * their number.
 */

export interface HubSettings {
    /** The heart monitor's period (`--ping`, ms); engines count as registered after their first beat. */
    heartbeatMs: number;
    /** Missed beats before the controller drops an engine (`--HeartMonitor.max_heartmonitor_misses`). */
    heartbeatMisses: number;
    /** How long a registration waits for the engine's first heartbeat (`--IPController.registration_timeout`, s). */
    registrationSeconds: number;
}

/** Heartbeat period of the controller up to SMALL_CLUSTER engines. */
export const HEARTBEAT_MS = 1000;
/** Missed beats before the controller drops an engine (about 9 s at 1000 ms). */
export const HEARTBEAT_MISSES = 8;
/**
 * How long the controller keeps a registration open for the engine's first heartbeat, up to
 * SMALL_CLUSTER engines (ipyparallel's default is 30 s). Many engines starting on few cores can take
 * longer; the hub would drop them half-way.
 */
export const REGISTRATION_SECONDS = 120;
/** The most engines for which the fixed settings above measured right. */
export const SMALL_CLUSTER = 5000;
/** Engines per second of heartbeat period beyond SMALL_CLUSTER: the heart monitor's load per beat stays that of SMALL_CLUSTER engines at 1 s. */
export const ENGINES_PER_HEARTBEAT_SECOND = SMALL_CLUSTER;
/**
 * Seconds of registration allowed per (thousand engines)²: the hub writes its whole engine table at
 * every registration it finishes, so a flood of N registrations costs it time in N².
 */
export const REGISTRATION_SECONDS_PER_KILO_SQUARED = 6;

/**
 * The controller's memory outside its store of results, for `engines` engines: what it holds at rest
 * (measured, `npm run bench:many`: 209 MB with 8 engines; 342–355 MB with 512, about 0.29 MB more per
 * engine, in the hub and its schedulers), with room: CONTROLLER_BASE_MIB and CONTROLLER_MIB_PER_ENGINE.
 */
export const CONTROLLER_BASE_MIB = 256;
export const CONTROLLER_MIB_PER_ENGINE = 0.5;
export function controllerMemoryMiB(engines: number): number {
    return CONTROLLER_BASE_MIB + CONTROLLER_MIB_PER_ENGINE * engines;
}

/** The controller's timing for a cluster of at most `engines` engines (all groups at their most workers). */
export function hubSettings(engines: number): HubSettings {
    if (engines <= SMALL_CLUSTER) {
        return { heartbeatMs: HEARTBEAT_MS, heartbeatMisses: HEARTBEAT_MISSES, registrationSeconds: REGISTRATION_SECONDS };
    }
    const kilo = engines / 1000;
    return {
        heartbeatMs: HEARTBEAT_MS * Math.ceil(engines / ENGINES_PER_HEARTBEAT_SECOND),
        heartbeatMisses: HEARTBEAT_MISSES,
        registrationSeconds: Math.max(REGISTRATION_SECONDS, 30 * Math.ceil((REGISTRATION_SECONDS_PER_KILO_SQUARED * kilo * kilo) / 30)),
    };
}
