import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { RegistryCredentials, Resources, ServiceType } from "../lib/config";
import { connectionFileContents } from "../lib/runtime";
import { createHash } from "crypto";
import { CONTAINERS, ClusterNames, Component, DEFAULT_GROUP, FILES, ImageKind, clusterNames, labels } from "../lib/names";
import { NOTEBOOK_PORT, portsFor } from "../lib/ports";
import * as commands from "../lib/commands";
import * as specs from "../lib/k8s-specs";
import { ClusterArgs, CommandOutputs, NotebookArgs, childOf, clusterDefaults, commandOutputs } from "./cluster-args";
import { adoptingProvider, notebookClaim } from "./kubernetes-storage";

export interface KubernetesNotebookArgs extends NotebookArgs {
    /** Type of the notebook's own Service. Defaults to ClusterIP (reach it with `kubectl port-forward`). */
    serviceType?: ServiceType;
}

export interface KubernetesClusterArgs extends ClusterArgs {
    /** The namespace every object goes into. */
    namespace: string;
    /** Create the namespace (and delete it on destroy). Defaults to true; false uses an existing one. */
    createNamespace?: boolean;
    /** Registry credentials for the image pull secret; without them, nodes pull anonymously. */
    registryCredentials?: RegistryCredentials;
    notebook?: KubernetesNotebookArgs;
}

/** Annotation that carries the image ID, so that a rebuilt image rolls out also when pods refer to it by tag. */
export const IMAGE_ID_ANNOTATION = "ipp-cluster/image-id";
/** Annotation on the workers' pods with a digest of their connection file: a new controller address rolls them. */
export const CONNECTION_ANNOTATION = "ipp-cluster/connection-file";

/** A short digest of the workers' connection file, for CONNECTION_ANNOTATION. */
export function connectionDigest(names: ClusterNames): string {
    return createHash("sha256")
        .update(JSON.stringify(connectionFileContents("worker", names)))
        .digest("hex")
        .slice(0, 16);
}

/**
 * A worker group's logical name. The default group keeps the name the one Deployment always had, so
 * an existing stack's Deployment is updated in place.
 */
export function workersRole(group: string): string {
    return group === DEFAULT_GROUP ? "workers" : `workers-${group}`;
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
    /** The notebook's Service and how to reach it; present when there is a notebook. */
    readonly notebook?: {
        serviceName: pulumi.Output<string>;
        /** The claim holding the notebook's home folder; absent when the home is an emptyDir. */
        claimName?: pulumi.Output<string>;
        portForward: pulumi.Output<string>;
        /** With a NodePort Service: the port on every node. */
        nodePort?: pulumi.Output<number>;
        /** With a LoadBalancer Service: the external URL with the token (secret; empty until the balancer has an address). */
        externalUrl?: pulumi.Output<string>;
    };

    constructor(name: string, args: KubernetesClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ipp-cluster:index:KubernetesCluster", name, {}, opts);
        const defaults = clusterDefaults();
        const { instance, images } = args;
        const names = clusterNames(args.namePrefix);
        const groups = args.workerGroups ?? defaults.workerGroups;
        const child = childOf(this, name);

        // The notebook's home is a claim unless its size is "". Kept on destroy, the claim needs its
        // namespace kept too (deleting a namespace deletes what is in it), and both are taken up again.
        const storage = { ...defaults.notebookStorage, ...args.notebook?.storage };
        const claimed = args.notebook !== undefined && storage.size !== "";
        const adopting = claimed ? adoptingProvider(child) : undefined;
        const keepNamespace = claimed && storage.retain ? { provider: adopting, retainOnDelete: true } : {};

        const namespace =
            (args.createNamespace ?? true)
                ? child("namespace", (n, o) => new k8s.core.v1.Namespace(n, { metadata: { name: args.namespace, labels: labels(instance) } }, o), keepNamespace)
                      .metadata.name
                : pulumi.output(args.namespace);
        const meta = (component?: Component) => ({ namespace, labels: labels(instance, component) });
        const claim = adopting && notebookClaim(child, { ...meta("frontend"), name: names.notebookHome }, storage, adopting);

        const key = child(
            "session-key",
            (n, o) => new k8s.core.v1.Secret(n, { metadata: meta(), type: "Opaque", stringData: { [FILES.sessionKey]: args.sessionKey } }, o),
        );
        const notebookToken =
            args.notebook &&
            child(
                "notebook-token",
                (n, o) =>
                    new k8s.core.v1.Secret(n, { metadata: meta("frontend"), type: "Opaque", stringData: { [FILES.notebookToken]: args.notebook!.token } }, o),
            );
        const credentials = args.registryCredentials;
        const pullSecrets = credentials
            ? [
                  child(
                      "registry-credentials",
                      (n, o) =>
                          new k8s.core.v1.Secret(
                              n,
                              {
                                  metadata: meta(),
                                  type: "kubernetes.io/dockerconfigjson",
                                  stringData: { ".dockerconfigjson": specs.dockerConfigJson(credentials) },
                              },
                              o,
                          ),
                  ).metadata.name,
              ]
            : [];

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
            (n, o) => new k8s.core.v1.Service(n, { metadata: { ...meta("frontend"), name: names.controller }, spec: specs.controllerServiceSpec(instance) }, o),
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

        // A fixed name: a replacement deletes the old controller before the new one starts, since two
        // controllers behind one Service would split the engines between them.
        const frontend = child(
            "frontend",
            (n, o) =>
                new k8s.core.v1.Pod(
                    n,
                    {
                        metadata: { ...meta("frontend"), name: names.frontend, annotations: imageAnnotations("frontend") },
                        spec: specs.frontendPodSpec(
                            containerSettings("frontend", args.frontendResources ?? defaults.frontend),
                            { configMapName: configmapFn.metadata.name, secretName: key.metadata.name, imagePullSecrets: pullSecrets },
                            notebookToken && {
                                resources: args.notebook!.resources ?? defaults.notebook,
                                tokenSecretName: notebookToken.metadata.name,
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
        // stack from before names followed the stack keeps the name Pulumi gave it.
        const workerSources = { configMapName: configmapWn.metadata.name, secretName: key.metadata.name, imagePullSecrets: pullSecrets };
        const workerAnnotations = { ...imageAnnotations("worker"), [CONNECTION_ANNOTATION]: connectionDigest(names) };
        const workers = groups.map(group =>
            child(
                workersRole(group.name),
                (n, o) =>
                    new k8s.apps.v1.Deployment(
                        n,
                        {
                            metadata: { ...meta("worker"), name: names.workers(group.name) },
                            spec: specs.workerDeploymentSpec(
                                instance,
                                group,
                                specs.workerPodSpec(containerSettings("worker", group), workerSources, group, {
                                    instance,
                                    gpuResource: args.gpuResource ?? defaults.gpuResource,
                                    shared: args.sharedVolume,
                                }),
                                workerAnnotations,
                            ),
                        },
                        o,
                    ),
                { dependsOn: [frontend], ignoreChanges: ["metadata.name"] },
            ),
        );

        child(
            "netpol-frontend",
            (n, o) =>
                new k8s.networking.v1.NetworkPolicy(
                    n,
                    { metadata: meta("frontend"), spec: specs.frontendNetworkPolicySpec(instance, args.notebook !== undefined) },
                    o,
                ),
        );
        child(
            "netpol-workers",
            (n, o) => new k8s.networking.v1.NetworkPolicy(n, { metadata: meta("worker"), spec: specs.workerNetworkPolicySpec(instance) }, o),
        );

        this.namespace = namespace;
        this.frontendPodName = frontend.metadata.name;
        this.serviceName = service.metadata.name;
        const deployments = pulumi.all(workers.map(w => w.metadata.name));
        this.deploymentNames = deployments.apply(all => Object.fromEntries(groups.map((g, i) => [g.name, all[i]])));
        this.commands = commandOutputs(
            pulumi.all([namespace, deployments]).apply(([ns, all]) =>
                commands.clusterCommands(
                    { kind: "kubernetes", namespace: ns, pod: names.frontend, container: CONTAINERS.controller },
                    all.map(deployment => ({ kind: "kubernetes" as const, namespace: ns, pod: `deployment/${deployment}`, container: CONTAINERS.engine })),
                ),
            ),
        );
        this.clientPortForward = namespace.apply(ns =>
            commands.portForwardCommand(
                ns,
                `pod/${names.frontend}`,
                portsFor("clients").map(p => p.port),
            ),
        );

        if (args.notebook) {
            const token = args.notebook.token;
            const type = args.notebook.serviceType ?? "ClusterIP";
            const notebookService = child(
                "notebook-service",
                (n, o) =>
                    new k8s.core.v1.Service(n, { metadata: { ...meta("frontend"), name: names.notebook }, spec: specs.notebookServiceSpec(instance, type) }, o),
                { dependsOn: [frontend] },
            );
            const balancer = notebookService.status.loadBalancer.ingress.apply(ingress => ingress?.[0]?.hostname ?? ingress?.[0]?.ip ?? "");
            this.notebook = {
                serviceName: notebookService.metadata.name,
                claimName: claim?.metadata.name,
                portForward: namespace.apply(ns => commands.portForwardCommand(ns, `service/${names.notebook}`, [NOTEBOOK_PORT.port])),
                nodePort: type === "NodePort" ? notebookService.spec.ports.apply(p => p[0].nodePort) : undefined,
                externalUrl:
                    type === "LoadBalancer"
                        ? pulumi.secret(pulumi.all([balancer, token]).apply(([host, t]) => (host ? commands.notebookUrl(host, NOTEBOOK_PORT.port, t) : "")))
                        : undefined,
            };
        }

        this.registerOutputs({
            namespace: this.namespace,
            frontendPodName: this.frontendPodName,
            serviceName: this.serviceName,
            deploymentNames: this.deploymentNames,
            ...this.commands,
            clientPortForward: this.clientPortForward,
            notebook: this.notebook,
        });
    }
}
