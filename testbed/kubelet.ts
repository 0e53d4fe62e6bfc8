/**
 * Runs declared Kubernetes pod specs as Docker containers, the way a kubelet would, on the host
 * network: ConfigMaps and Secrets become mounted files, emptyDirs become fresh folders, claims and
 * NFS exports become folders that outlive the pods (volumes.ts), command, args, env, user,
 * capabilities and memory come from the spec, and every Service and Pod name resolves to 127.0.0.1.
 * It refuses any spec field it does not understand rather than ignore it.
 */
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { randomBytes } from "crypto";
import { Declared, declaredName } from "./program";
import { docker, inspect } from "./docker-cli";
import { DeclaredObjects, HostVolume, PodTemplate, RunningPod, only } from "./declared";
import { containerRunArgs } from "./container-args";
import { VolumeStandIns, hostVolume } from "./volumes";
import { sleep } from "./time";
import type { ApiAccess } from "./api-server";

const LOOPBACK = "127.0.0.1";
/** The labels of the one node this kubelet is. */
const NODE_LABELS: Record<string, string> = {
    "kubernetes.io/hostname": "test-node",
    "kubernetes.io/os": "linux",
    "kubernetes.io/arch": process.arch === "arm64" ? "arm64" : "amd64",
};

export class Kubelet {
    private readonly hosts = new Set<string>();
    /** The API server pods reach (KUBERNETES_SERVICE_HOST/PORT) and that projected tokens are for, once one serves. */
    api?: ApiAccess;

    /** `volumes`: the stand-ins for claims and exports; by default the run's own, knowing the declared claims. */
    constructor(
        private readonly objects: DeclaredObjects,
        private readonly runLabel: string,
        readonly volumes = new VolumeStandIns(runLabel, objects.claims),
    ) {
        for (const name of objects.serviceNames()) this.hosts.add(name);
        for (const pod of objects.pods) this.hosts.add(pod.inputs.metadata.name);
    }

    /** A replica's name, as a ReplicaSet would make it. */
    static replicaName(deployment: string): string {
        return `${deployment}-${randomBytes(3).toString("hex")}`;
    }

    /** The pod templates of a Deployment, one per replica. */
    deploymentTemplate(deployment: Declared): { name: string; replicas: number; template: PodTemplate } {
        const spec = deployment.inputs.spec;
        only(spec, ["replicas", "selector", "template", "strategy"], "Deployment.spec");
        const labels = spec.template.metadata?.labels ?? {};
        for (const [k, v] of Object.entries(spec.selector.matchLabels)) {
            if (labels[k] !== v) throw new Error(`Deployment ${deployment.name}: the selector does not match its template (${k})`);
        }
        return {
            name: declaredName(deployment),
            replicas: spec.replicas ?? 1,
            template: { metadata: { ...spec.template.metadata, namespace: deployment.inputs.metadata.namespace }, spec: spec.template.spec },
        };
    }

    /** Starts a pod: its volumes, then each container. */
    async startPod(name: string, template: PodTemplate): Promise<RunningPod> {
        this.hosts.add(name);
        const spec = template.spec;
        only(
            spec,
            [
                "automountServiceAccountToken",
                "serviceAccountName",
                "enableServiceLinks",
                "securityContext",
                "terminationGracePeriodSeconds",
                "imagePullSecrets",
                "containers",
                "volumes",
                "restartPolicy",
                "nodeSelector",
                "tolerations",
                "affinity",
                "priorityClassName",
                "topologySpreadConstraints",
            ],
            "PodSpec",
        );
        this.schedule(name, spec);
        if (spec.automountServiceAccountToken !== false) throw new Error("the test kubelet only runs pods without a service account token");
        if (spec.enableServiceLinks !== false) throw new Error("the test kubelet only runs pods without service links");
        const podSecurity = spec.securityContext ?? {};
        only(podSecurity, ["runAsNonRoot", "runAsUser", "runAsGroup", "fsGroup", "fsGroupChangePolicy", "seccompProfile"], "PodSpec.securityContext");
        if (podSecurity.seccompProfile && podSecurity.seccompProfile.type !== "RuntimeDefault") {
            throw new Error("the test kubelet only knows the RuntimeDefault seccomp profile");
        }

        const volumeDir = fs.mkdtempSync(path.join(os.tmpdir(), `ipp-pod-${name}-`));
        fs.chmodSync(volumeDir, 0o755);
        const volumes = new Map<string, HostVolume>();
        for (const v of spec.volumes ?? []) volumes.set(v.name, hostVolume(v, volumeDir, podSecurity, this.objects, this.volumes, this.api));

        const restart = { Always: "always", OnFailure: "on-failure", Never: "no" }[(spec.restartPolicy as string) ?? "Always"];
        if (!restart) throw new Error(`the test kubelet does not know restartPolicy ${spec.restartPolicy}`);
        const containers = [];
        for (const c of spec.containers) {
            const args = await containerRunArgs(name, c, {
                podSecurity,
                volumes,
                grace: spec.terminationGracePeriodSeconds ?? 30,
                restart,
                hosts: this.hosts,
                runLabel: this.runLabel,
                api: this.api,
            });
            const id = (await docker(["run", "-d", ...args])).stdout.trim();
            containers.push({ name: c.name, id });
        }
        return { name, template, containers, volumeDir };
    }

    /**
     * What a scheduler would decide for this one-node cluster: a pod whose nodeSelector the node's
     * labels do not satisfy, or that asks for GPUs, would stay Pending. Tolerations, affinity, the
     * priority class and a spread that only prefers (ScheduleAnyway) do not keep a pod off one node.
     */
    private schedule(name: string, spec: any) {
        for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) {
            if (NODE_LABELS[k] !== v) throw new Error(`pod ${name} would stay Pending: the node has no label ${k}=${v}`);
        }
        for (const c of spec.topologySpreadConstraints ?? []) {
            only(c, ["maxSkew", "topologyKey", "whenUnsatisfiable", "labelSelector", "matchLabelKeys"], "PodSpec.topologySpreadConstraints");
            if (c.whenUnsatisfiable !== "ScheduleAnyway") throw new Error(`pod ${name}: the test kubelet only knows spreads that prefer (ScheduleAnyway)`);
        }
    }

    /** Whether every container is running and passes its readiness probe, as the kubelet would judge. */
    async ready(pod: RunningPod): Promise<boolean> {
        for (const c of pod.containers) {
            if ((await inspect(c.id, "{{.State.Running}}")) !== "true") return false;
            const spec = pod.template.spec.containers.find((s: any) => s.name === c.name);
            const probe = spec.readinessProbe;
            if (!probe) continue;
            if (probe.exec) {
                if ((await docker(["exec", c.id, ...probe.exec.command], { allowFailure: true })).code !== 0) return false;
            } else if (probe.tcpSocket) {
                const port =
                    typeof probe.tcpSocket.port === "number"
                        ? probe.tcpSocket.port
                        : spec.ports.find((p: any) => p.name === probe.tcpSocket.port)?.containerPort;
                if (!port) throw new Error(`readiness probe of ${c.name}: no port named ${probe.tcpSocket.port}`);
                if (!(await canConnect(port))) return false;
            } else {
                throw new Error(`the test kubelet does not understand the readiness probe of ${c.name}`);
            }
        }
        return true;
    }

    /** Waits until the pod is Ready, probing as often as its probes ask; returns the seconds it took. */
    async waitReady(pod: RunningPod, timeoutMs: number): Promise<number> {
        const started = Date.now();
        const periods = pod.template.spec.containers.map((c: any) => c.readinessProbe?.periodSeconds ?? 10);
        const periodMs = Math.min(...periods) * 1000;
        while (!(await this.ready(pod))) {
            if (Date.now() - started > timeoutMs) {
                const logs = await Promise.all(pod.containers.map(c => docker(["logs", "--tail", "30", c.id], { allowFailure: true })));
                throw new Error(`pod ${pod.name} not Ready after ${timeoutMs / 1000} s; logs:\n${logs.map(l => l.stdout + l.stderr).join("\n")}`);
            }
            await sleep(periodMs);
        }
        return (Date.now() - started) / 1000;
    }

    /** Restarts the pod's containers in place; volumes survive, as in a container restart. */
    async restartContainers(pod: RunningPod): Promise<void> {
        for (const c of pod.containers) await docker(["restart", c.id]);
    }

    /** Deletes the pod: a graceful stop (`graceful`) or a lost node (kill), then its own volumes (claims and exports stay). */
    async deletePod(pod: RunningPod, graceful: boolean): Promise<void> {
        const ids = pod.containers.map(c => c.id);
        if (graceful) await docker(["stop", ...ids], { allowFailure: true });
        await docker(["rm", "-f", "-v", ...ids], { allowFailure: true });
        fs.rmSync(pod.volumeDir, { recursive: true, force: true });
    }

    async restartCounts(pod: RunningPod): Promise<number[]> {
        return Promise.all(pod.containers.map(async c => Number(await inspect(c.id, "{{.RestartCount}}"))));
    }
}

function canConnect(port: number): Promise<boolean> {
    return new Promise(resolve => {
        const socket = net.createConnection({ host: LOOPBACK, port, timeout: 1000 });
        socket.on("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.on("error", () => resolve(false));
        socket.on("timeout", () => {
            socket.destroy();
            resolve(false);
        });
    });
}
