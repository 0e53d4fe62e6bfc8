/**
 * What a Cluster declares from validated settings: the images, the key, the notebook's token and the
 * cluster on its target; and the outputs that tell a user how to reach it. Each child is named
 * `<cluster>-<role>` and carries an alias to the URN it had when the stack program declared it at the
 * top of the stack (`<role>`), so that existing stacks update in place; their own children follow by
 * Pulumi's rule for children named after their parent.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { LoadedConfig } from "../lib/config";
import { scales, totalEngines } from "../lib/groups";
import { NOTEBOOK_PORT } from "../lib/ports";
import { notebookPath } from "../lib/runtime";
import { metricsUrl } from "../lib/monitoring";
import * as commands from "../lib/commands";
import * as connection from "../lib/connection";
import { laptopPipInstall } from "../lib/software";
import { Images } from "./images";
import { ClusterArgs, CommandOutputs } from "./cluster-args";
import { KubernetesCluster } from "./kubernetes-cluster";
import { DockerCluster } from "./docker-cluster";

/** A worker group's shape, as the outputs show it. */
export interface WorkerGroupShape {
    /** Pods (or containers) the group starts with. */
    workers: number;
    /** Engines in each. */
    enginesPerWorker: number;
    /** GPUs of each. */
    gpus: number;
    /** The fewest pods the scaler may leave; only for a group that scales. */
    minWorkers?: number;
    /** The most pods the scaler may start; only for a group that scales. */
    maxWorkers?: number;
}

/** What each image's pods or containers run. */
export interface ImageDigests {
    base: string;
    frontend: string;
    worker: string;
}

/** What the images hold: what a laptop client must match. */
export interface ImageEnvironment {
    python: string;
    ipyparallel: string;
    pyzmq: string;
    /** Each requested Debian package with its installed version (null when it was not found). */
    aptPackages: { [name: string]: string };
    /** Each requested pip project with its installed version (null when it was not found). */
    pipPackages: { [name: string]: string };
}

/** Every output of a cluster; those that do not apply to its target or settings are undefined. */
export interface ClusterOutputs extends CommandOutputs {
    target: pulumi.Output<string>;
    workers: pulumi.Output<number>;
    engines: pulumi.Output<number>;
    workerGroups: pulumi.Output<Record<string, WorkerGroupShape>>;
    imageDigests: pulumi.Output<ImageDigests>;
    environment: pulumi.Output<ImageEnvironment>;
    laptopPipInstall: pulumi.Output<string>;
    laptopClientFile: pulumi.Output<string>;
    notebookUrl?: pulumi.Output<string>;
    metricsUrl: pulumi.Output<string>;
    namespace?: pulumi.Output<string>;
    frontendPod?: pulumi.Output<string>;
    service?: pulumi.Output<string>;
    workerDeployments?: pulumi.Output<Record<string, string>>;
    workerDeployment?: pulumi.Output<string>;
    clientPortForward?: pulumi.Output<string>;
    metricsPortForward?: pulumi.Output<string>;
    notebookPortForward?: pulumi.Output<string>;
    notebookNodePort?: pulumi.Output<number>;
    notebookExternalUrl?: pulumi.Output<string>;
    notebookStorage?: pulumi.Output<string>;
    network?: pulumi.Output<string>;
    frontendContainer?: pulumi.Output<string>;
    watcherContainer?: pulumi.Output<string>;
    workerContainers?: pulumi.Output<string[]>;
    notebookContainer?: pulumi.Output<string>;
}

/** The outputs that tell where the cluster is, by target. */
type Placement = Omit<ClusterOutputs, keyof CommonOutputs>;
type CommonOutputs = Pick<
    ClusterOutputs,
    "target" | "workers" | "engines" | "workerGroups" | "imageDigests" | "environment" | "laptopPipInstall" | "laptopClientFile" | "notebookUrl" | "metricsUrl"
>;

/** Options of a child of the cluster: its parent, and the URN it had at the top of the stack. */
function childOptions(parent: pulumi.ComponentResource, role: string): pulumi.CustomResourceOptions {
    return { parent, aliases: [{ name: role, parent: pulumi.rootStackResource }] };
}

function onKubernetes(parent: pulumi.ComponentResource, name: string, { settings, credentials }: LoadedConfig, cluster: ClusterArgs): Placement {
    const k8s = new KubernetesCluster(
        `${name}-cluster`,
        {
            ...cluster,
            namespace: settings.namespace,
            createNamespace: settings.createNamespace,
            registryCredentials: credentials,
            scalerAdmissionPolicy: settings.scalerAdmissionPolicy,
            notebook: cluster.notebook && { ...cluster.notebook, serviceType: settings.notebookServiceType },
        },
        childOptions(parent, "cluster"),
    );
    return {
        ...k8s.commands,
        namespace: k8s.namespace,
        frontendPod: k8s.frontendPodName,
        service: k8s.serviceName,
        workerDeployments: k8s.deploymentNames,
        workerDeployment: settings.workerGroups.length === 1 ? k8s.deploymentNames.apply(d => Object.values(d)[0]) : undefined,
        clientPortForward: k8s.clientPortForward,
        metricsPortForward: k8s.metricsPortForward,
        notebookPortForward: k8s.notebook?.portForward,
        notebookNodePort: k8s.notebook?.nodePort,
        notebookExternalUrl: k8s.notebook?.externalUrl,
        notebookStorage: k8s.notebook?.claimName,
    };
}

function onDocker(parent: pulumi.ComponentResource, name: string, cluster: ClusterArgs): Placement {
    const local = new DockerCluster(`${name}-cluster`, cluster, childOptions(parent, "cluster"));
    return {
        ...local.commands,
        network: local.networkName,
        frontendContainer: local.frontendContainer,
        watcherContainer: local.watcherContainer,
        workerContainers: local.workerContainers,
        notebookContainer: local.notebookContainer,
        notebookStorage: local.notebookVolume,
    };
}

/** Builds the images and declares the cluster under `parent`; returns every output. */
export function declareCluster(parent: pulumi.ComponentResource, name: string, loaded: LoadedConfig): ClusterOutputs {
    const { settings } = loaded;
    const images = new Images(
        `${name}-images`,
        {
            registry: settings.registry,
            push: settings.push,
            osImage: settings.osImage,
            software: settings.software,
            notebookInterface: settings.notebookApp.interface,
            credentials: loaded.credentials,
        },
        childOptions(parent, "images"),
    );

    // The HMAC key that signs every message: whoever holds it can run code on the cluster.
    // Marked secret here too, so that every input it reaches is sent as a secret.
    const sessionKey = pulumi.secret(new random.RandomBytes(`${name}-session-key`, { length: 32 }, childOptions(parent, "session-key")).hex);
    // The notebook's access token: there is no unauthenticated access to the notebook.
    const notebookToken = settings.notebook
        ? pulumi.secret(new random.RandomPassword(`${name}-notebook-token`, { length: 48, special: false }, childOptions(parent, "notebook-token")).result)
        : undefined;

    const cluster: ClusterArgs = {
        instance: settings.instance,
        namePrefix: settings.namePrefix,
        images: images.refs,
        sessionKey,
        frontendResources: settings.frontend,
        workerGroups: settings.workerGroups,
        gpuResource: settings.gpuResource,
        notebook: notebookToken && {
            app: settings.notebookApp,
            token: notebookToken,
            resources: settings.notebookResources,
            storage: settings.notebookStorage,
        },
        sharedVolume: settings.sharedVolume,
        monitoring: settings.monitoring,
    };
    const placed = settings.target === "docker" ? onDocker(parent, name, cluster) : onKubernetes(parent, name, loaded, cluster);
    const shape = (g: (typeof settings.workerGroups)[number]): WorkerGroupShape => ({
        workers: g.workers,
        enginesPerWorker: g.enginesPerWorker,
        gpus: g.gpus,
        ...(scales(g) ? { minWorkers: g.minWorkers, maxWorkers: g.maxWorkers } : {}),
    });
    return {
        ...placed,
        target: pulumi.output(settings.target),
        workers: pulumi.output(settings.workerGroups.reduce((sum, g) => sum + g.workers, 0)),
        engines: pulumi.output(totalEngines(settings.workerGroups)),
        workerGroups: pulumi.output(Object.fromEntries(settings.workerGroups.map(g => [g.name, shape(g)]))),
        imageDigests: pulumi.output({ base: images.refs.base.id, frontend: images.refs.frontend.id, worker: images.refs.worker.id }),
        environment: images.environment as pulumi.Output<ImageEnvironment>,
        laptopPipInstall: images.environment.apply(laptopPipInstall),
        metricsUrl: pulumi.output(metricsUrl()),
        laptopClientFile: sessionKey.apply(key => JSON.stringify(connection.laptopClientFile(key), null, 2)),
        notebookUrl:
            notebookToken &&
            pulumi.secret(notebookToken.apply(token => commands.notebookUrl("127.0.0.1", NOTEBOOK_PORT.port, token, notebookPath(settings.notebookApp)))),
    };
}
