/**
 * What the ReplicaSet controller does when a Deployment's scale changes, for a TestCluster: starts the
 * missing pods, or removes the surplus in the controller's order (pods not Ready first, then the lowest
 * `controller.kubernetes.io/pod-deletion-cost`, then the newest), stopping each gracefully as the
 * kubelet would. With the test API server in front (api-server.ts), the scaler's requests reach it.
 */
import { DELETION_COST } from "../lib/scaling";
import { FakeApiServer, ScalableCluster } from "./api-server";
import { TestCluster, WorkerGroupPods } from "./cluster";
import type { RunningPod } from "./declared";
import { declaredName } from "./program";

/** A pod the ReplicaSet removed, and when (Date.now()). */
export interface Removal {
    pod: string;
    at: number;
}

export class ReplicaSets implements ScalableCluster {
    readonly removals: Removal[] = [];
    readonly errors: Error[] = [];
    private readonly annotations = new Map<string, Record<string, string>>();
    private readonly started = new Map<string, number>();
    private work: Promise<void> = Promise.resolve();
    api?: FakeApiServer;

    constructor(readonly cluster: TestCluster) {}

    /** Starts the test API server for the frontend Pod's ServiceAccount; the kubelet's pods reach it from then on. */
    async serve(): Promise<FakeApiServer> {
        const pod = this.cluster.objects.pods[0].inputs;
        const namespace = pod.metadata.namespace;
        this.api = new FakeApiServer(this.cluster.objects, this, namespace, `system:serviceaccount:${namespace}:${pod.spec.serviceAccountName}`);
        this.cluster.kubelet.api = await this.api.start();
        return this.api;
    }

    private group(deployment: string): WorkerGroupPods | undefined {
        return this.cluster.groups.find(g => g.name === deployment);
    }

    private podsOf(group: WorkerGroupPods): RunningPod[] {
        return this.cluster.workers.filter(w => this.cluster.groupOf(w) === group);
    }

    replicas(deployment: string): number | undefined {
        return this.group(deployment)?.replicas;
    }

    selector(deployment: string): string {
        const declared = this.cluster.objects.deployments.find(d => declaredName(d) === deployment)!;
        return Object.entries<string>(declared.inputs.spec.selector.matchLabels)
            .map(([k, v]) => `${k}=${v}`)
            .join(",");
    }

    scaleTo(deployment: string, replicas: number): void {
        const group = this.group(deployment)!;
        group.replicas = replicas;
        this.work = this.work.then(() => this.reconcile(group)).catch(e => void this.errors.push(e));
    }

    pod(name: string): any {
        const running = this.cluster.workers.find(w => w.name === name);
        if (!running) return undefined;
        const annotations = this.annotations.get(name) ?? {};
        const metadata = { name, namespace: running.template.metadata.namespace, labels: running.template.metadata.labels, annotations };
        return JSON.parse(JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata, spec: running.template.spec }));
    }

    setAnnotations(pod: string, annotations: Record<string, string>): void {
        this.annotations.set(pod, annotations);
    }

    /** Waits until every change asked so far is carried out. */
    async settled(): Promise<void> {
        let seen: Promise<void>;
        do {
            seen = this.work;
            await seen;
        } while (seen !== this.work);
    }

    private async reconcile(group: WorkerGroupPods): Promise<void> {
        const pods = this.podsOf(group);
        if (pods.length < group.replicas) {
            const started = await Promise.all(Array.from({ length: group.replicas - pods.length }, () => this.cluster.startWorker(group)));
            started.forEach(p => this.started.set(p.name, Date.now()));
            return;
        }
        if (pods.length === group.replicas) return;
        const ranked = await Promise.all(
            pods.map(async p => ({
                pod: p,
                ready: await this.cluster.kubelet.ready(p),
                cost: Number(this.annotations.get(p.name)?.[DELETION_COST] ?? 0),
                started: this.started.get(p.name) ?? 0,
            })),
        );
        ranked.sort((a, b) => Number(a.ready) - Number(b.ready) || a.cost - b.cost || b.started - a.started);
        const going = ranked.slice(0, pods.length - group.replicas).map(r => r.pod);
        this.cluster.workers = this.cluster.workers.filter(w => !going.includes(w));
        for (const p of going) this.removals.push({ pod: p.name, at: Date.now() });
        await Promise.all(going.map(p => this.cluster.kubelet.deletePod(p, true)));
    }
}
