/**
 * What runs in the containers, whatever runs the containers: command lines, environment, the files
 * each side needs and how readiness is told. Kubernetes and Docker specs are both built from these.
 */
import { ClusterNames, FILES, PATHS } from "./names";
import { frontendConnectionFiles, toJson, workerConnectionFile } from "./connection";
import { NOTEBOOK_PORT, REGISTRATION_PORT } from "./ports";
import { memoryBytes } from "./quantities";
import { HubSettings } from "./hub-settings";

/** The user the images run as (`USER 1000` in the base image). */
export const UID = 1000;

/**
 * The share of the controller's memory limit that its store of task results (the hub's in-memory
 * DictDB) may hold before it forgets the oldest; ipyparallel's own bound is 1 GB whatever the limit.
 * The rest is for the tasks waiting in the scheduler (about 10 kB each, measured) and the processes.
 */
export const RESULT_STORE_SHARE = 0.25;
/**
 * How long a stopped pod's containers get before they are killed: the frontend's controller and
 * notebook, and a worker, whose whole shutdown (one question to the hub, then its engines' own stop:
 * STOP_SECONDS in images/worker/ipp_worker/settings.py) must fit inside it.
 */
export const FRONTEND_GRACE_SECONDS = 30;
export const WORKER_GRACE_SECONDS = 15;
/** The worker's readiness probe: a pod whose readiness file is gone is NotReady within periodSeconds × failureThreshold. */
export const WORKER_READINESS = { periodSeconds: 2, failureThreshold: 1 };
/** How often a worker asks the controller whether its engine is still registered. */
export const ENGINE_CHECK_SECONDS = 3;

export const KEY_FILE = `${PATHS.secretDir}/${FILES.sessionKey}`;
export const NOTEBOOK_TOKEN_FILE = `${PATHS.notebookTokenDir}/${FILES.notebookToken}`;
export const ENGINE_FILE = `${PATHS.connectionDir}/${FILES.engine}`;

/**
 * `ipcontroller` with the mounted files (`--reuse`) and the timing of `hub` (see lib/hub-settings.ts:
 * a short heartbeat and quick dead-engine detection, unless the cluster is large). Warnings and errors
 * only: at INFO the hub logs two lines per task and one per worker check, which floods `kubectl logs`
 * and costs throughput. Given the controller's memory limit, its store of task results is held to
 * RESULT_STORE_SHARE of it.
 */
export function controllerCommand(hub: HubSettings, memoryLimit?: string): string[] {
    return [
        "ipcontroller",
        "--reuse",
        `--ping=${hub.heartbeatMs}`,
        `--HeartMonitor.max_heartmonitor_misses=${hub.heartbeatMisses}`,
        `--IPController.registration_timeout=${hub.registrationSeconds}`,
        ...(memoryLimit ? [`--DictDB.size_limit=${Math.floor(memoryBytes(memoryLimit) * RESULT_STORE_SHARE)}`] : []),
        "--log-level=WARN",
    ];
}

/**
 * The engine (`ipp-engine`: ipengine, with the worker's entrypoint as its nanny, see
 * images/worker/ipp-engine) with the workers' keyless file and the key from its own file.
 */
export function engineCommand(): string[] {
    return [
        "ipp-engine",
        `--file=${ENGINE_FILE}`,
        `--keyfile=${KEY_FILE}`,
        "--timeout=30",
        // The worker's entrypoint decides when the controller has gone (see images/worker/ipp-worker).
        "--IPEngine.max_heartbeat_misses=0",
    ];
}

/** What the notebook serves: JupyterLab, or the notebook interface alone. */
export const NOTEBOOK_INTERFACES = ["lab", "notebook"] as const;
export type NotebookInterface = (typeof NOTEBOOK_INTERFACES)[number];

/**
 * The notebook server: the interface it serves, on Jupyter Server (JupyterLab 4, Notebook 7) or the
 * classic Notebook 6 server (Debian's, and a base image's of the user's that brings the notebook).
 */
export interface NotebookApp {
    interface: NotebookInterface;
    server: "jupyter-server" | "classic";
}

/**
 * The notebook server, on every interface (the token guards it; remote access is allowed so that a
 * NodePort or LoadBalancer works), working in the user's home.
 */
export function notebookCommand(app: NotebookApp): string[] {
    if (app.server === "classic") {
        return [
            "jupyter",
            "notebook",
            "--no-browser",
            "--ip=0.0.0.0",
            `--port=${NOTEBOOK_PORT.port}`,
            `--notebook-dir=${PATHS.home}`,
            "--NotebookApp.allow_remote_access=True",
        ];
    }
    return [
        "jupyter",
        app.interface,
        "--no-browser",
        "--ServerApp.ip=0.0.0.0",
        `--ServerApp.port=${NOTEBOOK_PORT.port}`,
        `--ServerApp.root_dir=${PATHS.home}`,
        "--ServerApp.allow_remote_access=True",
    ];
}

/** The page the notebook opens on: JupyterLab's, or the notebook's file browser. */
export function notebookPath(app: NotebookApp): string {
    return app.interface === "lab" ? "/lab" : "/tree";
}

export interface EnvVar {
    name: string;
    value: string;
}

/** The frontend entrypoint's settings: where the keyless files and the key are, where keyed copies go. */
export function frontendEnv(): EnvVar[] {
    return [
        { name: "IPP_CONNECTION_DIR", value: PATHS.connectionDir },
        { name: "IPP_KEY_FILE", value: KEY_FILE },
        { name: "IPP_SECURITY_DIR", value: PATHS.securityDir },
    ];
}

/** Where a container finds the cluster's watcher (see lib/monitoring.ts): `ipp_cluster.status()` asks it, workers report to it. */
export function watcherUrlEnv(url: string): EnvVar {
    return { name: "IPP_WATCHER_URL", value: url };
}

/**
 * The notebook runs the frontend's entrypoint too, so it has its own keyed client file at the
 * seed's path; Jupyter reads its token from the file `JUPYTER_TOKEN_FILE` names. Jupyter's runtime
 * files (each kernel's connection file holds that kernel's key) go to /tmp, not to the home folder,
 * which may be a persistent volume. Its kernels find the watcher at `watcherUrl`.
 */
export function notebookEnv(watcherUrl: string): EnvVar[] {
    return [
        ...frontendEnv(),
        { name: "JUPYTER_TOKEN_FILE", value: NOTEBOOK_TOKEN_FILE },
        { name: "JUPYTER_RUNTIME_DIR", value: PATHS.jupyterRuntimeDir },
        watcherUrlEnv(watcherUrl),
    ];
}

/**
 * The worker entrypoint's settings: `engines` engines in the pod, of `group`, reporting to the watcher
 * at `watcherUrl`, with the controller's registration timeout of `hub`. Engines see the group as
 * IPP_WORKER_GROUP; IPP_POD_NAME (the pod's or container's name) is set by each target its own way.
 */
export function workerEnv(group: string, engines: number, watcherUrl: string, hub: HubSettings): EnvVar[] {
    return [
        { name: "IPP_WORKER_GROUP", value: group },
        { name: "IPP_ENGINES", value: String(engines) },
        { name: "IPP_ENGINE_FILE", value: ENGINE_FILE },
        { name: "IPP_KEY_FILE", value: KEY_FILE },
        { name: "IPP_READY_FILE", value: PATHS.readyFile },
        { name: "IPP_CHECK_SECONDS", value: String(ENGINE_CHECK_SECONDS) },
        { name: "IPP_REGISTRATION_SECONDS", value: String(hub.registrationSeconds) },
        // Engines start as forks of one process that has imported them (see images/worker/ipp-worker).
        { name: "IPP_FORK_ENGINES", value: "1" },
        watcherUrlEnv(watcherUrl),
    ];
}

/** The variable that names the engine's pod (Kubernetes) or container (Docker). */
export const POD_NAME_VARIABLE = "IPP_POD_NAME";

/** Succeeds while all the worker's engines are registered. */
export function workerReadyCommand(): string[] {
    return ["test", "-e", PATHS.readyFile];
}

/** Succeeds once something accepts connections on `port` of this container. */
export function listening(port: number): string[] {
    return ["python3", "-c", `import socket; socket.create_connection(("127.0.0.1", ${port}), 2).close()`];
}

/** Succeeds once the controller accepts connections on its registration port. */
export function frontendReadyCommand(): string[] {
    return listening(REGISTRATION_PORT.port);
}

/** Succeeds once the notebook server accepts connections. */
export function notebookReadyCommand(): string[] {
    return listening(NOTEBOOK_PORT.port);
}

/**
 * The keyless connection files each side gets, by file name, as file contents: the frontend's name
 * its own host, the workers' the controller's Service (or network alias).
 */
export function connectionFileContents(component: "frontend" | "worker", names: ClusterNames): Record<string, string> {
    if (component === "worker") return { [FILES.engine]: toJson(workerConnectionFile(names.controller)) };
    const files = frontendConnectionFiles(names.frontend);
    return { [FILES.engine]: toJson(files.engine), [FILES.client]: toJson(files.client) };
}
