/**
 * Stack configuration. Pulumi.yaml is the one place where the settings, their types, defaults and
 * descriptions are declared: the CLI checks types there, `parseConfig` takes its defaults from there
 * and checks ranges and formats (also under mocks), and it refuses to run when the two disagree about
 * which settings exist. Each concern parses its own settings (software, registry, groups, storage);
 * this module reads the schema and puts the settings together.
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import * as yaml from "js-yaml";
import { DNS_LABEL, MAX_PREFIX_LENGTH, defaultNamespace, defaultPrefix, dnsLabel, key, workerLabels } from "./names";
import { Resources } from "./quantities";
import { ConfigError, ConfigKey, MIN_MEMORY_BYTES, RawConfig, SettingsReader, isObject, parseJson, shown } from "./reader";
import { RegistryCredentials, RegistrySettings, parseRegistry } from "./registry";
import { Software, parseNotebookApp, parseSoftware } from "./software";
import { NotebookApp, RESULT_STORE_SHARE } from "./runtime";
import { NotebookStorage, SharedVolume, parseStorage } from "./storage";
import { MAX_ENGINES, WorkerGroup, parseWorkers, totalEngines } from "./groups";
import { controllerMemoryMiB } from "./hub-settings";
import { memoryBytes } from "./quantities";
import { MonitoringSettings, parseMonitoring, scrapersProblem } from "./monitoring";
import { scalingProblem } from "./scaling";

/** Where the settings are declared. */
export const PROJECT_FILE = path.join(__dirname, "..", "Pulumi.yaml");

/** Every stack setting, as Pulumi.yaml declares it. */
export function readSchema(file = PROJECT_FILE): Record<string, ConfigKey> {
    const project = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, ConfigKey> };
    return project.config ?? {};
}

export const TARGETS = ["kubernetes", "docker"] as const;
export type Target = (typeof TARGETS)[number];
export const SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer"] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

/** The validated settings, with defaults applied. The registry password is not here: it stays a secret Output. */
export interface ClusterConfig extends RegistrySettings {
    target: Target;
    /** Every object name starts with it (`namePrefix`, or `ipp-<stack>`). */
    namePrefix: string;
    /** The `app.kubernetes.io/instance` label: `namePrefix` when set, else the stack's name as a DNS label. */
    instance: string;
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
    /** What the notebook serves, and on which server. */
    notebookApp: NotebookApp;
    notebookServiceType: ServiceType;
    notebookResources: Resources;
    /** The notebook's home folder: a claim of this size, or (size "") an emptyDir. */
    notebookStorage: NotebookStorage;
    /** The data volume the notebook and every engine mount; undefined for none. */
    sharedVolume?: SharedVolume;
    /** The watcher's period, who scrapes it, the PodMonitor and the dashboard. */
    monitoring: MonitoringSettings;
    /** With a group that scales: declare the admission policy that holds the scaler's token to its bounds. */
    scalerAdmissionPolicy: boolean;
}

/** The prefix of every object name, and the instance label. */
function parseNames(s: SettingsReader, stack: string): { namePrefix: string; instance: string } {
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

/** The namespace (`namespace`, or `ipp-<stack>`) and whether the stack creates it. */
function parseNamespace(s: SettingsReader, stack: string): { namespace: string; createNamespace: boolean } {
    const createNamespace = s.boolean("createNamespace");
    const namespace = s.text("namespace") || defaultNamespace(stack);
    if (!DNS_LABEL.test(namespace)) {
        s.problem(
            `${key("namespace")} must be a DNS label: at most 63 lowercase letters, digits and hyphens, ` +
                `starting and ending with a letter or digit; got ${shown(namespace)}.`,
        );
    }
    return { namespace, createNamespace };
}

/** The most engines a cluster could have before it could have MAX_ENGINES. */
const CHECKED_BEYOND = 1000;

/**
 * Why `frontendMemory` cannot hold the controller of `engines` engines and its store of results;
 * undefined when it can. Clusters of up to CHECKED_BEYOND engines (all the program took before it
 * took more) are not held to it, so that no stack that ran is refused now; nor is a count or a
 * memory already refused for itself.
 */
function controllerMemoryProblem(memory: string, engines: number): string | undefined {
    if (engines <= CHECKED_BEYOND || engines > MAX_ENGINES || !(memoryBytes(memory) >= MIN_MEMORY_BYTES)) return undefined;
    const mi = Math.ceil(controllerMemoryMiB(engines) / (1 - RESULT_STORE_SHARE));
    if (!(memoryBytes(memory) < mi * 2 ** 20)) return undefined;
    return `${key("frontendMemory")} must hold the controller of ${engines} engines and its results (a quarter): at least ${mi}Mi; got ${shown(memory)}.`;
}

/**
 * Validates the raw stack settings and applies Pulumi.yaml's defaults. Throws one ConfigError
 * listing every problem. `stack` names the default namespace.
 */
export function parseConfig(raw: RawConfig, stack: string, schema = readSchema()): ClusterConfig {
    const s = new SettingsReader(raw, schema);
    const target = s.choice("target", TARGETS);
    const names = parseNames(s, stack);
    const registry = parseRegistry(s);
    const namespace = parseNamespace(s, stack);
    const images = parseSoftware(s);
    const frontend = s.resources("frontend");
    const { listed, ...workers } = parseWorkers(s);
    const scalerAdmissionPolicy = s.boolean("scalerAdmissionPolicy");
    const notebook = s.boolean("notebook");
    const notebookApp = parseNotebookApp(s, images.software);
    const notebookServiceType = s.choice("notebookServiceType", SERVICE_TYPES);
    const notebookResources = s.resources("notebook");
    const storage = parseStorage(s, target);
    const monitoring = parseMonitoring(s, target === "docker");
    const controllerMemory = controllerMemoryProblem(frontend.memory, totalEngines(workers.workerGroups, true));
    if (controllerMemory) s.problem(controllerMemory);
    const cannotScale = scalingProblem(workers.workerGroups, target, listed);
    if (cannotScale) s.problem(cannotScale);
    if (target === "kubernetes") {
        const workerPods = workers.workerGroups.map(g => workerLabels(names.instance, g.name));
        const problem = scrapersProblem(monitoring.scrapers, namespace.namespace, workerPods);
        if (problem) s.problem(problem);
    }
    s.finish();
    return {
        target,
        ...names,
        ...registry,
        ...namespace,
        ...images,
        frontend,
        ...workers,
        notebook,
        notebookApp,
        notebookServiceType,
        notebookResources,
        ...storage,
        monitoring,
        scalerAdmissionPolicy,
    };
}

/** What the program runs with: the validated settings, and the registry credentials when images are pushed with them. */
export interface LoadedConfig {
    stack: string;
    settings: ClusterConfig;
    credentials?: RegistryCredentials;
}

/** What stands for a registry password in the raw settings: set, though its text is never read. */
const PASSWORD_SET = "(secret)";

/** Whether a value is, or holds anywhere inside, a Pulumi Output. */
function holdsOutput(v: unknown): boolean {
    if (pulumi.Output.isInstance(v)) return true;
    if (Array.isArray(v)) return v.some(holdsOutput);
    return isObject(v) && Object.values(v).some(holdsOutput);
}

/**
 * Settings given as values (the Cluster component's fields) as the text stack config holds, so that
 * `parseConfig` checks them once, with the same messages. A field that is no setting is refused.
 */
export function rawFromValues(values: Record<string, unknown>, schema = readSchema()): RawConfig {
    const unknown = Object.keys(values).filter(name => !(name in schema) && values[name] !== undefined);
    if (unknown.length) {
        const settings = Object.keys(schema).join(", ");
        throw new ConfigError(unknown.map(name => `${key(name)} is not a setting of the cluster, which takes ${settings}; got ${shown(values[name])}.`));
    }
    // Settings decide which objects exist and are checked before any is declared: an Output (a
    // secret, or another resource's output) has no value yet. Only the password may be one.
    const outputs = Object.keys(values).filter(name => name !== "registryPassword" && holdsOutput(values[name]));
    if (outputs.length) {
        throw new ConfigError(
            outputs.map(
                name =>
                    `${key(name)} must be a plain value, known when the program runs (it decides which objects the cluster has, and is checked ` +
                    `before any is declared); got an Output (a secret, or another resource's output). Only registryPassword may be one.`,
            ),
        );
    }
    const text = (name: string, v: unknown): string | undefined => {
        if (v === undefined || v === null) return undefined;
        // The password is never turned into text: only whether it is set counts here.
        if (name === "registryPassword") return v === "" ? "" : PASSWORD_SET;
        if (typeof v === "string") return v;
        return typeof v === "object" ? JSON.stringify(v) : String(v);
    };
    return Object.fromEntries(Object.keys(schema).map(name => [name, text(name, values[name])]));
}

/** Counts that stack config holds as text, so that "" can mean "as many as workers"; the component takes numbers. */
const COUNTS_AS_TEXT = ["minWorkers", "maxWorkers"];

/**
 * Stack config as values of the settings' types: integers and booleans as such, lists and objects
 * parsed, an unset minWorkers/maxWorkers ("") left out. Text that is not of its setting's type is
 * passed on as it is, so that `parseConfig` refuses it with the same message as always.
 */
export function valuesFromRaw(raw: RawConfig, schema = readSchema()): Record<string, unknown> {
    const value = (name: string, text: string): unknown => {
        const type = schema[name].type;
        if (type === "integer" || COUNTS_AS_TEXT.includes(name)) {
            if (text === "") return undefined;
            return /^-?[0-9]+$/.test(text) ? parseInt(text, 10) : text;
        }
        if (type === "boolean") return text === "true" ? true : text === "false" ? false : text;
        if (type === "array" || type === "object") return parseJson(text) ?? text;
        return text;
    };
    return Object.fromEntries(Object.entries(raw).flatMap(([name, text]) => (text === undefined ? [] : [[name, value(name, text)]])));
}

/**
 * Validates settings given as values (with Pulumi.yaml's defaults for those left out), before anything
 * is declared. The registry password stays a secret Output.
 */
export function loadSettings(values: Record<string, unknown>, stack: string, schema = readSchema()): LoadedConfig {
    const settings = parseConfig(rawFromValues(values, schema), stack, schema);
    const login = settings.registryLogin;
    const password = values.registryPassword as pulumi.Input<string> | undefined;
    const credentials = login && password !== undefined ? { ...login, password: pulumi.secret(pulumi.output(password)) } : undefined;
    return { stack, settings, credentials };
}

/** The current stack's config, as the Cluster component's fields (the password a secret Output). */
export function settingsFromConfig(schema = readSchema()): Record<string, unknown> {
    const raw = Object.fromEntries(Object.keys(schema).map(name => [name, pulumi.runtime.getConfig(key(name))]));
    const { registryPassword, ...rest } = raw;
    return { ...valuesFromRaw(rest, schema), ...(registryPassword ? { registryPassword: pulumi.secret(registryPassword) } : {}) };
}
