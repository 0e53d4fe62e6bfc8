import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { frontendContainerArgs, notebookContainerArgs, watcherContainerArgs, workerContainerArgs } from "../lib/docker/containers";
import { ImageKind, clusterNames, dockerLabels, groupScoped } from "../lib/names";
import { totalEngines } from "../lib/groups";
import { hubSettings } from "../lib/hub-settings";
import * as commands from "../lib/commands";
import { ClusterArgs, CommandOutputs, childOf, commandOutputs } from "./cluster-args";

export type DockerClusterArgs = ClusterArgs;

/**
 * The cluster on the local Docker engine: a network of its own, the controller's container, then
 * the watcher's and one container per worker of each group, each created once the one it needs is healthy. Names start
 * with the cluster's prefix, so one engine can hold several stacks. With a notebook, its home
 * folder is a Docker volume that outlives its container.
 */
export class DockerCluster extends pulumi.ComponentResource {
    readonly networkName: pulumi.Output<string>;
    readonly frontendContainer: pulumi.Output<string>;
    /** The watcher's container. */
    readonly watcherContainer: pulumi.Output<string>;
    readonly workerContainers: pulumi.Output<string[]>;
    /** The notebook's container, when there is a notebook. */
    readonly notebookContainer?: pulumi.Output<string>;
    /** The Docker volume holding the notebook's home folder, when there is one. */
    readonly notebookVolume?: pulumi.Output<string>;
    /** The commands that run the seed test and open Python or a shell on the frontend or on worker N. */
    readonly commands: CommandOutputs;

    constructor(name: string, args: DockerClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ipp-cluster:index:DockerCluster", name, {}, opts);
        const { images, instance, sessionKey } = args;
        const names = clusterNames(args.namePrefix);
        const groups = args.workerGroups;
        const child = childOf(this, name, "docker");
        // Fixed names: a replacement must remove the old container (or network) first.
        const fixedName = { deleteBeforeReplace: true };
        // The key (and the token) arrive as uploads: keep them secret in the state too.
        const container = { ...fixedName, additionalSecretOutputs: ["uploads"] };

        const network = child("network", (n, o) => new docker.Network(n, { name: names.network, labels: dockerLabels(instance) }, o), fixedName);
        // Containers refer to the image by pushed digest or local ID, so a rebuilt image replaces them.
        const image = (kind: ImageKind) => (images[kind].pushed ? images[kind].image : images[kind].id);
        const shared = { network: network.name, sessionKey, instance, names, shared: args.sharedVolume, hub: hubSettings(totalEngines(groups, true)) };

        const frontend = child(
            "frontend",
            (n, o) => new docker.Container(n, frontendContainerArgs({ ...shared, image: image("frontend"), resources: args.frontendResources }), o),
            container,
        );

        const watcher = child(
            "watcher",
            (n, o) => new docker.Container(n, watcherContainerArgs({ ...shared, image: image("frontend") }, args.monitoring.watchSeconds), o),
            { ...container, dependsOn: [frontend] },
        );

        const workers = groups.flatMap(group =>
            Array.from({ length: group.workers }, (_, i) =>
                child(
                    `${groupScoped("worker", group.name)}-${i + 1}`,
                    (n, o) => new docker.Container(n, workerContainerArgs({ ...shared, image: image("worker"), resources: group }, group, i + 1), o),
                    { ...container, dependsOn: [frontend] },
                ),
            ),
        );
        const workerNames = groups.flatMap(group => Array.from({ length: group.workers }, (_, i) => names.workerContainer(group.name, i + 1)));

        if (args.notebook) {
            const notebook = args.notebook;
            const storage = notebook.storage;
            // Docker keeps a named volume until it is removed: across `pulumi up`, and on destroy when retained.
            // Creating a volume whose name exists takes that volume up again.
            const home =
                storage.size !== ""
                    ? child(
                          "notebook-home",
                          (n, o) => new docker.Volume(n, { name: names.notebookHome, labels: dockerLabels(instance, "frontend") }, o),
                          // Never replaced: a new volume of the same name is the old one, which the replacement would then
                          // delete; and never renamed, which would leave the notebooks behind in the old one.
                          { retainOnDelete: storage.retain, ignoreChanges: ["labels", "name"] },
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
                            image: image("frontend"),
                            resources: notebook.resources,
                            app: notebook.app,
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
        this.watcherContainer = watcher.name;
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
            watcherContainer: this.watcherContainer,
            workerContainers: this.workerContainers,
            notebookContainer: this.notebookContainer,
            notebookVolume: this.notebookVolume,
            ...this.commands,
        });
    }
}
