/**
 * `npm run bench:stacks`: the two Python stacks side by side. For each: its images built again with
 * nothing changed (the build cache: what a `pulumi up` without a change costs), their sizes, then each
 * built without the build cache, timed; then interleaved turns of 16 engines started, ours and
 * ipyparallel's own of the same version in the same image. Writes bench/out/stacks.json
 * (bench/stacks.json with `-- --record`), which BENCHMARKS.md renders. About 20 minutes.
 *
 *   IPP_BENCH_REPS   turns of the starts (default 3)
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REGISTRY, docker, inspect, removeTestContainers } from "../testbed/docker-cli";
import { Deployment, cleanEngine, deploy } from "../testbed/deploy";
import { find } from "../testbed/program";
import { baselineOnce, log, oursOnce } from "./compare";
import { parseBenchFiles, runBench } from "./settings";
import { StackResult, StacksResult, stacksFile } from "./stacks-report";

const ROOT = path.resolve(__dirname, "..");
const REPS = Number(process.env.IPP_BENCH_REPS ?? 3);
const ENGINES = 16;
const KINDS = ["base", "frontend", "worker"] as const;
/** Each stack's settings: the pypi stack trusts this machine's CA (deploy's default); the debian stack needs none. */
const STACKS: Record<string, Record<string, string>> = { pypi: {}, debian: { pythonStack: "debian", buildCaCertificates: "" } };

/** Builds an image as the program declared it, without the build cache; returns the seconds. */
async function coldBuild(deployment: Deployment, kind: (typeof KINDS)[number]): Promise<number> {
    const { build } = find(deployment.run, "Image", `ipp-images-${kind}`).inputs;
    const args = Object.entries<string>(build.args ?? {}).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
    const started = Date.now();
    await docker(
        [
            "build",
            "--no-cache",
            "--network=host",
            "-f",
            path.join(ROOT, build.dockerfile),
            "-t",
            `ipp-bench-cold-${kind}`,
            ...args,
            path.join(ROOT, build.context),
        ],
        {
            timeoutMs: 30 * 60_000,
        },
    );
    return (Date.now() - started) / 1000;
}

async function measureStack(stack: string, settings: Record<string, string>): Promise<StackResult> {
    const config = { registry: REGISTRY, workers: String(ENGINES), ...settings };
    const deployment = await deploy(config);
    // With nothing changed first: after a build without the cache, the cache's newest layers are that build's,
    // and the next build would make new images of them.
    const again = await deploy(config);
    const noChangeBuild = again.builds.reduce((a, b) => a + b.seconds, 0);
    const noChangePush = again.builds.reduce((a, b) => a + b.pushSeconds, 0);
    log(`${stack}: no-change rebuild of all three ${noChangeBuild.toFixed(2)} s, push ${noChangePush.toFixed(2)} s`);
    const sizes = { base: 0, frontend: 0, worker: 0 };
    for (const b of deployment.builds) sizes[b.name.replace("ipp-images-", "") as keyof typeof sizes] = Number(await inspect(b.repoDigest, "{{.Size}}"));
    const coldBuildSeconds = { base: 0, frontend: 0, worker: 0 };
    for (const kind of KINDS) {
        coldBuildSeconds[kind] = await coldBuild(deployment, kind);
        log(`${stack}: ${kind} built without the cache in ${coldBuildSeconds[kind].toFixed(1)} s`);
    }
    const env = deployment.run.outputs.environment;
    return { stack, ipyparallel: env.ipyparallel, python: env.python, sizes, coldBuild: coldBuildSeconds, noChangeBuild, noChangePush, ours: [], stock: [] };
}

async function main() {
    const files = parseBenchFiles(process.env, process.argv.slice(2));
    const out = stacksFile(files.results);
    await cleanEngine();
    const result: StacksResult = { date: new Date().toISOString(), cores: os.cpus().length, engines: ENGINES, reps: REPS, stacks: [] };
    const deployments = new Map<string, Deployment>();
    for (const [stack, settings] of Object.entries(STACKS)) {
        result.stacks.push(await measureStack(stack, settings));
        deployments.set(stack, await deploy({ registry: REGISTRY, workers: String(ENGINES), ...settings }));
    }
    for (let r = 0; r < REPS; r++) {
        for (const s of result.stacks) {
            const deployment = deployments.get(s.stack)!;
            const image = deployment.objects.pods[0].inputs.spec.containers[0].image;
            const ours = await oursOnce(deployment);
            const stock = await baselineOnce(image, ENGINES, false);
            s.ours.push(ours);
            s.stock.push(stock);
            log(
                `${s.stack}: ready ours ${ours.readySeconds.toFixed(1)} s, stock ${stock.readySeconds.toFixed(1)} s; start-up CPU per engine ${ours.startupCpuSecondsPerWorker.toFixed(2)} / ${stock.startupCpuSecondsPerWorker.toFixed(2)} s`,
            );
        }
    }
    await removeTestContainers();
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
    log(`wrote ${out}`);
}

runBench(main);
