/**
 * The controller's port table: the single source for the connection files, the container ports,
 * the Service, the readiness probe and the NetworkPolicy.
 *
 * `ipcontroller --reuse` binds exactly the ports written in its connection files, and engines
 * connect to the ports in *their own* file, so the frontend's and the workers' files must carry
 * the same numbers. They are fixed here, in the layout `ipcontroller --ports=P-(P+17)` would pick:
 * the table's order is that layout, and each row's port is the first port plus its position.
 */

/** First port of the controller's block. Below Linux's ephemeral range (32768+), so it never collides with outgoing connections on a shared host network. */
export const BASE_PORT = 10100;

/** Who connects to a port: engines, clients, or both (the registration port serves both). */
export type Audience = "engines" | "clients" | "all";

/** Connection-file keys of the engine side; `broadcast` is a list (two ports at scheduler depth 1). */
export type EnginePortKey = "registration" | "control" | "mux" | "task" | "iopub" | "hb_ping" | "hb_pong" | "broadcast";
/** Connection-file keys of the client side. */
export type ClientPortKey = "registration" | "control" | "mux" | "task" | "iopub" | "notification" | "broadcast";

export interface ControllerPort {
    /** The connection-file key this port is written under. */
    key: EnginePortKey | ClientPortKey;
    /** Kubernetes port name: at most 15 characters, lowercase letters, digits and single hyphens. */
    name: string;
    port: number;
    audience: Audience;
}

/** The rows in `ipcontroller --ports` order: registration, eight engine ports, six client ports. */
const LAYOUT: Omit<ControllerPort, "port">[] = [
    { key: "registration", name: "tcp-register", audience: "all" },
    { key: "control", name: "tcp-e-control", audience: "engines" },
    { key: "mux", name: "tcp-e-mux", audience: "engines" },
    { key: "task", name: "tcp-e-task", audience: "engines" },
    { key: "iopub", name: "tcp-e-iopub", audience: "engines" },
    { key: "hb_ping", name: "tcp-e-hb-ping", audience: "engines" },
    { key: "hb_pong", name: "tcp-e-hb-pong", audience: "engines" },
    { key: "broadcast", name: "tcp-e-bcast-0", audience: "engines" },
    { key: "broadcast", name: "tcp-e-bcast-1", audience: "engines" },
    { key: "control", name: "tcp-c-control", audience: "clients" },
    { key: "mux", name: "tcp-c-mux", audience: "clients" },
    { key: "task", name: "tcp-c-task", audience: "clients" },
    { key: "iopub", name: "tcp-c-iopub", audience: "clients" },
    { key: "notification", name: "tcp-c-notify", audience: "clients" },
    { key: "broadcast", name: "tcp-c-bcast", audience: "clients" },
];

/** Every port the controller listens on, named. */
export const CONTROLLER_PORTS: readonly ControllerPort[] = LAYOUT.map((row, i) => ({ ...row, port: BASE_PORT + i }));

/** The registration port: engines and clients both start there, and the frontend's readiness probe targets it. */
export const REGISTRATION_PORT: ControllerPort = CONTROLLER_PORTS[0];

/** The ports an audience needs: engines need the registration port and the engine ports. */
export function portsFor(audience: Exclude<Audience, "all">): ControllerPort[] {
    return CONTROLLER_PORTS.filter(p => p.audience === audience || p.audience === "all");
}

/** The engine side's ports, as an engine file writes them. */
export type EnginePorts = Record<Exclude<EnginePortKey, "broadcast">, number> & { broadcast: number[] };
/** The client side's ports, as a client file writes them. */
export type ClientPorts = Record<ClientPortKey, number>;

/** An audience's ports by connection-file key: a list for the keys in `lists`, else the one port. */
function portsByKey(audience: Exclude<Audience, "all">, lists: string[]): Record<string, number | number[]> {
    const byKey: Record<string, number[]> = {};
    for (const p of portsFor(audience)) (byKey[p.key] ??= []).push(p.port);
    return Object.fromEntries(Object.entries(byKey).map(([key, ports]) => [key, lists.includes(key) ? ports : ports[0]]));
}

/** The engine side's ports; `broadcast` is a list, one port per leaf of the broadcast scheduler. */
export function enginePorts(): EnginePorts {
    return portsByKey("engines", ["broadcast"]) as EnginePorts;
}

export function clientPorts(): ClientPorts {
    return portsByKey("clients", []) as ClientPorts;
}

/** A Kubernetes port of a container or Service: named, TCP. */
export interface NamedPort {
    name: string;
    port: number;
}

/** The notebook server's port, next to the controller in the frontend. */
export const NOTEBOOK_PORT: NamedPort = { name: "http-notebook", port: 8888 };

/** The watcher's Prometheus metrics (`GET /metrics`): for scrapers only, never reachable from the engines. */
export const METRICS_PORT: NamedPort = { name: "http-metrics", port: 10120 };

/**
 * The watcher's requests signed with the cluster's key: the status and logs that `ipp_cluster` reads,
 * and the workers' reports (images/base/ipp_cluster/__init__.py names it too).
 */
export const WATCHER_PORT: NamedPort = { name: "http-watcher", port: 10121 };

/** The scaler's requests, passed on by the watcher: on the frontend Pod's loopback only, in no Service. */
export const SCALER_PORT: NamedPort = { name: "http-scaler", port: 10122 };
