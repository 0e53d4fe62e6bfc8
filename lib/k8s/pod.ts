/**
 * What every pod of the cluster shares: the security of its pod and containers, resources, the volumes
 * with the connection files, the key and writable folders, the shared data volume, ports and probes.
 * The frontend's and the workers' builders make their pods from these.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { NamedPort } from "../ports";
import { PATHS } from "../names";
import type { Resources } from "../quantities";
import type { SharedVolume } from "../storage";
import { UID } from "../runtime";
import type { HubSettings } from "../hub-settings";

export type PodSpec = k8s.types.input.core.v1.PodSpec;
export type Container = k8s.types.input.core.v1.Container;
export type Volume = k8s.types.input.core.v1.Volume;
export type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** What each container gets besides its command: image, pull policy, resources. */
export interface ContainerSettings {
    image: pulumi.Input<string>;
    imagePullPolicy: string;
    resources: Resources;
    /** Limits besides memory, such as a group's GPUs (`nvidia.com/gpu: "1"`). */
    extraLimits?: Record<string, string>;
}

/** What both pods share: where the connection files and the key come from, and the controller's timing. */
export interface PodSources {
    configMapName: pulumi.Input<string>;
    secretName: pulumi.Input<string>;
    imagePullSecrets?: pulumi.Input<string>[];
    /** hubSettings of the cluster's most engines: the controller's flags, and the workers' registration wait. */
    hub: HubSettings;
}

const containerSecurity = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: UID,
    runAsGroup: UID,
    capabilities: { drop: ["ALL"] },
};

/** CPU is requested, not limited (a limit would throttle computations on idle nodes); memory is both. */
function resources(r: Resources, extraLimits: Record<string, string> = {}) {
    return { requests: { cpu: r.cpu, memory: r.memory }, limits: { memory: r.memory, ...extraLimits } };
}

/** The volumes every pod mounts: keyless files, the key, and writable home and /tmp. */
function volumes(sources: PodSources): Volume[] {
    return [
        { name: "connection", configMap: { name: sources.configMapName } },
        { name: "session-key", secret: { secretName: sources.secretName, defaultMode: 0o440 } },
        { name: "home", emptyDir: {} },
        { name: "tmp", emptyDir: {} },
    ];
}

/** What every container mounts: the keyless files, the key, a home folder (volume `home`) and /tmp. */
function volumeMounts(home: string): VolumeMount[] {
    return [
        { name: "connection", mountPath: PATHS.connectionDir, readOnly: true },
        { name: "session-key", mountPath: PATHS.secretDir, readOnly: true },
        { name: home, mountPath: PATHS.home },
        { name: "tmp", mountPath: "/tmp" },
    ];
}

/** The shared data volume's source; `readOnly` mounts it read-only wherever it is mounted in the pod. */
function sharedVolumeSource(shared: SharedVolume, readOnly: boolean): Volume {
    const ro = readOnly ? { readOnly: true } : {};
    switch (shared.kind) {
        case "claim":
            return { name: "shared", persistentVolumeClaim: { claimName: shared.claimName, ...ro } };
        case "nfs":
            return { name: "shared", nfs: { server: shared.server, path: shared.path, ...ro } };
        default:
            throw new Error("a host folder is no volume for a Kubernetes pod");
    }
}

/** The shared data volume and its mount at /home/jupyter/shared, or nothing without one. */
export function sharedData(shared: SharedVolume | undefined, readOnly: boolean): { volumes: Volume[]; mounts: VolumeMount[] } {
    if (!shared) return { volumes: [], mounts: [] };
    return {
        volumes: [sharedVolumeSource(shared, readOnly)],
        mounts: [{ name: "shared", mountPath: PATHS.sharedDir, ...(readOnly ? { readOnly: true } : {}) }],
    };
}

/**
 * The pod's security context. `OnRootMismatch`: the kubelet gives a volume to the group `fsGroup`
 * only when its root folder is not the group's yet, instead of walking a large home on every start.
 */
function podSecurity(persistentHome: boolean) {
    return {
        runAsNonRoot: true,
        runAsUser: UID,
        runAsGroup: UID,
        fsGroup: UID,
        ...(persistentHome ? { fsGroupChangePolicy: "OnRootMismatch" } : {}),
        seccompProfile: { type: "RuntimeDefault" },
    };
}

export function podSpec(
    sources: PodSources,
    containers: Container[],
    extraVolumes: Volume[],
    terminationGracePeriodSeconds: number,
    persistentHome = false,
): PodSpec {
    return {
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: podSecurity(persistentHome),
        terminationGracePeriodSeconds,
        ...(sources.imagePullSecrets?.length ? { imagePullSecrets: sources.imagePullSecrets.map(name => ({ name })) } : {}),
        containers,
        volumes: [...volumes(sources), ...extraVolumes],
    };
}

export function containerPorts(ports: readonly NamedPort[]) {
    return ports.map(p => ({ name: p.name, containerPort: p.port, protocol: "TCP" }));
}

/** Service ports that target the container ports of the same name. */
export function servicePorts(ports: readonly NamedPort[]) {
    return ports.map(p => ({ name: p.name, port: p.port, targetPort: p.name, protocol: "TCP" }));
}

/** Ready once the named port accepts connections; probed often, since a single pod's readiness is its start-up signal. */
export function tcpReadiness(port: NamedPort) {
    return { tcpSocket: { port: port.name }, periodSeconds: 2, failureThreshold: 3 };
}

/** A container whose home folder is the volume `home` (the pod's emptyDir `home` by default). */
export function container(name: string, settings: ContainerSettings, fields: Partial<Container> & { volumeMounts?: VolumeMount[] }, home = "home"): Container {
    return {
        name,
        image: settings.image,
        imagePullPolicy: settings.imagePullPolicy,
        ...fields,
        resources: resources(settings.resources, settings.extraLimits),
        securityContext: containerSecurity,
        volumeMounts: [...volumeMounts(home), ...(fields.volumeMounts ?? [])],
    };
}
