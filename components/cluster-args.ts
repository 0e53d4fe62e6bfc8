/**
 * What every cluster component takes and gives, whatever runs the containers: the images, the key,
 * the sizes, an optional notebook; and the commands that reach the cluster.
 */
import * as pulumi from "@pulumi/pulumi";
import { Resources, readSchema } from "../lib/config";
import { ImageKind } from "../lib/names";
import { WorkerGroup, defaultGroup } from "../lib/groups";
import { ClusterCommands } from "../lib/commands";
import { SharedVolume } from "../lib/storage";
import { ImageRef } from "./images";

/** Where the notebook keeps its home folder, and so the notebooks. */
export interface NotebookStorageArgs {
    /**
     * Size of the claim that holds the home folder (Kubernetes; the docker target uses a Docker volume,
     * which has no size). "" keeps the home in a folder that lives as long as the Pod or container.
     * Defaults to Pulumi.yaml's notebookStorage (10Gi).
     */
    size?: string;
    /** The claim's StorageClass. Defaults to "", the cluster's default class. */
    storageClass?: string;
    /** Keep the claim (or the Docker volume) on `pulumi destroy`, for the next `pulumi up` to take up. Defaults to false. */
    retain?: boolean;
}

/** The notebook server next to the controller. */
export interface NotebookArgs {
    /** The notebook's access token (secret). */
    token: pulumi.Input<string>;
    /** CPU request and memory request/limit of the notebook server. Defaults to Pulumi.yaml's notebookCpu/notebookMemory (250m, 1Gi). */
    resources?: Resources;
    /** Where the home folder lives. Defaults to a claim of Pulumi.yaml's notebookStorage (10Gi) in the default class, deleted on destroy. */
    storage?: NotebookStorageArgs;
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
    /** CPU request and memory request/limit of the controller. Defaults to Pulumi.yaml's frontendCpu/frontendMemory (250m, 2Gi). */
    frontendResources?: Resources;
    /**
     * The worker groups, each its own Deployment (or set of containers). Defaults to one group named
     * `default` of Pulumi.yaml's workers (2) pods, enginesPerWorker (1) engines each, workerCpu/workerMemory (500m, 1Gi).
     */
    workerGroups?: WorkerGroup[];
    /** The resource name a group's GPUs are asked for by. Defaults to Pulumi.yaml's gpuResource (nvidia.com/gpu). */
    gpuResource?: string;
    /** A notebook server next to the controller; left out, there is none. */
    notebook?: NotebookArgs;
    /** A data volume at /home/jupyter/shared in the notebook and every engine. Defaults to none. */
    sharedVolume?: SharedVolume;
}

/** The defaults the Args above document, read from Pulumi.yaml like the stack's own. */
export function clusterDefaults() {
    const schema = readSchema();
    const resources = (prefix: string): Resources => ({
        cpu: String(schema[`${prefix}Cpu`].default),
        memory: String(schema[`${prefix}Memory`].default),
    });
    return {
        frontend: resources("frontend"),
        workerGroups: [
            defaultGroup({ workers: Number(schema.workers.default), enginesPerWorker: Number(schema.enginesPerWorker.default), ...resources("worker") }),
        ],
        gpuResource: String(schema.gpuResource.default),
        notebook: resources("notebook"),
        notebookStorage: { size: String(schema.notebookStorage.default), storageClass: "", retain: false },
    };
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
 * Declares a child of `parent` named `<component>-<role>`. The alias keeps the URN the child had
 * when it was named `<role>` alone, so that existing stacks update in place instead of replacing
 * the cluster.
 */
export function childOf(parent: pulumi.ComponentResource, component: string) {
    return <T extends pulumi.Resource>(
        role: string,
        make: (name: string, opts: pulumi.CustomResourceOptions) => T,
        opts: pulumi.CustomResourceOptions = {},
    ): T => make(`${component}-${role}`, { ...opts, parent, aliases: [{ name: role }] });
}
