import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ClusterConfig } from "../lib/config";
import { connectionFileContents } from "../lib/runtime";
import { FILES, ImageKind, NAMES, labels, selectorLabels } from "../lib/names";
import {
    controllerServiceSpec,
    dockerConfigJson,
    frontendNetworkPolicySpec,
    frontendPodSpec,
    notebookServiceSpec,
    workerNetworkPolicySpec,
    workerPodSpec,
} from "../lib/k8s-specs";
import { ImageRef } from "./images";

export interface KubernetesClusterArgs {
    config: ClusterConfig;
    /** `app.kubernetes.io/instance`: tells this deployment's pods from any other's. */
    instance: string;
    images: Record<ImageKind, ImageRef>;
    /** The session key (secret). */
    sessionKey: pulumi.Input<string>;
    /** The notebook's access token (secret); used when `config.notebook` is true. */
    notebookToken: pulumi.Input<string>;
    /** Registry password (secret), for the image pull secret. */
    registryPassword?: pulumi.Input<string>;
}

/** Annotation that carries the image ID, so that a rebuilt image rolls out also when pods refer to it by tag. */
export const IMAGE_ID_ANNOTATION = "ipp-cluster/image-id";

/**
 * The cluster on Kubernetes. Created in this order, each naming the one before in `dependsOn`:
 * configmap-fn → configmap-wn → Service → frontend Pod → worker Deployment.
 */
export class KubernetesCluster extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    readonly frontendPodName: pulumi.Output<string>;
    readonly serviceName: pulumi.Output<string>;
    readonly deploymentName: pulumi.Output<string>;
    /** The notebook's Service, when there is a notebook. */
    readonly notebookService?: k8s.core.v1.Service;

    constructor(name: string, args: KubernetesClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ipp-cluster:index:KubernetesCluster", name, {}, opts);
        const { config, instance, images } = args;
        const parent = { parent: this };

        const namespace = config.createNamespace
            ? new k8s.core.v1.Namespace("namespace", { metadata: { name: config.namespace, labels: labels(instance) } }, parent)
                  .metadata.name
            : pulumi.output(config.namespace);
        const meta = (component?: "frontend" | "worker") => ({ namespace, labels: labels(instance, component) });

        const key = new k8s.core.v1.Secret(
            "session-key",
            { metadata: meta(), type: "Opaque", stringData: { [FILES.sessionKey]: args.sessionKey } },
            parent,
        );

        const notebookToken = config.notebook
            ? new k8s.core.v1.Secret(
                  "notebook-token",
                  { metadata: meta("frontend"), type: "Opaque", stringData: { [FILES.notebookToken]: args.notebookToken } },
                  parent,
              )
            : undefined;

        const pullSecrets: pulumi.Output<string>[] = [];
        if (config.push && config.registryUsername && args.registryPassword) {
            pullSecrets.push(
                new k8s.core.v1.Secret(
                    "registry-credentials",
                    {
                        metadata: meta(),
                        type: "kubernetes.io/dockerconfigjson",
                        stringData: {
                            ".dockerconfigjson": dockerConfigJson(config.registry, config.registryUsername, args.registryPassword),
                        },
                    },
                    parent,
                ).metadata.name,
            );
        }

        const configmapFn = new k8s.core.v1.ConfigMap(
            "configmap-fn",
            { metadata: meta("frontend"), data: connectionFileContents("frontend") },
            parent,
        );
        const configmapWn = new k8s.core.v1.ConfigMap(
            "configmap-wn",
            { metadata: meta("worker"), data: connectionFileContents("worker") },
            { ...parent, dependsOn: [configmapFn] },
        );

        const service = new k8s.core.v1.Service(
            "service",
            { metadata: { ...meta("frontend"), name: NAMES.controllerService }, spec: controllerServiceSpec(instance) },
            { ...parent, dependsOn: [configmapWn] },
        );

        const imageAnnotations = (kind: ImageKind): Record<string, pulumi.Input<string>> =>
            config.push ? {} : { [IMAGE_ID_ANNOTATION]: images[kind].id };
        const containerSettings = (kind: ImageKind, resources: ClusterConfig["frontend"]) => ({
            image: images[kind].image,
            imagePullPolicy: images[kind].imagePullPolicy,
            resources,
        });

        // A fixed name: a replacement deletes the old controller before the new one starts, since two
        // controllers behind one Service would split the engines between them.
        const frontend = new k8s.core.v1.Pod(
            "frontend",
            {
                metadata: { ...meta("frontend"), name: NAMES.frontendPod, annotations: imageAnnotations("frontend") },
                spec: frontendPodSpec(
                    containerSettings("frontend", config.frontend),
                    { configMapName: configmapFn.metadata.name, secretName: key.metadata.name, imagePullSecrets: pullSecrets },
                    notebookToken && { resources: config.notebookResources, tokenSecretName: notebookToken.metadata.name },
                ),
            },
            {
                ...parent,
                dependsOn: [service],
                deleteBeforeReplace: true,
                replaceOnChanges: [`metadata.annotations["${IMAGE_ID_ANNOTATION}"]`],
            },
        );

        const workers = new k8s.apps.v1.Deployment(
            "workers",
            {
                metadata: meta("worker"),
                spec: {
                    replicas: config.workers,
                    selector: { matchLabels: selectorLabels(instance, "worker") },
                    template: {
                        metadata: { labels: labels(instance, "worker"), annotations: imageAnnotations("worker") },
                        spec: workerPodSpec(containerSettings("worker", config.worker), {
                            configMapName: configmapWn.metadata.name,
                            secretName: key.metadata.name,
                            imagePullSecrets: pullSecrets,
                        }),
                    },
                },
            },
            { ...parent, dependsOn: [frontend] },
        );

        new k8s.networking.v1.NetworkPolicy(
            "netpol-frontend",
            { metadata: meta("frontend"), spec: frontendNetworkPolicySpec(instance, config.notebook) },
            parent,
        );
        new k8s.networking.v1.NetworkPolicy(
            "netpol-workers",
            { metadata: meta("worker"), spec: workerNetworkPolicySpec(instance) },
            parent,
        );

        if (config.notebook) {
            this.notebookService = new k8s.core.v1.Service(
                "notebook-service",
                {
                    metadata: { ...meta("frontend"), name: NAMES.notebookService },
                    spec: notebookServiceSpec(instance, config.notebookServiceType),
                },
                { ...parent, dependsOn: [frontend] },
            );
        }

        this.namespace = namespace;
        this.frontendPodName = frontend.metadata.name;
        this.serviceName = service.metadata.name;
        this.deploymentName = workers.metadata.name;
        this.registerOutputs({
            namespace: this.namespace,
            frontendPodName: this.frontendPodName,
            serviceName: this.serviceName,
            deploymentName: this.deploymentName,
        });
    }
}
