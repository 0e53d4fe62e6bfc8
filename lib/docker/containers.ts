/**
 * The Docker target's container specs, as plain data: the same images, commands, connection files
 * and key handling as on Kubernetes, with Docker's means. Files arrive as uploads; the key only
 * ever in a file readable by the container's user, never in the environment or a label.
 *
 * Unlike on Kubernetes the root file system stays writable: the Docker provider uploads files by
 * extracting them at `/`, which Docker refuses on a read-only root.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";
import type { SharedVolume } from "../storage";
import { Resources, cpuShares, memoryMiB } from "../quantities";
import { ClusterNames, Component, PATHS, dockerLabels, workerLabels } from "../names";
import type { WorkerGroup } from "../groups";
import type { HubSettings } from "../hub-settings";
import { METRICS_PORT, NOTEBOOK_PORT, WATCHER_PORT, portsFor } from "../ports";
import { WATCHER_RESOURCES, watcherCommand, watcherEnv, watcherUrl } from "../monitoring";
import {
    EnvVar,
    NotebookApp,
    KEY_FILE,
    NOTEBOOK_TOKEN_FILE,
    UID,
    connectionFileContents,
    controllerCommand,
    engineCommand,
    frontendEnv,
    frontendReadyCommand,
    listening,
    notebookCommand,
    notebookEnv,
    notebookReadyCommand,
    POD_NAME_VARIABLE,
    workerEnv,
    workerReadyCommand,
} from "../runtime";

type ContainerArgs = docker.ContainerArgs;

/** How long a container that is removed gets to stop (every container: as long as the longest pod's grace period). */
export const DESTROY_GRACE_SECONDS = 30;

export interface DockerContainerSettings {
    /** The container's name on the engine. */
    name: string;
    image: pulumi.Input<string>;
    resources: Resources;
    /** The network the containers share, and this container's names on it. */
    network: pulumi.Input<string>;
    aliases: string[];
    hostname: string;
    sessionKey: pulumi.Input<string>;
    instance: string;
    /** The cluster's names: the connection files name the controller by them. */
    names: ClusterNames;
    /** The data volume at /home/jupyter/shared; undefined for none. */
    shared?: SharedVolume;
    /** The controller's timing, which the workers follow too: hubSettings of the cluster's most engines. */
    hub: HubSettings;
}

function envs(vars: EnvVar[]): string[] {
    return vars.map(v => `${v.name}=${v.value}`);
}

/** A secret file, readable by the container's user alone. */
function privateFile(file: string, content: pulumi.Input<string>) {
    return { file, content, owner: String(UID), group: String(UID), permissions: "0400" };
}

/** The keyless connection files (readable by all) and the key. */
function uploads(component: Component, names: ClusterNames, sessionKey: pulumi.Input<string>) {
    return [
        ...Object.entries(connectionFileContents(component, names)).map(([file, content]) => ({
            file: `${PATHS.connectionDir}/${file}`,
            content,
            permissions: "0444",
        })),
        privateFile(KEY_FILE, sessionKey),
    ];
}

type Mount = docker.types.input.ContainerVolume;

/** The shared data volume as Docker mounts it: a Docker volume by name, or a folder of this machine. */
function sharedMounts(shared: SharedVolume | undefined, readOnly: boolean): Mount[] {
    if (!shared) return [];
    const ro = readOnly ? { readOnly: true } : {};
    switch (shared.kind) {
        case "claim":
            return [{ volumeName: shared.claimName, containerPath: PATHS.sharedDir, ...ro }];
        case "hostPath":
            return [{ hostPath: shared.hostPath, containerPath: PATHS.sharedDir, ...ro }];
        default:
            throw new Error("an NFS export is no volume for a Docker container");
    }
}

/** The `volumes` input, left out when there are none, so that a container without volumes stays as it was. */
function volumes(mounts: Mount[]): Partial<ContainerArgs> {
    return mounts.length ? { volumes: mounts } : {};
}

/** Ports published on the host's loopback only: reachable from this machine, not from the network. */
function loopbackPorts(ports: number[]) {
    return ports.map(port => ({ internal: port, external: port, ip: "127.0.0.1", protocol: "tcp" }));
}

function container(
    component: Component,
    s: DockerContainerSettings,
    command: string[],
    env: EnvVar[],
    ready: string[],
    extra: Partial<ContainerArgs> = {},
): ContainerArgs {
    return {
        name: s.name,
        hostname: s.hostname,
        image: s.image,
        command,
        envs: envs(env),
        user: `${UID}:${UID}`,
        uploads: uploads(component, s.names, s.sessionKey),
        capabilities: { drops: ["ALL"] },
        securityOpts: ["no-new-privileges"],
        memory: memoryMiB(s.resources.memory),
        cpuShares: cpuShares(s.resources.cpu),
        restart: "unless-stopped",
        networksAdvanced: [{ name: s.network, aliases: s.aliases }],
        healthcheck: { tests: ["CMD", ...ready], interval: "2s", timeout: "5s", retries: 2, startPeriod: "0s" },
        wait: true,
        waitTimeout: 300,
        labels: dockerLabels(s.instance, component),
        destroyGraceSeconds: DESTROY_GRACE_SECONDS,
        mustRun: true,
        ...extra,
    };
}

/**
 * The controller's container: reachable as `<prefix>-frontend` (its own name) and `<prefix>-controller`
 * (the workers' address); its client ports are published on this machine's loopback, for a laptop client.
 */
export function frontendContainerArgs(s: Omit<DockerContainerSettings, "aliases" | "hostname" | "name">): ContainerArgs {
    const settings = { ...s, name: s.names.frontend, hostname: s.names.frontend, aliases: [s.names.frontend, s.names.controller] };
    return container("frontend", settings, controllerCommand(s.hub, s.resources.memory), frontendEnv(), frontendReadyCommand(), {
        ports: loopbackPorts(portsFor("clients").map(p => p.port)),
    });
}

/**
 * The watcher's container (on Kubernetes, a container of the controller's Pod): the frontend's image
 * and entrypoint, reachable as `<prefix>-watcher`, its metrics port and the port of signed requests
 * published on this machine's loopback. Healthy once it serves.
 */
export function watcherContainerArgs(s: Omit<DockerContainerSettings, "aliases" | "hostname" | "name" | "resources">, watchSeconds: number): ContainerArgs {
    const settings = { ...s, name: s.names.watcher, hostname: s.names.watcher, aliases: [s.names.watcher], resources: WATCHER_RESOURCES };
    return container("frontend", settings, watcherCommand(), watcherEnv(watchSeconds, s.instance), listening(WATCHER_PORT.port), {
        ports: loopbackPorts([METRICS_PORT.port, WATCHER_PORT.port]),
    });
}

/**
 * The notebook's container: the frontend's image and entrypoint, its token in a private file, its port
 * on loopback. With `homeVolume`, the home folder (the notebooks) is that Docker volume, and the
 * IPython profile, where the keyed client file goes, a tmpfs over it: no key lands on the volume.
 * The shared data volume is read-write here.
 */
export function notebookContainerArgs(
    s: Omit<DockerContainerSettings, "aliases" | "hostname" | "name"> & {
        app: NotebookApp;
        notebookToken: pulumi.Input<string>;
        homeVolume?: pulumi.Input<string>;
    },
): ContainerArgs {
    const settings = { ...s, name: s.names.notebook, hostname: s.names.notebook, aliases: [s.names.notebook] };
    const home: Mount[] = s.homeVolume ? [{ volumeName: s.homeVolume, containerPath: PATHS.home }] : [];
    const args = container("frontend", settings, notebookCommand(s.app), notebookEnv(watcherUrl(s.names.watcher)), notebookReadyCommand(), {
        ports: loopbackPorts([NOTEBOOK_PORT.port]),
        ...volumes([...home, ...sharedMounts(s.shared, false)]),
        ...(s.homeVolume ? { tmpfs: { [PATHS.ipythonDir]: `uid=${UID},gid=${UID},mode=0700` } } : {}),
    });
    return { ...args, uploads: [...uploads("frontend", s.names, s.sessionKey), privateFile(NOTEBOOK_TOKEN_FILE, s.notebookToken)] };
}

/**
 * Worker `index` (from 1) of `group`: named and reachable as `<prefix>-worker[-<group>]-<index>`,
 * healthy only while all its engines are registered; the shared data volume read-only when it says so.
 * A group with GPUs gets the machine's GPUs (the Docker provider cannot ask for a number of them).
 */
export function workerContainerArgs(s: Omit<DockerContainerSettings, "aliases" | "hostname" | "name">, group: WorkerGroup, index: number): ContainerArgs {
    const name = s.names.workerContainer(group.name, index);
    const settings = { ...s, name, hostname: name, aliases: [name] };
    const env = [...workerEnv(group.name, group.enginesPerWorker, watcherUrl(s.names.watcher), s.hub), { name: POD_NAME_VARIABLE, value: name }];
    return container("worker", settings, engineCommand(), env, workerReadyCommand(), {
        labels: dockerLabels(s.instance, workerLabels(s.instance, group.name)),
        ...volumes(sharedMounts(s.shared, s.shared?.readOnly ?? false)),
        ...(group.gpus > 0 ? { gpus: "all" } : {}),
    });
}
