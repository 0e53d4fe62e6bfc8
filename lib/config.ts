/**
 * Stack configuration: the declared keys with their defaults, and validation that names the key,
 * the value and what is allowed. Pulumi.yaml declares the same keys (a test keeps the two equal):
 * the CLI checks types there, and this code checks ranges and formats, also under mocks.
 */
import { PROJECT, defaultNamespace } from "./names";

export type ConfigType = "string" | "integer" | "boolean";

export interface ConfigKey {
    type: ConfigType;
    /** The default as it stands in Pulumi.yaml. An empty string means "not set". */
    default: string | number | boolean;
    description: string;
}

/** Every stack setting, as declared in Pulumi.yaml. */
export const CONFIG_KEYS = {
    target: {
        type: "string",
        default: "kubernetes",
        description: "Where the cluster runs: kubernetes (the current kubectl context) or docker (containers on the local Docker engine).",
    },
    workers: { type: "integer", default: 2, description: "Number of worker pods, each running one engine (0 to 1000)." },
    registry: {
        type: "string",
        default: "",
        description: "Where images are pushed, e.g. ghcr.io/org/team or localhost:5000. Required when push is true.",
    },
    push: {
        type: "boolean",
        default: true,
        description: "Push images to the registry. false keeps them in the local Docker engine (e.g. Docker Desktop's Kubernetes).",
    },
    registryUsername: { type: "string", default: "", description: "User name for the registry, when it needs one." },
    registryPassword: {
        type: "string",
        default: "",
        description: "Password or token for the registry; set it with `pulumi config set --secret`.",
    },
    namespace: { type: "string", default: "", description: "Kubernetes namespace. Empty means ipp-<stack>." },
    createNamespace: {
        type: "boolean",
        default: true,
        description: "Create the namespace (and delete it on destroy). false uses an existing one and never deletes it.",
    },
    osImage: {
        type: "string",
        default: "debian:trixie-slim",
        description: "Debian trixie based image the base image starts from.",
    },
    frontendCpu: { type: "string", default: "250m", description: "CPU request of the controller (no CPU limit is set)." },
    frontendMemory: {
        type: "string",
        default: "2Gi",
        description: "Memory request and limit of the controller, which keeps task results in memory (up to 1 GB by default).",
    },
    notebook: {
        type: "boolean",
        default: true,
        description: "Run a Jupyter notebook server next to the controller, behind a generated token.",
    },
    notebookServiceType: {
        type: "string",
        default: "ClusterIP",
        description: "Type of the notebook's Service: ClusterIP (reach it with kubectl port-forward), NodePort or LoadBalancer.",
    },
    notebookCpu: { type: "string", default: "250m", description: "CPU request of the notebook server (no CPU limit is set)." },
    notebookMemory: { type: "string", default: "1Gi", description: "Memory request and limit of the notebook server and its kernels." },
    workerCpu: { type: "string", default: "500m", description: "CPU request of each worker (no CPU limit is set)." },
    workerMemory: { type: "string", default: "1Gi", description: "Memory request and limit of each worker." },
} satisfies Record<string, ConfigKey>;

export type ConfigName = keyof typeof CONFIG_KEYS;

export const MAX_WORKERS = 1000;
const MIN_MEMORY_BYTES = 128 * 2 ** 20;

export interface Resources {
    cpu: string;
    memory: string;
}

/** The validated settings, with defaults applied. `registryPassword` is read separately, as a secret. */
export const TARGETS = ["kubernetes", "docker"] as const;
export type Target = (typeof TARGETS)[number];
export const SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer"] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

export interface ClusterConfig {
    target: Target;
    workers: number;
    registry: string;
    push: boolean;
    registryUsername: string;
    hasRegistryPassword: boolean;
    namespace: string;
    createNamespace: boolean;
    osImage: string;
    frontend: Resources;
    worker: Resources;
    notebook: boolean;
    notebookServiceType: ServiceType;
    notebookResources: Resources;
}

/** Raw values as the stack holds them (strings), by key without the project prefix. */
export type RawConfig = Partial<Record<ConfigName, string>>;

/** Thrown with every problem found, so a user fixes them in one round. */
export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(problems.length === 1 ? problems[0] : `Invalid stack configuration:\n  ${problems.join("\n  ")}`);
        this.name = "ConfigError";
    }
}

const LABEL = "[a-z0-9]([a-z0-9-]*[a-z0-9])?";
/** `localhost`, a dotted host name or address, or any single label with a port; an optional port. */
const REGISTRY_HOST = new RegExp(`^((localhost|${LABEL}(\\.${LABEL})+)(:[0-9]{1,5})?|${LABEL}:[0-9]{1,5})$`);
/** One path component of a repository name, as the Docker reference grammar allows it. */
const REPOSITORY_PART = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const CPU = /^([0-9]+m|[0-9]+(\.[0-9]{1,3})?)$/;
const MEMORY = /^([0-9]+(\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const MEMORY_UNITS: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

function key(name: ConfigName): string {
    return `${PROJECT}:${name}`;
}

function shown(value: string): string {
    return JSON.stringify(value);
}

/** Why `registry` is not a registry path, or undefined when it is one. */
export function registryProblem(registry: string): string | undefined {
    const allowed = "a lowercase registry host with an optional port and lowercase path, without a scheme, such as ghcr.io/org/team, docker.io/alice or localhost:5000";
    const [host, ...path] = registry.split("/");
    if (!REGISTRY_HOST.test(host) || !path.every(p => REPOSITORY_PART.test(p))) {
        return `${key("registry")} must be ${allowed}; got ${shown(registry)}.`;
    }
    return undefined;
}

/** Whether `ref` is an image reference: `[host[:port]/]path[:tag][@sha256:digest]`. */
export function isImageReference(ref: string): boolean {
    const [nameAndTag, digest, ...rest] = ref.split("@");
    if (rest.length || (digest !== undefined && !DIGEST.test(digest))) return false;
    const slash = nameAndTag.lastIndexOf("/");
    const colon = nameAndTag.lastIndexOf(":");
    const hasTag = colon > slash;
    const name = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
    if (hasTag && !TAG.test(nameAndTag.slice(colon + 1))) return false;
    const parts = name.split("/");
    const host = parts.length > 1 && REGISTRY_HOST.test(parts[0]) ? parts.shift() : undefined;
    return (host !== undefined || parts.length > 0) && parts.every(p => REPOSITORY_PART.test(p));
}

/** Bytes in a Kubernetes memory quantity (NaN when it is not one). */
export function memoryBytes(quantity: string): number {
    const m = MEMORY.exec(quantity);
    return m ? parseFloat(m[1]) * MEMORY_UNITS[m[3] ?? ""] : NaN;
}

/** Cores in a Kubernetes CPU quantity (`500m` is 0.5). */
export function cpuCores(quantity: string): number {
    return quantity.endsWith("m") ? parseFloat(quantity) / 1000 : parseFloat(quantity);
}

function parseBoolean(name: ConfigName, raw: string | undefined, problems: string[]): boolean {
    const value = raw ?? String(CONFIG_KEYS[name].default);
    if (value !== "true" && value !== "false") {
        problems.push(`${key(name)} must be true or false; got ${shown(value)}.`);
    }
    return value === "true";
}

function parseResources(prefix: "frontend" | "worker" | "notebook", raw: RawConfig, problems: string[]): Resources {
    const cpuKey = `${prefix}Cpu` as const;
    const memoryKey = `${prefix}Memory` as const;
    const cpu = raw[cpuKey] ?? CONFIG_KEYS[cpuKey].default;
    const memory = raw[memoryKey] ?? CONFIG_KEYS[memoryKey].default;
    if (!CPU.test(cpu) || !(cpuCores(cpu) > 0)) {
        problems.push(`${key(cpuKey)} must be a positive Kubernetes CPU quantity, such as 500m, 1 or 2.5; got ${shown(cpu)}.`);
    }
    if (!(memoryBytes(memory) >= MIN_MEMORY_BYTES)) {
        problems.push(
            `${key(memoryKey)} must be a Kubernetes memory quantity of at least 128Mi, such as 512Mi or 2Gi; got ${shown(memory)}.`,
        );
    }
    return { cpu, memory };
}

/**
 * Validates the raw stack settings and applies the defaults. Throws one ConfigError listing every
 * problem. `stack` names the default namespace.
 */
export function parseConfig(raw: RawConfig, stack: string): ClusterConfig {
    const problems: string[] = [];

    const target = (raw.target ?? CONFIG_KEYS.target.default) as Target;
    if (!TARGETS.includes(target)) {
        problems.push(`${key("target")} must be kubernetes or docker; got ${shown(target)}.`);
    }

    const workersText = raw.workers ?? String(CONFIG_KEYS.workers.default);
    const workers = /^[0-9]+$/.test(workersText) ? parseInt(workersText, 10) : NaN;
    if (!(workers >= 0 && workers <= MAX_WORKERS)) {
        problems.push(`${key("workers")} must be an integer from 0 to ${MAX_WORKERS}; got ${shown(workersText)}.`);
    }

    const push = parseBoolean("push", raw.push, problems);
    const createNamespace = parseBoolean("createNamespace", raw.createNamespace, problems);

    const registry = raw.registry ?? "";
    if (registry) {
        const problem = registryProblem(registry);
        if (problem) problems.push(problem);
    } else if (push) {
        problems.push(
            `${key("registry")} must be set when ${key("push")} is true: the cluster's nodes pull the images from it. ` +
                `Set it with \`pulumi config set registry ghcr.io/<org>\` (or any registry the nodes can reach), ` +
                `or set \`pulumi config set push false\` to keep the images in the local Docker engine.`,
        );
    }

    const registryUsername = raw.registryUsername ?? "";
    const hasRegistryPassword = (raw.registryPassword ?? "") !== "";
    if (hasRegistryPassword !== (registryUsername !== "")) {
        problems.push(`${key("registryUsername")} and ${key("registryPassword")} must be set together; only one is set.`);
    } else if (registryUsername && !registry) {
        problems.push(`${key("registryUsername")} is set but ${key("registry")} is empty; the credentials need a registry.`);
    }

    const namespace = raw.namespace || defaultNamespace(stack);
    if (!DNS_LABEL.test(namespace)) {
        problems.push(
            `${key("namespace")} must be a DNS label: at most 63 lowercase letters, digits and hyphens, ` +
                `starting and ending with a letter or digit; got ${shown(namespace)}.`,
        );
    }

    const osImage = raw.osImage ?? CONFIG_KEYS.osImage.default;
    if (!isImageReference(osImage)) {
        problems.push(
            `${key("osImage")} must be an image reference such as debian:trixie-slim or registry.example.com/debian:trixie; got ${shown(osImage)}.`,
        );
    }

    const frontend = parseResources("frontend", raw, problems);
    const worker = parseResources("worker", raw, problems);
    const notebook = parseBoolean("notebook", raw.notebook, problems);
    const notebookServiceType = (raw.notebookServiceType ?? CONFIG_KEYS.notebookServiceType.default) as ServiceType;
    if (!SERVICE_TYPES.includes(notebookServiceType)) {
        problems.push(`${key("notebookServiceType")} must be ClusterIP, NodePort or LoadBalancer; got ${shown(notebookServiceType)}.`);
    }
    const notebookResources = parseResources("notebook", raw, problems);

    if (problems.length) throw new ConfigError(problems);
    return { target, workers, registry, push, registryUsername, hasRegistryPassword, namespace, createNamespace, osImage, frontend, worker, notebook, notebookServiceType, notebookResources };
}
