/**
 * What the benchmarks measure inside the containers: memory and CPU of the ipyparallel processes by
 * role (rss.py), and the seconds from launching engines until all of them answer (client.py).
 */
import * as fs from "fs";
import * as path from "path";
import { TestCluster } from "../testbed/cluster";
import { python, startPython } from "../testbed/python";
import { CLIENT_FILE, CONTAINERS } from "../lib/names";

const CLIENT = fs.readFileSync(path.join(__dirname, "client.py"), "utf8");
const RSS = fs.readFileSync(path.join(__dirname, "rss.py"), "utf8");

/** [resident kB, CPU seconds] of each process, by role. */
export type Usage = Record<"controller" | "engine" | "nanny" | "worker", [number, number][]>;
export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
export const mean = (xs: number[]) => (xs.length ? sum(xs) / xs.length : 0);

/** Memory and CPU of the ipyparallel processes in these containers, merged by role. */
export async function usage(containers: string[]): Promise<Usage> {
    const all: Usage[] = await Promise.all(containers.map(c => python(c, RSS, [])));
    const merged: Usage = { controller: [], engine: [], nanny: [], worker: [] };
    for (const u of all) for (const role of Object.keys(merged) as (keyof Usage)[]) merged[role].push(...u[role]);
    return merged;
}

/** CPU seconds used so far by the processes in these roles. */
export function cpuOf(u: Usage, roles: (keyof Usage)[]): number {
    return sum(roles.flatMap(role => u[role].map(([, cpu]) => cpu)));
}

/** What runs for each engine: the engine, its nanny and (ours) the worker entrypoint. */
export const WORKER_ROLES: (keyof Usage)[] = ["engine", "nanny", "worker"];

/** How long the poller waits for all engines: generous, but a case that never gets there must end. */
export const READY_TIMEOUT_SECONDS = 300;
/** What the poller prints once it has imported ipyparallel and is polling (client.py), and how long that may take. */
const POLLING = "READY";
const POLLING_TIMEOUT_MS = 120_000;

/** Starts the ready poller, launches the engines once it polls, and returns the seconds until all N answered. */
export async function timeReady(clientContainer: string, engines: number, launch: () => Promise<unknown>): Promise<{ seconds: number; failure?: string }> {
    const poller = startPython(clientContainer, CLIENT, ["ready", CLIENT_FILE, String(engines), String(READY_TIMEOUT_SECONDS)]);
    await poller.printed(POLLING, POLLING_TIMEOUT_MS);
    const launched = Date.now() / 1000;
    await launch();
    const answer = await poller.result;
    if (answer.error) return { seconds: NaN, failure: `${answer.error}; ${answer.registered} registered` };
    return { seconds: answer.answered_at - launched };
}

/** Runs a client measurement (client.py) in a container. */
export function client(container: string, args: string[]) {
    return python(container, CLIENT, args);
}

/** Starts the cluster's frontend, waits until it is Ready, and returns its controller's container. */
export async function readyController(cluster: TestCluster): Promise<string> {
    const frontend = await cluster.startFrontend();
    await cluster.kubelet.waitReady(frontend, 120_000);
    return frontend.containers.find(c => c.name === CONTAINERS.controller)!.id;
}
