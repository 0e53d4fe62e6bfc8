/**
 * Worker groups: how many worker pods of which shape, and where they may run. `parseWorkers` reads the
 * `workerGroups` setting (or today's `workers`/`enginesPerWorker`/`workerCpu`/`workerMemory`, which
 * describe one group named `default`) and `gpuResource`; every message names the key path
 * (`ipp-cluster:workerGroups[1].gpus`), the value and what is allowed.
 */
import { DEFAULT_GROUP, MAX_GROUP_LENGTH, key } from "./names";
import { Placement, isResourceName, parsePlacement } from "./placement";
import { cpuCores, memoryBytes } from "./quantities";
import { PathProblems, SettingsReader, integer, isObject, parseJson, shown } from "./reader";

/** One group of identical worker pods: its own Deployment (or containers, on Docker). */
export interface WorkerGroup extends Placement {
    /** A DNS label of at most 20 characters; engines see it as IPP_WORKER_GROUP. */
    name: string;
    /** Worker pods (0 to 1000): the count, or, when the group scales, the count it starts with. */
    workers: number;
    /** How far the scaler may size the group (minWorkers ≤ workers ≤ maxWorkers); both workers: it does not scale. */
    minWorkers: number;
    maxWorkers: number;
    /** Engines in each pod (1 to 256); the pod is Ready only while all of them are registered. */
    enginesPerWorker: number;
    /** CPU request and memory request/limit of each pod (all its engines together). */
    cpu: string;
    memory: string;
    /** GPUs each pod asks for, as `resources.limits` of the cluster's GPU resource. */
    gpus: number;
}

/** Most worker pods of one group (and of `workers`). */
export const MAX_WORKERS = 1000;
/**
 * Most engines of the whole cluster (every group at its most workers): the largest count one
 * controller measured right with the settings lib/hub-settings.ts derives for it (`npm run bench:hub`:
 * 8,000 stand-in engines all registered, none late or dropped; at 10,000 they were not all taken in).
 */
export const MAX_ENGINES = 8000;
/** Most engines in one pod; the worker entrypoint holds the same bound (images/worker/ipp_worker/settings.py). */
export const MAX_ENGINES_PER_WORKER = 256;
/**
 * Memory an engine needs at rest, with room for its first tasks: each pod's memory limit must hold
 * this much per engine. What engines use, idle and right after they start, is measured by
 * `npm run bench:shapes` (BENCHMARKS.md, "16 engines in three shapes"); an engine forked from its
 * pod's fork server shares pages with it only until it writes to them.
 */
export const ENGINE_MEMORY = "160Mi";

const GROUP_FIELDS = [
    "name",
    "workers",
    "minWorkers",
    "maxWorkers",
    "enginesPerWorker",
    "cpu",
    "memory",
    "gpus",
    "nodeSelector",
    "tolerations",
    "affinity",
    "priorityClassName",
];
const GROUP_NAME = new RegExp(`^[a-z]([-a-z0-9]{0,${MAX_GROUP_LENGTH - 2}}[a-z0-9])?$`);

/** What today's settings describe, and the defaults of every group's fields. */
export interface GroupDefaults {
    workers: number;
    /** `minWorkers`/`maxWorkers` of today's settings; undefined: `workers`. */
    minWorkers?: number;
    maxWorkers?: number;
    enginesPerWorker: number;
    cpu: string;
    memory: string;
}

/** The one group today's settings describe. */
export function defaultGroup(d: GroupDefaults): WorkerGroup {
    return {
        name: DEFAULT_GROUP,
        workers: d.workers,
        minWorkers: d.minWorkers ?? d.workers,
        maxWorkers: d.maxWorkers ?? d.workers,
        enginesPerWorker: d.enginesPerWorker,
        cpu: d.cpu,
        memory: d.memory,
        gpus: 0,
        nodeSelector: {},
        tolerations: [],
        priorityClassName: "",
    };
}

/** Engines of all groups together (at their most, `maxWorkers` pods each, with `most`). */
export function totalEngines(groups: WorkerGroup[], most = false): number {
    return groups.reduce((sum, g) => sum + (most ? g.maxWorkers : g.workers) * g.enginesPerWorker, 0);
}

/** Whether the scaler sizes the group. */
export function scales(group: WorkerGroup): boolean {
    return group.minWorkers !== group.workers || group.maxWorkers !== group.workers;
}

/** Checks minWorkers ≤ workers ≤ maxWorkers; `path` names the fields (`ipp-cluster:` or `ipp-cluster:workerGroups[1].`). */
function boundsProblem(g: WorkerGroup, path: (field: string) => string): string | undefined {
    const numbers = [g.minWorkers, g.workers, g.maxWorkers];
    if (!numbers.every(Number.isInteger) || (g.minWorkers <= g.workers && g.workers <= g.maxWorkers)) return undefined;
    return (
        `${path("minWorkers")} ≤ ${path("workers")} ≤ ${path("maxWorkers")} must hold (the scaler sizes the group between them, starting at workers); ` +
        `got ${g.minWorkers}, ${g.workers}, ${g.maxWorkers}.`
    );
}

/** `minWorkers`/`maxWorkers` of today's settings: an integer from 0 to 1000, or "" for `workers`. */
function optionalCount(s: SettingsReader, name: string): number | undefined {
    const text = s.text(name);
    if (text === "") return undefined;
    const n = integer(text);
    if (n >= 0 && n <= MAX_WORKERS) return n;
    s.problem(`${key(name)} must be an integer from 0 to ${MAX_WORKERS}, or "" for workers; got ${shown(text)}.`);
    return undefined;
}

/** Checks that each pod's memory holds its engines; `path` names the memory setting. */
export function engineMemoryProblem(memory: string, engines: number, path: string): string | undefined {
    const needed = memoryBytes(ENGINE_MEMORY) * engines;
    if (!(memoryBytes(memory) < needed)) return undefined;
    const mi = Math.ceil(needed / 2 ** 20);
    return `${path} must hold ${engines} engine${engines === 1 ? "" : "s"} of ${ENGINE_MEMORY} each: at least ${mi}Mi; got ${shown(memory)}.`;
}

const countable = (n: number) => n >= 1 && n <= MAX_ENGINES_PER_WORKER;

/**
 * The worker groups and the GPU resource: `workerGroups` when set (each group's fields default to
 * enginesPerWorker, workerCpu and workerMemory), else one group `default` of `workers` pods.
 */
export function parseWorkers(s: SettingsReader): { workerGroups: WorkerGroup[]; gpuResource: string; listed: boolean } {
    const workers = s.integer("workers", 0, MAX_WORKERS);
    const enginesPerWorker = s.integer("enginesPerWorker", 1, MAX_ENGINES_PER_WORKER);
    const worker = s.resources("worker");
    const bounds = { minWorkers: optionalCount(s, "minWorkers"), maxWorkers: optionalCount(s, "maxWorkers") };
    const parsed = parseWorkerGroups(s.json("workerGroups"), { workers, enginesPerWorker, ...bounds, ...worker });
    parsed.problems.forEach(p => s.problem(p));
    for (const name of ["workers", "minWorkers", "maxWorkers"]) {
        if (parsed.listed && s.isSet(name)) {
            s.problem(
                `${key(name)} cannot be set together with ${key("workerGroups")}: give each group its own ${name} (\`pulumi config rm ${name}\`); got ${name} ${shown(s.text(name))}.`,
            );
        }
    }
    const gpuResource = s.text("gpuResource");
    if (!isResourceName(gpuResource)) {
        s.problem(
            `${key("gpuResource")} must be an extended resource name (a domain, "/", a name), such as nvidia.com/gpu or amd.com/gpu; got ${shown(gpuResource)}.`,
        );
    }
    return { workerGroups: parsed.groups, gpuResource, listed: parsed.listed };
}

/**
 * Reads `workerGroups` as the program receives it (JSON text; `[]` for none). None: the one group
 * `defaults` describe. Returns the groups and every problem found, the totals and each pod's memory checked.
 */
export function parseWorkerGroups(text: string, defaults: GroupDefaults): { groups: WorkerGroup[]; listed: boolean; problems: string[] } {
    const p = new PathProblems();
    const value = parseJson(text);
    const base = key("workerGroups");
    // A listed group's memory is checked with its own fields; the one group of today's settings here.
    const checkTodaysMemory = () => {
        const problem = countable(defaults.enginesPerWorker) && engineMemoryProblem(defaults.memory, defaults.enginesPerWorker, key("workerMemory"));
        if (problem) p.list.push(problem);
    };
    if (!Array.isArray(value)) {
        p.add(base, 'a list of groups such as [{"name": "cpu", "workers": 20}, {"name": "gpu", "workers": 2, "gpus": 1}]', text);
        checkTodaysMemory();
        return { groups: [], listed: false, problems: p.list };
    }
    const listed = value.length > 0;
    const groups = listed ? value.map((g, i) => parseGroup(g, `${base}[${i}]`, defaults, p)) : [defaultGroup(defaults)];

    const seen = new Map<string, number>();
    groups.forEach((g, i) => {
        const first = seen.get(g.name);
        if (first !== undefined) p.list.push(`${base}[${i}].name must differ from every other group's; got ${shown(g.name)}, which ${base}[${first}] has too.`);
        else seen.set(g.name, i);
    });
    // The total only once every group's own numbers are right: one problem, told once.
    const counted = groups.every(g => [g.workers, g.maxWorkers].every(n => n >= 0 && n <= MAX_WORKERS) && countable(g.enginesPerWorker));
    const engines = totalEngines(groups, true);
    if (counted && engines > MAX_ENGINES) {
        const most = groups.some(scales) ? "maxWorkers" : "workers";
        const what = listed ? "over all groups" : `(${key(most)} × ${key("enginesPerWorker")})`;
        p.list.push(
            `The cluster may have at most ${MAX_ENGINES} engines ${what}; got ${engines} (${groups.map(g => `${g.name}: ${g.maxWorkers} × ${g.enginesPerWorker}`).join(", ")}).`,
        );
    }
    groups.forEach((g, i) => {
        const problem = boundsProblem(g, field => (listed ? `${base}[${i}].${field}` : key(field)));
        if (problem) p.list.push(problem);
    });
    if (!listed) checkTodaysMemory();
    return { groups, listed, problems: p.list };
}

function parseGroup(raw: unknown, path: string, d: GroupDefaults, p: PathProblems): WorkerGroup {
    if (!isObject(raw)) {
        p.add(path, 'an object such as {"name": "gpu", "workers": 2, "gpus": 1}', raw);
        return defaultGroup(d);
    }
    p.unknownFields(path, raw, GROUP_FIELDS, "a worker group");
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
    const workers = count("workers", 0, MAX_WORKERS);
    const bound = (field: string) => (raw[field] === undefined ? workers : count(field, 0, MAX_WORKERS));
    const minWorkers = bound("minWorkers");
    const maxWorkers = bound("maxWorkers");
    const enginesPerWorker = count("enginesPerWorker", 1, MAX_ENGINES_PER_WORKER, d.enginesPerWorker);
    const gpus = count("gpus", 0, 64, 0);
    const cpu = raw.cpu ?? d.cpu;
    if (typeof cpu !== "string" || !(cpuCores(cpu) > 0)) p.add(`${path}.cpu`, "a positive Kubernetes CPU quantity, such as 500m, 4 or 2.5", cpu);
    const memory = raw.memory ?? d.memory;
    if (typeof memory !== "string" || !(memoryBytes(memory) > 0)) {
        p.add(`${path}.memory`, "a Kubernetes memory quantity such as 4Gi", memory);
    } else if (countable(enginesPerWorker)) {
        const problem = engineMemoryProblem(memory, enginesPerWorker, `${path}.memory`);
        if (problem) p.list.push(problem);
    }
    const placement = parsePlacement(raw, path, p);
    return {
        name: String(name),
        workers,
        minWorkers,
        maxWorkers,
        enginesPerWorker,
        cpu: String(cpu),
        memory: String(memory),
        gpus,
        nodeSelector: placement.nodeSelector,
        tolerations: placement.tolerations,
        ...(placement.affinity ? { affinity: placement.affinity } : {}),
        priorityClassName: placement.priorityClassName,
    };
}
