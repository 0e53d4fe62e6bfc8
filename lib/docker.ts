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
import { Resources, cpuCores, memoryBytes } from "./config";
import { Component, NAMES, PATHS, labels } from "./names";
import {
    EnvVar,
    KEY_FILE,
    UID,
    connectionFileContents,
    controllerCommand,
    engineCommand,
    frontendEnv,
    frontendReadyCommand,
    workerEnv,
    workerReadyCommand,
} from "./runtime";

type ContainerArgs = docker.ContainerArgs;

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
}

function envs(vars: EnvVar[]): string[] {
    return vars.map(v => `${v.name}=${v.value}`);
}

/** The keyless connection files (readable by all) and the key (readable by the container's user only). */
function uploads(component: Component, sessionKey: pulumi.Input<string>) {
    return [
        ...Object.entries(connectionFileContents(component)).map(([file, content]) => ({
            file: `${PATHS.connectionDir}/${file}`,
            content,
            permissions: "0444",
        })),
        { file: KEY_FILE, content: sessionKey, owner: String(UID), group: String(UID), permissions: "0400" },
    ];
}

function container(component: Component, s: DockerContainerSettings, command: string[], env: EnvVar[], ready: string[]): ContainerArgs {
    return {
        name: s.name,
        hostname: s.hostname,
        image: s.image,
        command,
        envs: envs(env),
        user: `${UID}:${UID}`,
        uploads: uploads(component, s.sessionKey),
        capabilities: { drops: ["ALL"] },
        securityOpts: ["no-new-privileges"],
        memory: Math.round(memoryBytes(s.resources.memory) / 2 ** 20),
        cpuShares: Math.round(cpuCores(s.resources.cpu) * 1024),
        restart: "unless-stopped",
        networksAdvanced: [{ name: s.network, aliases: s.aliases }],
        healthcheck: { tests: ["CMD", ...ready], interval: "2s", timeout: "5s", retries: 2, startPeriod: "0s" },
        wait: true,
        waitTimeout: 300,
        labels: Object.entries(labels(s.instance, component)).map(([label, value]) => ({ label, value })),
        destroyGraceSeconds: 30,
        mustRun: true,
    };
}

/** The controller's container: reachable as `ipp-frontend` (its own name) and `ipp-controller` (the workers' address). */
export function frontendContainerArgs(s: Omit<DockerContainerSettings, "aliases" | "hostname">): ContainerArgs {
    const settings = { ...s, hostname: NAMES.frontendPod, aliases: [NAMES.frontendPod, NAMES.controllerService] };
    return container("frontend", settings, controllerCommand(), frontendEnv(), frontendReadyCommand());
}

/** A worker's container: healthy only while its engine is registered. */
export function workerContainerArgs(s: DockerContainerSettings): ContainerArgs {
    return container("worker", s, engineCommand(), workerEnv(), workerReadyCommand());
}
