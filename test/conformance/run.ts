/**
 * `npm run test:conformance`: ipyparallel's own test suite (shipped with ipyparallel in the images),
 * run twice in a container of the worker image with pytest added: against ipyparallel's own processes
 * (the suite starts its controller and engines itself: "stock"), and against this cluster (the
 * controller of a frontend Pod the test kubelet runs, engines started by ipp-worker as pods start
 * them: "ours", see ipp_conformance.py), the client in the frontend Pod's place (its hostname, its
 * client file). The suite starts a new controller for each test module; so do we, by restarting the
 * frontend Pod's containers before each. Prints each run's counts and every test whose outcome
 * differs, and writes them to bench/out/conformance-<stack>.json (the reports in bench/out/conformance-<stack>/).
 * Needs a Docker engine and a registry, as
 * the integration test does; about 15 minutes.
 *
 *   IPP_CONFORMANCE_CONFIG   stack settings as a JSON object of strings (default {})
 *   IPP_CONFORMANCE_PYTEST   extra pytest arguments, space-separated (e.g. "-k magics")
 *   IPP_CONFORMANCE_RUNS     which runs: "stock,ours" (default), or "ours" alone, compared with the last
 *                            stock run's report (bench/out/conformance-<stack>/stock.xml)
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REGISTRY, docker, removeTestContainers } from "../../testbed/docker-cli";
import { cleanEngine, deploy } from "../../testbed/deploy";
import { TestCluster } from "../../testbed/cluster";
import { frontendConnectionFiles, toJson, workerConnectionFile } from "../../lib/connection";
import { FILES, clusterNames } from "../../lib/names";
import { POD_NAME_VARIABLE, engineCommand, workerEnv } from "../../lib/runtime";
import { hubSettings } from "../../lib/hub-settings";
import { watcherUrl } from "../../lib/monitoring";

const LABEL = "conformance";
const OUT = path.resolve(__dirname, "../../bench/out");
/** The stack the run is of (IPP_CONFORMANCE_CONFIG's pythonStack): its reports and results are its own. */
const STACK: string = JSON.parse(process.env.IPP_CONFORMANCE_CONFIG ?? "{}").pythonStack ?? "pypi";
const REPORTS = path.join(OUT, `conformance-${STACK}`);
/** What the suite needs besides ipyparallel and IPython (ipyparallel's `test` extra): Debian's for the debian stack, PyPI's for the pypi stack. */
const PYTEST_DEBIAN = ["python3-pytest", "python3-pytest-asyncio", "python3-testpath"];
const PYTEST_PYPI = ["pytest==9.2.0", "pytest-asyncio==1.5.0", "testpath==0.6.0"];
/** Where the plugin and the files it reads are, in the test container. */
const INSIDE = "/conformance";

type Outcome = "passed" | "failed" | "error" | "skipped";

function log(message: string) {
    console.log(`[conformance] ${message}`);
}

/**
 * Each test case of a JUnit XML report, `module.Class::name` or `module::name`, with its outcome. A run
 * of one module (`module` given) names its classes `.Class` and its functions' class "".
 */
export function junitOutcomes(xml: string, module = ""): Map<string, Outcome> {
    const outcomes = new Map<string, Outcome>();
    const cases = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
    for (const m of xml.matchAll(cases)) {
        const attr = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(m[1])?.[1] ?? "";
        const body = m[3] ?? "";
        const outcome: Outcome = /<failure\b/.test(body) ? "failed" : /<error\b/.test(body) ? "error" : /<skipped\b/.test(body) ? "skipped" : "passed";
        const classname = attr("classname");
        const where = !module ? classname : classname.startsWith(".") ? `${module}${classname}` : classname || module;
        outcomes.set(`${where}::${attr("name")}`, outcome);
    }
    return outcomes;
}

function counts(outcomes: Map<string, Outcome>): Record<Outcome, number> {
    const c: Record<Outcome, number> = { passed: 0, failed: 0, error: 0, skipped: 0 };
    for (const o of outcomes.values()) c[o]++;
    return c;
}

/** The worker image of `stack` with pytest added, tagged after it. */
async function testImage(workerImage: string, stack: string): Promise<string> {
    const tag = `ipp-conformance:${workerImage.replace(/[^A-Za-z0-9_.-]/g, "-").slice(-100)}`;
    const install =
        stack === "debian"
            ? `apt-get update && apt-get install --yes --no-install-recommends ${PYTEST_DEBIAN.join(" ")} && rm -rf /var/lib/apt/lists/*`
            : `PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore python3 -m pip install --no-cache-dir ${PYTEST_PYPI.join(" ")}`;
    const dockerfile = [`FROM ${workerImage}`, "USER root", `RUN ${install}`, "USER 1000"].join("\n");
    await docker(["build", "--network=host", "-t", tag, "-"], { input: dockerfile, timeoutMs: 15 * 60_000 });
    return tag;
}

/** Runs pytest on `target` (a package or module) in a container of `image`, writing `<report>.xml` into `dir`; returns its outcomes. */
async function pytest(
    image: string,
    target: string,
    dir: string,
    report: string,
    docker_: string[],
    plugin: string[],
    module = "",
): Promise<Map<string, Outcome>> {
    const extra = (process.env.IPP_CONFORMANCE_PYTEST ?? "").split(" ").filter(Boolean);
    const args = ["-m", "pytest", "--pyargs", target, "-o", "asyncio_mode=auto", "-p", "no:cacheprovider", "-q", `--junitxml=${INSIDE}/${report}.xml`];
    const run = await docker(
        [
            ...["run", "--rm", "--network=host", "--label", `ipp-cluster.test=${LABEL}`, "-v", `${dir}:${INSIDE}`, "--env", `PYTHONPATH=${INSIDE}`],
            ...docker_,
            ...["--entrypoint", "python3", image, ...args, ...plugin, ...extra],
        ],
        { allowFailure: true, timeoutMs: 60 * 60_000 },
    );
    const file = path.join(dir, `${report}.xml`);
    if (!fs.existsSync(file)) throw new Error(`${report}: no report\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`);
    log(`${report}: ${run.stdout.trim().split("\n").pop()}`);
    keep(dir, report);
    return junitOutcomes(fs.readFileSync(file, "utf8"), module);
}

/** Keeps a run's report in bench/out/conformance/ (the stock one for a later run of ours alone). */
function keep(dir: string, report: string) {
    fs.mkdirSync(REPORTS, { recursive: true });
    fs.copyFileSync(path.join(dir, `${report}.xml`), path.join(REPORTS, `${report}.xml`));
}

/** The suite against ipyparallel's own processes, in one run as the suite is made to run. */
async function stock(image: string, dir: string): Promise<Map<string, Outcome>> {
    return pytest(image, "ipyparallel.tests", dir, "stock", [], []);
}

/**
 * The suite against this cluster: one run per test module, each after a controller restart, in the
 * frontend Pod's place, with the files a frontend's client and a worker have (keyless, and the key).
 */
async function ours(image: string, dir: string, cluster: TestCluster, modules: string[], key: string): Promise<Map<string, Outcome>> {
    const frontend = cluster.frontend!;
    const names = clusterNames(frontend.name.replace(/-frontend$/, ""));
    const write = (file: string, content: string) => {
        fs.writeFileSync(path.join(dir, file), content, { mode: 0o600 });
        fs.chownSync(path.join(dir, file), 1000, 1000);
    };
    write("client.json", toJson(frontendConnectionFiles(names.frontend).client));
    write("engine.json", toJson(workerConnectionFile(names.controller)));
    write("key", key);
    const engine = engineCommand().map(a =>
        a.startsWith("--file=") ? `--file=${INSIDE}/engine.json` : a.startsWith("--keyfile=") ? `--keyfile=${INSIDE}/key` : a,
    );
    const env = {
        // Reporting to the frontend Pod's watcher, as a worker pod does: the engines' output goes through the worker.
        ...Object.fromEntries(workerEnv("default", 1, watcherUrl(names.controller), hubSettings(1)).map(v => [v.name, v.value])),
        [POD_NAME_VARIABLE]: "conformance-worker",
        IPP_ENGINE_FILE: `${INSIDE}/engine.json`,
        IPP_KEY_FILE: `${INSIDE}/key`,
    };
    const placed = [
        ...["--hostname", names.frontend, "--add-host", `${names.frontend}:127.0.0.1`, "--add-host", `${names.controller}:127.0.0.1`],
        ...["--env", `IPP_CONFORMANCE_DIR=${INSIDE}`, "--env", `IPP_CONFORMANCE_ENGINE=${JSON.stringify(engine)}`],
        ...["--env", `IPP_CONFORMANCE_WORKER_ENV=${JSON.stringify(env)}`],
    ];
    const outcomes = new Map<string, Outcome>();
    for (const module of modules) {
        await cluster.kubelet.restartContainers(frontend);
        await cluster.kubelet.waitReady(frontend, 120_000);
        const report = `ours-${module}`;
        for (const [test, outcome] of await pytest(image, `ipyparallel.tests.${module}`, dir, report, placed, ["-p", "ipp_conformance"], module)) {
            outcomes.set(test, outcome);
        }
    }
    return outcomes;
}

async function main() {
    const config = JSON.parse(process.env.IPP_CONFORMANCE_CONFIG ?? "{}");
    const runs = (process.env.IPP_CONFORMANCE_RUNS ?? "stock,ours").split(",");
    await cleanEngine();
    const deployment = await deploy({ registry: REGISTRY, ...config, workers: "0", notebook: "false" });
    const workerImage = deployment.objects.deployments[0].inputs.spec.template.spec.containers[0].image;
    const image = await testImage(workerImage, STACK);
    log(`test image ${image}`);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ipp-conformance-"));
    fs.copyFileSync(path.join(__dirname, "ipp_conformance.py"), path.join(dir, "ipp_conformance.py"));
    fs.chownSync(dir, 1000, 1000);
    const cluster = deployment.cluster(LABEL);
    try {
        const started = Date.now();
        const stockOutcomes = runs.includes("stock") ? await stock(image, dir) : junitOutcomes(fs.readFileSync(path.join(REPORTS, "stock.xml"), "utf8"));
        log(`stock took ${((Date.now() - started) / 1000).toFixed(0)} s`);
        const modules = [...new Set([...stockOutcomes.keys()].map(t => t.split(/[.:]/)[0]))].sort();

        const oursStarted = Date.now();
        await cluster.kubelet.waitReady(await cluster.startFrontend(), 120_000);
        const key: string = deployment.run.resources.find(r => r.name === "ipp-cluster-session-key")!.inputs.stringData[FILES.sessionKey];
        const oursOutcomes = await ours(image, dir, cluster, modules, key);
        log(`ours took ${((Date.now() - oursStarted) / 1000).toFixed(0)} s`);

        const differ = [...new Set([...stockOutcomes.keys(), ...oursOutcomes.keys()])].filter(t => stockOutcomes.get(t) !== oursOutcomes.get(t)).sort();
        log(`stock: ${JSON.stringify(counts(stockOutcomes))}`);
        log(`ours:  ${JSON.stringify(counts(oursOutcomes))}`);
        for (const t of differ) log(`differs: ${t}: stock ${stockOutcomes.get(t) ?? "absent"}, ours ${oursOutcomes.get(t) ?? "absent"}`);
        fs.mkdirSync(OUT, { recursive: true });
        const result = {
            date: new Date().toISOString(),
            image: workerImage,
            stock: counts(stockOutcomes),
            ours: counts(oursOutcomes),
            differ: differ.map(t => ({ test: t, stock: stockOutcomes.get(t) ?? "absent", ours: oursOutcomes.get(t) ?? "absent" })),
        };
        fs.writeFileSync(path.join(OUT, `conformance-${STACK}.json`), JSON.stringify(result, null, 2) + "\n");
        log(`wrote ${path.join(OUT, `conformance-${STACK}.json`)}`);
    } finally {
        await cluster.down();
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
