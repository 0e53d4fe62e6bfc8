import * as assert from "assert";
import { execFile } from "child_process";
import { ProgramRun, find, ofType } from "../../testbed/program";
import { waitAnswering } from "../../testbed/cluster";
import { TEST_LABEL, docker, inspect, removeTestContainers, removeTestVolumes } from "../../testbed/docker-cli";
import { sleep } from "../../testbed/time";
import { cleanEngine, deploy } from "../../testbed/deploy";
import { ContainerRunner, RunningContainer } from "../../testbed/containers";
import { SAMPLE_NOTEBOOK, httpRequest, httpStatus, laptopGreetings, readNotebook, saveNotebook } from "../../testbed/access";
import { CLIENT_FILE } from "../../lib/names";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const WORKERS = 4;

function shell(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise(resolve =>
        execFile("bash", ["-c", command], (err, stdout, stderr) => resolve({ code: err ? Number((err as any).code ?? 1) : 0, stdout, stderr })),
    );
}

describe("the docker target on a real Docker engine", function () {
    this.timeout(20 * 60_000);
    let run: ProgramRun;
    let runner: ContainerRunner;
    let started: RunningContainer[] = [];
    /** The shared data volume: a folder of this machine that uid 1000 may write, read-only for the engines. */
    const sharedDir = fs.mkdtempSync(path.join(os.tmpdir(), "ipp-shared-"));

    before(async () => {
        await cleanEngine();
        await removeTestVolumes();
        fs.chownSync(sharedDir, 1000, 1000);
        const sharedVolume = JSON.stringify({ hostPath: sharedDir, readOnly: true });
        ({ run } = await deploy({ target: "docker", push: "false", workers: String(WORKERS), sharedVolume }, { stack: "itest" }));
        runner = new ContainerRunner(run, `docker-target-${process.pid}`);
    });

    afterEach(async function () {
        if (this.currentTest?.state === "failed") {
            for (const c of started) console.log(`--- ${c.name}\n${(await docker(["logs", "--tail", "30", c.id], { allowFailure: true })).stdout}`);
        }
        for (const c of started) await runner.remove(c);
        started = [];
    });

    after(async () => {
        await removeTestContainers();
        await removeTestVolumes();
        fs.rmSync(sharedDir, { recursive: true, force: true });
    });

    /** As `pulumi up` would: the volumes, the frontend healthy, then the workers, side by side, each healthy. */
    async function up(): Promise<RunningContainer> {
        await runner.createVolumes();
        const frontend = await runner.start(find(run, "Container", "ipp-cluster-frontend"));
        started.push(frontend);
        const others = runner.containers.filter(c => c.name !== "ipp-cluster-frontend");
        started.push(...(await Promise.all(others.map(w => runner.start(w)))));
        return frontend;
    }

    it("declares its own network for a laptop, which the test replaces by the host network", () => {
        const network = find(run, "Network", "ipp-cluster-network").inputs.name;
        for (const c of ofType(run, "Container"))
            assert.deepStrictEqual(
                c.inputs.networksAdvanced.map((n: any) => n.name),
                [network],
            );
    });

    it(`passes the seed's test, run with the stack's own seedTest command, with ${WORKERS} workers`, async () => {
        await up();
        const out = await shell(run.outputs.seedTest);
        assert.strictEqual(out.code, 0, out.stderr);
        const [ids, greetings] = out.stdout.trim().split("\n");
        assert.deepStrictEqual(JSON.parse(ids), [0, 1, 2, 3]);
        assert.strictEqual(greetings, `[${Array(WORKERS).fill("'Hello, World'").join(", ")}]`);
    });

    it(`passes the seed check of scripts/e2e.sh (what CI runs on kind) with ${WORKERS} engines, and fails it expecting ${WORKERS + 1}`, async () => {
        await up();
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "ipp-e2e-seed-"));
        try {
            // A stand-in pulumi that answers `pulumi stack output seedTest ...` with this stack's seedTest.
            fs.writeFileSync(path.join(bin, "seedTest"), run.outputs.seedTest);
            fs.writeFileSync(
                path.join(bin, "pulumi"),
                `#!/usr/bin/env bash\nif [[ "$1 $2 $3" == "stack output seedTest" ]]; then cat '${path.join(bin, "seedTest")}'; echo; else exit 9; fi\n`,
                { mode: 0o755 },
            );
            const script = path.join(__dirname, "..", "..", "scripts", "e2e.sh");
            const seed = (n: number) => shell(`PATH='${bin}':"$PATH" bash '${script}' seed ${n}`);
            const ok = await seed(WORKERS);
            assert.strictEqual(ok.code, 0, ok.stdout + ok.stderr);
            assert.ok(ok.stdout.includes(`seed: ok, ${WORKERS} engines answered.`), ok.stdout);
            const wrong = await seed(WORKERS + 1);
            assert.notStrictEqual(wrong.code, 0, wrong.stdout);
            assert.ok(wrong.stderr.includes(`seed: expected (${WORKERS + 1} engines)`), wrong.stderr);
        } finally {
            fs.rmSync(bin, { recursive: true, force: true });
        }
    });

    it("runs the watcher: its metrics on this machine's loopback (metricsUrl), status() in the notebook's container; scale() says it needs Kubernetes", async () => {
        await up();
        const url = run.outputs.metricsUrl;
        let metrics = "";
        for (let i = 0; i < 30 && !/^ipp_engines_registered\{[^}]*\} 4$/m.test(metrics); i++) {
            metrics = (await httpRequest("GET", url, {}).catch(() => ({ status: 0, body: "" }))).body;
            await sleep(1000);
        }
        assert.match(metrics, /^ipp_engines_registered\{cluster="itest",group="default"\} 4$/m);
        const notebook = started.find(c => c.declared.name === "ipp-cluster-notebook")!;
        const code = "import json, ipp_cluster; print(json.dumps(sorted(e['pod'] for e in ipp_cluster.status()['engines'])))";
        const out = await docker(["exec", notebook.id, "python3", "-c", code], { allowFailure: true });
        assert.strictEqual(out.code, 0, out.stderr);
        const workers = ofType(run, "Container")
            .map(c => c.inputs.name)
            .filter((n: string) => n.includes("-worker-"))
            .sort();
        assert.deepStrictEqual(JSON.parse(out.stdout), workers);
        const scale = await docker(["exec", notebook.id, "python3", "-c", "import ipp_cluster; ipp_cluster.scale(2)"], { allowFailure: true });
        assert.notStrictEqual(scale.code, 0);
        assert.match(scale.stderr, /WatcherError: .*scaler runs on the Kubernetes target.*change `workers` in the stack's config and run `pulumi up`/);
    });

    it("shows the key nowhere docker inspect looks, and keeps its file readable by uid 1000 alone", async () => {
        const frontend = await up();
        const key = find(run, "Container", "ipp-cluster-frontend").inputs.uploads.find((u: any) => u.file.endsWith("session-key")).content;
        for (const c of started) {
            const inspected = (await docker(["inspect", c.id])).stdout;
            assert.ok(!inspected.includes(key), `docker inspect ${c.name} shows the key`);
            const stat = (await docker(["exec", c.id, "stat", "-c", "%u %g %a", "/etc/ipp/secret/session-key"])).stdout.trim();
            assert.strictEqual(stat, "1000 1000 400", c.name);
        }
        const logs = await docker(["logs", frontend.id]);
        assert.ok(!(logs.stdout + logs.stderr).includes(key), "the frontend's log shows the key");
    });

    it("serves the notebook on loopback behind its token, and the laptop's client file works against the published ports", async () => {
        await up();
        const url = new URL(run.outputs.notebookUrl);
        const token = url.searchParams.get("token")!;
        assert.strictEqual(await httpStatus(`http://127.0.0.1:${url.port}/api/status`, { Authorization: `token ${token}` }), 200);
        assert.ok([401, 403].includes(await httpStatus(`http://127.0.0.1:${url.port}/api/status`, {})));
        const file = JSON.parse(run.outputs.laptopClientFile);
        const published = find(run, "Container", "ipp-cluster-frontend").inputs.ports.map((p: any) => p.external);
        assert.deepStrictEqual(published, [file.registration, file.control, file.mux, file.task, file.iopub, file.notification, file.broadcast]);
        const notebook = started.find(c => c.declared.name === "ipp-cluster-notebook")!;
        const out = await docker([
            "exec",
            notebook.id,
            "python3",
            "-c",
            'import ipyparallel as ipp; c = ipp.Client("' + CLIENT_FILE + '"); print(len(c[:].apply_sync(lambda: "Hello, World")))',
        ]);
        assert.strictEqual(out.stdout.trim(), String(WORKERS));
        const image = find(run, "Image", "ipp-images-base").inputs.imageName;
        assert.strictEqual(
            await laptopGreetings(image, run.outputs.laptopClientFile, "docker-target"),
            `[${Array(WORKERS).fill("'Hello, World'").join(", ")}]`,
        );
    });

    it("restarts a failed controller by itself; every engine answers again within 30 s", async () => {
        const frontend = await up();
        const before = Number(await inspect(frontend.id, "{{.RestartCount}}"));
        const t0 = Date.now();
        // Kill the controller process (not the container): its exit ends the container, and the
        // restart policy must bring it back.
        await docker(
            [
                "exec",
                frontend.id,
                "python3",
                "-c",
                "import os, signal\nfor p in os.listdir('/proc'):\n  if p.isdigit():\n    try: cmd = open(f'/proc/{p}/cmdline').read()\n    except OSError: continue\n    if 'ipcontroller' in cmd and 'python3' in cmd and int(p) != 1: os.kill(int(p), signal.SIGKILL)",
            ],
            { allowFailure: true },
        );
        for (let i = 0; i < 120 && Number(await inspect(frontend.id, "{{.RestartCount}}")) === before; i++) await sleep(250);
        assert.ok(Number(await inspect(frontend.id, "{{.RestartCount}}")) > before, "the container was not restarted");
        await runner.waitHealthy(frontend, 60_000);
        const result = await waitAnswering(frontend.id, WORKERS, 60);
        const seconds = (Date.now() - t0) / 1000;
        console.log(`      docker target, controller killed: all engines answer after ${seconds.toFixed(1)} s (limit 30 s)`);
        assert.ok(result.ok, result.error);
        assert.ok(seconds <= 30);
    });

    it("keeps the notebook's home in its Docker volume when the container is replaced, with no key on it; the engines read the shared folder, read-only", async () => {
        await up();
        const notebookUrl = new URL(run.outputs.notebookUrl);
        const server = `http://127.0.0.1:${notebookUrl.port}`;
        const auth = { Authorization: `token ${notebookUrl.searchParams.get("token")}` };
        await saveNotebook(server, auth, "lost-nothing.ipynb");

        const notebook = started.find(c => c.declared.name === "ipp-cluster-notebook")!;
        await docker(["exec", notebook.id, "python3", "-c", 'open("/home/jupyter/shared/data.txt", "w").write("from the notebook")']);
        for (const w of started.filter(c => c.declared.name.startsWith("ipp-cluster-worker-"))) {
            assert.strictEqual((await docker(["exec", w.id, "cat", "/home/jupyter/shared/data.txt"])).stdout, "from the notebook", w.name);
            const write = await docker(["exec", w.id, "touch", "/home/jupyter/shared/from-engine"], { allowFailure: true });
            assert.ok(write.code !== 0 && write.stderr.includes("Read-only file system"), `${w.name} could write: ${write.stderr}`);
        }

        // As a replacement by `pulumi up` would: the container goes, a new one from the same declaration comes.
        await runner.remove(notebook);
        started = started.filter(c => c !== notebook);
        started.push(await runner.start(notebook.declared));
        assert.deepStrictEqual(await readNotebook(server, auth, "lost-nothing.ipynb"), SAMPLE_NOTEBOOK);

        const key = find(run, "Container", "ipp-cluster-frontend").inputs.uploads.find((u: any) => u.file.endsWith("session-key")).content;
        const scan =
            "import json, os, sys; found = []\n" +
            "for d, _, fs in os.walk('/v'):\n" +
            "    for f in fs:\n" +
            "        p = os.path.join(d, f); text = open(p, 'rb').read()\n" +
            "        found.append([os.path.relpath(p, '/v'), any(s.encode() in text for s in sys.argv[1:])])\n" +
            "print(json.dumps(found))";
        const volume = find(run, "Volume", "ipp-cluster-notebook-home").inputs.name;
        const out = await docker([
            "run",
            "--rm",
            "--network=host",
            "--label",
            `${TEST_LABEL}=docker-target`,
            "-v",
            `${volume}:/v:ro`,
            "--entrypoint",
            "python3",
            notebook.declared.inputs.image,
            "-c",
            scan,
            key,
            auth.Authorization.slice("token ".length),
        ]);
        const files: [string, boolean][] = JSON.parse(out.stdout);
        assert.ok(
            files.some(([f]) => f === "lost-nothing.ipynb"),
            `the volume holds ${files.map(([f]) => f).join(", ")}`,
        );
        for (const [f, keyed] of files) {
            assert.ok(!keyed, `${f} holds the key or the token`);
            assert.doesNotMatch(path.basename(f), /^(ipcontroller-.*\.json|kernel-.*\.json|nbserver-.*\.json)$/, `${f} is a keyed file`);
        }
    });
});
