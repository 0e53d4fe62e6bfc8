/**
 * Kubernetes resource quantities, read once for everything that needs a number: validation, the
 * Docker target's limits and the integration test's kubelet.
 */

/** A container's CPU request and memory request/limit, as Kubernetes quantities. */
export interface Resources {
    cpu: string;
    memory: string;
}

const CPU = /^([0-9]+m|[0-9]+(\.[0-9]{1,3})?)$/;
const MEMORY = /^([0-9]+(\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const MEMORY_UNITS: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** Bytes in a Kubernetes memory quantity (NaN when it is not one). */
export function memoryBytes(quantity: string): number {
    const m = MEMORY.exec(quantity);
    return m ? parseFloat(m[1]) * MEMORY_UNITS[m[3] ?? ""] : NaN;
}

/** Cores in a Kubernetes CPU quantity (`500m` is 0.5; NaN when it is not one). */
export function cpuCores(quantity: string): number {
    if (!CPU.test(quantity)) return NaN;
    return quantity.endsWith("m") ? parseFloat(quantity) / 1000 : parseFloat(quantity);
}

/** Docker's relative CPU weight for a CPU request (1024 per core; Docker's minimum is 2). */
export function cpuShares(quantity: string): number {
    return Math.max(2, Math.round(cpuCores(quantity) * 1024));
}

/** Whole mebibytes in a memory quantity, as the Docker provider's `memory` takes them. */
export function memoryMiB(quantity: string): number {
    return Math.round(memoryBytes(quantity) / 2 ** 20);
}
