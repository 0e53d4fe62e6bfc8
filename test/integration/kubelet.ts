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
import { Declared, ProgramRun, ofType } from "../harness";
import { TEST_LABEL, docker, inspect } from "./docker-cli";
import { cpuCores, cpuShares, memoryBytes } from "../../lib/quantities";
import { VolumeStandIns } from "./volumes";

const LOOPBACK = "127.0.0.1";
/** The labels of the one node this kubelet is. */
const NODE_LABELS: Record<string, string> = {
    "kubernetes.io/hostname": "test-node",
    "kubernetes.io/os": "linux",
    "kubernetes.io/arch": process.arch === "arm64" ? "arm64" : "amd64",
};

/** Throws when `obj` has a field outside `allowed`, naming where. */
function only(obj: object | undefined, allowed: string[], where: string) {
    for (const k of Object.keys(obj ?? {})) {
        if (!allowed.includes(k)) throw new Error(`the test kubelet does not understand ${where}.${k}`);
    }
}

export interface PodTemplate {
    metadata: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string>; namespace?: string };
    spec: any;
}

export interface RunningPod {
    name: string;
    template: PodTemplate;
    containers: { name: string; id: string }[];
    volumeDir: string;
}

/** The objects a kubelet would read: ConfigMaps and Secrets by their (generated) names. */
export class DeclaredObjects {
    readonly configMaps = new Map<string, Record<string, string>>();
    readonly secrets = new Map<string, Record<string, string>>();
    readonly services: Declared[];
    readonly pods: Declared[];
    readonly deployments: Declared[];
    /** The PersistentVolumeClaims the program declares, by name. */
    readonly claims: Set<string>;

    constructor(readonly run: ProgramRun) {
        const nameOf = (r: Declared) => r.inputs.metadata?.name ?? `${r.name}-abc123`;
        for (const cm of ofType(run, "core/v1:ConfigMap")) this.configMaps.set(nameOf(cm), cm.inputs.data ?? {});
        for (const s of ofType(run, "core/v1:Secret")) {
            const data = Object.fromEntries(Object.entries<string>(s.inputs.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
            this.secrets.set(nameOf(s), { ...data, ...(s.inputs.stringData ?? {}) });
        }
        this.services = ofType(run, "core/v1:Service");
        this.pods = ofType(run, "core/v1:Pod");
        this.deployments = ofType(run, "apps/v1:Deployment");
        this.claims = new Set(ofType(run, "core/v1:PersistentVolumeClaim").map(nameOf));
    }

    /** Names that a cluster's DNS (or a pod's own hostname) would resolve. */
    serviceNames(): string[] {
        return this.services.map(s => s.inputs.metadata.name);
    }
}

/** Bytes in a memory limit, as `docker run --memory` takes them. */
function memory(quantity: string): string {
    const bytes = memoryBytes(quantity);
    if (!(bytes > 0)) throw new Error(`the test kubelet cannot read memory ${quantity}`);
    return String(Math.round(bytes));
}

const PULL = { Always: "always", IfNotPresent: "missing", Never: "never" } as Record<string, string>;

/** A pod's volume as a host folder, and whether the volume itself is read-only. */
interface HostVolume {
    dir: string;
    readOnly: boolean;
}

export class Kubelet {
    private readonly hosts = new Set<string>();

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
            name: deployment.inputs.metadata.name ?? `${deployment.name}-abc123`,
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
        for (const v of spec.volumes ?? []) volumes.set(v.name, this.makeVolume(v, volumeDir, podSecurity));

        const restart = { Always: "always", OnFailure: "on-failure", Never: "no" }[(spec.restartPolicy as string) ?? "Always"];
        if (!restart) throw new Error(`the test kubelet does not know restartPolicy ${spec.restartPolicy}`);
        const containers = [];
        for (const c of spec.containers) {
            const args = await this.containerArgs(name, c, podSecurity, volumes, spec.terminationGracePeriodSeconds ?? 30, restart);
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

    private makeVolume(v: any, podDir: string, podSecurity: any): HostVolume {
        only(v, ["name", "configMap", "secret", "emptyDir", "persistentVolumeClaim", "nfs"], `volume ${v.name}`);
        const fsGroup: number | undefined = podSecurity.fsGroup;
        if (v.persistentVolumeClaim) {
            only(v.persistentVolumeClaim, ["claimName", "readOnly"], `volume ${v.name}.persistentVolumeClaim`);
            const dir = this.volumes.claim(v.persistentVolumeClaim.claimName, fsGroup, podSecurity.fsGroupChangePolicy);
            return { dir, readOnly: v.persistentVolumeClaim.readOnly === true };
        }
        if (v.nfs) {
            // The kubelet applies no fsGroup to NFS: the export's own ownership stands.
            only(v.nfs, ["server", "path", "readOnly"], `volume ${v.name}.nfs`);
            return { dir: this.volumes.nfs(v.nfs.server, v.nfs.path), readOnly: v.nfs.readOnly === true };
        }
        const dir = path.join(podDir, v.name);
        fs.mkdirSync(dir);
        if (v.emptyDir) {
            only(v.emptyDir, [], `volume ${v.name}.emptyDir`);
            fs.chmodSync(dir, 0o777); // as the kubelet makes them
            return { dir, readOnly: false };
        }
        let files: Record<string, string>;
        let mode: number;
        if (v.configMap) {
            only(v.configMap, ["name", "defaultMode"], `volume ${v.name}.configMap`);
            const data = this.objects.configMaps.get(v.configMap.name);
            if (!data) throw new Error(`volume ${v.name}: no ConfigMap ${v.configMap.name} is declared`);
            files = data;
            mode = v.configMap.defaultMode ?? 0o644;
        } else if (v.secret) {
            only(v.secret, ["secretName", "defaultMode"], `volume ${v.name}.secret`);
            const data = this.objects.secrets.get(v.secret.secretName);
            if (!data) throw new Error(`volume ${v.name}: no Secret ${v.secret.secretName} is declared`);
            files = data;
            mode = v.secret.defaultMode ?? 0o644;
        } else {
            throw new Error(`volume ${v.name}: the test kubelet knows configMap, secret, emptyDir, persistentVolumeClaim and nfs volumes only`);
        }
        for (const [file, content] of Object.entries(files)) {
            const target = path.join(dir, file);
            fs.writeFileSync(target, content);
            if (fsGroup !== undefined) fs.chownSync(target, 0, fsGroup);
            fs.chmodSync(target, mode);
        }
        return { dir, readOnly: true };
    }

    private async containerArgs(pod: string, c: any, podSecurity: any, volumes: Map<string, HostVolume>, grace: number, restart: string): Promise<string[]> {
        const where = `container ${c.name}`;
        only(
            c,
            ["name", "image", "imagePullPolicy", "command", "args", "env", "ports", "readinessProbe", "resources", "securityContext", "volumeMounts"],
            where,
        );
        const args = [
            "--name",
            `${pod}-${c.name}`,
            "--label",
            `${TEST_LABEL}=${this.runLabel}`,
            "--label",
            `${TEST_LABEL}.pod=${pod}`,
            "--network=host",
            "--hostname",
            pod,
            "--restart",
            restart,
            "--stop-timeout",
            String(grace),
            "--pull",
            PULL[c.imagePullPolicy ?? "IfNotPresent"],
            ...[...this.hosts].flatMap(h => ["--add-host", `${h}:${LOOPBACK}`]),
        ];

        const sc = { ...podSecurity, ...(c.securityContext ?? {}) };
        only(
            c.securityContext,
            ["allowPrivilegeEscalation", "readOnlyRootFilesystem", "runAsNonRoot", "runAsUser", "runAsGroup", "capabilities"],
            `${where}.securityContext`,
        );
        const imageUser = await inspect(c.image, "{{.Config.User}}");
        const uid = sc.runAsUser ?? (imageUser.split(":")[0] || "0");
        if (sc.runAsNonRoot && !/^[0-9]+$/.test(String(uid))) {
            throw new Error(`${where}: runAsNonRoot needs a numeric user; the image says ${JSON.stringify(imageUser)}`);
        }
        if (sc.runAsNonRoot && Number(uid) === 0) throw new Error(`${where}: runAsNonRoot, but it would run as root`);
        args.push("--user", sc.runAsGroup !== undefined ? `${uid}:${sc.runAsGroup}` : String(uid));
        if (sc.fsGroup !== undefined) args.push("--group-add", String(sc.fsGroup));
        if (sc.allowPrivilegeEscalation === false) args.push("--security-opt", "no-new-privileges");
        if (sc.readOnlyRootFilesystem) args.push("--read-only");
        if (sc.capabilities) {
            only(sc.capabilities, ["drop", "add"], `${where}.securityContext.capabilities`);
            for (const cap of sc.capabilities.drop ?? []) args.push("--cap-drop", cap);
            for (const cap of sc.capabilities.add ?? []) args.push("--cap-add", cap);
        }

        if (c.resources) {
            only(c.resources, ["requests", "limits"], `${where}.resources`);
            only(c.resources.requests, ["cpu", "memory"], `${where}.resources.requests`);
            for (const k of Object.keys(c.resources.limits ?? {})) {
                if (!["cpu", "memory"].includes(k)) throw new Error(`${where} would stay Pending: this node has no ${k}`);
            }
            if (c.resources.requests?.cpu) args.push("--cpu-shares", String(cpuShares(c.resources.requests.cpu)));
            if (c.resources.limits?.cpu) args.push("--cpus", String(cpuCores(c.resources.limits.cpu)));
            if (c.resources.limits?.memory) args.push("--memory", memory(c.resources.limits.memory));
        }

        for (const e of c.env ?? []) {
            only(e, ["name", "value", "valueFrom"], `${where}.env ${e.name}`);
            if (e.valueFrom) {
                // The downward API's pod name; nothing else.
                if (e.valueFrom.fieldRef?.fieldPath !== "metadata.name")
                    throw new Error(`${where}.env ${e.name}: the test kubelet knows valueFrom.fieldRef metadata.name only`);
                args.push("--env", `${e.name}=${pod}`);
            } else {
                args.push("--env", `${e.name}=${e.value}`);
            }
        }
        for (const m of c.volumeMounts ?? []) {
            only(m, ["name", "mountPath", "readOnly"], `${where}.volumeMounts ${m.name}`);
            const volume = volumes.get(m.name);
            if (!volume) throw new Error(`${where}: mounts undeclared volume ${m.name}`);
            args.push("--volume", `${volume.dir}:${m.mountPath}${m.readOnly || volume.readOnly ? ":ro" : ""}`);
        }
        for (const p of c.ports ?? []) only(p, ["name", "containerPort", "protocol"], `${where}.ports ${p.name}`);
        if (c.readinessProbe) {
            only(c.readinessProbe, ["exec", "tcpSocket", "periodSeconds", "failureThreshold", "initialDelaySeconds"], `${where}.readinessProbe`);
        }

        const command: string[] | undefined = c.command;
        if (command?.length) args.push("--entrypoint", command[0]);
        args.push(c.image, ...(command?.slice(1) ?? []), ...(c.args ?? []));
        return args;
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

export function sleep(ms: number) {
    return new Promise(r => setTimeout(r, ms));
}
