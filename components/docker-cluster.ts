import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { ClusterConfig } from "../lib/config";
import { frontendContainerArgs, notebookContainerArgs, workerContainerArgs } from "../lib/docker-specs";
import { ImageKind, dockerNames, labels } from "../lib/names";
import { ImageRef } from "./images";

export interface DockerClusterArgs {
    config: ClusterConfig;
    /** The stack name: containers and the network are named after it. */
    stack: string;
    instance: string;
    images: Record<ImageKind, ImageRef>;
    /** The session key (secret). */
    sessionKey: pulumi.Input<string>;
    /** The notebook's access token (secret); used when `config.notebook` is true. */
    notebookToken: pulumi.Input<string>;
}

/**
 * The cluster on the local Docker engine: a network of its own, the controller's container, then
 * one container per worker, each created once the one it needs is healthy.
 */
export class DockerCluster extends pulumi.ComponentResource {
    readonly networkName: pulumi.Output<string>;
    readonly frontendContainer: pulumi.Output<string>;
    readonly workerContainers: pulumi.Output<string[]>;
    readonly notebookContainer?: pulumi.Output<string>;

    constructor(name: string, args: DockerClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ipp-cluster:index:DockerCluster", name, {}, opts);
        const { config, images } = args;
        const names = dockerNames(args.stack);
        // Fixed names: a replacement must remove the old container (or network) first.
        const fixedName = { parent: this, deleteBeforeReplace: true };

        const network = new docker.Network(
            "network",
            {
                name: names.network,
                labels: Object.entries(labels(args.instance)).map(([label, value]) => ({ label, value })),
            },
            fixedName,
        );
        // Containers refer to the image by ID (or pushed digest), so a rebuilt image replaces them.
        const image = (kind: ImageKind) => (config.push ? images[kind].image : images[kind].id);

        const frontend = new docker.Container(
            "frontend",
            frontendContainerArgs({
                name: names.frontend,
                image: image("frontend"),
                resources: config.frontend,
                network: network.name,
                sessionKey: args.sessionKey,
                instance: args.instance,
            }),
            { ...fixedName, additionalSecretOutputs: ["uploads"] },
        );

        const workers = Array.from({ length: config.workers }, (_, i) => {
            const index = i + 1;
            return new docker.Container(
                `worker-${index}`,
                workerContainerArgs({
                    name: names.worker(index),
                    hostname: names.workerHostname(index),
                    aliases: [names.workerHostname(index)],
                    image: image("worker"),
                    resources: config.worker,
                    network: network.name,
                    sessionKey: args.sessionKey,
                    instance: args.instance,
                }),
                { ...fixedName, dependsOn: [frontend], additionalSecretOutputs: ["uploads"] },
            );
        });

        if (config.notebook) {
            const notebook = new docker.Container(
                "notebook",
                notebookContainerArgs({
                    name: names.notebook,
                    image: image("frontend"),
                    resources: config.notebookResources,
                    network: network.name,
                    sessionKey: args.sessionKey,
                    notebookToken: args.notebookToken,
                    instance: args.instance,
                }),
                { ...fixedName, dependsOn: [frontend], additionalSecretOutputs: ["uploads"] },
            );
            this.notebookContainer = notebook.name;
        }

        this.networkName = network.name;
        this.frontendContainer = frontend.name;
        this.workerContainers = pulumi.all(workers.map(w => w.name));
        this.registerOutputs({
            networkName: this.networkName,
            frontendContainer: this.frontendContainer,
            workerContainers: this.workerContainers,
        });
    }
}
