/**
 * A real Prometheus (Debian's package, in a container of Debian trixie) on this host's loopback, scraping
 * the watcher's metrics port every second; queried through its HTTP API as Grafana would.
 */
import { TEST_LABEL, docker } from "./docker-cli";
import { httpRequest } from "./access";
import { sleep } from "./time";
import { METRICS_PORT } from "../lib/ports";

const IMAGE = "ipp-test-prometheus:trixie";
const PORT = 19090;
const DOCKERFILE = [
    "FROM debian:trixie-slim",
    "RUN apt-get update && apt-get install --yes --no-install-recommends prometheus && rm -rf /var/lib/apt/lists/*",
].join("\n");
const CONFIG = [
    "global: {scrape_interval: 1s, evaluation_interval: 1s}",
    "scrape_configs:",
    "  - job_name: ipp-cluster",
    `    static_configs: [{targets: ["127.0.0.1:${METRICS_PORT.port}"]}]`,
].join("\n");

export interface PromResult {
    status: string;
    errorType?: string;
    error?: string;
    data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

export class Prometheus {
    private constructor(readonly id: string) {}

    /** Builds the image (cached after the first time) and starts Prometheus, labelled `label` for the tests' clean-up. */
    static async start(label: string): Promise<Prometheus> {
        await docker(["build", "--network=host", "--tag", IMAGE, "-"], { input: DOCKERFILE, timeoutMs: 600_000 });
        const script = `printf '%s\\n' "$CONFIG" > /tmp/prometheus.yml && exec prometheus --config.file=/tmp/prometheus.yml --storage.tsdb.path=/tmp/data --web.listen-address=127.0.0.1:${PORT}`;
        const run = await docker([
            "run",
            "--detach",
            "--network=host",
            "--label",
            `${TEST_LABEL}=${label}`,
            "--env",
            `CONFIG=${CONFIG}`,
            "--entrypoint",
            "sh",
            IMAGE,
            "-c",
            script,
        ]);
        const prometheus = new Prometheus(run.stdout.trim());
        await prometheus.waitReady();
        return prometheus;
    }

    async waitReady(timeoutMs = 60_000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            const ready = await httpRequest("GET", `http://127.0.0.1:${PORT}/-/ready`, {}).catch(() => ({ status: 0, body: "" }));
            if (ready.status === 200) return;
            await sleep(500);
        }
        throw new Error(`Prometheus did not get ready:\n${(await docker(["logs", "--tail", "20", this.id], { allowFailure: true })).stderr}`);
    }

    /** An instant query; a query that does not parse comes back with status "error". */
    async query(promql: string): Promise<PromResult> {
        const r = await httpRequest("GET", `http://127.0.0.1:${PORT}/api/v1/query?query=${encodeURIComponent(promql)}`, {});
        return JSON.parse(r.body);
    }

    /** The value of a query that gives one number, or undefined while it gives none. */
    async value(promql: string): Promise<number | undefined> {
        const r = await this.query(promql);
        if (r.status !== "success") throw new Error(`${promql}: ${r.errorType}: ${r.error}`);
        const first = r.data?.result[0];
        return first ? Number(first.value[1]) : undefined;
    }

    /** Waits until each query gives its number; returns what they last gave. */
    async waitFor(wanted: Record<string, number>, timeoutMs: number): Promise<Record<string, number | undefined>> {
        const deadline = Date.now() + timeoutMs;
        let got: Record<string, number | undefined> = {};
        while (Date.now() < deadline) {
            got = Object.fromEntries(await Promise.all(Object.keys(wanted).map(async q => [q, await this.value(q)] as const)));
            if (Object.entries(wanted).every(([q, v]) => got[q] === v)) return got;
            await sleep(1000);
        }
        return got;
    }

    async stop(): Promise<void> {
        await docker(["rm", "--force", this.id], { allowFailure: true });
    }
}
