/**
 * One cluster, run from the program's declared specs on a real Docker engine: bring it up the way
 * `pulumi up` would (the frontend Pod Ready, then every worker Ready), ask it questions, break it
 * the ways the drills need, and tear it down.
 */
import * as fs from "fs";
import * as path from "path";
import { CLIENT_FILE, CONTAINERS } from "../lib/names";
import { Kubelet } from "./kubelet";
import { DeclaredObjects, PodTemplate, RunningPod } from "./declared";
import { docker } from "./docker-cli";

const CHECK = fs.readFileSync(path.join(__dirname, "check_cluster.py"), "utf8");

export interface CheckResult {
    ok: boolean;
    seconds: number;
    ids: number[] | null;
    error?: string;
}

/** One worker group's Deployment, as the kubelet reads it, with the engines each of its pods runs. */
export interface WorkerGroupPods {
    name: string;
    replicas: number;
    template: PodTemplate;
    enginesPerPod: number;
}

/** IPP_ENGINES of a worker pod template: the engines each of its pods runs. */
function enginesPerPod(template: PodTemplate): number {
    const value = template.spec.containers[0].env.find((e: any) => e.name === "IPP_ENGINES")?.value;
    if (!/^[0-9]+$/.test(value ?? "")) throw new Error(`the worker template sets no IPP_ENGINES (${value})`);
    return Number(value);
}

/** Waits, inside `container` (one with the seed's client file), until exactly `n` engines answer. */
export async function waitAnswering(container: string, n: number, timeoutSeconds: number): Promise<CheckResult> {
    const result = await docker(["exec", "-i", container, "python3", "-", CLIENT_FILE, String(n), String(timeoutSeconds)], {
        input: CHECK,
        allowFailure: true,
    });
    const line = result.stdout.trim().split("\n").pop() ?? "";
    try {
        return JSON.parse(line);
    } catch {
        return { ok: false, seconds: NaN, ids: null, error: `${result.stdout}\n${result.stderr}` };
    }
}

export class TestCluster {
    frontend?: RunningPod;
    workers: RunningPod[] = [];
    /** Every worker group, in the order the program declares them. */
    readonly groups: WorkerGroupPods[];

    constructor(
        readonly objects: DeclaredObjects,
        readonly kubelet: Kubelet,
    ) {
        if (objects.pods.length !== 1 || objects.deployments.length < 1) {
            throw new Error(`expected one Pod and a Deployment or more, got ${objects.pods.length} and ${objects.deployments.length}`);
        }
        this.groups = objects.deployments.map(d => {
            const deployment = kubelet.deploymentTemplate(d);
            return { ...deployment, enginesPerPod: enginesPerPod(deployment.template) };
        });
    }

    /** Worker pods of all groups. */
    get replicas(): number {
        return this.groups.reduce((sum, g) => sum + g.replicas, 0);
    }

    /** Engines of all groups: what the client sees once every one is registered. */
    get engines(): number {
        return this.groups.reduce((sum, g) => sum + g.replicas * g.enginesPerPod, 0);
    }

    /** The group a running worker pod belongs to. */
    groupOf(pod: RunningPod): WorkerGroupPods {
        return this.groups.find(g => g.template === pod.template)!;
    }

    async startFrontend(): Promise<RunningPod> {
        const pod = this.objects.pods[0].inputs;
        this.frontend = await this.kubelet.startPod(pod.metadata.name, { metadata: pod.metadata, spec: pod.spec });
        return this.frontend;
    }

    /** Starts a pod of `group` (the first group by default). */
    async startWorker(group = this.groups[0]): Promise<RunningPod> {
        const worker = await this.kubelet.startPod(Kubelet.replicaName(group.name), group.template);
        this.workers.push(worker);
        return worker;
    }

    /** Starts every group's pods side by side, as their ReplicaSets do; or `count` pods of the first group. */
    async startWorkers(count?: number): Promise<RunningPod[]> {
        const groups = count === undefined ? this.groups : [{ ...this.groups[0], replicas: count }];
        return Promise.all(groups.flatMap(g => Array.from({ length: g.replicas }, () => this.startWorker(this.groups.find(x => x.name === g.name)))));
    }

    /** As `pulumi up` does: the frontend Ready, then the workers, all Ready. */
    async up(timeoutMs = 120_000): Promise<void> {
        await this.kubelet.waitReady(await this.startFrontend(), timeoutMs);
        await this.waitWorkersReady(await this.startWorkers(), timeoutMs);
    }

    async waitWorkersReady(workers: RunningPod[], timeoutMs: number): Promise<void> {
        await Promise.all(workers.map(w => this.kubelet.waitReady(w, timeoutMs)));
    }

    /** Runs a Python program in one of the frontend's containers (the controller's by default). */
    async python(program: string, args: string[] = [], input?: string, container = CONTAINERS.controller) {
        const id = this.frontend!.containers.find(c => c.name === container)!.id;
        return docker(["exec", ...(input !== undefined ? ["-i"] : []), id, "python3", program, ...args], { input, allowFailure: true });
    }

    /** Waits (inside the frontend's controller container) until exactly `n` engines answer. */
    async waitAnswering(n = this.engines, timeoutSeconds = 60): Promise<CheckResult> {
        return waitAnswering(this.frontend!.containers.find(c => c.name === CONTAINERS.controller)!.id, n, timeoutSeconds);
    }

    async logs(pod: RunningPod, tail = 40): Promise<string> {
        const out = await Promise.all(pod.containers.map(c => docker(["logs", "--tail", String(tail), c.id], { allowFailure: true })));
        return out.map(o => o.stdout + o.stderr).join("\n");
    }

    /** Prints the last `tail` log lines of every pod it runs (after a failed test). */
    async printLogs(tail = 40): Promise<void> {
        for (const pod of [...(this.frontend ? [this.frontend] : []), ...this.workers]) console.log(`--- ${pod.name}\n${await this.logs(pod, tail)}`);
    }

    /** Removes every container this cluster started, by id, and their volumes. */
    async down(): Promise<void> {
        for (const pod of [...this.workers, ...(this.frontend ? [this.frontend] : [])]) await this.kubelet.deletePod(pod, false);
        this.workers = [];
        this.frontend = undefined;
    }
}
