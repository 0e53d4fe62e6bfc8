import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CONFIG_KEYS, ConfigName, RawConfig, parseConfig } from "./lib/config";
import { NAMES, dnsLabel, dockerNames } from "./lib/names";
import { clusterCommands } from "./lib/commands";
import { Images } from "./components/images";
import { KubernetesCluster } from "./components/kubernetes";
import { DockerCluster } from "./components/docker";

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

function onKubernetes() {
    const cluster = new KubernetesCluster("cluster", {
        config,
        instance,
        images: images.refs,
        sessionKey,
        registryPassword,
    });
    return {
        namespace: cluster.namespace,
        frontendPod: cluster.frontendPodName,
        service: cluster.serviceName,
        workerDeployment: cluster.deploymentName,
        ...commandOutputs(
            pulumi.all([cluster.namespace, cluster.deploymentName]).apply(([namespace, deployment]) =>
                clusterCommands({ kind: "kubernetes", namespace, pod: NAMES.frontendPod, container: NAMES.controllerContainer }, [
                    { kind: "kubernetes", namespace, pod: `deployment/${deployment}`, container: NAMES.engineContainer },
                ]),
            ),
        ),
    };
}

function onDocker() {
    const cluster = new DockerCluster("cluster", { config, stack, instance, images: images.refs, sessionKey });
    const names = dockerNames(stack);
    return {
        network: cluster.networkName,
        frontendContainer: cluster.frontendContainer,
        workerContainers: cluster.workerContainers,
        ...commandOutputs(
            pulumi.output(
                clusterCommands(
                    { kind: "docker", container: names.frontend },
                    Array.from({ length: config.workers }, (_, i) => ({ kind: "docker" as const, container: names.worker(i + 1) })),
                ),
            ),
        ),
    };
}

function commandOutputs(commands: pulumi.Output<ReturnType<typeof clusterCommands>>) {
    return {
        seedTest: commands.seedTest,
        frontendPython: commands.frontendPython,
        frontendShell: commands.frontendShell,
        workerShells: commands.workerShells,
    };
}

const outputs: Record<string, pulumi.Output<unknown>> = config.target === "docker" ? onDocker() : onKubernetes();

/** Kubernetes: where the cluster is. */
export const namespace = outputs.namespace;
export const frontendPod = outputs.frontendPod;
export const service = outputs.service;
export const workerDeployment = outputs.workerDeployment;
/** Docker: the containers and their network. */
export const network = outputs.network;
export const frontendContainer = outputs.frontendContainer;
export const workerContainers = outputs.workerContainers;
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
