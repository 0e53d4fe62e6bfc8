/**
 * The scaler's objects on Kubernetes, declared only when a worker group scales: its ServiceAccount (the
 * frontend Pod runs as it; only the scaler's container mounts its token), a Role allowing exactly the
 * scale subresource of the scaling groups' Deployments and patches of pods, its RoleBinding, the
 * ConfigMap with the groups' bounds (a fixed name, so that new bounds reach the running scaler without
 * replacing the Pod), and, unless turned off, a ValidatingAdmissionPolicy with its binding that holds
 * the token to those bounds and to the deletion-cost annotation of this stack's worker pods.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { WorkerGroup } from "../lib/groups";
import { admissionPolicySpec, scalerRules, scalingFileContents, scalingGroups, serviceAccountUser } from "../lib/scaling";
import type { ScalerSettings } from "../lib/k8s/scaler";
import { Child } from "./cluster-args";

type Metadata = { namespace: pulumi.Output<string>; labels: Record<string, string> };

export interface ScalerNames {
    /** The ServiceAccount, Role and RoleBinding. */
    account: string;
    /** The ConfigMap of bounds. */
    scaling: string;
}

/** The ServiceAccount the frontend Pod runs as (before the Pod), and what the Pod mounts of the scaler's. */
export function scalerAccount(child: Child, metadata: Metadata, names: ScalerNames): ScalerSettings {
    const account = child(
        "scaler-account",
        (n, o) => new k8s.core.v1.ServiceAccount(n, { metadata: { ...metadata, name: names.account }, automountServiceAccountToken: false }, o),
    );
    return { serviceAccountName: account.metadata.name, scalingConfigMapName: names.scaling };
}

/**
 * What the scaler is allowed and told, once the Deployments exist: `deployments` their names by group
 * (a default group from an older stack keeps the name Pulumi gave it).
 */
export function scalerGrants(
    child: Child,
    where: { metadata: Metadata; namespace: string; instance: string; names: ScalerNames; admissionPolicy: boolean },
    groups: WorkerGroup[],
    deployments: pulumi.Output<Record<string, string>>,
    after: pulumi.Resource[],
): void {
    const { metadata, names } = where;
    const scaling = scalingGroups(groups);
    const opts = { dependsOn: after };
    child(
        "scaling",
        (n, o) =>
            new k8s.core.v1.ConfigMap(
                n,
                { metadata: { ...metadata, name: names.scaling }, data: deployments.apply(d => scalingFileContents(groups, g => d[g])) },
                o,
            ),
        opts,
    );
    const role = child(
        "scaler-role",
        (n, o) =>
            new k8s.rbac.v1.Role(
                n,
                { metadata: { ...metadata, name: names.account }, rules: deployments.apply(d => scalerRules(scaling.map(g => d[g.name]))) },
                o,
            ),
        opts,
    );
    child(
        "scaler-binding",
        (n, o) =>
            new k8s.rbac.v1.RoleBinding(
                n,
                {
                    metadata: { ...metadata, name: names.account },
                    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                    subjects: [{ kind: "ServiceAccount", name: names.account, namespace: metadata.namespace }],
                },
                o,
            ),
        opts,
    );
    if (!where.admissionPolicy) return;
    // Cluster-scoped: named after the namespace too, so that stacks of the same prefix in two namespaces differ.
    const policyName = `${where.namespace}-${names.account}`;
    const spec = deployments.apply(d =>
        admissionPolicySpec(
            serviceAccountUser(where.namespace, names.account),
            where.instance,
            scaling.map(g => ({ deployment: d[g.name], minimum: g.minWorkers, maximum: g.maxWorkers })),
        ),
    );
    const policy = child(
        "scaler-policy",
        (n, o) => new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(n, { metadata: { name: policyName, labels: metadata.labels }, spec }, o),
        opts,
    );
    child(
        "scaler-policy-binding",
        (n, o) =>
            new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
                n,
                {
                    metadata: { name: policyName, labels: metadata.labels },
                    spec: {
                        policyName: policy.metadata.name,
                        validationActions: ["Deny"],
                        matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": where.namespace } } },
                    },
                },
                o,
            ),
        opts,
    );
}
