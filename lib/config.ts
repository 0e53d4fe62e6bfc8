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
import { ConfigKey, RawConfig, SettingsReader, shown } from "./reader";
import { RegistryCredentials, RegistrySettings, parseRegistry } from "./registry";
import { Software, parseNotebookApp, parseSoftware } from "./software";
import { NotebookApp } from "./runtime";
import { NotebookStorage, SharedVolume, parseStorage } from "./storage";
import { WorkerGroup, parseWorkers } from "./groups";
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
