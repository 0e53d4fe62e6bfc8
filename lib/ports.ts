/**
 * The controller's port table: the single source for the connection files, the container ports,
 * the Service, the readiness probe and the NetworkPolicy.
 *
 * `ipcontroller --reuse` binds exactly the ports written in its connection files, and engines
 * connect to the ports in *their own* file, so the frontend's and the workers' files must carry
 * the same numbers. They are fixed here, in the layout `ipcontroller --ports=P-(P+17)` would pick.
 */

/** First port of the controller's block. Below Linux's ephemeral range (32768+), so it never collides with outgoing connections on a shared host network. */
export const BASE_PORT = 10100;

/** Who connects to a port: engines, clients, or both (the registration port serves both). */
export type Audience = "engines" | "clients" | "all";

export interface ControllerPort {
    /** Kubernetes port name: at most 15 characters, lowercase letters, digits and single hyphens. */
    name: string;
    port: number;
    audience: Audience;
}

/** Engine-side ports, by connection-file key. `broadcast` is two ports with the default scheduler depth. */
export const ENGINE_PORTS = {
    control: BASE_PORT + 1,
    mux: BASE_PORT + 2,
    task: BASE_PORT + 3,
    iopub: BASE_PORT + 4,
    hb_ping: BASE_PORT + 5,
    hb_pong: BASE_PORT + 6,
    broadcast: [BASE_PORT + 7, BASE_PORT + 8],
};

/** Client-side ports, by connection-file key. */
export const CLIENT_PORTS = {
    control: BASE_PORT + 9,
    mux: BASE_PORT + 10,
    task: BASE_PORT + 11,
    iopub: BASE_PORT + 12,
    notification: BASE_PORT + 13,
    broadcast: BASE_PORT + 14,
};

/** Every port the controller listens on, named. */
export const CONTROLLER_PORTS: ControllerPort[] = [
    { name: "tcp-register", port: BASE_PORT, audience: "all" },
    { name: "tcp-e-control", port: ENGINE_PORTS.control, audience: "engines" },
    { name: "tcp-e-mux", port: ENGINE_PORTS.mux, audience: "engines" },
    { name: "tcp-e-task", port: ENGINE_PORTS.task, audience: "engines" },
    { name: "tcp-e-iopub", port: ENGINE_PORTS.iopub, audience: "engines" },
    { name: "tcp-e-hb-ping", port: ENGINE_PORTS.hb_ping, audience: "engines" },
    { name: "tcp-e-hb-pong", port: ENGINE_PORTS.hb_pong, audience: "engines" },
    { name: "tcp-e-bcast-0", port: ENGINE_PORTS.broadcast[0], audience: "engines" },
    { name: "tcp-e-bcast-1", port: ENGINE_PORTS.broadcast[1], audience: "engines" },
    { name: "tcp-c-control", port: CLIENT_PORTS.control, audience: "clients" },
    { name: "tcp-c-mux", port: CLIENT_PORTS.mux, audience: "clients" },
    { name: "tcp-c-task", port: CLIENT_PORTS.task, audience: "clients" },
    { name: "tcp-c-iopub", port: CLIENT_PORTS.iopub, audience: "clients" },
    { name: "tcp-c-notify", port: CLIENT_PORTS.notification, audience: "clients" },
    { name: "tcp-c-bcast", port: CLIENT_PORTS.broadcast, audience: "clients" },
];

/** The registration port's name: the frontend's readiness probe targets it. */
export const REGISTRATION_PORT_NAME = "tcp-register";

/** The ports an audience needs: engines need the registration port and the engine ports. */
export function portsFor(audience: Exclude<Audience, "all">): ControllerPort[] {
    return CONTROLLER_PORTS.filter(p => p.audience === audience || p.audience === "all");
}

/** The notebook server's port, next to the controller in the frontend. */
export const NOTEBOOK_PORT: ControllerPort = { name: "http-notebook", port: 8888, audience: "clients" };
