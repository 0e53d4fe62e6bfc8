/**
 * The controller's connection files, without the key. The key is added at start-up inside the
 * frontend (from the Secret); engines read it from the Secret with `--keyfile`.
 */
import { ClientPorts, EnginePorts, clientPorts, enginePorts } from "./ports";

/** Message packing and signing, shared by every file. The controller asserts they match. */
export const SESSION = {
    pack: "json",
    unpack: "json",
    signature_scheme: "hmac-sha256",
};

/** The task scheduler; the client file must name the controller's scheme. */
export const TASK_SCHEME = "leastload";

/** Where a file's owner binds (the controller) or connects (engines, clients). */
export interface Endpoint {
    /** `tcp://*` for the controller (bind on every interface), `tcp://<host>` for engines. */
    interface: string;
    /** The host that replaces `*` for whoever connects with this file. */
    location: string;
}

/** What every connection file holds besides its ports. */
interface ConnectionFileBase {
    ssh: string;
    interface: string;
    curve_serverkey: null;
    location: string;
    pack: string;
    unpack: string;
    signature_scheme: string;
    /** Only in the keyed copies: never in a ConfigMap. */
    key?: string;
}

export type EngineConnectionFile = ConnectionFileBase & EnginePorts;
export type ClientConnectionFile = ConnectionFileBase & ClientPorts & { task_scheme: string };

export function engineConnectionFile(endpoint: Endpoint): EngineConnectionFile {
    return {
        ssh: "",
        interface: endpoint.interface,
        ...enginePorts(),
        curve_serverkey: null,
        location: endpoint.location,
        ...SESSION,
    };
}

export function clientConnectionFile(endpoint: Endpoint): ClientConnectionFile {
    return {
        ssh: "",
        interface: endpoint.interface,
        ...clientPorts(),
        task_scheme: TASK_SCHEME,
        curve_serverkey: null,
        location: endpoint.location,
        ...SESSION,
    };
}

/**
 * The frontend's pair. Both files must name the same interface (with `--reuse` the controller
 * binds registration on the client interface only, otherwise). `tcp://*` binds every interface,
 * so the Service, the pod's own hostname and `kubectl port-forward` (loopback) all reach it.
 */
export function frontendConnectionFiles(frontendHost: string) {
    const endpoint = { interface: "tcp://*", location: frontendHost };
    return { engine: engineConnectionFile(endpoint), client: clientConnectionFile(endpoint) };
}

/** The workers' engine file: they reach the controller through the Service's DNS name. */
export function workerConnectionFile(serviceHost: string): EngineConnectionFile {
    return engineConnectionFile({ interface: `tcp://${serviceHost}`, location: serviceHost });
}

/**
 * A client file for a laptop that reaches the controller through forwarded ports on its own
 * loopback (`kubectl port-forward`, or ports a local container publishes). It carries the key.
 */
export function laptopClientFile(key: string): ClientConnectionFile {
    return { ...clientConnectionFile({ interface: "tcp://127.0.0.1", location: "127.0.0.1" }), key };
}

/** Serialises a connection file as ConfigMap data. */
export function toJson(file: object): string {
    return JSON.stringify(file, null, 2) + "\n";
}
