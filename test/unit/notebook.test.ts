import * as assert from "assert";
import { MOCK_NAME_SUFFIX, ProgramRun, find, isSecretInput, ofType, runProgram } from "../../testbed/program";
import { parseConfig } from "../../lib/config";

const BASE = { registry: "registry.example.com/team", workers: "2" };

function container(run: ProgramRun, name: string) {
    return find(run, "Pod", "ipp-cluster-frontend").inputs.spec.containers.find((c: any) => c.name === name);
}

describe("the notebook and the laptop client on Kubernetes", () => {
    let run: ProgramRun;
    let token: string;
    let key: string;
    before(async () => {
        run = await runProgram(BASE);
        token = find(run, "core/v1:Secret", "ipp-cluster-notebook-token").inputs.stringData.token;
        key = find(run, "core/v1:Secret", "ipp-cluster-session-key").inputs.stringData["session-key"];
    });

    it("generates a long token and keeps it only in a Secret of its own, sent as a secret", () => {
        const password = find(run, "RandomPassword", "ipp-notebook-token").inputs;
        assert.ok(password.length >= 32);
        assert.strictEqual(password.special, false, "the token goes into a URL");
        const secret = find(run, "core/v1:Secret", "ipp-cluster-notebook-token");
        assert.ok(isSecretInput(secret, ["stringData", "token"]));
        assert.ok(token.length >= 32);
    });

    it("runs the notebook next to the controller, from the frontend image, as the jupyter user, sharing the controller's IPython profile", () => {
        const controller = container(run, "controller");
        const notebook = container(run, "notebook");
        assert.strictEqual(notebook.image, controller.image);
        // JupyterLab by default, with the pypi stack.
        assert.deepStrictEqual(notebook.args.slice(0, 2), ["jupyter", "lab"]);
        assert.ok(notebook.args.includes("--ServerApp.root_dir=/home/jupyter"));
        assert.ok(notebook.args.includes("--ServerApp.ip=0.0.0.0"));
        assert.deepStrictEqual([notebook.securityContext.runAsUser, notebook.securityContext.runAsNonRoot], [1000, true]);
        const profile = (c: any) => c.volumeMounts.find((m: any) => m.mountPath === "/home/jupyter/.ipython")?.name;
        assert.ok(profile(notebook), "the notebook mounts the IPython profile");
        assert.strictEqual(profile(notebook), profile(controller), "the notebook must see the controller's IPython profile");
        assert.deepStrictEqual(notebook.readinessProbe.tcpSocket, { port: "http-notebook" });
    });

    it("gives the notebook the keyed client file at the seed's path, and its token as a file", () => {
        const notebook = container(run, "notebook");
        const env = Object.fromEntries(notebook.env.map((e: any) => [e.name, e.value]));
        assert.strictEqual(env.IPP_SECURITY_DIR, "/home/jupyter/.ipython/profile_default/security");
        assert.strictEqual(env.JUPYTER_TOKEN_FILE, "/etc/ipp/notebook/token");
        const mount = notebook.volumeMounts.find((m: any) => m.mountPath === "/etc/ipp/notebook");
        const volume = find(run, "Pod", "ipp-cluster-frontend").inputs.spec.volumes.find((v: any) => v.name === mount.name);
        assert.strictEqual(volume.secret.secretName, `cluster-notebook-token${MOCK_NAME_SUFFIX}`);
        assert.ok(!container(run, "controller").volumeMounts.some((m: any) => m.name === mount.name), "the controller has no use for the token");
        assert.ok(!JSON.stringify(notebook).includes(token), "the token must not be in the container spec");
    });

    it("exposes the notebook through a Service of its own that carries no controller port", () => {
        const nb = find(run, "Service", "ipp-cluster-notebook-service").inputs;
        assert.strictEqual(nb.metadata.name, "ipp-dev-notebook");
        assert.strictEqual(nb.spec.type, "ClusterIP");
        assert.deepStrictEqual(nb.spec.ports, [{ name: "http-notebook", port: 8888, targetPort: "http-notebook", protocol: "TCP" }]);
        assert.deepStrictEqual(nb.spec.selector, find(run, "Service", "ipp-cluster-service").inputs.spec.selector);
        assert.ok(!find(run, "Service", "ipp-cluster-service").inputs.spec.ports.some((p: any) => p.port === 8888));
    });

    it("prints the port-forward commands and the notebook's URL, the URL as a secret", () => {
        const o = run.outputs;
        assert.strictEqual(o.notebookPortForward, "kubectl port-forward -n ipp-dev service/ipp-dev-notebook 8888");
        assert.strictEqual(o.notebookUrl, `http://127.0.0.1:8888/lab?token=${token}`);
        assert.ok(run.secretOutputs.includes("notebookUrl"));
        assert.strictEqual(o.clientPortForward, "kubectl port-forward -n ipp-dev pod/ipp-dev-frontend 10100 10109 10110 10111 10112 10113 10114");
    });

    it("gives the laptop a client file for the forwarded ports, with the key, as a secret output", () => {
        const file = JSON.parse(run.outputs.laptopClientFile);
        assert.ok(run.secretOutputs.includes("laptopClientFile"));
        assert.deepStrictEqual(
            [file.interface, file.location, file.key, file.registration, file.control, file.mux, file.task, file.iopub, file.notification, file.broadcast],
            ["tcp://127.0.0.1", "127.0.0.1", key, 10100, 10109, 10110, 10111, 10112, 10113, 10114],
        );
        const forwarded = run.outputs.clientPortForward.split(" ").slice(5).map(Number);
        const needed = [file.registration, file.control, file.mux, file.task, file.iopub, file.notification, file.broadcast];
        assert.deepStrictEqual(forwarded.sort(), needed.sort(), "the port-forward must cover every port the file names");
    });

    for (const type of ["NodePort", "LoadBalancer"]) {
        it(`can ask for a ${type} notebook Service`, async () => {
            const r = await runProgram({ ...BASE, notebookServiceType: type });
            assert.strictEqual(find(r, "Service", "ipp-cluster-notebook-service").inputs.spec.type, type);
            assert.strictEqual(find(r, "Service", "ipp-cluster-service").inputs.spec.type, "ClusterIP", "the controller stays internal");
        });
    }

    it("rejects another Service type", () => {
        assert.throws(() => parseConfig({ ...BASE, notebookServiceType: "ExternalName" }, "dev"), {
            message: 'ipp-cluster:notebookServiceType must be ClusterIP, NodePort or LoadBalancer; got "ExternalName".',
        });
    });

    it("leaves out the notebook, its token, Service, port and outputs when notebook is false", async () => {
        const r = await runProgram({ ...BASE, notebook: "false" });
        assert.deepStrictEqual(
            find(r, "Pod", "ipp-cluster-frontend").inputs.spec.containers.map((c: any) => c.name),
            ["controller", "watcher"],
        );
        assert.strictEqual(ofType(r, "RandomPassword").length, 0);
        assert.deepStrictEqual(
            r.resources.filter(x => x.name.includes("notebook")).map(x => x.name),
            [],
        );
        // The deployment's own pods, and the scrapers: nobody else.
        assert.deepStrictEqual(
            find(r, "NetworkPolicy", "ipp-cluster-netpol-frontend").inputs.spec.ingress.map((i: any) =>
                i.ports.map((p: any) => p.port).includes("http-notebook"),
            ),
            [false, false],
        );
        assert.deepStrictEqual([r.outputs.notebookUrl, r.outputs.notebookPortForward], [undefined, undefined]);
        assert.ok(r.outputs.laptopClientFile, "the laptop client does not need the notebook");
    });
});

describe("the notebook and the laptop client on Docker", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ target: "docker", push: "false", workers: "1" }, { stack: "local" });
    });

    it("runs the notebook in its own container, its port and the client ports published on loopback only", () => {
        const nb = find(run, "Container", "ipp-cluster-notebook").inputs;
        assert.deepStrictEqual(nb.command.slice(0, 2), ["jupyter", "lab"]);
        assert.deepStrictEqual(nb.ports, [{ internal: 8888, external: 8888, ip: "127.0.0.1", protocol: "tcp" }]);
        const frontend = find(run, "Container", "ipp-cluster-frontend").inputs;
        assert.deepStrictEqual(
            frontend.ports.map((p: any) => `${p.ip}:${p.external}`),
            [10100, 10109, 10110, 10111, 10112, 10113, 10114].map(p => `127.0.0.1:${p}`),
        );
        for (const w of ofType(run, "Container").filter(c => c.name.startsWith("ipp-cluster-worker-"))) assert.strictEqual(w.inputs.ports, undefined);
    });

    it("uploads the token as a private secret file", () => {
        const nb = find(run, "Container", "ipp-cluster-notebook");
        const i = nb.inputs.uploads.findIndex((u: any) => u.file === "/etc/ipp/notebook/token");
        assert.deepStrictEqual([nb.inputs.uploads[i].owner, nb.inputs.uploads[i].permissions], ["1000", "0400"]);
        assert.ok(isSecretInput(nb, ["uploads", String(i), "content"]));
        assert.ok(run.outputs.notebookUrl.startsWith("http://127.0.0.1:8888/lab?token="));
        assert.ok(run.secretOutputs.includes("notebookUrl"));
    });
});
