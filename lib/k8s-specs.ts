/**
 * The Kubernetes objects' specs, as plain data: the program declares them, the unit tests check
 * them, and the integration test runs them as containers.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { CONTROLLER_PORTS, NOTEBOOK_PORT, NamedPort, REGISTRATION_PORT, portsFor } from "./ports";
import { NAMES, PATHS, instanceLabels, labels, selectorLabels } from "./names";
import type { RegistryCredentials, Resources } from "./config";
import {
    UID,
    controllerCommand,
    engineCommand,
    frontendEnv,
    notebookCommand,
    notebookEnv,
    workerEnv,
    workerReadyCommand,
} from "./runtime";

type PodSpec = k8s.types.input.core.v1.PodSpec;
type Container = k8s.types.input.core.v1.Container;
type ServiceSpec = k8s.types.input.core.v1.ServiceSpec;
type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** What each container gets besides its command: image, pull policy, resources. */
export interface ContainerSettings {
    image: pulumi.Input<string>;
    imagePullPolicy: string;
    resources: Resources;
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
function resources(r: Resources) {
    return { requests: { cpu: r.cpu, memory: r.memory }, limits: { memory: r.memory } };
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

const volumeMounts: VolumeMount[] = [
    { name: "connection", mountPath: PATHS.connectionDir, readOnly: true },
    { name: "session-key", mountPath: PATHS.secretDir, readOnly: true },
    { name: "home", mountPath: PATHS.home },
    { name: "tmp", mountPath: "/tmp" },
];

function podSpec(sources: PodSources, containers: Container[], extraVolumes: Volume[], terminationGracePeriodSeconds: number): PodSpec {
    return {
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: {
            runAsNonRoot: true,
            runAsUser: UID,
            runAsGroup: UID,
            fsGroup: UID,
            seccompProfile: { type: "RuntimeDefault" },
        },
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

function container(name: string, settings: ContainerSettings, fields: Partial<Container> & { volumeMounts?: VolumeMount[] }): Container {
    return {
        name,
        image: settings.image,
        imagePullPolicy: settings.imagePullPolicy,
        ...fields,
        resources: resources(settings.resources),
        securityContext: containerSecurity,
        volumeMounts: [...volumeMounts, ...(fields.volumeMounts ?? [])],
    };
}

/**
 * The controller Pod's spec: the controller and, when `notebook` is given, a notebook server. Both
 * share the home folder; the notebook reads its token from a Secret of its own.
 */
export function frontendPodSpec(settings: ContainerSettings, sources: PodSources, notebook?: NotebookSettings): PodSpec {
    const controller = container(NAMES.controllerContainer, settings, {
        args: controllerCommand(),
        env: frontendEnv(),
        ports: containerPorts(CONTROLLER_PORTS),
        readinessProbe: tcpReadiness(REGISTRATION_PORT),
    });
    if (!notebook) return podSpec(sources, [controller], [], 30);
    const server = container(NAMES.notebookContainer, { ...settings, resources: notebook.resources }, {
        args: notebookCommand(),
        env: notebookEnv(),
        ports: containerPorts([NOTEBOOK_PORT]),
        readinessProbe: tcpReadiness(NOTEBOOK_PORT),
        volumeMounts: [{ name: "notebook-token", mountPath: PATHS.notebookTokenDir, readOnly: true }],
    });
    const tokenVolume: Volume = { name: "notebook-token", secret: { secretName: notebook.tokenSecretName, defaultMode: 0o440 } };
    return podSpec(sources, [controller, server], [tokenVolume], 30);
}

/** A worker pod's spec: one engine, Ready only while that engine is registered. */
export function workerPodSpec(settings: ContainerSettings, sources: PodSources): PodSpec {
    const engine = container(NAMES.engineContainer, settings, {
        args: engineCommand(),
        env: workerEnv(),
        readinessProbe: { exec: { command: workerReadyCommand() }, periodSeconds: 2, failureThreshold: 1 },
    });
    return podSpec(sources, [engine], [], 15);
}

/**
 * The workers' Deployment: `replicas` pods from one template. The selector holds only the labels
 * that never change (selectors are immutable); `annotations` go on the template, so a change of
 * them rolls the pods.
 */
export function workerDeploymentSpec(
    instance: string,
    replicas: number,
    pod: PodSpec,
    annotations: Record<string, pulumi.Input<string>> = {},
): k8s.types.input.apps.v1.DeploymentSpec {
    return {
        replicas,
        selector: { matchLabels: selectorLabels(instance, "worker") },
        template: { metadata: { labels: labels(instance, "worker"), annotations }, spec: pod },
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

/** Workers listen on nothing: no ingress at all. */
export function workerNetworkPolicySpec(instance: string): NetworkPolicySpec {
    return {
        podSelector: { matchLabels: selectorLabels(instance, "worker") },
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
