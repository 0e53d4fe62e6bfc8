/**
 * Names, labels and in-container paths. Everything that two places must agree on is spelled once here.
 */
import * as path from "path";

export const PROJECT = "ipp-cluster";

/** `ipp-cluster:<name>`, as users see a setting in errors and in `pulumi config`. */
export function key(name: string): string {
    return `${PROJECT}:${name}`;
}

/** A DNS-1123 label: at most 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A DNS-1123 subdomain: dot-separated labels, at most 253 characters. */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Container names, the same in every cluster. */
export const CONTAINERS = {
    controller: "controller",
    notebook: "notebook",
    watcher: "watcher",
    scaler: "scaler",
    engine: "engine",
};

/** The worker group that today's `workers`/`workerCpu`/`workerMemory` settings describe. */
export const DEFAULT_GROUP = "default";

/**
 * A name of something each worker group has: `<base>` for the default group, which so keeps the names
 * single-group stacks always had (its Deployment's logical name, its containers, its pods' selector),
 * and `<base>-<group>` for every other group.
 */
export function groupScoped(base: string, group: string): string {
    return group === DEFAULT_GROUP ? base : `${base}-${group}`;
}
/** Longest name prefix and group name: `<prefix>-worker-<group>-<n>` stays a 63-character host name. */
export const MAX_PREFIX_LENGTH = 30;
export const MAX_GROUP_LENGTH = 20;

/** The name prefix when `namePrefix` is not set: `ipp-<stack>`, cut to a DNS label of MAX_PREFIX_LENGTH. */
export function defaultPrefix(stack: string): string {
    return dnsLabel(`ipp-${stack}`, MAX_PREFIX_LENGTH);
}

/**
 * Every object name of one cluster, from its prefix, so that two stacks in one namespace (or on one
 * Docker engine) share none. Only objects whose name is an interface are named here; the rest are
 * named by Pulumi.
 */
export function clusterNames(prefix: string) {
    return {
        prefix,
        /** The controller Pod (and container); its hostname is the `location` in the frontend's connection files. */
        frontend: `${prefix}-frontend`,
        /** The Service in front of the controller (on Docker, a network alias): the address in the workers' file. */
        controller: `${prefix}-controller`,
        /** The watcher's Docker container (on Kubernetes, the watcher is a container of the controller's Pod). */
        watcher: `${prefix}-watcher`,
        /** The notebook's own Service (and container): exposing it never exposes the controller's ports. */
        notebook: `${prefix}-notebook`,
        /** The claim (on Docker, the volume) that holds the notebook's home folder, taken up again when kept. */
        notebookHome: `${prefix}-notebook-home`,
        /** The scaler's ServiceAccount, Role and RoleBinding, and the ConfigMap with the groups' bounds. */
        scaler: `${prefix}-scaler`,
        scaling: `${prefix}-scaling`,
        /** A worker group's Deployment. */
        workers: (group: string) => `${prefix}-workers-${group}`,
        /** The Docker network. */
        network: prefix,
        /** A worker group's Docker container `index` (from 1). */
        workerContainer: (group: string, index: number) => `${groupScoped(`${prefix}-worker`, group)}-${index}`,
    };
}
export type ClusterNames = ReturnType<typeof clusterNames>;

/** The tag every image carries; pods use the digest when the images are pushed. */
export const IMAGE_TAG = "latest";

/** The three images, in build order. */
export const IMAGES = ["base", "frontend", "worker"] as const;
export type ImageKind = (typeof IMAGES)[number];

/** This package's folder: where images/, dashboards/ and Pulumi.yaml are. */
export const PACKAGE_ROOT = path.resolve(__dirname, "..");

/**
 * The folder an image is built from, as the Docker provider is given it. The provider runs in the
 * program's folder (`programDir`): for this project's own stack program, run from this package's
 * folder, the relative path every existing stack has recorded stays; for another program that uses
 * the component (another project, or another folder), it is the absolute path of this package's images/.
 */
export function imageFolder(kind: ImageKind, project: string, programDir: string): string {
    const ours = project === PROJECT && path.resolve(programDir) === PACKAGE_ROOT;
    return ours ? `images/${kind}` : path.join(PACKAGE_ROOT, "images", kind);
}

/** Paths inside the containers. */
export const PATHS = {
    home: "/home/jupyter",
    /** The IPython profiles, with the keyed connection files: never on the notebook's persistent home. */
    ipythonDir: "/home/jupyter/.ipython",
    /** The data volume the notebook and every engine share. */
    sharedDir: "/home/jupyter/shared",
    /** Jupyter's runtime files (kernel connection files with their keys, the server's own file): in /tmp, off the persistent home. */
    jupyterRuntimeDir: "/tmp/jupyter-runtime",
    /** Where the seed's client, and `ipcontroller --reuse`, look for the connection files. */
    securityDir: "/home/jupyter/.ipython/profile_default/security",
    /** The keyless connection files, mounted from a ConfigMap. */
    connectionDir: "/etc/ipp/connection",
    /** The session key, mounted from a Secret. */
    secretDir: "/etc/ipp/secret",
    /** The notebook's access token, mounted from a Secret. */
    notebookTokenDir: "/etc/ipp/notebook",
    /** Exists while all the worker's engines are registered with the controller. */
    readyFile: "/tmp/ipp-worker-ready",
    /** Where the base image records what it holds (images/base/install-packages writes it). */
    environmentFile: "/etc/ipp/environment.json",
};

/** File names of the connection files and of the key inside its Secret. */
export const FILES = {
    engine: "ipcontroller-engine.json",
    client: "ipcontroller-client.json",
    sessionKey: "session-key",
    notebookToken: "token",
};

/** The seed's client file, as the seed's test spells it. */
export const CLIENT_FILE = `${PATHS.securityDir}/${FILES.client}`;

export type Component = "frontend" | "worker";

/** The label every worker pod carries with its group's name: `kubectl get pods -l ipp-cluster/worker-group`. */
export const GROUP_LABEL = `${PROJECT}/worker-group`;

/** Labels that select a component's pods. Never put a version here: selectors are immutable. */
/** The label that tells one cluster's objects from another's. */
export const INSTANCE_LABEL = "app.kubernetes.io/instance";

export function selectorLabels(instance: string, component: Component): Record<string, string> {
    return {
        "app.kubernetes.io/name": PROJECT,
        [INSTANCE_LABEL]: instance,
        "app.kubernetes.io/component": component,
    };
}

/** Labels that select every pod of one deployment of the cluster. */
export function instanceLabels(instance: string): Record<string, string> {
    return { "app.kubernetes.io/name": PROJECT, [INSTANCE_LABEL]: instance };
}

/** The full label set for objects; `component` is left out for objects shared by both sides. */
export function labels(instance: string, component?: Component): Record<string, string> {
    return {
        ...instanceLabels(instance),
        ...(component ? { "app.kubernetes.io/component": component } : {}),
        "app.kubernetes.io/part-of": PROJECT,
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/**
 * Labels that select one worker group's pods. The default group keeps the selector workers always
 * had (a Deployment's selector is immutable); every other group has a component of its own, so that
 * no group's selector matches another group's pods.
 */
export function workerSelectorLabels(instance: string, group: string): Record<string, string> {
    return { ...instanceLabels(instance), "app.kubernetes.io/component": groupScoped("worker", group) };
}

/** The full label set of a worker group's pods. */
export function workerLabels(instance: string, group: string): Record<string, string> {
    return { ...labels(instance, "worker"), ...workerSelectorLabels(instance, group), [GROUP_LABEL]: group };
}

/** Labels in the Docker provider's form: the full set of `component`, or the given ones. */
export function dockerLabels(instance: string, component?: Component | Record<string, string>): { label: string; value: string }[] {
    const set = typeof component === "object" ? component : labels(instance, component);
    return Object.entries(set).map(([label, value]) => ({ label, value }));
}

/** Turns a stack name into a DNS-1123 label (lowercase letters, digits, hyphens; at most 63). */
export function dnsLabel(text: string, maxLength = 63): string {
    const label = text
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/-+/g, "-")
        .slice(0, maxLength)
        .replace(/^-+|-+$/g, "");
    return label || "default";
}

/** The namespace used when `namespace` is not set: `ipp-<stack>`. */
export function defaultNamespace(stack: string): string {
    return dnsLabel(`ipp-${stack}`);
}

/** `<registry>/ipp-<kind>`, or `ipp-<kind>` when images stay in the local engine without a registry. */
export function imageRepository(registry: string, kind: ImageKind): string {
    return registry ? `${registry}/ipp-${kind}` : `ipp-${kind}`;
}
