import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { frontendContainerArgs, notebookContainerArgs, workerContainerArgs } from "../lib/docker-specs";
import { ImageKind, dockerLabels, dockerNames } from "../lib/names";
import * as commands from "../lib/commands";
import { ClusterArgs, CommandOutputs, childOf, clusterDefaults, commandOutputs } from "./cluster-args";

export interface DockerClusterArgs extends ClusterArgs {
    /** The stack's name: containers and the network are named after it, so one engine can hold several stacks. */
    stack: string;
}

/**
 * The cluster on the local Docker engine: a network of its own, the controller's container, then
 * one container per worker, each created once the one it needs is healthy. With a notebook, its home
 * folder is a Docker volume that outlives its container.
 */
export class DockerCluster extends pulumi.ComponentResource {
    readonly networkName: pulumi.Output<string>;
    readonly frontendContainer: pulumi.Output<string>;
    readonly workerContainers: pulumi.Output<string[]>;
    /** The notebook's container, when there is a notebook. */
    readonly notebookContainer?: pulumi.Output<string>;
    /** The Docker volume holding the notebook's home folder, when there is one. */
    readonly notebookVolume?: pulumi.Output<string>;
    /** The commands that run the seed test and open Python or a shell on the frontend or on worker N. */
    readonly commands: CommandOutputs;

    constructor(name: string, args: DockerClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ipp-cluster:index:DockerCluster", name, {}, opts);
        const defaults = clusterDefaults();
        const { images, instance, sessionKey } = args;
        const names = dockerNames(args.stack);
        const child = childOf(this, name);
        // Fixed names: a replacement must remove the old container (or network) first.
        const fixedName = { deleteBeforeReplace: true };
        // The key (and the token) arrive as uploads: keep them secret in the state too.
        const container = { ...fixedName, additionalSecretOutputs: ["uploads"] };

        const network = child("network", (n, o) => new docker.Network(n, { name: names.network, labels: dockerLabels(instance) }, o), fixedName);
        // Containers refer to the image by pushed digest or local ID, so a rebuilt image replaces them.
        const image = (kind: ImageKind) => (images[kind].pushed ? images[kind].image : images[kind].id);
        const shared = { network: network.name, sessionKey, instance, shared: args.sharedVolume };

        const frontend = child(
            "frontend",
            (n, o) =>
                new docker.Container(
                    n,
                    frontendContainerArgs({ ...shared, name: names.frontend, image: image("frontend"), resources: args.frontendResources ?? defaults.frontend }),
                    o,
                ),
            container,
        );

        const workerNames = Array.from({ length: args.workers ?? defaults.workers }, (_, i) => names.worker(i + 1));
        const workers = workerNames.map((containerName, i) => {
            const hostname = names.workerHostname(i + 1);
            return child(
                `worker-${i + 1}`,
                (n, o) =>
                    new docker.Container(
                        n,
                        workerContainerArgs({
                            ...shared,
                            name: containerName,
                            hostname,
                            aliases: [hostname],
                            image: image("worker"),
                            resources: args.workerResources ?? defaults.worker,
                        }),
                        o,
                    ),
                { ...container, dependsOn: [frontend] },
            );
        });

        if (args.notebook) {
            const notebook = args.notebook;
            const storage = { ...defaults.notebookStorage, ...notebook.storage };
            // Docker keeps a named volume until it is removed: across `pulumi up`, and on destroy when retained.
            // Creating a volume whose name exists takes that volume up again.
            const home =
                storage.size !== ""
                    ? child(
                          "notebook-home",
                          (n, o) => new docker.Volume(n, { name: names.notebookHome, labels: dockerLabels(instance, "frontend") }, o),
                          // Never replaced: a new volume of the same name is the old one, which the replacement would then delete.
                          { retainOnDelete: storage.retain, ignoreChanges: ["labels"] },
                      )
                    : undefined;
            this.notebookVolume = home?.name;
            this.notebookContainer = child(
                "notebook",
                (n, o) =>
                    new docker.Container(
                        n,
                        notebookContainerArgs({
                            ...shared,
                            name: names.notebook,
                            image: image("frontend"),
                            resources: notebook.resources ?? defaults.notebook,
                            notebookToken: notebook.token,
                            homeVolume: home?.name,
                        }),
                        o,
                    ),
                { ...container, dependsOn: [frontend] },
            ).name;
        }

        this.networkName = network.name;
        this.frontendContainer = frontend.name;
        this.workerContainers = pulumi.all(workers.map(w => w.name));
        this.commands = commandOutputs(
            pulumi.output(
                commands.clusterCommands(
                    { kind: "docker", container: names.frontend },
                    workerNames.map(w => ({ kind: "docker" as const, container: w })),
                ),
            ),
        );
        this.registerOutputs({
            networkName: this.networkName,
            frontendContainer: this.frontendContainer,
            workerContainers: this.workerContainers,
            notebookContainer: this.notebookContainer,
            notebookVolume: this.notebookVolume,
            ...this.commands,
        });
    }
}
