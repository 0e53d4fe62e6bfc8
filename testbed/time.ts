/** Waiting, for the test bed and the benchmarks. */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number) {
    return new Promise(r => setTimeout(r, ms));
}
