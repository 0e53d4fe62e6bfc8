/**
 * A mock in which every `docker.Image` is really built (BuildKit, the resource's own context,
 * Dockerfile and build arguments) and, unless `skipPush`, pushed; it returns the real digest, as
 * the provider would. Everything else gets the harness's default, and the key is truly random.
 */
import * as path from "path";
import { randomBytes } from "crypto";
import type * as pulumi from "@pulumi/pulumi";
import { defaultNewResource } from "./program";
import { execFile } from "child_process";
import { DOCKER, docker, inspect } from "./docker-cli";

const ROOT = path.resolve(__dirname, "..");

export interface BuildRecord {
    name: string;
    imageName: string;
    seconds: number;
    pushSeconds: number;
    repoDigest: string;
}

/** A `local.Command` really run, as the provider runs its `create` (with the test's docker CLI first on PATH). */
async function runCommand(args: pulumi.runtime.MockResourceArgs) {
    const env = { ...process.env, PATH: `${path.dirname(DOCKER)}:${process.env.PATH}` };
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>(resolve =>
        execFile("bash", ["-c", args.inputs.create], { env, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
            resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
    );
    if (out.code !== 0) throw new Error(`command ${args.name} failed (${out.code}): ${args.inputs.create}\n${out.stderr}`);
    return { id: args.name, state: { ...args.inputs, stdout: out.stdout.trim(), stderr: out.stderr } };
}

export function buildingNewResource(records: BuildRecord[]) {
    return async (args: pulumi.runtime.MockResourceArgs) => {
        if (args.type === "random:index/randomBytes:RandomBytes") {
            const bytes = randomBytes(args.inputs.length);
            return { id: args.name, state: { ...args.inputs, hex: bytes.toString("hex"), base64: bytes.toString("base64") } };
        }
        if (args.type === "random:index/randomPassword:RandomPassword") {
            const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            const result = Array.from(randomBytes(args.inputs.length), b => alphabet[b % alphabet.length]).join("");
            return { id: args.name, state: { ...args.inputs, result } };
        }
        if (args.type === "command:local:Command") return runCommand(args);
        if (args.type !== "docker:index/image:Image") return defaultNewResource(args);

        const { imageName, build, skipPush } = args.inputs;
        const buildArgs = Object.entries<string>(build.args ?? {}).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
        const started = Date.now();
        await docker(
            ["build", "--network=host", "-f", path.resolve(ROOT, build.dockerfile), "-t", imageName, ...buildArgs, path.resolve(ROOT, build.context)],
            {
                timeoutMs: 15 * 60_000,
            },
        );
        const seconds = (Date.now() - started) / 1000;
        let repoDigest: string;
        let pushSeconds = 0;
        if (skipPush) {
            repoDigest = await inspect(imageName, "{{.Id}}");
        } else {
            const pushStarted = Date.now();
            await docker(["push", "--quiet", imageName]);
            pushSeconds = (Date.now() - pushStarted) / 1000;
            const repo = imageName.replace(/:[^:/]+$/, "");
            const digests: string[] = JSON.parse(await inspect(imageName, "{{json .RepoDigests}}"));
            repoDigest = digests.find(d => d.startsWith(`${repo}@`)) ?? "";
            if (!repoDigest) throw new Error(`no digest of ${repo} after the push: ${digests}`);
        }
        records.push({ name: args.name, imageName, seconds, pushSeconds, repoDigest });
        return { id: imageName, state: { ...args.inputs, repoDigest, baseImageName: imageName, registryServer: "" } };
    };
}
