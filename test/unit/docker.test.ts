import * as assert from "assert";
import { Declared, ProgramRun, find, isSecretInput, ofType, runProgram, withSecretsHidden } from "../../testbed/program";
import { parseConfig } from "../../lib/config";

const LOCAL = { target: "docker", push: "false", workers: "3" };

function plainText(r: Declared): string {
    return withSecretsHidden(r);
}

describe("the program on a Docker engine (target: docker)", () => {
    let run: ProgramRun;
    let key: string;
    before(async () => {
        run = await runProgram(LOCAL, { stack: "local" });
        const upload = find(run, "Container", "ipp-cluster-frontend").inputs.uploads.find((u: any) => u.file === "/etc/ipp/secret/session-key");
        key = upload.content;
    });

    it("declares the images, a network and one container per worker, and nothing of Kubernetes", () => {
        assert.deepStrictEqual(run.resources.map(r => `${r.type} ${r.name}`).sort(), [
            "command:local:Command ipp-images-environment",
            "docker:index/container:Container ipp-cluster-frontend",
            "docker:index/container:Container ipp-cluster-notebook",
            "docker:index/container:Container ipp-cluster-watcher",
            "docker:index/container:Container ipp-cluster-worker-1",
            "docker:index/container:Container ipp-cluster-worker-2",
            "docker:index/container:Container ipp-cluster-worker-3",
            "docker:index/image:Image ipp-images-base",
            "docker:index/image:Image ipp-images-frontend",
            "docker:index/image:Image ipp-images-worker",
            "docker:index/network:Network ipp-cluster-network",
            "docker:index/volume:Volume ipp-cluster-notebook-home",
            "ipp-cluster:index:Cluster ipp",
            "ipp-cluster:index:DockerCluster ipp-cluster",
            "ipp-cluster:index:Images ipp-images",
            "random:index/randomBytes:RandomBytes ipp-session-key",
            "random:index/randomPassword:RandomPassword ipp-notebook-token",
        ]);
    });

    it("names the containers after the stack and gives them the names the connection files use", () => {
        const frontend = find(run, "Container", "ipp-cluster-frontend").inputs;
        assert.strictEqual(frontend.name, "ipp-local-frontend");
        assert.strictEqual(frontend.hostname, "ipp-local-frontend");
        assert.deepStrictEqual(frontend.networksAdvanced, [{ name: "ipp-local", aliases: ["ipp-local-frontend", "ipp-local-controller"] }]);
        for (let i = 1; i <= 3; i++) {
            const w = find(run, "Container", `ipp-cluster-worker-${i}`).inputs;
            assert.strictEqual(w.name, `ipp-local-worker-${i}`);
            assert.strictEqual(w.hostname, `ipp-local-worker-${i}`);
            assert.deepStrictEqual(w.networksAdvanced, [{ name: "ipp-local", aliases: [`ipp-local-worker-${i}`] }]);
        }
        assert.strictEqual(find(run, "Network", "ipp-cluster-network").inputs.name, "ipp-local");
    });

    it("starts the workers after the controller, which needs the network", () => {
        const frontend = find(run, "Container", "ipp-cluster-frontend");
        assert.ok(frontend.dependencies.includes(find(run, "Network", "ipp-cluster-network").urn));
        for (const w of ofType(run, "Container").filter(c => c.name !== "ipp-cluster-frontend")) {
            assert.ok(w.dependencies.includes(frontend.urn), w.name);
        }
    });

    it("uploads the keyless connection files and the key, the key as a secret readable by uid 1000 alone", () => {
        for (const c of ofType(run, "Container")) {
            const uploads = Object.fromEntries(c.inputs.uploads.map((u: any) => [u.file, u]));
            const engine = JSON.parse(uploads["/etc/ipp/connection/ipcontroller-engine.json"].content);
            assert.ok(!("key" in engine));
            const keyUpload = uploads["/etc/ipp/secret/session-key"];
            assert.deepStrictEqual([keyUpload.owner, keyUpload.group, keyUpload.permissions], ["1000", "1000", "0400"]);
            const index = c.inputs.uploads.indexOf(c.inputs.uploads.find((u: any) => u.file === "/etc/ipp/secret/session-key"));
            assert.ok(isSecretInput(c, ["uploads", String(index), "content"]), `${c.name}: the key must be sent as a secret`);
            if (c.name === "ipp-cluster-frontend" || c.name === "ipp-cluster-notebook" || c.name === "ipp-cluster-watcher") {
                const client = JSON.parse(uploads["/etc/ipp/connection/ipcontroller-client.json"].content);
                assert.deepStrictEqual([engine.interface, client.interface, client.location], ["tcp://*", "tcp://*", "ipp-local-frontend"]);
            } else {
                assert.deepStrictEqual(Object.keys(uploads).sort(), ["/etc/ipp/connection/ipcontroller-engine.json", "/etc/ipp/secret/session-key"]);
                assert.strictEqual(engine.interface, "tcp://ipp-local-controller");
            }
        }
    });

    it("keeps the key out of labels, the environment, commands and outputs", () => {
        assert.match(key, /^[0-9a-f]{64}$/);
        for (const r of run.resources) assert.ok(!plainText(r).includes(key), `${r.type} ${r.name} shows the key`);
        for (const [name, value] of Object.entries(run.outputs)) {
            if (!run.secretOutputs.includes(name)) assert.ok(!JSON.stringify(value ?? "").includes(key), `output ${name} shows the key`);
        }
        for (const c of ofType(run, "Container")) {
            assert.ok(
                !JSON.stringify([c.inputs.envs, c.inputs.command, c.inputs.labels, c.inputs.healthcheck]).includes(key),
                `${c.name}'s environment, command, labels or health check hold the key`,
            );
        }
    });

    it("runs the same commands as on Kubernetes, restarting by itself, healthy only when ready", () => {
        const frontend = find(run, "Container", "ipp-cluster-frontend").inputs;
        assert.deepStrictEqual(frontend.command.slice(0, 2), ["ipcontroller", "--reuse"]);
        assert.strictEqual(frontend.restart, "unless-stopped");
        assert.strictEqual(frontend.wait, true);
        assert.match(frontend.healthcheck.tests.join(" "), /^CMD python3 -c .*create_connection\(\("127\.0\.0\.1", 10100\)/);
        const worker = find(run, "Container", "ipp-cluster-worker-1").inputs;
        assert.strictEqual(worker.command[0], "ipp-engine");
        assert.strictEqual(worker.restart, "unless-stopped");
        assert.strictEqual(worker.wait, true);
        const ready = worker.envs.find((e: string) => e.startsWith("IPP_READY_FILE=")).split("=")[1];
        assert.deepStrictEqual(worker.healthcheck.tests, ["CMD", "test", "-e", ready]);
    });

    it("runs as uid 1000 without privileges", () => {
        for (const c of ofType(run, "Container")) {
            const i = c.inputs;
            assert.deepStrictEqual([i.user, i.capabilities, i.securityOpts], ["1000:1000", { drops: ["ALL"] }, ["no-new-privileges"]], c.name);
        }
    });

    it("takes memory and CPU from the stack settings", async () => {
        const custom = await runProgram({ ...LOCAL, workerMemory: "2Gi", workerCpu: "1500m", frontendMemory: "768Mi", frontendCpu: "1" }, { stack: "local" });
        assert.deepStrictEqual(
            [find(custom, "Container", "ipp-cluster-worker-1").inputs.memory, find(custom, "Container", "ipp-cluster-worker-1").inputs.cpuShares],
            [2048, 1536],
        );
        assert.deepStrictEqual(
            [find(custom, "Container", "ipp-cluster-frontend").inputs.memory, find(custom, "Container", "ipp-cluster-frontend").inputs.cpuShares],
            [768, 1024],
        );
        assert.ok(
            find(custom, "Container", "ipp-cluster-frontend").inputs.command.includes(`--DictDB.size_limit=${768 * 2 ** 18}`),
            "the result store is a quarter of the limit",
        );
    });

    it("replaces containers delete-first (their names are fixed) and when the image changes", () => {
        for (const c of [...ofType(run, "Container"), find(run, "Network", "ipp-cluster-network")]) assert.strictEqual(c.deleteBeforeReplace, true, c.name);
        assert.strictEqual(find(run, "Container", "ipp-cluster-worker-1").inputs.image, run.outputs.imageDigests.worker);
        assert.match(run.outputs.imageDigests.worker, /^sha256:/);
    });

    it("exports the commands a user needs: the seed test, and shells on the frontend and on worker N", () => {
        const o = run.outputs;
        assert.strictEqual(
            o.seedTest,
            `docker exec ipp-local-frontend python3 -c 'import ipyparallel as ipp; ` +
                `c = ipp.Client("/home/jupyter/.ipython/profile_default/security/ipcontroller-client.json"); ` +
                `print(c.ids); print(c[:].apply_sync(lambda: "Hello, World"))'`,
        );
        assert.strictEqual(o.frontendShell, "docker exec -it ipp-local-frontend bash");
        assert.strictEqual(o.frontendPython, "docker exec -it ipp-local-frontend python3");
        assert.deepStrictEqual(o.workerShells, [
            "docker exec -it ipp-local-worker-1 bash",
            "docker exec -it ipp-local-worker-2 bash",
            "docker exec -it ipp-local-worker-3 bash",
        ]);
        assert.deepStrictEqual([o.target, o.workers, o.frontendContainer, o.network], ["docker", 3, "ipp-local-frontend", "ipp-local"]);
        assert.strictEqual(o.namespace, undefined);
    });

    it("scales to 0 workers: the controller alone, with its watcher", async () => {
        const none = await runProgram({ ...LOCAL, workers: "0" }, { stack: "local" });
        assert.deepStrictEqual(
            ofType(none, "Container")
                .map(c => c.name)
                .sort(),
            ["ipp-cluster-frontend", "ipp-cluster-notebook", "ipp-cluster-watcher"],
        );
        assert.deepStrictEqual(none.outputs.workerShells, []);
    });
});

describe("the target setting", () => {
    for (const bad of ["k8s", "Docker", "", "compose"]) {
        it(`rejects target = ${JSON.stringify(bad)}`, () => {
            assert.throws(() => parseConfig({ target: bad, push: "false" }, "dev"), {
                message: `ipp-cluster:target must be kubernetes or docker; got ${JSON.stringify(bad)}.`,
            });
        });
    }
    it("defaults to kubernetes", () => assert.strictEqual(parseConfig({ registry: "localhost:5000" }, "dev").target, "kubernetes"));
});
