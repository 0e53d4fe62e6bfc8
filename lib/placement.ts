/**
 * Where a worker group's pods may run: node labels, tolerations of taints and Kubernetes affinity,
 * checked as the `workerGroups` setting gives them; and the grammar of label keys and resource names.
 */
import { DNS_SUBDOMAIN } from "./names";
import { PathProblems, integer, isObject } from "./reader";

/** A toleration, as Kubernetes takes it. */
export interface Toleration {
    key?: string;
    operator?: "Equal" | "Exists";
    value?: string;
    effect?: "" | "NoSchedule" | "PreferNoSchedule" | "NoExecute";
    tolerationSeconds?: number;
}

/** Where a group's pods may run. */
export interface Placement {
    /** Node labels the pods must run on. */
    nodeSelector: Record<string, string>;
    tolerations: Toleration[];
    /** Kubernetes affinity (nodeAffinity, podAffinity, podAntiAffinity), passed as given. */
    affinity?: Record<string, unknown>;
    /** The pods' PriorityClass; "" for the cluster's default. */
    priorityClassName: string;
}

const TOLERATION_FIELDS = ["key", "operator", "value", "effect", "tolerationSeconds"];
const AFFINITY_FIELDS = ["nodeAffinity", "podAffinity", "podAntiAffinity"];
const EFFECTS = ["", "NoSchedule", "PreferNoSchedule", "NoExecute"];
const LABEL_NAME = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^((?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** A label key: an optional DNS subdomain and "/", then a name of at most 63 characters. */
export function isLabelKey(text: string): boolean {
    const slash = text.lastIndexOf("/");
    const [prefix, name] = slash < 0 ? [undefined, text] : [text.slice(0, slash), text.slice(slash + 1)];
    return (prefix === undefined || DNS_SUBDOMAIN.test(prefix)) && LABEL_NAME.test(name);
}

/** An extended resource name such as nvidia.com/gpu: a domain, "/", a name. */
export function isResourceName(text: string): boolean {
    const slash = text.indexOf("/");
    return slash > 0 && DNS_SUBDOMAIN.test(text.slice(0, slash)) && LABEL_NAME.test(text.slice(slash + 1)) && !text.slice(0, slash).endsWith("kubernetes.io");
}

/** A group's placement fields, each checked under `path` (`ipp-cluster:workerGroups[1]`). */
export function parsePlacement(raw: Record<string, unknown>, path: string, p: PathProblems): Placement {
    const priorityClassName = raw.priorityClassName ?? "";
    if (typeof priorityClassName !== "string" || (priorityClassName !== "" && !DNS_SUBDOMAIN.test(priorityClassName))) {
        p.add(`${path}.priorityClassName`, 'the name of a PriorityClass (lowercase letters, digits, "-" and "."), such as high-priority', priorityClassName);
    }
    const affinity = raw.affinity;
    if (affinity !== undefined) {
        if (!isObject(affinity) || Object.keys(affinity).some(k => !AFFINITY_FIELDS.includes(k))) {
            p.add(`${path}.affinity`, `a Kubernetes affinity: an object with ${AFFINITY_FIELDS.join(", ")}`, affinity);
        }
    }
    return {
        nodeSelector: parseLabels(raw.nodeSelector, `${path}.nodeSelector`, p, '{"cloud.google.com/gke-accelerator": "nvidia-l4"}'),
        tolerations: parseTolerations(raw.tolerations, `${path}.tolerations`, p),
        ...(isObject(affinity) ? { affinity } : {}),
        priorityClassName: String(priorityClassName),
    };
}

/** A set of labels (a selector, or labels to put on an object), each key and value checked; `example` shows one. */
export function parseLabels(raw: unknown, path: string, p: PathProblems, example: string): Record<string, string> {
    if (raw === undefined) return {};
    if (!isObject(raw)) {
        p.add(path, `an object of labels such as ${example}`, raw);
        return {};
    }
    for (const [k, v] of Object.entries(raw)) {
        if (!isLabelKey(k))
            p.add(
                `${path} key`,
                'a label key: an optional DNS prefix and "/", then at most 63 letters, digits, "-", "_" and ".", such as node.kubernetes.io/instance-type',
                k,
            );
        if (typeof v !== "string" || !LABEL_VALUE.test(v))
            p.add(`${path}.${k}`, 'a label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit', v);
    }
    return raw as Record<string, string>;
}

function parseTolerations(raw: unknown, path: string, p: PathProblems): Toleration[] {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) {
        p.add(path, 'a list of tolerations such as [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]', raw);
        return [];
    }
    raw.forEach((t, i) => {
        const at = `${path}[${i}]`;
        if (!isObject(t)) return p.add(at, 'a toleration such as {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}', t);
        p.unknownFields(at, t, TOLERATION_FIELDS, "a toleration");
        const operator = t.operator ?? "Equal";
        if (operator !== "Equal" && operator !== "Exists") p.add(`${at}.operator`, "Equal or Exists", t.operator);
        if (t.key === undefined || t.key === "") {
            if (operator !== "Exists") p.add(`${at}`, 'a toleration with a key, or with "operator": "Exists" (which tolerates every taint)', t);
        } else if (typeof t.key !== "string" || !isLabelKey(t.key)) {
            p.add(`${at}.key`, "a taint key such as nvidia.com/gpu", t.key);
        }
        if (operator === "Exists" && t.value !== undefined && t.value !== "") p.add(`${at}.value`, 'empty when "operator" is "Exists"', t.value);
        if (t.value !== undefined && (typeof t.value !== "string" || !LABEL_VALUE.test(t.value)))
            p.add(`${at}.value`, 'a taint value: at most 63 letters, digits, "-", "_" and "."', t.value);
        if (t.effect !== undefined && !EFFECTS.includes(t.effect as string))
            p.add(`${at}.effect`, "NoSchedule, PreferNoSchedule, NoExecute or empty (every effect)", t.effect);
        if (t.tolerationSeconds !== undefined) {
            if (t.effect !== "NoExecute") p.add(`${at}.tolerationSeconds`, 'set only with "effect": "NoExecute"', t.tolerationSeconds);
            else if (!(integer(t.tolerationSeconds) >= 0)) p.add(`${at}.tolerationSeconds`, "an integer of at least 0", t.tolerationSeconds);
        }
    });
    return raw.map(t => (isObject(t) && t.tolerationSeconds !== undefined ? { ...t, tolerationSeconds: integer(t.tolerationSeconds) } : t)) as Toleration[];
}
