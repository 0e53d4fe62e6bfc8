/**
 * The notebook as a user drives it: a kernel started through Jupyter's REST API, and cells run in it
 * (over the kernel's own channels, as the notebook's page runs them).
 */
import * as fs from "fs";
import * as path from "path";
import { CONTAINERS, PATHS } from "../lib/names";
import { NOTEBOOK_PORT } from "../lib/ports";
import { httpRequest } from "./access";
import { TestCluster } from "./cluster";

const KERNEL_EXEC = fs.readFileSync(path.join(__dirname, "kernel_exec.py"), "utf8");

export interface CellResult {
    status: string;
    stdout: string;
    error: string;
}

/** A kernel the notebook server started: its id, and a cell run in it. */
export interface Kernel {
    id: string;
    run(code: string, timeoutSeconds?: number): Promise<CellResult>;
}

/** Starts a Python kernel in the cluster's notebook (which answers on this host's loopback). */
export async function startKernel(cluster: TestCluster, token: string): Promise<Kernel> {
    const kernel = await httpRequest("POST", `http://127.0.0.1:${NOTEBOOK_PORT.port}/api/kernels`, { Authorization: `token ${token}` }, { name: "python3" });
    if (kernel.status !== 201) throw new Error(`the notebook started no kernel (${kernel.status}): ${kernel.body}`);
    const id = JSON.parse(kernel.body).id;
    return {
        id,
        async run(code: string, timeoutSeconds = 90) {
            const out = await cluster.python(
                "-",
                [`${PATHS.jupyterRuntimeDir}/kernel-${id}.json`, code, String(timeoutSeconds)],
                KERNEL_EXEC,
                CONTAINERS.notebook,
            );
            if (out.code !== 0) throw new Error(`the cell did not run: ${out.stderr.slice(-2000)}`);
            return JSON.parse(out.stdout.trim().split("\n").pop()!);
        },
    };
}
