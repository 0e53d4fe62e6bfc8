/**
 * Scaling from where people work: which worker groups the scaler sizes (minWorkers/maxWorkers apart from
 * workers, see groups.ts), what it is told of them (the bounds file), how it runs (its command and
 * environment), what it may do in the Kubernetes API (its Role's rules) and what a ValidatingAdmissionPolicy
 * holds even a stolen token of its to. Pure functions: the tests call them, the components declare them.
 */
import { CLIENT_FILE, GROUP_LABEL, INSTANCE_LABEL, key } from "./names";
import { SCALER_PORT } from "./ports";
import { watcherUrl } from "./monitoring";
import type { Resources } from "./quantities";
import { WorkerGroup, scales } from "./groups";
import { EnvVar, WORKER_READINESS, frontendEnv, watcherUrlEnv } from "./runtime";

/** The scaler's container: it waits and asks, nothing more. */
export const SCALER_RESOURCES: Resources = { cpu: "20m", memory: "128Mi" };
/** Where the scaler's container (alone) mounts its token, and the bounds file. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
export const SCALING_DIR = "/etc/ipp/scaling";
export const SCALING_FILE = "scaling.json";
/** The token's lifetime: the kubelet renews it before it ends, and the scaler reads it at every request. */
export const TOKEN_SECONDS = 3600;
/** What the scaler sets on a drained pod, so that the ReplicaSet removes it first. */
export const DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";

/** The groups the scaler sizes. */
export function scalingGroups(groups: WorkerGroup[]): WorkerGroup[] {
    return groups.filter(scales);
}

/** Why a stack with these groups cannot scale on `target` (the scaler needs the Kubernetes API), or undefined. */
export function scalingProblem(groups: WorkerGroup[], target: string, listed: boolean): string | undefined {
    const scaling = scalingGroups(groups);
    if (target !== "docker" || scaling.length === 0) return undefined;
    const fields = listed
        ? `minWorkers/maxWorkers of ${key("workerGroups")} (${scaling.map(g => g.name).join(", ")})`
        : `${key("minWorkers")}/${key("maxWorkers")}`;
    return `${fields} need the kubernetes target (the scaler sizes Deployments); on docker, change workers and run pulumi up; got target docker.`;
}

/**
 * The bounds file: each scaling group's Deployment, bounds and engines per pod, and how long a drained
 * pod takes to be NotReady (the ReplicaSet removes NotReady pods before any other, whatever their
 * deletion cost: the scaler lowers the count only after that). images/base/ipp_cluster/scaler.py reads it.
 */
export function scalingFileContents(groups: WorkerGroup[], deployment: (group: string) => string): Record<string, string> {
    const entries = scalingGroups(groups).map(g => [
        g.name,
        { deployment: deployment(g.name), minimum: g.minWorkers, maximum: g.maxWorkers, enginesPerPod: g.enginesPerWorker },
    ]);
    const notReadySeconds = WORKER_READINESS.periodSeconds * WORKER_READINESS.failureThreshold + 1;
    return { [SCALING_FILE]: JSON.stringify({ groups: Object.fromEntries(entries), notReadySeconds }, null, 2) + "\n" };
}

/** The scaler: `ipp-scaler`, through the frontend's entrypoint, which writes its keyed client file. */
export function scalerCommand(): string[] {
    return ["ipp-scaler"];
}

export function scalerEnv(watchSeconds: number): EnvVar[] {
    return [
        ...frontendEnv(),
        { name: "IPP_CLIENT_FILE", value: CLIENT_FILE },
        watcherUrlEnv(watcherUrl("127.0.0.1")),
        { name: "IPP_SCALER_PORT", value: String(SCALER_PORT.port) },
        { name: "IPP_SCALING_FILE", value: `${SCALING_DIR}/${SCALING_FILE}` },
        { name: "IPP_WATCH_SECONDS", value: String(watchSeconds) },
    ];
}

/** Where the watcher passes the scaling requests on to (the scaler, in the same Pod). */
export function scalerUrl(): string {
    return `http://127.0.0.1:${SCALER_PORT.port}`;
}

export interface PolicyRule {
    apiGroups: string[];
    resources: string[];
    resourceNames?: string[];
    verbs: string[];
}

/**
 * The scaler's Role: the scale subresource of the scaling groups' Deployments, by name, and patches of
 * pods (a Role cannot name pods that do not exist yet; the admission policy narrows it to this stack's
 * worker pods and to the deletion-cost annotation). Nothing else: no list, no watch, no delete.
 */
export function scalerRules(deployments: string[]): PolicyRule[] {
    return [
        { apiGroups: ["apps"], resources: ["deployments/scale"], resourceNames: [...deployments].sort(), verbs: ["get", "patch", "update"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["patch"] },
    ];
}

/** The name of the scaler's ServiceAccount as the API server names its requests. */
export function serviceAccountUser(namespace: string, account: string): string {
    return `system:serviceaccount:${namespace}:${account}`;
}

/** CEL text of a string. */
const cel = (text: string) => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/**
 * The ValidatingAdmissionPolicy's spec: for requests of the scaler's ServiceAccount only, a Deployment's
 * scale stays within its group's bounds, and a pod patch may touch nothing but the deletion-cost
 * annotation of this stack's worker pods.
 */
export function admissionPolicySpec(user: string, instance: string, bounds: { deployment: string; minimum: number; maximum: number }[]) {
    // A Scale leaves out replicas 0; a step toward the bounds is allowed (bounds lowered under a larger count).
    const replicas = (o: string) => `(has(${o}.spec.replicas) ? ${o}.spec.replicas : 0)`;
    const [now, before] = [replicas("object"), replicas("oldObject")];
    const within = bounds.map(
        b =>
            `(object.metadata.name == ${cel(b.deployment)} && (${now} >= ${b.minimum} || ${now} > ${before}) && (${now} <= ${b.maximum} || ${now} < ${before}))`,
    );
    const annotations = (o: string) => `(has(${o}.metadata.annotations) ? ${o}.metadata.annotations : {})`;
    const same = (field: string, empty: string) =>
        `(has(object.metadata.${field}) ? object.metadata.${field} : ${empty}) == (has(oldObject.metadata.${field}) ? oldObject.metadata.${field} : ${empty})`;
    const sameExceptCost = (a: string, b: string) =>
        `${annotations(a)}.all(k, k == ${cel(DELETION_COST)} || (k in ${annotations(b)} && ${annotations(b)}[k] == ${annotations(a)}[k]))`;
    return {
        failurePolicy: "Fail",
        matchConstraints: {
            resourceRules: [
                { apiGroups: ["apps"], apiVersions: ["v1"], operations: ["UPDATE"], resources: ["deployments/scale"] },
                { apiGroups: [""], apiVersions: ["v1"], operations: ["UPDATE"], resources: ["pods"] },
            ],
        },
        matchConditions: [{ name: "the-scaler", expression: `request.userInfo.username == ${cel(user)}` }],
        validations: [
            {
                expression: `request.resource.resource != 'deployments' || ${within.join(" || ") || "false"}`,
                message: `the scaler may size only this stack's scaling Deployments, within their minWorkers and maxWorkers`,
            },
            {
                expression:
                    `request.resource.resource != 'pods' || (has(oldObject.metadata.labels) && ` +
                    `oldObject.metadata.labels[${cel(INSTANCE_LABEL)}] == ${cel(instance)} && ${cel(GROUP_LABEL)} in oldObject.metadata.labels && ` +
                    `${same("labels", "{}")} && ${same("finalizers", "[]")} && ${same("ownerReferences", "[]")} && ` +
                    `object.spec == oldObject.spec && ${sameExceptCost("object", "oldObject")} && ${sameExceptCost("oldObject", "object")})`,
                message: `the scaler may only set ${DELETION_COST} on this stack's worker pods`,
            },
        ],
    };
}
