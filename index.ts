import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CONFIG_KEYS, ConfigName, RawConfig, parseConfig } from "./lib/config";
import { dnsLabel } from "./lib/names";
import { kubectlExec, seedTestCommand } from "./lib/commands";
import { Images } from "./components/images";
import { KubernetesCluster } from "./components/kubernetes";

// Validate every setting before anything is declared, so that bad input fails the preview.
const stackConfig = new pulumi.Config();
const raw: RawConfig = Object.fromEntries(
    (Object.keys(CONFIG_KEYS) as ConfigName[]).map(name => [name, stackConfig.get(name)]),
);
const stack = pulumi.getStack();
const config = parseConfig(raw, stack);
const registryPassword = config.hasRegistryPassword ? stackConfig.requireSecret("registryPassword") : undefined;

const images = new Images("images", {
    registry: config.registry,
    push: config.push,
    osImage: config.osImage,
    registryUsername: config.registryUsername,
    registryPassword,
});

// The HMAC key that signs every message: whoever holds it can run code on the cluster.
const sessionKey = new random.RandomBytes("session-key", { length: 32 });

const cluster = new KubernetesCluster("cluster", {
    config,
    instance: dnsLabel(stack),
    images: images.refs,
    sessionKey: sessionKey.hex,
    registryPassword,
});

export const namespace = cluster.namespace;
export const frontendPod = cluster.frontendPodName;
export const service = cluster.serviceName;
export const workerDeployment = cluster.deploymentName;
export const workers = config.workers;
export const imageDigests = {
    base: images.refs.base.id,
    frontend: images.refs.frontend.id,
    worker: images.refs.worker.id,
};
/** Runs the seed's test in the frontend. */
export const seedTest = cluster.namespace.apply(seedTestCommand);
/** An interactive Python on the frontend, with the client file at the seed's path. */
export const frontendShell = cluster.namespace.apply(ns => kubectlExec(ns, ["python3"], true));
