/**
 * The commands the stack outputs print, and the seed's test they run.
 */
import { CLIENT_FILE, NAMES } from "./names";

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

/** `kubectl exec` into the controller container. */
export function kubectlExec(namespace: string, command: string[], interactive = false): string {
    const words = ["kubectl", "exec", ...(interactive ? ["-it"] : []), "-n", namespace, NAMES.frontendPod, "-c", NAMES.controllerContainer, "--", ...command];
    return words.map(shellQuote).join(" ");
}

/** Runs the seed's test in the frontend: prints the engine ids and one greeting per worker. */
export function seedTestCommand(namespace: string): string {
    return kubectlExec(namespace, ["python3", "-c", seedTestProgram()]);
}
