import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ServiceType } from "../lib/config";
import { RegistryCredentials } from "../lib/registry";
import { Resources } from "../lib/quantities";
import { connectionFileContents } from "../lib/runtime";
import { CONTAINERS, Component, ImageKind, clusterNames, groupScoped, labels } from "../lib/names";
import { METRICS_PORT, portsFor } from "../lib/ports";
import * as commands from "../lib/commands";
import { controllerServiceSpec, frontendPodSpec } from "../lib/k8s/frontend";
import { watcherUrl } from "../lib/monitoring";
import { scrapeAnnotations } from "../lib/k8s/monitoring";
import { monitoringObjects } from "./kubernetes-monitoring";
import { workerDeploymentSpec, workerPodSpec } from "../lib/k8s/workers";
import { frontendNetworkPolicySpec, workerNetworkPolicySpec } from "../lib/k8s/network-policy";
import { CONNECTION_ANNOTATION, IMAGE_ID_ANNOTATION, connectionDigest } from "../lib/k8s/rollout";
import { ClusterArgs, CommandOutputs, NotebookArgs, childOf, commandOutputs } from "./cluster-args";
import { adoptingProvider, notebookClaim } from "./kubernetes-storage";
import { clusterSecrets } from "./kubernetes-secrets";
import { NotebookAccess, notebookAccess } from "./kubernetes-notebook";
import { scalerAccount, scalerGrants } from "./kubernetes-scaler";
import { scales, totalEngines } from "../lib/groups";
import { hubSettings } from "../lib/hub-settings";
import { scalingGroups } from "../lib/scaling";

export interface KubernetesNotebookArgs extends NotebookArgs {
    /** Type of the notebook's own Service: ClusterIP (reach it with `kubectl port-forward`), NodePort or LoadBalancer. */
    serviceType: ServiceType;
}

export interface KubernetesClusterArgs extends ClusterArgs {
    /** The namespace every object goes into. */
    namespace: string;
    /** Create the namespace (and delete it on destroy); false uses an existing one. */
    createNamespace: boolean;
    /** Registry credentials for the image pull secret; without them, nodes pull anonymously. */
    registryCredentials?: RegistryCredentials;
    /** With a group that scales: the admission policy that holds the scaler's token to the groups' bounds. */
    scalerAdmissionPolicy: boolean;
    notebook?: KubernetesNotebookArgs;
}

/**
 * The cluster on Kubernetes. Created in this order, each naming the one before in `dependsOn`:
 * configmap-fn → configmap-wn → Service → frontend Pod → one worker Deployment per group. Names
 * start with the cluster's prefix, so stacks can share a namespace. With a notebook, its
 * home folder is a claim (see kubernetes-storage.ts) that the frontend Pod mounts.
 */
export class KubernetesCluster extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    readonly frontendPodName: pulumi.Output<string>;
    readonly serviceName: pulumi.Output<string>;
    /** Each worker group's Deployment, by group. */
    readonly deploymentNames: pulumi.Output<Record<string, string>>;
    /** The commands that run the seed test and open Python or a shell on the frontend or a worker. */
    readonly commands: CommandOutputs;
    /** `kubectl port-forward` of the ports a laptop client needs. */
    readonly clientPortForward: pulumi.Output<string>;
    /** `kubectl port-forward` of the watcher's metrics port, for a look at the metrics from the laptop. */
    readonly metricsPortForward: pulumi.Output<string>;
    /** The notebook's Service and how to reach it; present when there is a notebook. */
    readonly notebook?: NotebookAccess;

    constructor(name: string, args: KubernetesClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ipp-cluster:index:KubernetesCluster", name, {}, opts);
        const { instance, images, notebook } = args;
        const names = clusterNames(args.namePrefix);
        const child = childOf(this, name, "kubernetes");

        // The notebook's home is a claim unless its size is "". Kept on destroy, the claim needs its
        // namespace kept too (deleting a namespace deletes what is in it), and both are taken up again.
        const claimed = notebook !== undefined && notebook.storage.size !== "";
        const adopting = claimed ? adoptingProvider(child) : undefined;
        const keepNamespace = claimed && notebook.storage.retain ? { provider: adopting, retainOnDelete: true } : {};

        const namespace = args.createNamespace
            ? child("namespace", (n, o) => new k8s.core.v1.Namespace(n, { metadata: { name: args.namespace, labels: labels(instance) } }, o), keepNamespace)
                  .metadata.name
            : pulumi.output(args.namespace);
        const meta = (component?: Component) => ({ namespace, labels: labels(instance, component) });
        const claim = adopting && notebookClaim(child, { ...meta("frontend"), name: names.notebookHome }, notebook!.storage, adopting);
        const secrets = clusterSecrets(child, meta, {
            sessionKey: args.sessionKey,
            notebookToken: notebook?.token,
            registryCredentials: args.registryCredentials,
        });

        const configmapFn = child(
            "configmap-fn",
            (n, o) => new k8s.core.v1.ConfigMap(n, { metadata: meta("frontend"), data: connectionFileContents("frontend", names) }, o),
        );
        const configmapWn = child(
            "configmap-wn",
            (n, o) => new k8s.core.v1.ConfigMap(n, { metadata: meta("worker"), data: connectionFileContents("worker", names) }, o),
            { dependsOn: [configmapFn] },
        );
        const service = child(
            "service",
            (n, o) => new k8s.core.v1.Service(n, { metadata: { ...meta("frontend"), name: names.controller }, spec: controllerServiceSpec(instance) }, o),
            { dependsOn: [configmapWn] },
        );

        // Pods refer to a pushed image by digest; to an unpushed one by tag, with its ID in an annotation.
        const imageAnnotations = (kind: ImageKind): Record<string, pulumi.Input<string>> =>
            images[kind].pushed ? {} : { [IMAGE_ID_ANNOTATION]: images[kind].id };
        const containerSettings = (kind: ImageKind, resources: Resources) => ({
            image: images[kind].image,
            imagePullPolicy: images[kind].imagePullPolicy,
            resources: { cpu: resources.cpu, memory: resources.memory },
        });
        const sources = (configMap: k8s.core.v1.ConfigMap) => ({
            configMapName: configMap.metadata.name,
            secretName: secrets.key.metadata.name,
            imagePullSecrets: secrets.pullSecrets,
            hub: hubSettings(totalEngines(args.workerGroups, true)),
        });

        // The scaler, when a group scales: the Pod runs as its ServiceAccount.
        const scalerNames = { account: names.scaler, scaling: names.scaling };
        const scaler = scalingGroups(args.workerGroups).length > 0 ? scalerAccount(child, meta("frontend"), scalerNames) : undefined;

        // A fixed name: a replacement deletes the old controller before the new one starts, since two
        // controllers behind one Service would split the engines between them.
        const frontend = child(
            "frontend",
            (n, o) =>
                new k8s.core.v1.Pod(
                    n,
                    {
                        metadata: { ...meta("frontend"), name: names.frontend, annotations: { ...imageAnnotations("frontend"), ...scrapeAnnotations() } },
                        spec: frontendPodSpec(
                            containerSettings("frontend", args.frontendResources),
                            sources(configmapFn),
                            { watchSeconds: args.monitoring.watchSeconds, cluster: instance, scaler },
                            notebook && {
                                app: notebook.app,
                                resources: notebook.resources,
                                tokenSecretName: secrets.notebookToken!.metadata.name,
                                homeClaimName: claim?.metadata.name,
                                shared: args.sharedVolume,
                            },
                        ),
                    },
                    o,
                ),
            { dependsOn: [service], deleteBeforeReplace: true, replaceOnChanges: [`metadata.annotations["${IMAGE_ID_ANNOTATION}"]`] },
        );

        // One Deployment per group, named after it. Its name is never changed: the default group of a
        // stack from before names followed the stack keeps the name Pulumi gave it. A group that scales
        // leaves its count to the scaler after creation (`workers` is where it starts).
        const workerAnnotations = { ...imageAnnotations("worker"), [CONNECTION_ANNOTATION]: connectionDigest(names) };
        const workers = args.workerGroups.map(group =>
            child(
                groupScoped("workers", group.name),
                (n, o) =>
                    new k8s.apps.v1.Deployment(
                        n,
                        {
                            metadata: { ...meta("worker"), name: names.workers(group.name) },
                            spec: workerDeploymentSpec(
                                instance,
                                group,
                                workerPodSpec(containerSettings("worker", group), sources(configmapWn), group, {
                                    instance,
                                    gpuResource: args.gpuResource,
                                    watcherUrl: watcherUrl(names.controller),
                                    shared: args.sharedVolume,
                                }),
                                workerAnnotations,
                            ),
                        },
                        o,
                    ),
                { dependsOn: [frontend], ignoreChanges: ["metadata.name", ...(scales(group) ? ["spec.replicas"] : [])] },
            ),
        );

        child(
            "netpol-frontend",
            (n, o) =>
                new k8s.networking.v1.NetworkPolicy(
                    n,
                    { metadata: meta("frontend"), spec: frontendNetworkPolicySpec(instance, notebook !== undefined, args.monitoring.scrapers) },
                    o,
                ),
        );
        child("netpol-workers", (n, o) => new k8s.networking.v1.NetworkPolicy(n, { metadata: meta("worker"), spec: workerNetworkPolicySpec(instance) }, o));
        monitoringObjects(child, { metadata: meta("frontend"), instance, monitoring: args.monitoring }, frontend);

        this.namespace = namespace;
        this.frontendPodName = frontend.metadata.name;
        this.serviceName = service.metadata.name;
        const deployments = pulumi.all(workers.map(w => w.metadata.name));
        this.deploymentNames = deployments.apply(all => Object.fromEntries(args.workerGroups.map((g, i) => [g.name, all[i]])));
        if (scaler) {
            const where = { metadata: meta("frontend"), namespace: args.namespace, instance, names: scalerNames, admissionPolicy: args.scalerAdmissionPolicy };
            scalerGrants(child, where, args.workerGroups, this.deploymentNames, workers);
        }
        this.commands = commandOutputs(
            pulumi.all([namespace, deployments]).apply(([ns, all]) =>
                commands.clusterCommands(
                    { kind: "kubernetes", namespace: ns, pod: names.frontend, container: CONTAINERS.controller },
                    all.map(deployment => ({ kind: "kubernetes" as const, namespace: ns, pod: `deployment/${deployment}`, container: CONTAINERS.engine })),
                ),
            ),
        );
        const clientPorts = portsFor("clients").map(p => p.port);
        this.clientPortForward = namespace.apply(ns => commands.portForwardCommand(ns, `pod/${names.frontend}`, clientPorts));
        this.metricsPortForward = namespace.apply(ns => commands.portForwardCommand(ns, `pod/${names.frontend}`, [METRICS_PORT.port]));
        this.notebook =
            notebook &&
            notebookAccess(
                child,
                { metadata: meta("frontend"), names, instance },
                { app: notebook.app, type: notebook.serviceType, token: notebook.token, claimName: claim?.metadata.name },
                frontend,
            );

        this.registerOutputs({
            namespace: this.namespace,
            frontendPodName: this.frontendPodName,
            serviceName: this.serviceName,
            deploymentNames: this.deploymentNames,
            ...this.commands,
            clientPortForward: this.clientPortForward,
            metricsPortForward: this.metricsPortForward,
            notebook: this.notebook,
        });
    }
}
