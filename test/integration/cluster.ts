/**
 * One cluster, run from the program's declared specs on a real Docker engine: bring it up the way
 * `pulumi up` would (the frontend Pod Ready, then every worker Ready), ask it questions, break it
 * the ways the drills need, and tear it down.
 */
import * as fs from "fs";
import * as path from "path";
import { CLIENT_FILE, NAMES } from "../../lib/names";
import { DeclaredObjects, Kubelet, RunningPod } from "./kubelet";
import { docker } from "./docker-cli";

const CHECK = fs.readFileSync(path.join(__dirname, "check_cluster.py"), "utf8");

export interface CheckResult {
    ok: boolean;
    seconds: number;
    ids: number[] | null;
    error?: string;
}

export class TestCluster {
    frontend?: RunningPod;
    workers: RunningPod[] = [];
    private readonly deployment;

    constructor(readonly objects: DeclaredObjects, readonly kubelet: Kubelet) {
        if (objects.pods.length !== 1 || objects.deployments.length !== 1) {
            throw new Error(`expected one Pod and one Deployment, got ${objects.pods.length} and ${objects.deployments.length}`);
        }
        this.deployment = kubelet.deploymentTemplate(objects.deployments[0]);
    }

    get replicas(): number {
        return this.deployment.replicas;
    }

    async startFrontend(): Promise<RunningPod> {
        const pod = this.objects.pods[0].inputs;
        this.frontend = await this.kubelet.startPod(pod.metadata.name, { metadata: pod.metadata, spec: pod.spec });
        return this.frontend;
    }

    async startWorker(): Promise<RunningPod> {
        const worker = await this.kubelet.startPod(Kubelet.replicaName(this.deployment.name), this.deployment.template);
        this.workers.push(worker);
        return worker;
    }

    /** Starts `count` worker pods side by side, as a ReplicaSet does. */
    async startWorkers(count = this.replicas): Promise<RunningPod[]> {
        return Promise.all(Array.from({ length: count }, () => this.startWorker()));
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
    async python(program: string, args: string[] = [], input?: string, container = NAMES.controllerContainer) {
        const id = this.frontend!.containers.find(c => c.name === container)!.id;
        return docker(["exec", ...(input !== undefined ? ["-i"] : []), id, "python3", program, ...args], { input, allowFailure: true });
    }

    /** Waits (inside the frontend) until exactly `n` engines answer. */
    async waitAnswering(n = this.replicas, timeoutSeconds = 60): Promise<CheckResult> {
        const result = await this.python("-", [CLIENT_FILE, String(n), String(timeoutSeconds)], CHECK);
        const line = result.stdout.trim().split("\n").pop() ?? "";
        try {
            return JSON.parse(line);
        } catch {
            return { ok: false, seconds: NaN, ids: null, error: `${result.stdout}\n${result.stderr}` };
        }
    }

    async logs(pod: RunningPod, tail = 40): Promise<string> {
        const out = await Promise.all(pod.containers.map(c => docker(["logs", "--tail", String(tail), c.id], { allowFailure: true })));
        return out.map(o => o.stdout + o.stderr).join("\n");
    }

    /** Removes every container this cluster started, by id, and their volumes. */
    async down(): Promise<void> {
        for (const pod of [...this.workers, ...(this.frontend ? [this.frontend] : [])]) await this.kubelet.deletePod(pod, false);
        this.workers = [];
        this.frontend = undefined;
    }
}
