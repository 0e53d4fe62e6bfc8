/**
 * Names, labels and in-container paths. Everything that two places must agree on is spelled once here.
 */

export const PROJECT = "ipp-cluster";

/** Fixed object names: only objects whose name is an interface get one. */
export const NAMES = {
    /** The controller Pod; its hostname is the `location` in the frontend's connection files. */
    frontendPod: "ipp-frontend",
    /** The Service in front of the controller; its DNS name is the address in the workers' file. */
    controllerService: "ipp-controller",
    /** The notebook's own Service: exposing it never exposes the controller's ports. */
    notebookService: "ipp-notebook",
    /** Container names. */
    controllerContainer: "controller",
    notebookContainer: "notebook",
    engineContainer: "engine",
    /** The claim that holds the notebook's home folder: fixed, so that a kept claim is taken up again. */
    notebookClaim: "ipp-notebook-home",
};

/** The three images, in build order. */
export const IMAGES = ["base", "frontend", "worker"] as const;
export type ImageKind = (typeof IMAGES)[number];

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
    /** Exists while the worker's engine is registered with the controller. */
    readyFile: "/tmp/ipp-worker-ready",
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

/** Labels that select a component's pods. Never put a version here: selectors are immutable. */
export function selectorLabels(instance: string, component: Component): Record<string, string> {
    return {
        "app.kubernetes.io/name": PROJECT,
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/component": component,
    };
}

/** Labels that select every pod of one deployment of the cluster. */
export function instanceLabels(instance: string): Record<string, string> {
    return { "app.kubernetes.io/name": PROJECT, "app.kubernetes.io/instance": instance };
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

/** The same labels in the Docker provider's form. */
export function dockerLabels(instance: string, component?: Component): { label: string; value: string }[] {
    return Object.entries(labels(instance, component)).map(([label, value]) => ({ label, value }));
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

/** The registry's host (`ghcr.io` of `ghcr.io/org/team`), which is what credentials belong to. */
export function registryHost(registry: string): string {
    return registry.split("/")[0];
}

/** Names on a Docker engine, where one engine may hold several stacks: prefixed with the stack. */
export function dockerNames(stack: string) {
    const prefix = dnsLabel(`ipp-${stack}`, 40);
    return {
        network: prefix,
        frontend: `${prefix}-frontend`,
        notebook: `${prefix}-notebook`,
        /** The Docker volume that holds the notebook's home folder. */
        notebookHome: `${prefix}-notebook-home`,
        /** Worker `index` counts from 1, as the workers' hostnames do. */
        worker: (index: number) => `${prefix}-worker-${index}`,
        workerHostname: (index: number) => `ipp-worker-${index}`,
    };
}
