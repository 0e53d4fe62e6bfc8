/**
 * `npm run bench:packages`: what bringing your own packages costs, measured on a real Docker engine
 * with the images the program builds. Prints the numbers and writes them beside the main results
 * (bench/out/, or with --record bench/, which `npm run bench:report` renders into BENCHMARKS.md).
 *
 *   - image sizes without packages and with aptPackages [python3-numpy, python3-scipy];
 *   - the base rebuild when those packages are added (the first build with them);
 *   - a no-change rebuild of all three images (what every `pulumi up` without a change does);
 *   - the CPU seconds each worker (engine, nanny, entrypoint) used to get ready, with and without
 *     the packages: numpy is imported only when a task uses it, so it must not grow.
 *
 *   IPP_BENCH_REPS  repetitions of the rebuild and of the start-up (default 3)
 *   --record        write bench/packages.json (what BENCHMARKS.md renders) instead of bench/out/
 */
import * as fs from "fs";
import * as path from "path";
import { REGISTRY, docker, inspect, removeTestContainers, requireEngine } from "../testbed/docker-cli";
import { deploy } from "../testbed/deploy";
import { BenchSettingsError, parseBenchFiles } from "./settings";
import { packagesFile, spread } from "./packages-report";

const REPS = Number(process.env.IPP_BENCH_REPS ?? 3);
const WORKERS = 4;
const RSS = fs.readFileSync(path.join(__dirname, "rss.py"), "utf8");
const SCIENCE = { aptPackages: JSON.stringify(["python3-numpy", "python3-scipy"]) };

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function log(message: string) {
    console.log(`[bench:packages] ${message}`);
}

async function build(config: Record<string, string>) {
    const deployment = await deploy({ registry: REGISTRY, workers: String(WORKERS), ...config });
    const records = deployment.builds;
    const seconds = Object.fromEntries(records.map(r => [r.name.replace("ipp-images-", ""), r.seconds]));
    const sizes: Record<string, number> = {};
    for (const r of records) sizes[r.name.replace("ipp-images-", "")] = Number(await inspect(r.repoDigest, "{{.Size}}"));
    return { deployment, seconds, sizes };
}

/** CPU seconds per worker (engine, nanny, entrypoint) once every worker is Ready. */
async function startupCpu(config: Record<string, string>): Promise<number> {
    const cluster = (await build(config)).deployment.cluster("bench-packages");
    try {
        await cluster.up();
        const cpu = await Promise.all(
            cluster.workers.map(async w => {
                const out = await docker(["exec", "-i", w.containers[0].id, "python3", "-"], { input: RSS });
                const roles = JSON.parse(out.stdout.trim().split("\n").pop()!);
                return sum(["engine", "nanny", "worker"].flatMap(role => roles[role].map((p: number[]) => p[1])));
            }),
        );
        return sum(cpu) / cpu.length;
    } finally {
        await cluster.down();
    }
}

async function main() {
    const file = packagesFile(parseBenchFiles(process.env, process.argv.slice(2)).results);
    await requireEngine();
    await removeTestContainers();
    const plain = await build({});
    log(`sizes without packages: ${JSON.stringify(plain.sizes)}`);
    const added = await build(SCIENCE);
    log(`first build with [python3-numpy, python3-scipy]: base ${added.seconds.base.toFixed(1)} s; sizes ${JSON.stringify(added.sizes)}`);

    const noChange: number[] = [];
    for (let r = 0; r < REPS; r++) {
        const again = await build(SCIENCE);
        noChange.push(sum(Object.values(again.seconds)));
        log(`no-change rebuild of all three: ${noChange.at(-1)!.toFixed(2)} s`);
    }

    const cpu: Record<"plain" | "science", number[]> = { plain: [], science: [] };
    for (let r = 0; r < REPS; r++) {
        for (const [name, config] of [
            ["plain", {}],
            ["science", SCIENCE],
        ] as const) {
            cpu[name].push(await startupCpu(config));
            log(`start-up CPU per worker, ${name}: ${cpu[name].at(-1)!.toFixed(2)} s`);
        }
    }

    const results = {
        date: new Date().toISOString(),
        sizes: { plain: plain.sizes, science: added.sizes },
        baseBuildWithPackagesSeconds: added.seconds.base,
        noChangeRebuildSeconds: noChange,
        startupCpuSecondsPerWorker: cpu,
    };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
    const mb = (b: number) => (b / 1e6).toFixed(1);
    console.log(`
image sizes (MB)          base    frontend  worker
  no packages           ${mb(plain.sizes.base).padStart(7)} ${mb(plain.sizes.frontend).padStart(9)} ${mb(plain.sizes.worker).padStart(7)}
  numpy + scipy         ${mb(added.sizes.base).padStart(7)} ${mb(added.sizes.frontend).padStart(9)} ${mb(added.sizes.worker).padStart(7)}
base build when the packages are added: ${added.seconds.base.toFixed(1)} s
no-change rebuild of all three (s):     ${spread(noChange)}
start-up CPU per worker (s), median (range):
  no packages:    ${spread(cpu.plain)}
  numpy + scipy:  ${spread(cpu.science)}
written to ${file}`);
    await removeTestContainers();
}

main().catch(e => {
    console.error(e instanceof BenchSettingsError ? e.message : e);
    process.exit(e instanceof BenchSettingsError ? 2 : 1);
});
