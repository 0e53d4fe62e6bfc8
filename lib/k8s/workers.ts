/**
 * A worker group's objects: its pods (engines in one container, Ready while all of them are
 * registered, placed and spread as the group says) and the Deployment that keeps them.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { CONTAINERS, workerLabels, workerSelectorLabels } from "../names";
import type { Placement } from "../placement";
import type { SharedVolume } from "../storage";
import type { WorkerGroup } from "../groups";
import { POD_NAME_VARIABLE, WORKER_GRACE_SECONDS, WORKER_READINESS, engineCommand, workerEnv, workerReadyCommand } from "../runtime";
import { ContainerSettings, PodSources, PodSpec, container, podSpec, sharedData } from "./pod";

/**
 * A group's pods prefer different nodes (`ScheduleAnyway`: never left Pending for it), so that one
 * node's loss takes few engines; only the current revision's pods count (`pod-template-hash`).
 */
export function spreadConstraints(selector: Record<string, string>) {
    return [
        {
            maxSkew: 1,
            topologyKey: "kubernetes.io/hostname",
            whenUnsatisfiable: "ScheduleAnyway",
            labelSelector: { matchLabels: selector },
            matchLabelKeys: ["pod-template-hash"],
        },
    ];
}

/**
 * A worker pod's spec: the group's `enginesPerWorker` engines in one container, Ready only while all
 * of them are registered; the group's GPUs as limits of `gpuResource`; its placement, spread over
 * nodes; with `shared`, the data volume at /home/jupyter/shared (read-only when it says so). Engines
 * see their group and pod as IPP_WORKER_GROUP and IPP_POD_NAME; the worker reports to the watcher at
 * `watcherUrl`.
 */
export function workerPodSpec(
    settings: ContainerSettings,
    sources: PodSources,
    group: WorkerGroup,
    options: { instance: string; gpuResource: string; watcherUrl: string; shared?: SharedVolume },
): PodSpec {
    const data = sharedData(options.shared, options.shared?.readOnly ?? false);
    const gpus = group.gpus > 0 ? { extraLimits: { [options.gpuResource]: String(group.gpus) } } : {};
    const engine = container(
        CONTAINERS.engine,
        { ...settings, ...gpus },
        {
            args: engineCommand(),
            env: [
                ...workerEnv(group.name, group.enginesPerWorker, options.watcherUrl, sources.hub),
                { name: POD_NAME_VARIABLE, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
            ],
            readinessProbe: { exec: { command: workerReadyCommand() }, ...WORKER_READINESS },
            ...(data.mounts.length ? { volumeMounts: data.mounts } : {}),
        },
    );
    return {
        ...podSpec(sources, [engine], data.volumes, WORKER_GRACE_SECONDS),
        ...placement(group),
        topologySpreadConstraints: spreadConstraints(workerSelectorLabels(options.instance, group.name)),
    };
}

/** The placement fields a group sets, and only those. */
function placement(p: Placement): Partial<PodSpec> {
    return {
        ...(Object.keys(p.nodeSelector).length ? { nodeSelector: p.nodeSelector } : {}),
        ...(p.tolerations.length ? { tolerations: p.tolerations } : {}),
        ...(p.affinity ? { affinity: p.affinity } : {}),
        ...(p.priorityClassName ? { priorityClassName: p.priorityClassName } : {}),
    };
}

/**
 * A worker group's Deployment: `workers` pods from one template. The selector holds only the labels
 * that never change (selectors are immutable); `annotations` go on the template, so a change of
 * them rolls the pods.
 */
export function workerDeploymentSpec(
    instance: string,
    group: Pick<WorkerGroup, "name" | "workers">,
    pod: PodSpec,
    annotations: Record<string, pulumi.Input<string>> = {},
): k8s.types.input.apps.v1.DeploymentSpec {
    return {
        replicas: group.workers,
        selector: { matchLabels: workerSelectorLabels(instance, group.name) },
        template: { metadata: { labels: workerLabels(instance, group.name), annotations }, spec: pod },
    };
}
