/**
 * The commands the stack outputs print, and the seed's test they run.
 */
import { CLIENT_FILE, PATHS } from "./names";

/** The seed's test, statement by statement, as a user types it into `python3` on the frontend. */
export const SEED_TEST_STATEMENTS = [
    "import ipyparallel as ipp",
    `c = ipp.Client("${CLIENT_FILE}")`,
    "print(c.ids)",
    `print(c[:].apply_sync(lambda: "Hello, World"))`,
];

/** The seed's test as one `python3 -c` program. */
export function seedTestProgram(): string {
    return SEED_TEST_STATEMENTS.join("; ");
}

/** Quotes one word for a POSIX shell. */
export function shellQuote(word: string): string {
    return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'"'"'`)}'`;
}

/** A container to run commands in: a pod's container via kubectl, or a container on a Docker engine. */
export type ExecTarget = { kind: "kubernetes"; namespace: string; pod: string; container: string } | { kind: "docker"; container: string };

/** `kubectl exec` or `docker exec`, quoted for a shell. */
export function execCommand(where: ExecTarget, command: string[], interactive = false): string {
    const it = interactive ? ["-it"] : [];
    const words =
        where.kind === "kubernetes"
            ? ["kubectl", "exec", ...it, "-n", where.namespace, where.pod, "-c", where.container, "--", ...command]
            : ["docker", "exec", ...it, where.container, ...command];
    return words.map(shellQuote).join(" ");
}

/** Runs the seed's test in the frontend: prints the engine ids and one greeting per worker. */
export function seedTestCommand(frontend: ExecTarget): string {
    return execCommand(frontend, ["python3", "-c", seedTestProgram()]);
}

/** The commands a user needs to reach a cluster. */
export interface ClusterCommands {
    /** Runs the seed's test in the frontend. */
    seedTest: string;
    /** Python on the frontend, with the client file at the seed's path. */
    frontendPython: string;
    /** A shell on the frontend. */
    frontendShell: string;
    /** Shells on the workers (on Kubernetes, one command that picks any worker). */
    workerShells: string[];
}

/** The commands a user needs, for one frontend and its workers. */
export function clusterCommands(frontend: ExecTarget, workers: ExecTarget[]): ClusterCommands {
    return {
        seedTest: seedTestCommand(frontend),
        frontendPython: execCommand(frontend, ["python3"], true),
        frontendShell: execCommand(frontend, ["bash"], true),
        workerShells: workers.map(w => execCommand(w, ["bash"], true)),
    };
}

/** `kubectl port-forward` of the given ports, each to the same port on the laptop's loopback. */
export function portForwardCommand(namespace: string, resource: string, ports: number[]): string {
    return ["kubectl", "port-forward", "-n", namespace, resource, ...ports.map(String)].map(shellQuote).join(" ");
}

/** The notebook's address on the laptop, with its token (so: a secret). */
export function notebookUrl(host: string, port: number, token: string, page = "/"): string {
    return `http://${host}:${port}${page}?token=${encodeURIComponent(token)}`;
}

/** Reads what the base image recorded of itself out of a built image (the local Docker engine has it, or pulls it). */
export function environmentCommand(image: string): string {
    return ["docker", "run", "--rm", "--network=none", "--entrypoint", "cat", image, PATHS.environmentFile].map(shellQuote).join(" ");
}
