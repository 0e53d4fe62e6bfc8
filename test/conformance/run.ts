/**
 * `npm run test:conformance`: ipyparallel's own test suite (shipped with ipyparallel in the images),
 * run twice in a container of the worker image with pytest added: against ipyparallel's own processes
 * (the suite starts its controller and engines itself: "stock"), and against this cluster (the
 * controller of a frontend Pod the test kubelet runs, engines started by ipp-worker as pods start
 * them: "ours", see ipp_conformance.py). Prints each run's counts and every test whose outcome
 * differs, and writes them to bench/out/conformance.json. Needs a Docker engine and a registry, as
 * the integration test does; about 20 minutes.
 *
 *   IPP_CONFORMANCE_CONFIG   stack settings as a JSON object of strings (default {})
 *   IPP_CONFORMANCE_PYTEST   extra pytest arguments, space-separated (e.g. "-k magics")
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REGISTRY, docker, removeTestContainers } from "../../testbed/docker-cli";
import { cleanEngine, deploy } from "../../testbed/deploy";
import { engineConnectionFile, toJson } from "../../lib/connection";
import { FILES } from "../../lib/names";
import { engineCommand, workerEnv } from "../../lib/runtime";

const LABEL = "conformance";
const OUT = path.resolve(__dirname, "../../bench/out");
/** What the suite needs besides ipyparallel and IPython (ipyparallel's `test` extra, from Debian). */
const PYTEST_PACKAGES = ["python3-pytest", "python3-pytest-asyncio", "python3-testpath"];

type Outcome = "passed" | "failed" | "error" | "skipped";

function log(message: string) {
    console.log(`[conformance] ${message}`);
}

/** Each test case of a JUnit XML report, `module::Class::name`, with its outcome. */
export function junitOutcomes(xml: string): Map<string, Outcome> {
    const outcomes = new Map<string, Outcome>();
    const cases = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
    for (const m of xml.matchAll(cases)) {
        const attr = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(m[1])?.[1] ?? "";
        const body = m[3] ?? "";
        const outcome: Outcome = /<failure\b/.test(body) ? "failed" : /<error\b/.test(body) ? "error" : /<skipped\b/.test(body) ? "skipped" : "passed";
        outcomes.set(`${attr("classname")}::${attr("name")}`, outcome);
    }
    return outcomes;
}

function counts(outcomes: Map<string, Outcome>): Record<Outcome, number> {
    const c: Record<Outcome, number> = { passed: 0, failed: 0, error: 0, skipped: 0 };
    for (const o of outcomes.values()) c[o]++;
    return c;
}

/** The worker image with pytest added, tagged after it. */
async function testImage(workerImage: string): Promise<string> {
    const tag = `ipp-conformance:${workerImage.replace(/[^A-Za-z0-9_.-]/g, "-").slice(-100)}`;
    const dockerfile = [
        `FROM ${workerImage}`,
        "USER root",
        `RUN apt-get update && apt-get install --yes --no-install-recommends ${PYTEST_PACKAGES.join(" ")} && rm -rf /var/lib/apt/lists/*`,
        "USER 1000",
    ].join("\n");
    await docker(["build", "--network=host", "-t", tag, "-"], { input: dockerfile, timeoutMs: 15 * 60_000 });
    return tag;
}

/** Runs the suite in a container of `image`; returns its outcomes. */
async function suite(image: string, name: string, dir: string, extra: string[]): Promise<Map<string, Outcome>> {
    const pytest = extra.concat((process.env.IPP_CONFORMANCE_PYTEST ?? "").split(" ").filter(Boolean));
    const started = Date.now();
    const run = await docker(
        [
            "run",
            "--rm",
            "--network=host",
            "--label",
            `ipp-cluster.test=${LABEL}`,
            "-v",
            `${dir}:/conformance`,
            "--env",
            "PYTHONPATH=/conformance",
            ...Object.entries(suiteEnv()).flatMap(([k, v]) => ["--env", `${k}=${v}`]),
            "--entrypoint",
            "python3",
            image,
            "-m",
            "pytest",
            "--pyargs",
            "ipyparallel.tests",
            "-o",
            "asyncio_mode=auto",
            "-p",
            "no:cacheprovider",
            "-q",
            `--junitxml=/conformance/${name}.xml`,
            ...pytest,
        ],
        { allowFailure: true, timeoutMs: 60 * 60_000 },
    );
    log(`${name}: pytest exited with ${run.code} after ${((Date.now() - started) / 1000).toFixed(0)} s; ${run.stdout.trim().split("\n").pop()}`);
    const report = path.join(dir, `${name}.xml`);
    if (!fs.existsSync(report)) throw new Error(`${name}: no report\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`);
    return junitOutcomes(fs.readFileSync(report, "utf8"));
}

/** What the plugin reads: the program's engine command and worker environment, with the paths of the files here. */
function suiteEnv(): Record<string, string> {
    const inside = (file: string) => `/conformance/${file}`;
    const engine = engineCommand().map(a =>
        a.startsWith("--file=") ? `--file=${inside("engine.json")}` : a.startsWith("--keyfile=") ? `--keyfile=${inside("key")}` : a,
    );
    const env = Object.fromEntries(workerEnv("default", 1).map(v => [v.name, v.value]));
    env.IPP_ENGINE_FILE = inside("engine.json");
    env.IPP_KEY_FILE = inside("key");
    return { IPP_CONFORMANCE_DIR: "/conformance", IPP_CONFORMANCE_ENGINE: JSON.stringify(engine), IPP_CONFORMANCE_WORKER_ENV: JSON.stringify(env) };
}

async function main() {
    const config = JSON.parse(process.env.IPP_CONFORMANCE_CONFIG ?? "{}");
    await cleanEngine();
    const deployment = await deploy({ registry: REGISTRY, ...config, workers: "0", notebook: "false" });
    const workerImage = deployment.objects.deployments[0].inputs.spec.template.spec.containers[0].image;
    const image = await testImage(workerImage);
    log(`test image ${image}`);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ipp-conformance-"));
    fs.chownSync(dir, 1000, 1000);
    try {
        const stock = await suite(image, "stock", dir, []);

        const cluster = deployment.cluster(LABEL);
        try {
            await cluster.kubelet.waitReady(await cluster.startFrontend(), 120_000);
            const key: string = deployment.run.resources.find(r => r.name === "cluster-session-key")!.inputs.stringData[FILES.sessionKey];
            const client = JSON.parse(deployment.run.outputs.laptopClientFile);
            delete client.key;
            const write = (file: string, content: string) => fs.writeFileSync(path.join(dir, file), content, { mode: 0o600 });
            write("client.json", toJson(client));
            write("engine.json", toJson(engineConnectionFile({ interface: "tcp://127.0.0.1", location: "127.0.0.1" })));
            write("key", key);
            for (const f of ["client.json", "engine.json", "key"]) fs.chownSync(path.join(dir, f), 1000, 1000);
            const ours = await suite(image, "ours", dir, ["-p", "ipp_conformance"]);

            const differ = [...new Set([...stock.keys(), ...ours.keys()])].filter(t => stock.get(t) !== ours.get(t)).sort();
            log(`stock: ${JSON.stringify(counts(stock))}`);
            log(`ours:  ${JSON.stringify(counts(ours))}`);
            for (const t of differ) log(`differs: ${t}: stock ${stock.get(t) ?? "absent"}, ours ${ours.get(t) ?? "absent"}`);
            fs.mkdirSync(OUT, { recursive: true });
            const result = {
                date: new Date().toISOString(),
                image: workerImage,
                stock: counts(stock),
                ours: counts(ours),
                differ: differ.map(t => ({ test: t, stock: stock.get(t) ?? "absent", ours: ours.get(t) ?? "absent" })),
            };
            fs.writeFileSync(path.join(OUT, "conformance.json"), JSON.stringify(result, null, 2) + "\n");
            log(`wrote ${path.join(OUT, "conformance.json")}`);
        } finally {
            await cluster.down();
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        await removeTestContainers();
    }
}

if (require.main === module) {
    main().catch(e => {
        console.error(e);
        process.exit(1);
    });
}
