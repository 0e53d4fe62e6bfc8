/**
 * A thin wrapper over the Docker CLI for the integration test. Which engine and registry it uses
 * comes from the environment, so the test runs on any machine with a Docker engine:
 *   IPP_TEST_DOCKER    the docker CLI (default: /usr/bin/docker when present, else docker on PATH)
 *   IPP_TEST_REGISTRY  registry path to push to (default 127.0.0.1:5000/ipp-test)
 */
import { execFile, spawn } from "child_process";
import * as fs from "fs";

export const DOCKER = process.env.IPP_TEST_DOCKER ?? (fs.existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker");
export const REGISTRY = process.env.IPP_TEST_REGISTRY ?? "127.0.0.1:5000/ipp-test";
/** Label on every container the test starts, so an interrupted run's leftovers can be found. */
export const TEST_LABEL = "ipp-cluster.test";

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs the docker CLI; rejects with its output unless `allowFailure`. */
export function docker(args: string[], opts: { input?: string; allowFailure?: boolean; timeoutMs?: number } = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(DOCKER, args, { env: { ...process.env, DOCKER_BUILDKIT: "1" } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", d => (stdout += d));
        child.stderr.on("data", d => (stderr += d));
        const timer = opts.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs) : undefined;
        child.on("error", reject);
        child.on("close", code => {
            if (timer) clearTimeout(timer);
            const result = { code: code ?? -1, stdout, stderr };
            if (code !== 0 && !opts.allowFailure) {
                reject(new Error(`docker ${args.slice(0, 3).join(" ")} … failed (${code}):\n${stderr.slice(-3000)}`));
            } else {
                resolve(result);
            }
        });
        if (opts.input !== undefined) child.stdin.end(opts.input);
        else child.stdin.end();
    });
}

/** Fails loudly, with the reason, when no engine answers: the integration test never passes silently. */
export async function requireEngine(): Promise<void> {
    const info = await new Promise<RunResult>(resolve =>
        execFile(DOCKER, ["info", "--format", "{{.ServerVersion}}"], (err, stdout, stderr) =>
            resolve({ code: err ? 1 : 0, stdout, stderr: stderr || String(err ?? "") }),
        ),
    );
    if (info.code !== 0) {
        throw new Error(
            `No Docker engine answers (${DOCKER} info): ${info.stderr.trim()}\n` +
                "The integration test needs a Docker engine and a registry (IPP_TEST_REGISTRY, default 127.0.0.1:5000/ipp-test).",
        );
    }
}

/** Removes every container a test run started, also those of an interrupted earlier run. */
export async function removeTestContainers(): Promise<number> {
    const ids = (await docker(["ps", "-aq", "--filter", `label=${TEST_LABEL}`])).stdout.split(/\s+/).filter(Boolean);
    if (ids.length) await docker(["rm", "-f", "-v", ...ids], { allowFailure: true });
    return ids.length;
}

/** Removes every Docker volume a test run created, also those of an interrupted earlier run. */
export async function removeTestVolumes(): Promise<number> {
    const names = (await docker(["volume", "ls", "-q", "--filter", `label=${TEST_LABEL}`])).stdout.split(/\s+/).filter(Boolean);
    if (names.length) await docker(["volume", "rm", "-f", ...names], { allowFailure: true });
    return names.length;
}

export async function inspect(id: string, format: string): Promise<string> {
    return (await docker(["inspect", "--format", format, id])).stdout.trim();
}
