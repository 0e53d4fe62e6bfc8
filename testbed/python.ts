/**
 * Python scripts run in a container with `docker exec -i ... python3 -`, the script on stdin and its
 * output read as it comes: the benchmark's and the failure drills' clients.
 */
import { spawn } from "child_process";
import { DOCKER, inspect } from "./docker-cli";

/** A Python script running in a container, its output read as it comes. */
export interface PythonRun {
    /** Resolves once the script has printed this line; rejects when it ends first or `timeoutMs` pass. */
    printed(line: string, timeoutMs: number): Promise<void>;
    /** The first line the script prints that starts with `prefix`; rejects as `printed` does. */
    lineStarting(prefix: string, timeoutMs: number): Promise<string>;
    /** The script's last line as JSON, once it has ended. */
    result: Promise<any>;
}

export function startPython(container: string, script: string, args: string[]): PythonRun {
    const what = `python3 - ${args.slice(0, 1).join(" ")} in container ${container.slice(0, 12)}`;
    const child = spawn(DOCKER, ["exec", "-i", container, "python3", "-", ...args]);
    let stdout = "";
    let stderr = "";
    const lines: string[] = [];
    const onLine = new Set<() => void>();
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d: string) => {
        const start = stdout.lastIndexOf("\n") + 1;
        stdout += d;
        for (const l of stdout.slice(start).split("\n").slice(0, -1)) lines.push(l.trim());
        for (const f of onLine) f();
    });
    child.stderr.on("data", (d: string) => (stderr += d));
    const ended = new Promise<number>(resolve => {
        child.on("error", e => {
            stderr += String(e);
            resolve(-1);
        });
        child.on("close", code => resolve(code ?? -1));
    });
    child.stdin.end(script);
    const output = () => `stdout: ${JSON.stringify(stdout.slice(-1000))}; stderr: ${JSON.stringify(stderr.slice(-2000))}`;

    const result = ended.then(async code => {
        const line = stdout.trim().split("\n").pop() ?? "";
        try {
            return JSON.parse(line);
        } catch {
            const state = await inspect(container, "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}").catch(e => String(e));
            throw new Error(`${what} failed (exit ${code}; container ${state}): ${output()}`);
        }
    });
    result.catch(() => undefined); // also when nobody waits for it any more: its caller has an error of its own

    const waitFor = (matches: (line: string) => boolean, expected: string, timeoutMs: number) =>
        new Promise<string>((resolve, reject) => {
            const check = () => {
                const hit = lines.find(matches);
                if (hit !== undefined) settle(() => resolve(hit));
            };
            const timer = setTimeout(() => {
                child.kill();
                settle(() => reject(new Error(`${what} printed no ${expected} within ${timeoutMs / 1000} s; ${output()}`)));
            }, timeoutMs);
            function settle(f: () => void) {
                clearTimeout(timer);
                onLine.delete(check);
                f();
            }
            onLine.add(check);
            check();
            ended.then(
                code => lines.some(matches) || settle(() => reject(new Error(`${what} ended (exit ${code}) before it printed ${expected}; ${output()}`))),
            );
        });
    const printed = (line: string, timeoutMs: number) => waitFor(l => l === line, line, timeoutMs).then(() => undefined);
    const lineStarting = (prefix: string, timeoutMs: number) => waitFor(l => l.startsWith(prefix), `a line starting ${prefix}`, timeoutMs);
    return { printed, lineStarting, result };
}

export function python(container: string, script: string, args: string[]): Promise<any> {
    return startPython(container, script, args).result;
}
