/**
 * The product: an IPython Parallel cluster as one component, usable from any Pulumi language
 * (`pulumi package add` of this repository generates its SDK; the schema is inferred from this class
 * and ClusterSettings). The stack program (index.ts) is one user of it: it reads stack config into
 * the same settings.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, shown } from "../lib/reader";
import { key } from "../lib/names";
import { ClusterSettings } from "./cluster-settings";
import { ClusterOutputs, ImageDigests, ImageEnvironment, WorkerGroupShape, declareCluster } from "./cluster-parts";
import { ClusterConfig, loadSettings } from "../lib/config";

/** Each cluster's outputs, for the stack program (kept apart: every field of the class is an output of the schema). */
const outputsByCluster = new WeakMap<Cluster, ClusterOutputs>();

/** A cluster's outputs, those that do not apply to its target or settings left out. */
export function outputsOf(cluster: Cluster): Partial<ClusterOutputs> {
    const outputs = outputsByCluster.get(cluster) ?? {};
    return Object.fromEntries(Object.entries(outputs).filter(([, v]) => v !== undefined));
}

/** What this program's clusters have claimed (object names, namespaces they create), and by which cluster. */
const claimed = new Map<string, string>();

/** Refuses a second cluster whose objects would have the same names as one already declared, or that would create its namespace again. */
function claimNames(component: string, { target, namespace, namePrefix, createNamespace }: ClusterConfig) {
    const onDocker = target === "docker";
    const claims: [string, string][] = [
        [
            `${target}/${onDocker ? "" : namespace}/${namePrefix}`,
            `${key("namePrefix")} ${shown(namePrefix)} is already used by the cluster %s in ${onDocker ? "the Docker engine" : `namespace ${namespace}`}; ` +
                `give each cluster its own ${key("namePrefix")}${onDocker ? "" : ` or ${key("namespace")}`}.`,
        ],
    ];
    if (!onDocker && createNamespace) {
        claims.push([
            `namespace/${namespace}`,
            `${key("namespace")} ${shown(namespace)} is already created by the cluster %s: give this cluster a namespace of its own, ` +
                `or set ${key("createNamespace")} false on every cluster but one that shares it.`,
        ]);
    }
    const problems = claims.filter(([place]) => claimed.has(place)).map(([place, message]) => message.replace("%s", shown(claimed.get(place))));
    if (problems.length) throw new ConfigError(problems);
    for (const [place] of claims) claimed.set(place, component);
}

/** Refuses a Kubernetes provider given to the cluster: it uses the stack's kubernetes: config (the current context) throughout. */
function refuseKubernetesProvider(cluster: pulumi.ComponentResource, target: string) {
    const given = cluster.getProvider("kubernetes::");
    if (target === "kubernetes" && given) {
        throw new ConfigError([
            `The cluster runs on the current kubectl context (the kubernetes: config of the program's stack), as every object it declares does; ` +
                `an explicit Kubernetes provider (the provider or providers option) is not supported. Select the context with kubectl or \`pulumi config set kubernetes:context\`.`,
        ]);
    }
}

/**
 * An IPython Parallel cluster: a controller (with a watcher and, optionally, a Jupyter notebook) and
 * worker pods running engines, on Kubernetes (the current context) or on the local Docker engine, with
 * its images built and pushed. Every setting is checked before anything is declared.
 */
export class Cluster extends pulumi.ComponentResource {
    /** Where the cluster runs: kubernetes or docker. */
    public readonly target!: pulumi.Output<string>;
    /** Worker pods (or containers) of all groups. */
    public readonly workers!: pulumi.Output<number>;
    /** Engines of all groups: what `len(rc.ids)` says once every engine is registered. */
    public readonly engines!: pulumi.Output<number>;
    /** Each worker group's shape, by name: pods, engines in each, GPUs of each (and the scaler's bounds). */
    public readonly workerGroups!: pulumi.Output<{ [group: string]: WorkerGroupShape }>;
    /** What each image's pods or containers run: the pushed digest, or the local image ID. */
    public readonly imageDigests!: pulumi.Output<ImageDigests>;
    /** Python, ipyparallel and every requested package as installed in the images: what a laptop client must match. */
    public readonly environment!: pulumi.Output<ImageEnvironment>;
    /** The pip command that installs that into a laptop's virtual environment of the same Python version. */
    public readonly laptopPipInstall!: pulumi.Output<string>;
    /** A client file for the laptop, with the key (secret): `ipp.Client(file)` through the forwarded or published client ports. */
    public readonly laptopClientFile!: pulumi.Output<string>;
    /** The notebook on the laptop, with its token (secret); only with a notebook. */
    public readonly notebookUrl?: pulumi.Output<string>;
    /** The watcher's Prometheus metrics on the laptop (on Kubernetes, through metricsPortForward). */
    public readonly metricsUrl!: pulumi.Output<string>;
    /** Runs the seed's test (a sum on every engine) in the frontend. */
    public readonly seedTest!: pulumi.Output<string>;
    /** Python on the frontend, with the client file at hand. */
    public readonly frontendPython!: pulumi.Output<string>;
    /** A shell on the frontend. */
    public readonly frontendShell!: pulumi.Output<string>;
    /** Shells on the workers (on Kubernetes, one command that picks any worker). */
    public readonly workerShells!: pulumi.Output<string[]>;
    /** Kubernetes: the namespace. */
    public readonly namespace?: pulumi.Output<string>;
    /** Kubernetes: the frontend Pod (controller, watcher, notebook). */
    public readonly frontendPod?: pulumi.Output<string>;
    /** Kubernetes: the Service in front of the controller. */
    public readonly service?: pulumi.Output<string>;
    /** Kubernetes: each group's Deployment, by group. */
    public readonly workerDeployments?: pulumi.Output<{ [group: string]: string }>;
    /** Kubernetes: the Deployment, when there is one group. */
    public readonly workerDeployment?: pulumi.Output<string>;
    /** Kubernetes: the port-forward a laptop's client needs. */
    public readonly clientPortForward?: pulumi.Output<string>;
    /** Kubernetes: the port-forward that metricsUrl needs. */
    public readonly metricsPortForward?: pulumi.Output<string>;
    /** Kubernetes: the port-forward that notebookUrl needs; only with a notebook. */
    public readonly notebookPortForward?: pulumi.Output<string>;
    /** Kubernetes: the notebook's node port; only with notebookServiceType NodePort. */
    public readonly notebookNodePort?: pulumi.Output<number>;
    /** Kubernetes: the notebook's external URL with its token (secret); only with notebookServiceType LoadBalancer. */
    public readonly notebookExternalUrl?: pulumi.Output<string>;
    /** The claim (on Docker, the volume) holding the notebook's home folder; only with a notebook and notebookStorage. */
    public readonly notebookStorage?: pulumi.Output<string>;
    /** Docker: the network of the containers. */
    public readonly network?: pulumi.Output<string>;
    /** Docker: the controller's container. */
    public readonly frontendContainer?: pulumi.Output<string>;
    /** Docker: the watcher's container. */
    public readonly watcherContainer?: pulumi.Output<string>;
    /** Docker: the workers' containers. */
    public readonly workerContainers?: pulumi.Output<string[]>;
    /** Docker: the notebook's container; only with a notebook. */
    public readonly notebookContainer?: pulumi.Output<string>;

    constructor(name: string, args: ClusterSettings, opts?: pulumi.ComponentResourceOptions) {
        // Every setting checked, and the names claimed, before anything is declared.
        const loaded = loadSettings({ ...args }, pulumi.getStack());
        claimNames(name, loaded.settings);
        super("ipp-cluster:index:Cluster", name, {}, opts);
        refuseKubernetesProvider(this, loaded.settings.target);
        const outputs = declareCluster(this, name, loaded);
        Object.assign(this, outputs);
        outputsByCluster.set(this, outputs);
        this.registerOutputs(outputs);
    }
}
