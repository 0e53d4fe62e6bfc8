/**
 * The frontend's objects: the controller Pod (with the watcher and the notebook server beside it), the Service in front
 * of the controller, the notebook's own Service and the claim that holds the notebook's home folder.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { CONTROLLER_PORTS, METRICS_PORT, NOTEBOOK_PORT, REGISTRATION_PORT, WATCHER_PORT, portsFor } from "../ports";
import { CONTAINERS, PATHS, selectorLabels } from "../names";
import type { Resources } from "../quantities";
import type { SharedVolume } from "../storage";
import { FRONTEND_GRACE_SECONDS, NotebookApp, controllerCommand, frontendEnv, notebookCommand, notebookEnv } from "../runtime";
import { WATCHER_RESOURCES, watcherCommand, watcherEnv, watcherUrl } from "../monitoring";
import { scalerUrl } from "../scaling";
import { ScalerSettings, scalerParts } from "./scaler";
import {
    Container,
    ContainerSettings,
    PodSources,
    PodSpec,
    Volume,
    VolumeMount,
    container,
    containerPorts,
    podSpec,
    servicePorts,
    sharedData,
    tcpReadiness,
} from "./pod";

type ServiceSpec = k8s.types.input.core.v1.ServiceSpec;
type ClaimSpec = k8s.types.input.core.v1.PersistentVolumeClaimSpec;

/** The notebook next to the controller: its resources and the Secret holding its token. */
export interface NotebookSettings {
    /** What it serves, on which server. */
    app: NotebookApp;
    resources: Resources;
    tokenSecretName: pulumi.Input<string>;
    /** The claim that holds the notebook's home folder; without one, the home is an emptyDir. */
    homeClaimName?: pulumi.Input<string>;
    /** The data volume at /home/jupyter/shared, read-write in the notebook. */
    shared?: SharedVolume;
}

/** The watcher beside the controller: how often it asks, the cluster's name on its metrics, and the scaler beside it, if any. */
export interface WatcherSettings {
    watchSeconds: number;
    cluster: string;
    scaler?: ScalerSettings;
}

/**
 * The watcher's container: the frontend's image and entrypoint (a keyed client file of its own, in a
 * home of its own), the metrics port and the port of signed requests. No readiness probe: the Pod's
 * readiness is the controller's and the notebook's (the controller's Service publishes the Pod
 * whatever its readiness, so that the watcher never stands between the engines and the controller).
 */
function watcherContainer(settings: ContainerSettings, watcher: WatcherSettings): Container {
    return container(
        CONTAINERS.watcher,
        { ...settings, resources: WATCHER_RESOURCES },
        {
            args: watcherCommand(),
            env: [...watcherEnv(watcher.watchSeconds, watcher.cluster), ...(watcher.scaler ? [{ name: "IPP_SCALER_URL", value: scalerUrl() }] : [])],
            ports: containerPorts([METRICS_PORT, WATCHER_PORT]),
        },
        "watcher-home",
    );
}

/**
 * The controller Pod's spec: the controller, the watcher, the scaler when a group scales (the Pod then runs
 * as the scaler's ServiceAccount, whose token only the scaler's container mounts) and, when `notebook` is
 * given, a notebook server. The
 * notebook's home folder is its claim (or an emptyDir) and holds the notebooks; the IPython profile,
 * where both containers write the keyed connection files, is an emptyDir of its own mounted over
 * `.ipython`, so that no key lands on the claim. The controller's own home is an emptyDir. The
 * notebook reads its token from a Secret of its own.
 */
export function frontendPodSpec(settings: ContainerSettings, sources: PodSources, watcher: WatcherSettings, notebook?: NotebookSettings): PodSpec {
    const spec = controllerPodSpec(settings, sources, watcher, notebook);
    if (!watcher.scaler) return spec;
    const scaler = scalerParts(settings, watcher.scaler, watcher.watchSeconds);
    return {
        ...spec,
        serviceAccountName: watcher.scaler.serviceAccountName,
        containers: [...(spec.containers as Container[]), scaler.container],
        volumes: [...(spec.volumes as Volume[]), ...scaler.volumes],
    };
}

function controllerPodSpec(settings: ContainerSettings, sources: PodSources, watcher: WatcherSettings, notebook?: NotebookSettings): PodSpec {
    const profileMount: VolumeMount[] = notebook ? [{ name: "ipython", mountPath: PATHS.ipythonDir }] : [];
    const controller = container(CONTAINERS.controller, settings, {
        args: controllerCommand(sources.hub, settings.resources.memory),
        env: frontendEnv(),
        ports: containerPorts(CONTROLLER_PORTS),
        readinessProbe: tcpReadiness(REGISTRATION_PORT),
        volumeMounts: profileMount,
    });
    const watching = watcherContainer(settings, watcher);
    const watcherHome: Volume = { name: "watcher-home", emptyDir: {} };
    if (!notebook) return podSpec(sources, [controller, watching], [watcherHome], FRONTEND_GRACE_SECONDS);
    const shared = sharedData(notebook.shared, false);
    const server = container(
        CONTAINERS.notebook,
        { ...settings, resources: notebook.resources },
        {
            args: notebookCommand(notebook.app),
            env: notebookEnv(watcherUrl("127.0.0.1")),
            ports: containerPorts([NOTEBOOK_PORT]),
            readinessProbe: tcpReadiness(NOTEBOOK_PORT),
            volumeMounts: [...profileMount, { name: "notebook-token", mountPath: PATHS.notebookTokenDir, readOnly: true }, ...shared.mounts],
        },
        "notebook-home",
    );
    const claim = notebook.homeClaimName;
    const volumes: Volume[] = [
        { name: "ipython", emptyDir: {} },
        { name: "notebook-token", secret: { secretName: notebook.tokenSecretName, defaultMode: 0o440 } },
        claim ? { name: "notebook-home", persistentVolumeClaim: { claimName: claim } } : { name: "notebook-home", emptyDir: {} },
        ...shared.volumes,
        watcherHome,
    ];
    return podSpec(sources, [controller, watching, server], volumes, FRONTEND_GRACE_SECONDS, claim !== undefined);
}

/**
 * The claim that holds the notebook's home folder: one node at a time (the frontend Pod is alone and
 * deleted before it is replaced), in `storageClass` or the cluster's default class.
 */
export function notebookClaimSpec(size: string, storageClass = ""): ClaimSpec {
    return {
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: size } },
        ...(storageClass ? { storageClassName: storageClass } : {}),
    };
}

/** The notebook's own Service: only the notebook's port, so exposing it exposes nothing else. */
export function notebookServiceSpec(instance: string, type: string): ServiceSpec {
    return {
        type,
        selector: selectorLabels(instance, "frontend"),
        ports: servicePorts([NOTEBOOK_PORT]),
    };
}

/**
 * The Service in front of the controller: a stable ClusterIP with the ports engines need, and the
 * watcher's port for the workers' reports. It publishes the Pod whatever its readiness: engines wait
 * for the controller themselves, and a watcher that restarts never takes the controller away.
 */
export function controllerServiceSpec(instance: string): ServiceSpec {
    return {
        type: "ClusterIP",
        selector: selectorLabels(instance, "frontend"),
        ports: servicePorts([...portsFor("engines"), WATCHER_PORT]),
        publishNotReadyAddresses: true,
    };
}
