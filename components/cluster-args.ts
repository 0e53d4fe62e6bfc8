/**
 * What every cluster component takes and gives, whatever runs the containers: the images, the key,
 * the sizes, an optional notebook; the commands that reach the cluster; and how children are named.
 */
import * as pulumi from "@pulumi/pulumi";
import { ImageKind } from "../lib/names";
import { Resources } from "../lib/quantities";
import { WorkerGroup } from "../lib/groups";
import { ClusterCommands } from "../lib/commands";
import { NotebookStorage, SharedVolume } from "../lib/storage";
import { NotebookApp } from "../lib/runtime";
import { MonitoringSettings } from "../lib/monitoring";
import { ImageRef } from "./images";

/** The notebook server next to the controller. */
export interface NotebookArgs {
    /** What the notebook serves (JupyterLab or the notebook interface) and on which server. */
    app: NotebookApp;
    /** The notebook's access token (secret). */
    token: pulumi.Input<string>;
    /** CPU request and memory request/limit of the notebook server (the stack's notebookCpu/notebookMemory). */
    resources: Resources;
    /** Where the home folder (the notebooks) lives: a claim or Docker volume of a size, or "" for one that lives as long as the Pod. */
    storage: NotebookStorage;
}

export interface ClusterArgs {
    /** The `app.kubernetes.io/instance` label: tells this deployment's objects from any other's. */
    instance: string;
    /** Every object's name starts with it (`<prefix>-frontend`, `<prefix>-controller`, …), so that clusters can share a namespace or a Docker engine. */
    namePrefix: string;
    /** The built images; `pushed` says whether pods pull them by digest. */
    images: Record<ImageKind, ImageRef>;
    /** The HMAC key that signs every message (secret). */
    sessionKey: pulumi.Input<string>;
    /** CPU request and memory request/limit of the controller (the stack's frontendCpu/frontendMemory). */
    frontendResources: Resources;
    /** The worker groups, each its own Deployment (or set of containers). */
    workerGroups: WorkerGroup[];
    /** The resource name a group's GPUs are asked for by, e.g. nvidia.com/gpu. */
    gpuResource: string;
    /** A notebook server next to the controller; left out, there is none. */
    notebook?: NotebookArgs;
    /** A data volume at /home/jupyter/shared in the notebook and every engine; left out, there is none. */
    sharedVolume?: SharedVolume;
    /** The watcher's period, and how its metrics are scraped and shown (the PodMonitor and dashboard on Kubernetes only). */
    monitoring: MonitoringSettings;
}

/** The commands a cluster component prints for its users, as outputs. */
export type CommandOutputs = { [K in keyof ClusterCommands]: pulumi.Output<ClusterCommands[K]> };

/** Splits one Output of all the commands into an Output per command. */
export function commandOutputs(commands: pulumi.Output<ClusterCommands>): CommandOutputs {
    return {
        seedTest: commands.seedTest,
        frontendPython: commands.frontendPython,
        frontendShell: commands.frontendShell,
        workerShells: commands.workerShells,
    };
}

/**
 * The children whose URNs ended in `::<role>` before children were named `<component>-<role>`: only
 * these carry an alias to that URN. Children that came later (the notebook's claim and Docker volume,
 * the provider that adopts a kept claim, the objects of named worker groups) never had one.
 */
export const FORMER_ROLES = {
    kubernetes: [
        "namespace",
        "session-key",
        "notebook-token",
        "registry-credentials",
        "configmap-fn",
        "configmap-wn",
        "service",
        "frontend",
        "workers",
        "netpol-frontend",
        "netpol-workers",
        "notebook-service",
    ],
    /** And every container of the default group, `worker-<n>`. */
    docker: ["network", "frontend", "notebook"],
};

/** Whether a child of the `target`'s cluster component had a URN of its own before it was renamed. */
export function hadFormerUrn(target: keyof typeof FORMER_ROLES, role: string): boolean {
    return FORMER_ROLES[target].includes(role) || (target === "docker" && /^worker-[0-9]+$/.test(role));
}

/**
 * Declares a child of `parent` named `<component>-<role>`. A child that had a URN before children
 * were named so carries an alias to it, so that existing stacks update it in place instead of
 * replacing it.
 */
export function childOf(parent: pulumi.ComponentResource, component: string, target: keyof typeof FORMER_ROLES) {
    return <T extends pulumi.Resource>(
        role: string,
        make: (name: string, opts: pulumi.CustomResourceOptions) => T,
        opts: pulumi.CustomResourceOptions = {},
    ): T => make(`${component}-${role}`, { ...opts, parent, ...(hadFormerUrn(target, role) ? { aliases: [{ name: role }] } : {}) });
}

/** The type of `childOf`'s result: declares one child. */
export type Child = ReturnType<typeof childOf>;
