/**
 * Worker groups: how many worker pods of which shape, and where they may run. Pure checks of the
 * `workerGroups` setting (or of today's `workers`/`workerCpu`/`workerMemory`, which describe one
 * group named `default`), which `parseConfig` runs; every message names the key path
 * (`ipp-cluster:workerGroups[1].gpus`), the value and what is allowed.
 */
import { key } from "./config";
import { DEFAULT_GROUP, MAX_GROUP_LENGTH } from "./names";
import { cpuCores, memoryBytes } from "./quantities";

/** A toleration, as Kubernetes takes it. */
export interface Toleration {
    key?: string;
    operator?: "Equal" | "Exists";
    value?: string;
    effect?: "" | "NoSchedule" | "PreferNoSchedule" | "NoExecute";
    tolerationSeconds?: number;
}

/** One group of identical worker pods: its own Deployment (or containers, on Docker). */
export interface WorkerGroup {
    /** A DNS label of at most 20 characters; engines see it as IPP_WORKER_GROUP. */
    name: string;
    /** Worker pods (0 to 1000). */
    workers: number;
    /** Engines in each pod (1 to 256); the pod is Ready only while all of them are registered. */
    enginesPerWorker: number;
    /** CPU request and memory request/limit of each pod (all its engines together). */
    cpu: string;
    memory: string;
    /** GPUs each pod asks for, as `resources.limits` of the cluster's GPU resource. */
    gpus: number;
    /** Node labels the pods must run on. */
    nodeSelector: Record<string, string>;
    tolerations: Toleration[];
    /** Kubernetes affinity (nodeAffinity, podAffinity, podAntiAffinity), passed as given. */
    affinity?: Record<string, unknown>;
    /** The pods' PriorityClass; "" for the cluster's default. */
    priorityClassName: string;
}

export const MAX_ENGINES = 1000;
export const MAX_ENGINES_PER_WORKER = 256;
/**
 * Memory an engine needs at rest, with room for its first tasks: each pod's memory limit must hold
 * this much per engine (measured idle with `npm run bench:shapes`: 66 MiB for a pod of one engine,
 * 32 MiB per engine in pods of 4; an engine forked from its pod's fork server shares pages with it
 * only until it writes to them).
 */
export const ENGINE_MEMORY = "160Mi";

const GROUP_FIELDS = ["name", "workers", "enginesPerWorker", "cpu", "memory", "gpus", "nodeSelector", "tolerations", "affinity", "priorityClassName"];
const TOLERATION_FIELDS = ["key", "operator", "value", "effect", "tolerationSeconds"];
const AFFINITY_FIELDS = ["nodeAffinity", "podAffinity", "podAntiAffinity"];
const EFFECTS = ["", "NoSchedule", "PreferNoSchedule", "NoExecute"];

const GROUP_NAME = new RegExp(`^[a-z]([-a-z0-9]{0,${MAX_GROUP_LENGTH - 2}}[a-z0-9])?$`);
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^((?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

const shown = (value: unknown) => (value === undefined ? "nothing" : JSON.stringify(value));

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

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

/** An integer (the CLI may hand it over as a number or as text), or NaN. */
function integer(value: unknown): number {
    if (typeof value === "number" && Number.isInteger(value)) return value;
    if (typeof value === "string" && /^-?[0-9]+$/.test(value)) return parseInt(value, 10);
    return NaN;
}

/** What today's settings describe, and the defaults of every group's fields. */
export interface GroupDefaults {
    workers: number;
    enginesPerWorker: number;
    cpu: string;
    memory: string;
}

/** Collects problems about one key path. */
class Problems {
    readonly list: string[] = [];
    add(path: string, allowed: string, value: unknown) {
        this.list.push(`${path} must be ${allowed}; got ${shown(value)}.`);
    }
}

/** The one group today's settings describe. */
export function defaultGroup(d: GroupDefaults): WorkerGroup {
    return {
        name: DEFAULT_GROUP,
        workers: d.workers,
        enginesPerWorker: d.enginesPerWorker,
        cpu: d.cpu,
        memory: d.memory,
        gpus: 0,
        nodeSelector: {},
        tolerations: [],
        priorityClassName: "",
    };
}

/**
 * Reads `workerGroups` as the program receives it (JSON text; `[]` for none). None: the one group
 * `defaults` describe. Returns the groups and every problem found, the totals checked.
 */
export function parseWorkerGroups(text: string, defaults: GroupDefaults): { groups: WorkerGroup[]; listed: boolean; problems: string[] } {
    const p = new Problems();
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        value = undefined;
    }
    const base = key("workerGroups");
    if (!Array.isArray(value)) {
        p.add(base, 'a list of groups such as [{"name": "cpu", "workers": 20}, {"name": "gpu", "workers": 2, "gpus": 1}]', text);
        return { groups: [], listed: false, problems: p.list };
    }
    const groups = value.length ? value.map((g, i) => parseGroup(g, `${base}[${i}]`, defaults, p)) : [defaultGroup(defaults)];

    const seen = new Map<string, number>();
    groups.forEach((g, i) => {
        const first = seen.get(g.name);
        if (first !== undefined) p.list.push(`${base}[${i}].name must differ from every other group's; got ${shown(g.name)}, which ${base}[${first}] has too.`);
        else seen.set(g.name, i);
    });
    // The total only once every group's own numbers are right: one problem, told once.
    const counted = groups.every(g => g.workers >= 0 && g.workers <= MAX_ENGINES && g.enginesPerWorker >= 1 && g.enginesPerWorker <= MAX_ENGINES_PER_WORKER);
    const engines = totalEngines(groups);
    if (counted && engines > MAX_ENGINES) {
        const what = value.length ? "over all groups" : `(${key("workers")} × ${key("enginesPerWorker")})`;
        p.list.push(
            `The cluster may have at most ${MAX_ENGINES} engines ${what}; got ${engines} (${groups.map(g => `${g.name}: ${g.workers} × ${g.enginesPerWorker}`).join(", ")}).`,
        );
    }
    return { groups, listed: value.length > 0, problems: p.list };
}

/** Engines of all groups together. */
export function totalEngines(groups: WorkerGroup[]): number {
    return groups.reduce((sum, g) => sum + g.workers * g.enginesPerWorker, 0);
}

/** Checks that each pod's memory holds its engines; `path` names the memory setting. */
export function engineMemoryProblem(memory: string, engines: number, path: string): string | undefined {
    const needed = memoryBytes(ENGINE_MEMORY) * engines;
    if (!(memoryBytes(memory) < needed)) return undefined;
    const mi = Math.ceil(needed / 2 ** 20);
    return `${path} must hold ${engines} engine${engines === 1 ? "" : "s"} of ${ENGINE_MEMORY} each: at least ${mi}Mi; got ${shown(memory)}.`;
}

function parseGroup(raw: unknown, path: string, d: GroupDefaults, p: Problems): WorkerGroup {
    if (!isObject(raw)) {
        p.add(path, 'an object such as {"name": "gpu", "workers": 2, "gpus": 1}', raw);
        return defaultGroup(d);
    }
    for (const k of Object.keys(raw).filter(k => !GROUP_FIELDS.includes(k))) {
        p.list.push(`${path}.${k} is not a field of a worker group, which takes ${GROUP_FIELDS.join(", ")}; got ${shown(raw[k])}.`);
    }
    const name = raw.name;
    if (typeof name !== "string" || !GROUP_NAME.test(name)) {
        p.add(
            `${path}.name`,
            `a DNS label of at most ${MAX_GROUP_LENGTH} characters (lowercase letters, digits and "-", starting with a letter), such as gpu`,
            name,
        );
    }
    const count = (field: string, min: number, max: number, fallback?: number) => {
        const value = raw[field] ?? fallback;
        const n = integer(value);
        if (!(n >= min && n <= max)) p.add(`${path}.${field}`, `an integer from ${min} to ${max}`, value);
        return n;
    };
    const workers = count("workers", 0, MAX_ENGINES);
    const enginesPerWorker = count("enginesPerWorker", 1, MAX_ENGINES_PER_WORKER, d.enginesPerWorker);
    const gpus = count("gpus", 0, 64, 0);
    const cpu = raw.cpu ?? d.cpu;
    if (typeof cpu !== "string" || !(cpuCores(cpu) > 0)) p.add(`${path}.cpu`, "a positive Kubernetes CPU quantity, such as 500m, 4 or 2.5", cpu);
    const memory = raw.memory ?? d.memory;
    if (typeof memory !== "string" || !(memoryBytes(memory) > 0)) {
        p.add(`${path}.memory`, "a Kubernetes memory quantity such as 4Gi", memory);
    } else if (enginesPerWorker >= 1 && enginesPerWorker <= MAX_ENGINES_PER_WORKER) {
        const problem = engineMemoryProblem(memory, enginesPerWorker, `${path}.memory`);
        if (problem) p.list.push(problem);
    }
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
        name: String(name),
        workers,
        enginesPerWorker,
        cpu: String(cpu),
        memory: String(memory),
        gpus,
        nodeSelector: parseNodeSelector(raw.nodeSelector, `${path}.nodeSelector`, p),
        tolerations: parseTolerations(raw.tolerations, `${path}.tolerations`, p),
        ...(isObject(affinity) ? { affinity } : {}),
        priorityClassName: String(priorityClassName),
    };
}

function parseNodeSelector(raw: unknown, path: string, p: Problems): Record<string, string> {
    if (raw === undefined) return {};
    if (!isObject(raw)) {
        p.add(path, 'an object of node labels such as {"cloud.google.com/gke-accelerator": "nvidia-l4"}', raw);
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

function parseTolerations(raw: unknown, path: string, p: Problems): Toleration[] {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) {
        p.add(path, 'a list of tolerations such as [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]', raw);
        return [];
    }
    raw.forEach((t, i) => {
        const at = `${path}[${i}]`;
        if (!isObject(t)) return p.add(at, 'a toleration such as {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}', t);
        for (const k of Object.keys(t).filter(k => !TOLERATION_FIELDS.includes(k))) {
            p.list.push(`${at}.${k} is not a field of a toleration, which takes ${TOLERATION_FIELDS.join(", ")}; got ${shown(t[k])}.`);
        }
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
