/**
 * Runs declared `docker.Container` resources the way the Docker provider does (create, upload each
 * file as a tar extracted at `/`, start, wait until healthy), except that every container joins the
 * host network and every container name, hostname and network alias resolves to 127.0.0.1: the test
 * never creates a Docker network. Declared `docker.Volume`s are created as the provider creates them
 * (with the test's label besides their own); a volume a container names without declaring it is
 * created by Docker on first use, as Docker does, labelled too; a host folder is a bind mount; a
 * tmpfs is a tmpfs. It refuses any input it does not understand.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Declared, ProgramRun, ofType } from "./program";
import { DOCKER, TEST_LABEL, docker, inspect } from "./docker-cli";
import { shellQuote } from "../lib/commands";
import { sleep } from "./time";

const KNOWN = [
    "name",
    "hostname",
    "image",
    "command",
    "envs",
    "user",
    "uploads",
    "capabilities",
    "securityOpts",
    "memory",
    "cpuShares",
    "restart",
    "networksAdvanced",
    "healthcheck",
    "wait",
    "waitTimeout",
    "labels",
    "destroyGraceSeconds",
    "mustRun",
    "ports",
    "volumes",
    "tmpfs",
];

function only(obj: object | undefined, allowed: string[], where: string) {
    for (const k of Object.keys(obj ?? {})) {
        if (!allowed.includes(k)) throw new Error(`the test's container runner does not understand ${where}.${k}`);
    }
}

export interface RunningContainer {
    name: string;
    id: string;
    declared: Declared;
}

export class ContainerRunner {
    readonly containers: Declared[];
    readonly volumes: Declared[];
    private readonly hosts = new Set<string>();

    constructor(
        run: ProgramRun,
        private readonly runLabel: string,
    ) {
        this.containers = ofType(run, "docker:index/container:Container");
        this.volumes = ofType(run, "docker:index/volume:Volume");
        for (const c of this.containers) {
            this.hosts.add(c.inputs.name);
            if (c.inputs.hostname) this.hosts.add(c.inputs.hostname);
            for (const n of c.inputs.networksAdvanced ?? []) for (const a of n.aliases ?? []) this.hosts.add(a);
        }
    }

    /** Creates the declared volumes that do not exist yet; an existing one is taken up, as Docker does. */
    async createVolumes() {
        for (const v of this.volumes) {
            only(v.inputs, ["name", "labels"], `volume ${v.name}`);
            await this.ensureVolume(
                v.inputs.name,
                (v.inputs.labels ?? []).map((l: any) => `${l.label}=${l.value}`),
            );
        }
    }

    private async ensureVolume(name: string, labels: string[] = []) {
        if ((await docker(["volume", "inspect", name], { allowFailure: true })).code === 0) return;
        await docker(["volume", "create", "--label", `${TEST_LABEL}=${this.runLabel}`, ...labels.flatMap(l => ["--label", l]), name]);
    }

    /** `--volume` for a named volume or a host folder; a named one the runner did not create is created as Docker would. */
    private async mountArgs(volumes: any[]): Promise<string[]> {
        const args: string[] = [];
        for (const v of volumes) {
            only(v, ["volumeName", "hostPath", "containerPath", "readOnly"], "volumes");
            const source = v.hostPath ?? v.volumeName;
            if (!source || !v.containerPath) throw new Error(`the test's container runner needs a source and a containerPath: ${JSON.stringify(v)}`);
            if (!v.hostPath) await this.ensureVolume(v.volumeName);
            args.push("--volume", `${source}:${v.containerPath}${v.readOnly ? ":ro" : ""}`);
        }
        return args;
    }

    /** Creates, uploads into, starts and (if `wait`) waits for one declared container. */
    async start(declared: Declared): Promise<RunningContainer> {
        const c = declared.inputs;
        only(c, KNOWN, `container ${declared.name}`);
        const args = [
            "create",
            "--name",
            c.name,
            "--label",
            `${TEST_LABEL}=${this.runLabel}`,
            "--network=host",
            ...[...this.hosts].flatMap(h => ["--add-host", `${h}:127.0.0.1`]),
        ];
        if (c.hostname) args.push("--hostname", c.hostname);
        if (c.user) args.push("--user", c.user);
        for (const e of c.envs ?? []) args.push("--env", e);
        for (const l of c.labels ?? []) args.push("--label", `${l.label}=${l.value}`);
        if (c.capabilities) {
            only(c.capabilities, ["drops", "adds"], "capabilities");
            for (const cap of c.capabilities.drops ?? []) args.push("--cap-drop", cap);
            for (const cap of c.capabilities.adds ?? []) args.push("--cap-add", cap);
        }
        for (const o of c.securityOpts ?? []) args.push("--security-opt", o);
        if (c.memory) args.push("--memory", `${c.memory}m`);
        if (c.cpuShares) args.push("--cpu-shares", String(c.cpuShares));
        if (c.restart) args.push("--restart", c.restart);
        if (c.destroyGraceSeconds !== undefined) args.push("--stop-timeout", String(c.destroyGraceSeconds));
        args.push(...(await this.mountArgs(c.volumes ?? [])));
        for (const [where, options] of Object.entries<string>(c.tmpfs ?? {})) args.push("--tmpfs", `${where}:${options}`);
        for (const n of c.networksAdvanced ?? []) only(n, ["name", "aliases"], "networksAdvanced");
        for (const p of c.ports ?? []) {
            // On the host network a container's port already is the host's; only loopback publishing is allowed.
            only(p, ["internal", "external", "ip", "protocol"], "ports");
            if (p.ip !== "127.0.0.1" || p.internal !== p.external) {
                throw new Error(`${c.name} publishes ${p.ip}:${p.external}->${p.internal}; the test only runs loopback ports published as themselves`);
            }
        }
        if (c.healthcheck) {
            only(c.healthcheck, ["tests", "interval", "timeout", "retries", "startPeriod"], "healthcheck");
            const [kind, ...test] = c.healthcheck.tests;
            if (kind !== "CMD") throw new Error(`the test's container runner knows CMD health checks only, not ${kind}`);
            args.push("--health-cmd", test.map(shellQuote).join(" "));
            if (c.healthcheck.interval) args.push("--health-interval", c.healthcheck.interval);
            if (c.healthcheck.timeout) args.push("--health-timeout", c.healthcheck.timeout);
            if (c.healthcheck.retries !== undefined) args.push("--health-retries", String(c.healthcheck.retries));
            if (c.healthcheck.startPeriod) args.push("--health-start-period", c.healthcheck.startPeriod);
        }
        args.push(c.image, ...(c.command ?? []));
        const id = (await docker(args)).stdout.trim();

        for (const u of c.uploads ?? []) await this.upload(id, u);
        await docker(["start", id]);
        const running = { name: c.name, id, declared };
        if (c.wait) await this.waitHealthy(running, (c.waitTimeout ?? 60) * 1000);
        return running;
    }

    /** One upload, as the provider makes it: a one-file tar, extracted at `/`. */
    private async upload(id: string, u: any) {
        only(u, ["file", "content", "owner", "group", "permissions", "executable"], "uploads");
        const stage = fs.mkdtempSync(path.join(os.tmpdir(), "ipp-upload-"));
        try {
            const relative = u.file.replace(/^\/+/, "");
            fs.mkdirSync(path.join(stage, path.dirname(relative)), { recursive: true });
            fs.writeFileSync(path.join(stage, relative), u.content);
            const mode = u.permissions ?? (u.executable ? "0744" : "0644");
            const tar = spawn("tar", [
                "--numeric-owner",
                `--owner=${u.owner ?? 0}`,
                `--group=${u.group ?? 0}`,
                `--mode=${mode}`,
                "-C",
                stage,
                "-cf",
                "-",
                relative,
            ]);
            const cp = spawn(DOCKER, ["cp", "-", `${id}:/`]);
            tar.stdout.pipe(cp.stdin);
            let stderr = "";
            cp.stderr.on("data", d => (stderr += d));
            const code = await new Promise<number>(resolve => cp.on("close", c => resolve(c ?? -1)));
            if (code !== 0) throw new Error(`upload of ${u.file} failed: ${stderr}`);
        } finally {
            fs.rmSync(stage, { recursive: true, force: true });
        }
    }

    async waitHealthy(c: RunningContainer, timeoutMs: number): Promise<number> {
        const started = Date.now();
        for (;;) {
            const status = await inspect(c.id, "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}");
            if (status === "healthy") return (Date.now() - started) / 1000;
            if (status === "none") throw new Error(`${c.name} has no health check to wait for`);
            if (Date.now() - started > timeoutMs) {
                const logs = await docker(["logs", "--tail", "30", c.id], { allowFailure: true });
                throw new Error(`${c.name} not healthy after ${timeoutMs / 1000} s:\n${logs.stdout}${logs.stderr}`);
            }
            await sleep(250);
        }
    }

    async remove(c: RunningContainer) {
        await docker(["rm", "-f", "-v", c.id], { allowFailure: true });
    }
}
