/**
 * The Kubernetes objects' specs, as plain data: the program declares them, the unit tests check
 * them, and the integration test runs them as containers.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { CONTROLLER_PORTS, NOTEBOOK_PORT, NamedPort, REGISTRATION_PORT, portsFor } from "./ports";
import { CONTAINERS, GROUP_LABEL, PATHS, instanceLabels, selectorLabels, workerLabels, workerSelectorLabels } from "./names";
import type { RegistryCredentials, Resources } from "./config";
import type { SharedVolume } from "./storage";
import type { WorkerGroup } from "./groups";
import { UID, controllerCommand, engineCommand, frontendEnv, notebookCommand, notebookEnv, POD_NAME_VARIABLE, workerEnv, workerReadyCommand } from "./runtime";

type PodSpec = k8s.types.input.core.v1.PodSpec;
type Container = k8s.types.input.core.v1.Container;
type ServiceSpec = k8s.types.input.core.v1.ServiceSpec;
type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;
type ClaimSpec = k8s.types.input.core.v1.PersistentVolumeClaimSpec;

/** What each container gets besides its command: image, pull policy, resources. */
export interface ContainerSettings {
    image: pulumi.Input<string>;
    imagePullPolicy: string;
    resources: Resources;
    /** Limits besides memory, such as a group's GPUs (`nvidia.com/gpu: "1"`). */
    extraLimits?: Record<string, string>;
}

/** What both pods share: where the connection files and the key come from. */
export interface PodSources {
    configMapName: pulumi.Input<string>;
    secretName: pulumi.Input<string>;
    imagePullSecrets?: pulumi.Input<string>[];
}

/** The notebook next to the controller: its resources and the Secret holding its token. */
export interface NotebookSettings {
    resources: Resources;
    tokenSecretName: pulumi.Input<string>;
    /** The claim that holds the notebook's home folder; without one, the home is an emptyDir. */
    homeClaimName?: pulumi.Input<string>;
    /** The data volume at /home/jupyter/shared, read-write in the notebook. */
    shared?: SharedVolume;
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
function sharedData(shared: SharedVolume | undefined, readOnly: boolean): { volumes: Volume[]; mounts: VolumeMount[] } {
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

function podSpec(sources: PodSources, containers: Container[], extraVolumes: Volume[], terminationGracePeriodSeconds: number, persistentHome = false): PodSpec {
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

function containerPorts(ports: readonly NamedPort[]) {
    return ports.map(p => ({ name: p.name, containerPort: p.port, protocol: "TCP" }));
}

/** Service ports that target the container ports of the same name. */
function servicePorts(ports: readonly NamedPort[]) {
    return ports.map(p => ({ name: p.name, port: p.port, targetPort: p.name, protocol: "TCP" }));
}

/** Ready once the named port accepts connections; probed often, since a single pod's readiness is its start-up signal. */
function tcpReadiness(port: NamedPort) {
    return { tcpSocket: { port: port.name }, periodSeconds: 2, failureThreshold: 3 };
}

/** A container whose home folder is the volume `home` (the pod's emptyDir `home` by default). */
function container(name: string, settings: ContainerSettings, fields: Partial<Container> & { volumeMounts?: VolumeMount[] }, home = "home"): Container {
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

/**
 * The controller Pod's spec: the controller and, when `notebook` is given, a notebook server. The
 * notebook's home folder is its claim (or an emptyDir) and holds the notebooks; the IPython profile,
 * where both containers write the keyed connection files, is an emptyDir of its own mounted over
 * `.ipython`, so that no key lands on the claim. The controller's own home is an emptyDir. The
 * notebook reads its token from a Secret of its own.
 */
export function frontendPodSpec(settings: ContainerSettings, sources: PodSources, notebook?: NotebookSettings): PodSpec {
    const profileMount: VolumeMount[] = notebook ? [{ name: "ipython", mountPath: PATHS.ipythonDir }] : [];
    const controller = container(CONTAINERS.controller, settings, {
        args: controllerCommand(settings.resources.memory),
        env: frontendEnv(),
        ports: containerPorts(CONTROLLER_PORTS),
        readinessProbe: tcpReadiness(REGISTRATION_PORT),
        volumeMounts: profileMount,
    });
    if (!notebook) return podSpec(sources, [controller], [], 30);
    const shared = sharedData(notebook.shared, false);
    const server = container(
        CONTAINERS.notebook,
        { ...settings, resources: notebook.resources },
        {
            args: notebookCommand(),
            env: notebookEnv(),
            ports: containerPorts([NOTEBOOK_PORT]),
            readinessProbe: tcpReadiness(NOTEBOOK_PORT),
            volumeMounts: [...profileMount, { name: "notebook-token", mountPath: PATHS.notebookTokenDir, readOnly: true }, ...shared.mounts],
        },
        "notebook-home",
    );
    const claim = notebook.homeClaimName;
    const volumes: Volume[] = [
        { name: "ipython", emptyDir: {} },
        { name: "notebook-token", secret: { secretName: notebook.tokenSecretName, defaultMode: 0o440 } },
        claim ? { name: "notebook-home", persistentVolumeClaim: { claimName: claim } } : { name: "notebook-home", emptyDir: {} },
        ...shared.volumes,
    ];
    return podSpec(sources, [controller, server], volumes, 30, claim !== undefined);
}

/** Where a group's pods may run, and how they spread. */
export interface Placement {
    nodeSelector: Record<string, string>;
    tolerations: WorkerGroup["tolerations"];
    affinity?: Record<string, unknown>;
    priorityClassName: string;
}

/**
 * A group's pods prefer different nodes (`ScheduleAnyway`: never left Pending for it), so that one
 * node's loss takes few engines; only the current revision's pods count (`pod-template-hash`).
 */
export function spreadConstraints(selector: Record<string, string>) {
    return [
        {
            maxSkew: 1,
            topologyKey: "kubernetes.io/hostname",
            whenUnsatisfiable: "ScheduleAnyway",
            labelSelector: { matchLabels: selector },
            matchLabelKeys: ["pod-template-hash"],
        },
    ];
}

/**
 * A worker pod's spec: the group's `enginesPerWorker` engines in one container, Ready only while all
 * of them are registered; the group's GPUs as limits of `gpuResource`; its placement, spread over
 * nodes; with `shared`, the data volume at /home/jupyter/shared (read-only when it says so). Engines
 * see their group and pod as IPP_WORKER_GROUP and IPP_POD_NAME.
 */
export function workerPodSpec(
    settings: ContainerSettings,
    sources: PodSources,
    group: WorkerGroup,
    options: { instance: string; gpuResource: string; shared?: SharedVolume },
): PodSpec {
    const data = sharedData(options.shared, options.shared?.readOnly ?? false);
    const gpus = group.gpus > 0 ? { extraLimits: { [options.gpuResource]: String(group.gpus) } } : {};
    const engine = container(
        CONTAINERS.engine,
        { ...settings, ...gpus },
        {
            args: engineCommand(),
            env: [...workerEnv(group.name, group.enginesPerWorker), { name: POD_NAME_VARIABLE, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
            readinessProbe: { exec: { command: workerReadyCommand() }, periodSeconds: 2, failureThreshold: 1 },
            ...(data.mounts.length ? { volumeMounts: data.mounts } : {}),
        },
    );
    return {
        ...podSpec(sources, [engine], data.volumes, 15),
        ...placement(group),
        topologySpreadConstraints: spreadConstraints(workerSelectorLabels(options.instance, group.name)),
    };
}

/** The placement fields a group sets, and only those. */
function placement(p: Placement): Partial<PodSpec> {
    return {
        ...(Object.keys(p.nodeSelector).length ? { nodeSelector: p.nodeSelector } : {}),
        ...(p.tolerations.length ? { tolerations: p.tolerations } : {}),
        ...(p.affinity ? { affinity: p.affinity } : {}),
        ...(p.priorityClassName ? { priorityClassName: p.priorityClassName } : {}),
    };
}

/**
 * The claim that holds the notebook's home folder: one node at a time (the frontend Pod is alone and
 * deleted before it is replaced), in `storageClass` or the cluster's default class.
 */
export function notebookClaimSpec(size: string, storageClass = ""): ClaimSpec {
    return {
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: size } },
        ...(storageClass ? { storageClassName: storageClass } : {}),
    };
}

/**
 * A worker group's Deployment: `workers` pods from one template. The selector holds only the labels
 * that never change (selectors are immutable); `annotations` go on the template, so a change of
 * them rolls the pods.
 */
export function workerDeploymentSpec(
    instance: string,
    group: Pick<WorkerGroup, "name" | "workers">,
    pod: PodSpec,
    annotations: Record<string, pulumi.Input<string>> = {},
): k8s.types.input.apps.v1.DeploymentSpec {
    return {
        replicas: group.workers,
        selector: { matchLabels: workerSelectorLabels(instance, group.name) },
        template: { metadata: { labels: workerLabels(instance, group.name), annotations }, spec: pod },
    };
}

/** The notebook's own Service: only the notebook's port, so exposing it exposes nothing else. */
export function notebookServiceSpec(instance: string, type: string): ServiceSpec {
    return {
        type,
        selector: selectorLabels(instance, "frontend"),
        ports: servicePorts([NOTEBOOK_PORT]),
    };
}

/** The Service in front of the controller: a stable ClusterIP with the ports engines need. */
export function controllerServiceSpec(instance: string): ServiceSpec {
    return {
        type: "ClusterIP",
        selector: selectorLabels(instance, "frontend"),
        ports: servicePorts(portsFor("engines")),
    };
}

/**
 * Only this deployment's own pods may reach the controller's ports. The notebook's port, when there
 * is a notebook, is open to whoever reaches its Service: its token guards it.
 */
export function frontendNetworkPolicySpec(instance: string, notebook: boolean): NetworkPolicySpec {
    return {
        podSelector: { matchLabels: selectorLabels(instance, "frontend") },
        policyTypes: ["Ingress"],
        ingress: [
            {
                from: [{ podSelector: { matchLabels: instanceLabels(instance) } }],
                ports: CONTROLLER_PORTS.map(p => ({ port: p.name, protocol: "TCP" })),
            },
            ...(notebook ? [{ ports: [{ port: NOTEBOOK_PORT.name, protocol: "TCP" }] }] : []),
        ],
    };
}

/** Workers, of every group, listen on nothing: no ingress at all. */
export function workerNetworkPolicySpec(instance: string): NetworkPolicySpec {
    return {
        podSelector: { matchLabels: instanceLabels(instance), matchExpressions: [{ key: GROUP_LABEL, operator: "Exists" }] },
        policyTypes: ["Ingress"],
        ingress: [],
    };
}

/** A `kubernetes.io/dockerconfigjson` document for one registry; secret, since it holds the password. */
export function dockerConfigJson(credentials: RegistryCredentials): pulumi.Output<string> {
    const { server, username } = credentials;
    return pulumi.secret(
        credentials.password.apply(password =>
            JSON.stringify({
                auths: { [server]: { username, password, auth: Buffer.from(`${username}:${password}`).toString("base64") } },
            }),
        ),
    );
}
