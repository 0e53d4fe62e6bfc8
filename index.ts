import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CONFIG_KEYS, ConfigName, RawConfig, parseConfig } from "./lib/config";
import { NAMES, dnsLabel, dockerNames } from "./lib/names";
import * as commands from "./lib/commands";
import * as connection from "./lib/connection";
import { NOTEBOOK_PORT, portsFor } from "./lib/ports";
import { Images } from "./components/images";
import { KubernetesCluster } from "./components/kubernetes-cluster";
import { DockerCluster } from "./components/docker-cluster";

// Validate every setting before anything is declared, so that bad input fails the preview.
const stackConfig = new pulumi.Config();
const raw: RawConfig = Object.fromEntries((Object.keys(CONFIG_KEYS) as ConfigName[]).map(name => [name, stackConfig.get(name)]));
const stack = pulumi.getStack();
const config = parseConfig(raw, stack);
const registryPassword = config.hasRegistryPassword ? stackConfig.requireSecret("registryPassword") : undefined;
const instance = dnsLabel(stack);

const images = new Images("images", {
    registry: config.registry,
    push: config.push,
    osImage: config.osImage,
    registryUsername: config.registryUsername,
    registryPassword,
});

// The HMAC key that signs every message: whoever holds it can run code on the cluster.
// Marked secret here too, so that every input it reaches is sent as a secret.
const sessionKey = pulumi.secret(new random.RandomBytes("session-key", { length: 32 }).hex);
// The notebook's access token: there is no unauthenticated access to the notebook.
const notebookToken = config.notebook
    ? pulumi.secret(new random.RandomPassword("notebook-token", { length: 48, special: false }).result)
    : pulumi.output("");

/** Ports a laptop client needs: registration and the client ports. */
const laptopPorts = portsFor("clients").map(p => p.port);
/** The client file for a laptop that reaches the controller on its own loopback (secret: it holds the key). */
const laptopClient = sessionKey.apply(key => JSON.stringify(connection.laptopClientFile(key), null, 2));
const laptopNotebookUrl = config.notebook
    ? pulumi.secret(notebookToken.apply(token => commands.notebookUrl("127.0.0.1", NOTEBOOK_PORT.port, token)))
    : undefined;

function onKubernetes() {
    const cluster = new KubernetesCluster("cluster", {
        config,
        instance,
        images: images.refs,
        sessionKey,
        notebookToken,
        registryPassword,
    });
    const loadBalancer = cluster.notebookService?.status.loadBalancer.ingress.apply(ingress => ingress?.[0]?.hostname ?? ingress?.[0]?.ip);
    return {
        namespace: cluster.namespace,
        frontendPod: cluster.frontendPodName,
        service: cluster.serviceName,
        workerDeployment: cluster.deploymentName,
        clientPortForward: cluster.namespace.apply(ns => commands.portForwardCommand(ns, `pod/${NAMES.frontendPod}`, laptopPorts)),
        notebookPortForward: config.notebook
            ? cluster.namespace.apply(ns => commands.portForwardCommand(ns, `service/${NAMES.notebookService}`, [NOTEBOOK_PORT.port]))
            : undefined,
        notebookNodePort:
            config.notebookServiceType === "NodePort" ? cluster.notebookService?.spec.ports.apply(p => p[0].nodePort) : undefined,
        notebookExternalUrl:
            config.notebookServiceType === "LoadBalancer" && loadBalancer
                ? pulumi.secret(
                      pulumi.all([loadBalancer, notebookToken]).apply(([host, token]) => (host ? commands.notebookUrl(host, NOTEBOOK_PORT.port, token) : "")),
                  )
                : undefined,
        ...commandOutputs(
            pulumi.all([cluster.namespace, cluster.deploymentName]).apply(([namespace, deployment]) =>
                commands.clusterCommands({ kind: "kubernetes", namespace, pod: NAMES.frontendPod, container: NAMES.controllerContainer }, [
                    { kind: "kubernetes", namespace, pod: `deployment/${deployment}`, container: NAMES.engineContainer },
                ]),
            ),
        ),
    };
}

function onDocker() {
    const cluster = new DockerCluster("cluster", { config, stack, instance, images: images.refs, sessionKey, notebookToken });
    const names = dockerNames(stack);
    return {
        network: cluster.networkName,
        frontendContainer: cluster.frontendContainer,
        workerContainers: cluster.workerContainers,
        notebookContainer: cluster.notebookContainer,
        ...commandOutputs(
            pulumi.output(
                commands.clusterCommands(
                    { kind: "docker", container: names.frontend },
                    Array.from({ length: config.workers }, (_, i) => ({ kind: "docker" as const, container: names.worker(i + 1) })),
                ),
            ),
        ),
    };
}

function commandOutputs(printed: pulumi.Output<ReturnType<typeof commands.clusterCommands>>) {
    return {
        seedTest: printed.seedTest,
        frontendPython: printed.frontendPython,
        frontendShell: printed.frontendShell,
        workerShells: printed.workerShells,
    };
}

const outputs: Record<string, pulumi.Output<unknown> | undefined> = config.target === "docker" ? onDocker() : onKubernetes();

/** Kubernetes: where the cluster is. */
export const namespace = outputs.namespace;
export const frontendPod = outputs.frontendPod;
export const service = outputs.service;
export const workerDeployment = outputs.workerDeployment;
/** Kubernetes: the laptop's port-forwards (to the controller's client ports, and to the notebook). */
export const clientPortForward = outputs.clientPortForward;
export const notebookPortForward = outputs.notebookPortForward;
/** Kubernetes: where the notebook's Service is reachable from outside, for NodePort and LoadBalancer. */
export const notebookNodePort = outputs.notebookNodePort;
export const notebookExternalUrl = outputs.notebookExternalUrl;
/** Docker: the containers and their network. */
export const network = outputs.network;
export const frontendContainer = outputs.frontendContainer;
export const workerContainers = outputs.workerContainers;
export const notebookContainer = outputs.notebookContainer;
/** Both: the size, the images, and the commands that reach the cluster. */
export const target = config.target;
export const workers = config.workers;
export const imageDigests = { base: images.refs.base.id, frontend: images.refs.frontend.id, worker: images.refs.worker.id };
/** Runs the seed's test in the frontend. */
export const seedTest = outputs.seedTest;
/** Python on the frontend, with the client file at the seed's path. */
export const frontendPython = outputs.frontendPython;
/** A shell on the frontend (the older `make attach_fn`). */
export const frontendShell = outputs.frontendShell;
/** Shells on the workers (the older `make attach_wn WORKER_ID=N`; on Kubernetes, any one worker). */
export const workerShells = outputs.workerShells;
/** The notebook on the laptop (through the port-forward, or the port a local container publishes), with its token. */
export const notebookUrl = laptopNotebookUrl;
/** A client file for the laptop, with the key: `ipp.Client(file)` through the forwarded client ports. */
export const laptopClientFile = laptopClient;
