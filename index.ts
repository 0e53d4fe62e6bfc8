import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { LoadedConfig, loadConfig } from "./lib/config";
import { scales, totalEngines } from "./lib/groups";
import { NOTEBOOK_PORT } from "./lib/ports";
import { notebookPath } from "./lib/runtime";
import { metricsUrl } from "./lib/monitoring";
import * as commands from "./lib/commands";
import * as connection from "./lib/connection";
import { Images } from "./components/images";
import { Environment, laptopPipInstall } from "./lib/software";
import { ClusterArgs, CommandOutputs } from "./components/cluster-args";
import { KubernetesCluster } from "./components/kubernetes-cluster";
import { DockerCluster } from "./components/docker-cluster";

/** What every stack shows, whatever runs it (besides the commands that reach the cluster). */
interface CommonOutputs {
    target: string;
    /** Worker pods (or containers) of all groups. */
    workers: number;
    /** Engines of all groups: what `len(rc.ids)` says once every engine is registered. */
    engines: number;
    /** Each worker group's shape, by name: pods, engines in each, GPUs of each. */
    workerGroups: Record<string, { workers: number; enginesPerWorker: number; gpus: number; minWorkers?: number; maxWorkers?: number }>;
    /** What each image's pods or containers run: the pushed digest, or the local image ID. */
    imageDigests: Record<"base" | "frontend" | "worker", pulumi.Output<string>>;
    /** Python, ipyparallel and every requested package as installed in the images: what a laptop client must match. */
    environment: pulumi.Output<Environment>;
    /** The pip command that installs that into a laptop's virtual environment of the same Python version. */
    laptopPipInstall: pulumi.Output<string>;
    /** A client file for the laptop, with the key (secret): `ipp.Client(file)` through the forwarded or published client ports. */
    laptopClientFile: pulumi.Output<string>;
    /** The notebook on the laptop, with its token (secret); only with a notebook. */
    notebookUrl?: pulumi.Output<string>;
    /** The watcher's Prometheus metrics on the laptop (on Kubernetes, through metricsPortForward). */
    metricsUrl: string;
}

/** Where the cluster is on Kubernetes, and the port-forwards a laptop needs. */
interface KubernetesOutputs {
    namespace: pulumi.Output<string>;
    frontendPod: pulumi.Output<string>;
    service: pulumi.Output<string>;
    /** Each group's Deployment, by group. */
    workerDeployments: pulumi.Output<Record<string, string>>;
    /** The Deployment, when there is one group (as every stack had before groups). */
    workerDeployment?: pulumi.Output<string>;
    clientPortForward: pulumi.Output<string>;
    /** The port-forward that metricsUrl needs. */
    metricsPortForward: pulumi.Output<string>;
    notebookPortForward?: pulumi.Output<string>;
    /** Only with `notebookServiceType: NodePort`. */
    notebookNodePort?: pulumi.Output<number>;
    /** Only with `notebookServiceType: LoadBalancer` (secret: it carries the token). */
    notebookExternalUrl?: pulumi.Output<string>;
    /** The PersistentVolumeClaim holding the notebook's home folder; only with a notebook and notebookStorage. */
    notebookStorage?: pulumi.Output<string>;
}

/** The containers on the local Docker engine. */
interface DockerOutputs {
    network: pulumi.Output<string>;
    frontendContainer: pulumi.Output<string>;
    watcherContainer: pulumi.Output<string>;
    workerContainers: pulumi.Output<string[]>;
    notebookContainer?: pulumi.Output<string>;
    /** The Docker volume holding the notebook's home folder; only with a notebook and notebookStorage. */
    notebookStorage?: pulumi.Output<string>;
}

/** Leaves out the outputs that do not apply: Pulumi warns about every undefined stack output. */
function present<T extends object>(outputs: T): T {
    return Object.fromEntries(Object.entries(outputs).filter(([, v]) => v !== undefined)) as T;
}

/** What a cluster component gives the stack: the commands that reach it, and where it is. */
interface Placed<T> {
    commands: CommandOutputs;
    outputs: T;
}

function onKubernetes({ settings, credentials }: LoadedConfig, cluster: ClusterArgs): Placed<KubernetesOutputs> {
    const k8s = new KubernetesCluster("cluster", {
        ...cluster,
        namespace: settings.namespace,
        createNamespace: settings.createNamespace,
        registryCredentials: credentials,
        scalerAdmissionPolicy: settings.scalerAdmissionPolicy,
        notebook: cluster.notebook && { ...cluster.notebook, serviceType: settings.notebookServiceType },
    });
    const outputs = present<KubernetesOutputs>({
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
    });
    return { commands: k8s.commands, outputs };
}

function onDocker(_loaded: LoadedConfig, cluster: ClusterArgs): Placed<DockerOutputs> {
    const local = new DockerCluster("cluster", cluster);
    const outputs = present<DockerOutputs>({
        network: local.networkName,
        frontendContainer: local.frontendContainer,
        watcherContainer: local.watcherContainer,
        workerContainers: local.workerContainers,
        notebookContainer: local.notebookContainer,
        notebookStorage: local.notebookVolume,
    });
    return { commands: local.commands, outputs };
}

/** The program: validate every setting before anything is declared, build the images, declare the cluster. */
export = async (): Promise<CommonOutputs & CommandOutputs & (KubernetesOutputs | DockerOutputs)> => {
    const loaded = loadConfig();
    const { settings } = loaded;

    const images = new Images("images", {
        registry: settings.registry,
        push: settings.push,
        osImage: settings.osImage,
        software: settings.software,
        notebookInterface: settings.notebookApp.interface,
        credentials: loaded.credentials,
    });

    // The HMAC key that signs every message: whoever holds it can run code on the cluster.
    // Marked secret here too, so that every input it reaches is sent as a secret.
    const sessionKey = pulumi.secret(new random.RandomBytes("session-key", { length: 32 }).hex);
    // The notebook's access token: there is no unauthenticated access to the notebook.
    const notebookToken = settings.notebook ? pulumi.secret(new random.RandomPassword("notebook-token", { length: 48, special: false }).result) : undefined;

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
    const placed: Placed<KubernetesOutputs | DockerOutputs> = settings.target === "docker" ? onDocker(loaded, cluster) : onKubernetes(loaded, cluster);

    return {
        ...placed.commands,
        ...placed.outputs,
        ...present<CommonOutputs>({
            target: settings.target,
            workers: settings.workerGroups.reduce((sum, g) => sum + g.workers, 0),
            engines: totalEngines(settings.workerGroups),
            workerGroups: Object.fromEntries(
                settings.workerGroups.map(g => [
                    g.name,
                    {
                        workers: g.workers,
                        enginesPerWorker: g.enginesPerWorker,
                        gpus: g.gpus,
                        ...(scales(g) ? { minWorkers: g.minWorkers, maxWorkers: g.maxWorkers } : {}),
                    },
                ]),
            ),
            imageDigests: { base: images.refs.base.id, frontend: images.refs.frontend.id, worker: images.refs.worker.id },
            environment: images.environment,
            laptopPipInstall: images.environment.apply(laptopPipInstall),
            metricsUrl: metricsUrl(),
            laptopClientFile: sessionKey.apply(key => JSON.stringify(connection.laptopClientFile(key), null, 2)),
            notebookUrl:
                notebookToken &&
                pulumi.secret(notebookToken.apply(token => commands.notebookUrl("127.0.0.1", NOTEBOOK_PORT.port, token, notebookPath(settings.notebookApp)))),
        }),
    };
};
