/**
 * Stack configuration. Pulumi.yaml is the one place where the settings, their types, defaults and
 * descriptions are declared: the CLI checks types there, `parseConfig` takes its defaults from
 * there and checks ranges and formats (also under mocks), and it refuses to run when the two
 * disagree about which settings exist.
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import * as yaml from "js-yaml";
import { MAX_PREFIX_LENGTH, PROJECT, defaultNamespace, defaultPrefix, dnsLabel, registryHost } from "./names";
import { cpuCores, memoryBytes } from "./quantities";
import { Software, indexUrlProblem, isDebianPackage, isPipRequirement, shownUrl } from "./software";
import { NotebookStorage, SharedVolume, parseSharedVolume, storageClassProblem, storageSizeProblem } from "./storage";
import { MAX_ENGINES_PER_WORKER, WorkerGroup, engineMemoryProblem, isResourceName, parseWorkerGroups } from "./groups";

export type ConfigType = "string" | "integer" | "boolean" | "array" | "object";

export interface ConfigKey {
    type: ConfigType;
    /** The default as it stands in Pulumi.yaml. An empty string means "not set". */
    default: string | number | boolean | string[] | Record<string, unknown>;
    description: string;
}

/** Where the settings are declared. */
export const PROJECT_FILE = path.join(__dirname, "..", "Pulumi.yaml");

/** Every stack setting, as Pulumi.yaml declares it. */
export function readSchema(file = PROJECT_FILE): Record<string, ConfigKey> {
    const project = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, ConfigKey> };
    return project.config ?? {};
}

export const MAX_WORKERS = 1000;
const MIN_MEMORY_BYTES = 128 * 2 ** 20;

export interface Resources {
    cpu: string;
    memory: string;
}

export const TARGETS = ["kubernetes", "docker"] as const;
export type Target = (typeof TARGETS)[number];
export const SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer"] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

/** Who pushes and pulls: present exactly when images are pushed with a user name and password. */
export interface RegistryLogin {
    /** The registry's host, which the credentials belong to. */
    server: string;
    username: string;
}

/** The validated settings, with defaults applied. The registry password is not here: it stays a secret Output. */
export interface ClusterConfig {
    target: Target;
    /** Every object name starts with it (`namePrefix`, or `ipp-<stack>`). */
    namePrefix: string;
    /** The `app.kubernetes.io/instance` label: `namePrefix` when set, else the stack's name as a DNS label. */
    instance: string;
    registry: string;
    push: boolean;
    /** Set when images are pushed with credentials (then the password is set too). */
    registryLogin?: RegistryLogin;
    namespace: string;
    createNamespace: boolean;
    osImage: string;
    /** The user's own packages and base image. */
    software: Software;
    frontend: Resources;
    /** The worker groups: `workerGroups`, or the one group `workers`/`enginesPerWorker`/`workerCpu`/`workerMemory` describe. */
    workerGroups: WorkerGroup[];
    /** The resource name GPUs are asked for by (nvidia.com/gpu). */
    gpuResource: string;
    notebook: boolean;
    notebookServiceType: ServiceType;
    notebookResources: Resources;
    /** The notebook's home folder: a claim of this size, or (size "") an emptyDir. */
    notebookStorage: NotebookStorage;
    /** The data volume the notebook and every engine mount; undefined for none. */
    sharedVolume?: SharedVolume;
}

/** Raw values as the stack holds them (strings), by key without the project prefix. */
export type RawConfig = Record<string, string | undefined>;

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

/** `ipp-cluster:<name>`, as users see a setting in errors and in `pulumi config`. */
export function key(name: string): string {
    return `${PROJECT}:${name}`;
}

function shown(value: string): string {
    return JSON.stringify(value);
}

/** Why `registry` is not a registry path, or undefined when it is one. */
export function registryProblem(registry: string): string | undefined {
    const allowed =
        "a lowercase registry host with an optional port and lowercase path, without a scheme, such as ghcr.io/org/team, docker.io/alice or localhost:5000";
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

/**
 * Reads settings by name, with Pulumi.yaml's defaults, collecting problems; knows which settings
 * were read, so that a setting declared but never read (or read but never declared) is caught.
 */
class Settings {
    readonly problems: string[] = [];
    private readonly read = new Set<string>();

    constructor(
        private readonly raw: RawConfig,
        private readonly schema: Record<string, ConfigKey>,
    ) {}

    text(name: string): string {
        const spec = this.schema[name];
        if (!spec) throw new Error(`${key(name)} is read by the program but not declared in Pulumi.yaml`);
        this.read.add(name);
        return this.raw[name] ?? String(spec.default);
    }

    /** A list of strings (the CLI hands arrays to the program as JSON), each checked by `valid`. */
    list(name: string, valid: (item: string) => boolean, allowed: string): string[] {
        this.text(name); // declared, and now read
        const text = this.raw[name] ?? JSON.stringify(this.schema[name].default);
        let items: unknown;
        try {
            items = JSON.parse(text);
        } catch {
            items = undefined;
        }
        if (!Array.isArray(items) || !items.every(i => typeof i === "string")) {
            this.problem(`${key(name)} must be a list of strings, set with \`pulumi config set --path '${name}[0]' VALUE\`; got ${shown(text)}.`);
            return [];
        }
        items.forEach((item, i) => valid(item) || this.problem(`${key(name)}[${i}] must be ${allowed}; got ${shown(item)}.`));
        return items;
    }

    /** An object setting, as JSON text: the CLI hands structured values to the program that way. */
    json(name: string): string {
        this.text(name); // declared, and now read
        return this.raw[name] ?? JSON.stringify(this.schema[name].default);
    }

    boolean(name: string): boolean {
        const value = this.text(name);
        if (value !== "true" && value !== "false") this.problem(`${key(name)} must be true or false; got ${shown(value)}.`);
        return value === "true";
    }

    /** One of `allowed`, which the message lists. */
    choice<T extends string>(name: string, allowed: readonly T[]): T {
        const value = this.text(name);
        if (!allowed.includes(value as T)) {
            const list = allowed.length === 2 ? allowed.join(" or ") : `${allowed.slice(0, -1).join(", ")} or ${allowed[allowed.length - 1]}`;
            this.problem(`${key(name)} must be ${list}; got ${shown(value)}.`);
        }
        return value as T;
    }

    /** CPU request and memory request/limit under `<prefix>Cpu` and `<prefix>Memory`. */
    resources(prefix: string): Resources {
        const cpu = this.text(`${prefix}Cpu`);
        const memory = this.text(`${prefix}Memory`);
        if (!(cpuCores(cpu) > 0)) {
            this.problem(`${key(`${prefix}Cpu`)} must be a positive Kubernetes CPU quantity, such as 500m, 1 or 2.5; got ${shown(cpu)}.`);
        }
        if (!(memoryBytes(memory) >= MIN_MEMORY_BYTES)) {
            this.problem(`${key(`${prefix}Memory`)} must be a Kubernetes memory quantity of at least 128Mi, such as 512Mi or 2Gi; got ${shown(memory)}.`);
        }
        return { cpu, memory };
    }

    /** Whether the stack sets `name` itself (rather than leaving Pulumi.yaml's default). */
    isSet(name: string): boolean {
        return this.raw[name] !== undefined;
    }

    /** An integer from `min` to `max`. */
    integer(name: string, min: number, max: number): number {
        const text = this.text(name);
        const n = /^[0-9]+$/.test(text) ? parseInt(text, 10) : NaN;
        if (!(n >= min && n <= max)) this.problem(`${key(name)} must be an integer from ${min} to ${max}; got ${shown(text)}.`);
        return n;
    }

    /** The default Pulumi.yaml gives a setting. */
    defaultOf(name: string): string {
        return String(this.schema[name]?.default ?? "");
    }

    problem(message: string) {
        this.problems.push(message);
    }

    /** Throws every problem at once; a declared setting that was never read is the program's own mistake. */
    finish() {
        const unread = Object.keys(this.schema).filter(name => !this.read.has(name));
        if (unread.length) throw new Error(`Pulumi.yaml declares settings the program never reads: ${unread.join(", ")}`);
        if (this.problems.length) throw new ConfigError(this.problems);
    }
}

/** The user's packages, package indexes and base image. */
function parseSoftware(s: Settings, osImage: string): Software {
    const aptPackages = s.list(
        "aptPackages",
        isDebianPackage,
        'a Debian package name: lowercase letters, digits, "+", "-" and ".", at least two characters, starting with a letter or digit, such as python3-numpy',
    );
    const pipPackages = s.list(
        "pipPackages",
        isPipRequirement,
        "a pip requirement: a project name with optional [extras] and version specifiers, such as numpy, numpy==2.2.4 or numpy>=2,<3 (no options, URLs, paths or markers)",
    );
    const url = (name: string) => {
        const value = s.text(name);
        const problem = value ? indexUrlProblem(value) : undefined;
        if (problem) s.problem(`${key(name)} ${problem}; got ${shown(shownUrl(value))}.`);
        return value;
    };
    const pipIndexUrl = url("pipIndexUrl");
    const pipExtraIndexUrl = url("pipExtraIndexUrl");
    const baseImage = s.text("baseImage");
    if (baseImage && !isImageReference(baseImage)) {
        s.problem(`${key("baseImage")} must be an image reference such as ghcr.io/org/science:2025.1; got ${shown(baseImage)}.`);
    }
    if (baseImage && osImage !== s.defaultOf("osImage")) {
        s.problem(
            `${key("baseImage")} and ${key("osImage")} cannot both be set: baseImage replaces the image ours is built from. ` +
                `Remove one (\`pulumi config rm osImage\`); got baseImage ${shown(baseImage)} and osImage ${shown(osImage)}.`,
        );
    }
    return { aptPackages, pipPackages, pipIndexUrl, pipExtraIndexUrl, baseImage };
}

/** The prefix of every object name, and the instance label. */
function parseNames(s: Settings, stack: string): { namePrefix: string; instance: string } {
    const namePrefix = s.text("namePrefix");
    if (namePrefix === "") return { namePrefix: defaultPrefix(stack), instance: dnsLabel(stack) };
    if (!new RegExp(`^[a-z]([-a-z0-9]{0,${MAX_PREFIX_LENGTH - 2}}[a-z0-9])?$`).test(namePrefix)) {
        s.problem(
            `${key("namePrefix")} must be a DNS label of at most ${MAX_PREFIX_LENGTH} characters (lowercase letters, digits and "-", ` +
                `starting with a letter), such as ipp-alice, or "" for ipp-<stack>; got ${shown(namePrefix)}.`,
        );
    }
    return { namePrefix, instance: namePrefix };
}

/**
 * The worker groups: `workerGroups` when set (each group's fields default to enginesPerWorker,
 * workerCpu and workerMemory), else one group `default` of `workers` pods.
 */
function parseWorkers(s: Settings): { workerGroups: WorkerGroup[]; gpuResource: string } {
    const workers = s.integer("workers", 0, MAX_WORKERS);
    const enginesPerWorker = s.integer("enginesPerWorker", 1, MAX_ENGINES_PER_WORKER);
    const worker = s.resources("worker");
    const text = s.json("workerGroups");
    const parsed = parseWorkerGroups(text, { workers, enginesPerWorker, ...worker });
    parsed.problems.forEach(p => s.problem(p));
    const grouped = parsed.listed;
    if (grouped && s.isSet("workers")) {
        s.problem(
            `${key("workers")} cannot be set together with ${key("workerGroups")}: give each group its own workers (\`pulumi config rm workers\`); got workers ${shown(s.text("workers"))}.`,
        );
    }
    if (!grouped && enginesPerWorker >= 1 && enginesPerWorker <= MAX_ENGINES_PER_WORKER) {
        const problem = engineMemoryProblem(worker.memory, enginesPerWorker, key("workerMemory"));
        if (problem) s.problem(problem);
    }
    const gpuResource = s.text("gpuResource");
    if (!isResourceName(gpuResource)) {
        s.problem(
            `${key("gpuResource")} must be an extended resource name (a domain, "/", a name), such as nvidia.com/gpu or amd.com/gpu; got ${shown(gpuResource)}.`,
        );
    }
    return { workerGroups: parsed.groups, gpuResource };
}

/** The notebook's home folder: its size, class and whether it outlives the stack. */
function parseNotebookStorage(s: Settings): NotebookStorage {
    const size = s.text("notebookStorage");
    const storageClass = s.text("storageClass");
    const retain = s.boolean("retainNotebookStorage");
    for (const problem of [storageSizeProblem(size), storageClassProblem(storageClass)]) if (problem) s.problem(problem);
    return { size, storageClass, retain };
}

/**
 * Validates the raw stack settings and applies Pulumi.yaml's defaults. Throws one ConfigError
 * listing every problem. `stack` names the default namespace.
 */
export function parseConfig(raw: RawConfig, stack: string, schema = readSchema()): ClusterConfig {
    const s = new Settings(raw, schema);

    const target = s.choice("target", TARGETS);

    const names = parseNames(s, stack);

    const push = s.boolean("push");
    const createNamespace = s.boolean("createNamespace");

    const registry = s.text("registry");
    if (registry) {
        const problem = registryProblem(registry);
        if (problem) s.problem(problem);
    } else if (push) {
        s.problem(
            `${key("registry")} must be set when ${key("push")} is true: the cluster's nodes pull the images from it. ` +
                `Set it with \`pulumi config set registry ghcr.io/<org>\` (or any registry the nodes can reach), ` +
                `or set \`pulumi config set push false\` to keep the images in the local Docker engine.`,
        );
    }

    const username = s.text("registryUsername");
    const hasPassword = s.text("registryPassword") !== "";
    if (hasPassword !== (username !== "")) {
        s.problem(`${key("registryUsername")} and ${key("registryPassword")} must be set together; only one is set.`);
    } else if (username && !registry) {
        s.problem(`${key("registryUsername")} is set but ${key("registry")} is empty; the credentials need a registry.`);
    }
    const registryLogin = push && username && hasPassword && registry ? { server: registryHost(registry), username } : undefined;

    const namespace = s.text("namespace") || defaultNamespace(stack);
    if (!DNS_LABEL.test(namespace)) {
        s.problem(
            `${key("namespace")} must be a DNS label: at most 63 lowercase letters, digits and hyphens, ` +
                `starting and ending with a letter or digit; got ${shown(namespace)}.`,
        );
    }

    const osImage = s.text("osImage");
    if (!isImageReference(osImage)) {
        s.problem(`${key("osImage")} must be an image reference such as debian:trixie-slim or registry.example.com/debian:trixie; got ${shown(osImage)}.`);
    }

    const software = parseSoftware(s, osImage);

    const frontend = s.resources("frontend");
    const { workerGroups, gpuResource } = parseWorkers(s);
    const notebook = s.boolean("notebook");
    const notebookServiceType = s.choice("notebookServiceType", SERVICE_TYPES);
    const notebookResources = s.resources("notebook");
    const notebookStorage = parseNotebookStorage(s);
    const shared = parseSharedVolume(s.json("sharedVolume"), target);
    shared.problems.forEach(p => s.problem(p));

    s.finish();
    return {
        target,
        ...names,
        registry,
        push,
        registryLogin,
        namespace,
        createNamespace,
        osImage,
        software,
        frontend,
        workerGroups,
        gpuResource,
        notebook,
        notebookServiceType,
        notebookResources,
        notebookStorage,
        sharedVolume: shared.volume,
    };
}

/** Credentials for pushing and pulling the images; the password stays a secret Output. */
export interface RegistryCredentials extends RegistryLogin {
    password: pulumi.Output<string>;
}

/** What the program runs with: the validated settings, and the registry credentials when images are pushed with them. */
export interface LoadedConfig {
    stack: string;
    settings: ClusterConfig;
    credentials?: RegistryCredentials;
}

/**
 * Reads every declared setting of the current stack and validates it, before anything is
 * declared, so that bad input fails the preview. The registry password is read once, as a secret.
 */
export function loadConfig(): LoadedConfig {
    const stack = pulumi.getStack();
    const raw = Object.fromEntries(Object.keys(readSchema()).map(name => [name, pulumi.runtime.getConfig(key(name))]));
    const settings = parseConfig(raw, stack);
    const login = settings.registryLogin;
    const credentials = login && { ...login, password: new pulumi.Config().requireSecret("registryPassword") };
    return { stack, settings, credentials };
}
