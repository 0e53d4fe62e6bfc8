import * as assert from "assert";
import { ProgramRun, find } from "../../testbed/program";
import { TestCluster } from "../../testbed/cluster";
import { REGISTRY, docker, removeTestContainers } from "../../testbed/docker-cli";
import { cleanEngine, deploy } from "../../testbed/deploy";
import { ContainerRunner, RunningContainer } from "../../testbed/containers";
import { lockedVersion } from "../../testbed/lock";
import { PackageIndex, servePackageIndex } from "../../testbed/package-index";
import { CLIENT_FILE, CONTAINERS } from "../../lib/names";

const WORKERS = 2;
const RUN_LABEL = `packages-${process.pid}`;
const PACKAGES = { aptPackages: JSON.stringify(["python3-numpy"]), pipPackages: JSON.stringify(["ippdemo==0.1.0"]) };

/** Run by the controller's Python: versions on every engine, a 10 MB array there and back, a sum. */
const NUMPY_CHECK = `
import json, numpy, ippdemo, ipyparallel as ipp
c = ipp.Client("${CLIENT_FILE}", timeout=30)
dv = c[:]
versions = dv.apply_sync(lambda: (__import__("numpy").__version__, __import__("ippdemo").__version__))
arr = numpy.random.default_rng(7).random(10 * 2**20 // 8)
dv.push({"a": arr}, block=True)
identical = [p.tobytes() == arr.tobytes() for p in dv.pull("a", block=True)]
sums = dv.apply_sync(lambda a: float(a.sum()), arr)
print(json.dumps({"ids": c.ids, "versions": versions, "identical": identical, "sums": sums,
                  "local": float(arr.sum()), "nbytes": arr.nbytes, "here": [numpy.__version__, ippdemo.__version__]}))
`;

/** Run in the notebook container: the interpreter of the notebook's default kernel imports both. */
const KERNEL_CHECK = `
import json, subprocess
from jupyter_client.manager import KernelManager
argv = KernelManager(kernel_name="python3").format_kernel_cmd()  # what the notebook server starts
out = subprocess.run([argv[0], "-c", "import numpy, ippdemo; print(numpy.__version__, ippdemo.__version__)"], capture_output=True, text=True, check=True)
print(json.dumps({"kernel": argv[0], "versions": out.stdout.split()}))
`;

function lastJson(text: string): any {
    return JSON.parse(text.trim().split("\n").pop() || "null");
}

describe("your own software, built and run for real", function () {
    this.timeout(30 * 60_000);
    let index: PackageIndex;

    before(async () => {
        await cleanEngine();
        index = await servePackageIndex("ippdemo", ["0.1.0", "0.2.0"]);
    });

    after(async () => {
        await removeTestContainers();
        await index?.close();
    });

    describe(`aptPackages [python3-numpy] and pipPackages [ippdemo==0.1.0] from a local index, ${WORKERS} workers`, () => {
        let run: ProgramRun;
        let cluster: TestCluster;

        before(async () => {
            const deployment = await deploy({ registry: REGISTRY, workers: String(WORKERS), ...PACKAGES, pipIndexUrl: index.url });
            for (const b of deployment.builds) console.log(`      built ${b.name} in ${b.seconds.toFixed(1)} s`);
            run = deployment.run;
            cluster = deployment.cluster(RUN_LABEL);
            await cluster.up();
        });

        after(async () => {
            await cluster?.down();
        });

        it("took the pinned version from the index the stack names", () => {
            assert.ok((index.fetched.get("/files/ippdemo-0.1.0-py3-none-any.whl") ?? 0) >= 1, JSON.stringify([...index.fetched]));
            assert.ok(!index.fetched.has("/files/ippdemo-0.2.0-py3-none-any.whl"), "the newer version must not be installed");
        });

        it("every engine and the controller's Python import numpy and ippdemo, the same versions; a 10 MB array comes back byte-identical; sums agree", async () => {
            const out = await cluster.python("-", [], NUMPY_CHECK);
            assert.strictEqual(out.code, 0, out.stderr);
            const r = lastJson(out.stdout);
            assert.deepStrictEqual(
                r.ids,
                Array.from({ length: WORKERS }, (_, i) => i),
            );
            assert.strictEqual(r.here[1], "0.1.0");
            assert.deepStrictEqual(r.versions, Array(WORKERS).fill(r.here));
            assert.strictEqual(r.nbytes, 10 * 2 ** 20);
            assert.deepStrictEqual(r.identical, Array(WORKERS).fill(true));
            assert.deepStrictEqual(r.sums, Array(WORKERS).fill(r.local));
            console.log(`      numpy ${r.here[0]} and ippdemo ${r.here[1]} on ${WORKERS} engines; 10 MB round trip identical`);
        });

        it("the notebook's default kernel runs a Python that imports both", async () => {
            const notebook = cluster.frontend!.containers.find(c => c.name === CONTAINERS.notebook)!;
            const out = await docker(["exec", "-i", notebook.id, "python3", "-"], { input: KERNEL_CHECK, allowFailure: true });
            assert.strictEqual(out.code, 0, out.stderr);
            const r = lastJson(out.stdout);
            assert.strictEqual(r.versions[1], "0.1.0", JSON.stringify(r));
        });

        it("reports the environment as the image holds it: Python 3.13, the lock's ipyparallel, and each requested package's version", async () => {
            const env = run.outputs.environment;
            assert.match(env.python, /^3\.13\./);
            assert.strictEqual(env.ipyparallel, lockedVersion("ipyparallel"));
            assert.ok(env.pyzmq, "pyzmq's version");
            const numpy = lastJson((await cluster.python("-c", ["import json, numpy; print(json.dumps(numpy.__version__))"])).stdout);
            assert.ok(String(env.aptPackages["python3-numpy"]).includes(numpy), `Debian's version ${env.aptPackages["python3-numpy"]} is numpy ${numpy}`);
            assert.deepStrictEqual(env.pipPackages, { ippdemo: "0.1.0" });
        });
    });

    describe("the same settings on the docker target", () => {
        const started: RunningContainer[] = [];
        let runner: ContainerRunner;

        after(async () => {
            for (const c of started) await runner.remove(c);
        });

        it("runs the same images: every engine imports numpy and ippdemo", async () => {
            const { run } = await deploy(
                { target: "docker", push: "false", workers: String(WORKERS), ...PACKAGES, pipIndexUrl: index.url },
                { stack: "pkgtest" },
            );
            runner = new ContainerRunner(run, RUN_LABEL);
            const frontend = await runner.start(find(run, "Container", "ipp-cluster-frontend"));
            started.push(frontend);
            const workers = runner.containers.filter(c => c.name.startsWith("ipp-cluster-worker-"));
            started.push(...(await Promise.all(workers.map(w => runner.start(w)))));
            const out = await docker(["exec", "-i", frontend.id, "python3", "-"], { input: NUMPY_CHECK, allowFailure: true });
            assert.strictEqual(out.code, 0, out.stderr);
            const r = lastJson(out.stdout);
            assert.deepStrictEqual(r.identical, Array(WORKERS).fill(true));
            assert.deepStrictEqual(r.versions, Array(WORKERS).fill(r.here));
            assert.deepStrictEqual(run.outputs.environment.pipPackages, { ippdemo: "0.1.0" });
        });
    });

    describe("a base image of your own", () => {
        const byo = `${REGISTRY}/byo-base:trixie-ipyparallel`;
        const lacking = `${REGISTRY}/byo-base:trixie-zmq-only`;

        before(async () => {
            // Made another way than ours: Debian's ipyparallel, no jupyter user, no tini, root as the user;
            // and one with Python and pyzmq but no ipyparallel.
            const image = (tag: string, packages: string) =>
                docker(["build", "--network=host", "-t", tag, "-"], {
                    input: `FROM debian:trixie-slim\nRUN apt-get update && apt-get install --yes --no-install-recommends ${packages} && rm -rf /var/lib/apt/lists/*\n`,
                    timeoutMs: 10 * 60_000,
                });
            await image(byo, "python3-ipyparallel");
            await image(lacking, "python3-zmq");
            for (const tag of [byo, lacking]) await docker(["push", "--quiet", tag]);
        });

        it("is completed and passes the seed test", async () => {
            const deployment = await deploy({ registry: REGISTRY, workers: String(WORKERS), baseImage: byo });
            assert.strictEqual(find(deployment.run, "Image", "ipp-images-base").inputs.build.dockerfile, "images/base/custom.Dockerfile");
            const cluster = deployment.cluster(RUN_LABEL);
            try {
                await cluster.up();
                const check = await cluster.waitAnswering(WORKERS, 60);
                assert.ok(check.ok, check.error);
                const seed = await cluster.python("-c", [
                    "import ipyparallel as ipp; c = ipp.Client('" + CLIENT_FILE + "'); print(c[:].apply_sync(lambda: 'Hello, World'))",
                ]);
                assert.strictEqual(seed.stdout.trim(), `[${Array(WORKERS).fill("'Hello, World'").join(", ")}]`, seed.stderr);
            } finally {
                await cluster.down();
            }
        });

        it("is refused at build time, naming baseImage and all it lacks, without ipyparallel", async () => {
            await assert.rejects(deploy({ registry: REGISTRY, workers: "1", baseImage: lacking }), (e: Error) =>
                e.message.includes(
                    `ipp-cluster:baseImage ${lacking} cannot be used: it lacks ipyparallel 8.8 to 9.x (found none), the ipcontroller command on PATH, the ipengine command on PATH.`,
                ),
            );
        });

        it("is refused at build time, naming baseImage, without Python", async () => {
            await assert.rejects(
                deploy({ registry: REGISTRY, workers: "1", baseImage: "debian:trixie-slim" }),
                /ipp-cluster:baseImage debian:trixie-slim cannot be used: it has no python3 on PATH/,
            );
        });
    });

    it("a Debian package that does not exist fails the build with apt's own message", async () => {
        await assert.rejects(
            deploy({ registry: REGISTRY, workers: "1", aptPackages: JSON.stringify(["no-such-package-ipp"]) }),
            /Unable to locate package no-such-package-ipp/,
        );
    });
});
