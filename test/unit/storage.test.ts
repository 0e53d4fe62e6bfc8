import * as assert from "assert";
import { ProgramRun, find, isSecretInput, ofType, runProgram } from "../../testbed/program";
import { validateObjects } from "./k8s-schema";

const BASE = { registry: "registry.example.com/team", workers: "2" };
const LOCAL = { target: "docker", push: "false", workers: "2" };
/** Every path in the frontend that holds a key or a token: the keyed connection files, the key, the notebook's token, Jupyter's kernel files. */
const KEYED_PATHS = [
    "/home/jupyter/.ipython/profile_default/security/ipcontroller-client.json",
    "/home/jupyter/.ipython/profile_default/security/ipcontroller-engine.json",
    "/etc/ipp/secret/session-key",
    "/etc/ipp/notebook/token",
    "/tmp/jupyter-runtime/kernel-1.json",
    "/tmp/jupyter-runtime/nbserver-1.json",
];

const byName = (xs: any[]) => Object.fromEntries(xs.map(x => [x.name, x]));
const frontendSpec = (run: ProgramRun) => find(run, "Pod", "ipp-cluster-frontend").inputs.spec;
const workerSpec = (run: ProgramRun) => find(run, "Deployment", "ipp-cluster-workers").inputs.spec.template.spec;
const containerOf = (spec: any, name: string) => spec.containers.find((c: any) => c.name === name);

/** The volume a container sees at `path`: the one mounted deepest above it (as mounts nest). */
function volumeAt(container: any, path: string): string {
    const mounts = container.volumeMounts.filter((m: any) => path === m.mountPath || path.startsWith(`${m.mountPath}/`));
    return mounts.sort((a: any, b: any) => b.mountPath.length - a.mountPath.length)[0]?.name ?? "(root)";
}

describe("the notebook's home on Kubernetes", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram(BASE);
    });

    it("is a 10Gi ReadWriteOnce claim named <prefix>-notebook-home in the stack's namespace, in the cluster's default class", () => {
        const claim = find(run, "PersistentVolumeClaim", "ipp-cluster-notebook-home").inputs;
        assert.deepStrictEqual(claim.metadata.name, "ipp-dev-notebook-home");
        assert.deepStrictEqual(claim.metadata.namespace, "ipp-dev");
        assert.deepStrictEqual(claim.spec, { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } });
    });

    it("takes its size and class from the stack", async () => {
        const custom = await runProgram({ ...BASE, notebookStorage: "50Gi", storageClass: "fast-ssd" });
        assert.deepStrictEqual(find(custom, "PersistentVolumeClaim", "ipp-cluster-notebook-home").inputs.spec, {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: "50Gi" } },
            storageClassName: "fast-ssd",
        });
    });

    it("is mounted at /home/jupyter in the notebook alone, writable by uid 1000 through fsGroup", () => {
        const spec = frontendSpec(run);
        assert.deepStrictEqual(byName(spec.volumes)["notebook-home"], { name: "notebook-home", persistentVolumeClaim: { claimName: "ipp-dev-notebook-home" } });
        assert.deepStrictEqual(byName(containerOf(spec, "notebook").volumeMounts)["notebook-home"], { name: "notebook-home", mountPath: "/home/jupyter" });
        assert.ok(!containerOf(spec, "controller").volumeMounts.some((m: any) => m.name === "notebook-home"), "the controller has no use for the notebooks");
        assert.deepStrictEqual(spec.securityContext, {
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            fsGroup: 1000,
            fsGroupChangePolicy: "OnRootMismatch",
            seccompProfile: { type: "RuntimeDefault" },
        });
    });

    it("must hold no key: every keyed file of either container is on another volume", () => {
        const spec = frontendSpec(run);
        for (const name of ["controller", "notebook"]) {
            const c = containerOf(spec, name);
            for (const path of KEYED_PATHS) assert.notStrictEqual(volumeAt(c, path), "notebook-home", `${name}: ${path} is on the claim`);
        }
        const notebook = containerOf(spec, "notebook");
        assert.strictEqual(volumeAt(notebook, KEYED_PATHS[0]), "ipython");
        assert.strictEqual(byName(spec.volumes).ipython.emptyDir !== undefined, true, "the IPython profile is an emptyDir");
        const env = Object.fromEntries(notebook.env.map((e: any) => [e.name, e.value]));
        assert.deepStrictEqual([env.IPP_SECURITY_DIR, env.JUPYTER_RUNTIME_DIR], ["/home/jupyter/.ipython/profile_default/security", "/tmp/jupyter-runtime"]);
        assert.strictEqual(volumeAt(notebook, "/home/jupyter/Untitled.ipynb"), "notebook-home", "the check can tell the claim");
    });

    it("is deleted with the stack unless retainNotebookStorage, and always goes through the provider that takes a kept claim up again", async () => {
        const kept = await runProgram({ ...BASE, retainNotebookStorage: "true" });
        for (const [r, retained] of [
            [run, false],
            [kept, true],
        ] as const) {
            const claim = find(r, "PersistentVolumeClaim", "ipp-cluster-notebook-home");
            const provider = find(r, "providers:kubernetes", "ipp-cluster-adopting-provider");
            assert.strictEqual(claim.retainOnDelete, retained);
            assert.strictEqual(claim.provider, `${provider.urn}::${provider.name}-id`);
            assert.strictEqual(provider.inputs.upsertExistingObjects, "true", "provider settings travel as text");
            const namespace = find(r, "Namespace", "ipp-cluster-namespace");
            assert.strictEqual(namespace.retainOnDelete, retained, "deleting the namespace would delete the claim in it");
            assert.strictEqual(namespace.provider, retained ? claim.provider : "", "a kept namespace is taken up again too");
        }
        for (const r of ofType(kept, "kubernetes:").filter(r => !["ipp-cluster-notebook-home", "ipp-cluster-namespace"].includes(r.name))) {
            assert.strictEqual(r.retainOnDelete, false, `${r.name} is not kept`);
            assert.strictEqual(r.provider, "", `${r.name} stays with the default provider`);
        }
    });

    it("the adopting provider talks to the cluster the stack chooses, the kubeconfig as a secret", async () => {
        const r = await runProgram({ ...BASE, "kubernetes:context": "kind-lab", "kubernetes:kubeconfig": "/srv/kube/lab.yaml" });
        const provider = find(r, "providers:kubernetes", "ipp-cluster-adopting-provider");
        assert.deepStrictEqual(provider.inputs, { context: "kind-lab", kubeconfig: "/srv/kube/lab.yaml", upsertExistingObjects: "true" });
        assert.ok(isSecretInput(provider, ["kubeconfig"]), "the kubeconfig is sent as a secret");
    });

    it("is never replaced by a change of image, push, workers or sizes: nothing of them reaches it", async () => {
        const other = await runProgram({ ...BASE, push: "false", registry: "", workers: "7", frontendMemory: "4Gi", notebookMemory: "3Gi", workerCpu: "2" });
        const [a, b] = [run, other].map(r => find(r, "PersistentVolumeClaim", "ipp-cluster-notebook-home"));
        assert.deepStrictEqual(b.inputs, a.inputs);
        assert.deepStrictEqual([b.deleteBeforeReplace, b.replaceOnChanges], [false, []]);
        const imageUrns = ofType(other, "Image").map(i => i.urn);
        assert.ok(!b.dependencies.some(d => imageUrns.includes(d)), "the claim must not depend on an image");
    });

    it('keeps the home in an emptyDir with notebookStorage "": no claim, no provider, the Pod as the notebook had it', async () => {
        const r = await runProgram({ ...BASE, notebookStorage: "" });
        assert.deepStrictEqual([ofType(r, "PersistentVolumeClaim").length, ofType(r, "providers:kubernetes").length], [0, 0]);
        const spec = frontendSpec(r);
        assert.deepStrictEqual(byName(spec.volumes)["notebook-home"], { name: "notebook-home", emptyDir: {} });
        assert.strictEqual(spec.securityContext.fsGroupChangePolicy, undefined);
    });

    it("has no claim without a notebook, and the frontend Pod keeps the volumes it had (and the watcher's home)", async () => {
        const r = await runProgram({ ...BASE, notebook: "false", retainNotebookStorage: "true" });
        assert.deepStrictEqual([ofType(r, "PersistentVolumeClaim").length, ofType(r, "providers:kubernetes").length], [0, 0]);
        assert.strictEqual(find(r, "Namespace", "ipp-cluster-namespace").retainOnDelete, false);
        const spec = frontendSpec(r);
        assert.deepStrictEqual(
            spec.volumes.map((v: any) => v.name),
            ["connection", "session-key", "home", "tmp", "watcher-home"],
        );
        assert.deepStrictEqual(
            spec.containers[0].volumeMounts.map((m: any) => m.mountPath),
            ["/etc/ipp/connection", "/etc/ipp/secret", "/home/jupyter", "/tmp"],
        );
    });
});

describe("the shared data volume on Kubernetes", () => {
    it("mounts an existing claim at /home/jupyter/shared, read-write in the notebook and read-only in every engine when asked", async () => {
        const run = await runProgram({ ...BASE, sharedVolume: JSON.stringify({ claimName: "data", readOnly: true }) });
        const notebook = containerOf(frontendSpec(run), "notebook");
        assert.deepStrictEqual(byName(frontendSpec(run).volumes).shared, { name: "shared", persistentVolumeClaim: { claimName: "data" } });
        assert.deepStrictEqual(byName(notebook.volumeMounts).shared, { name: "shared", mountPath: "/home/jupyter/shared" });
        const workers = workerSpec(run);
        assert.deepStrictEqual(byName(workers.volumes).shared, { name: "shared", persistentVolumeClaim: { claimName: "data", readOnly: true } });
        assert.deepStrictEqual(byName(workers.containers[0].volumeMounts).shared, { name: "shared", mountPath: "/home/jupyter/shared", readOnly: true });
        assert.ok(!byName(containerOf(frontendSpec(run), "controller").volumeMounts).shared, "the controller has no use for the data");
        await validateObjects(run);
    });

    it("mounts an NFS export, writable by the engines unless readOnly", async () => {
        const run = await runProgram({ ...BASE, sharedVolume: JSON.stringify({ nfs: { server: "nfs.example.com", path: "/exports/data" } }) });
        const nfs = { name: "shared", nfs: { server: "nfs.example.com", path: "/exports/data" } };
        assert.deepStrictEqual(byName(frontendSpec(run).volumes).shared, nfs);
        assert.deepStrictEqual(byName(workerSpec(run).volumes).shared, nfs);
        assert.deepStrictEqual(byName(workerSpec(run).containers[0].volumeMounts).shared, { name: "shared", mountPath: "/home/jupyter/shared" });
        await validateObjects(run);
    });

    it("reaches the engines without a notebook too", async () => {
        const run = await runProgram({ ...BASE, notebook: "false", sharedVolume: JSON.stringify({ claimName: "data" }) });
        assert.ok(byName(workerSpec(run).volumes).shared);
    });

    it("leaves the workers' pods as they were without one, so an existing stack's workers are not rolled", async () => {
        const spec = workerSpec(await runProgram(BASE));
        assert.deepStrictEqual(
            spec.volumes.map((v: any) => v.name),
            ["connection", "session-key", "home", "tmp"],
        );
        assert.deepStrictEqual(
            spec.containers[0].volumeMounts.map((m: any) => m.mountPath),
            ["/etc/ipp/connection", "/etc/ipp/secret", "/home/jupyter", "/tmp"],
        );
        assert.strictEqual(spec.securityContext.fsGroupChangePolicy, undefined);
    });
});

describe("the notebook's home and the shared volume on Docker", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram(LOCAL, { stack: "local" });
    });

    it("keeps the notebook's home in a named Docker volume, removed with the stack unless retainNotebookStorage", async () => {
        const volume = find(run, "Volume", "ipp-cluster-notebook-home");
        assert.strictEqual(volume.inputs.name, "ipp-local-notebook-home");
        assert.deepStrictEqual(volume.ignoreChanges, ["labels", "name"], "a replacement (or a new name) would remove the volume it had just taken up");
        assert.strictEqual(volume.retainOnDelete, false);
        const kept = await runProgram({ ...LOCAL, retainNotebookStorage: "true" }, { stack: "local" });
        assert.strictEqual(find(kept, "Volume", "ipp-cluster-notebook-home").retainOnDelete, true);
        assert.strictEqual(run.outputs.notebookStorage, "ipp-local-notebook-home");
    });

    it("mounts it at /home/jupyter in the notebook's container, with the IPython profile (the keyed client file) on a tmpfs over it", () => {
        const nb = find(run, "Container", "ipp-cluster-notebook").inputs;
        assert.deepStrictEqual(nb.volumes, [{ volumeName: "ipp-local-notebook-home", containerPath: "/home/jupyter" }]);
        assert.deepStrictEqual(nb.tmpfs, { "/home/jupyter/.ipython": "uid=1000,gid=1000,mode=0700" });
        assert.ok(nb.envs.includes("JUPYTER_RUNTIME_DIR=/tmp/jupyter-runtime"));
        for (const c of ofType(run, "Container").filter(c => c.name !== "ipp-cluster-notebook")) assert.strictEqual(c.inputs.volumes, undefined, c.name);
    });

    it('has no volume with notebookStorage ""', async () => {
        const r = await runProgram({ ...LOCAL, notebookStorage: "" }, { stack: "local" });
        assert.strictEqual(ofType(r, "Volume").length, 0);
        assert.deepStrictEqual(
            [find(r, "Container", "ipp-cluster-notebook").inputs.volumes, find(r, "Container", "ipp-cluster-notebook").inputs.tmpfs],
            [undefined, undefined],
        );
    });

    it("mounts a Docker volume or a host folder at /home/jupyter/shared, read-only in the workers when asked", async () => {
        const cases: [object, object][] = [
            [{ claimName: "ipp-data" }, { volumeName: "ipp-data", containerPath: "/home/jupyter/shared" }],
            [{ hostPath: "/srv/data" }, { hostPath: "/srv/data", containerPath: "/home/jupyter/shared" }],
        ];
        for (const [value, mount] of cases) {
            const r = await runProgram({ ...LOCAL, sharedVolume: JSON.stringify({ ...value, readOnly: true }) }, { stack: "local" });
            assert.deepStrictEqual(find(r, "Container", "ipp-cluster-notebook").inputs.volumes.slice(1), [mount]);
            for (const w of ["ipp-cluster-worker-1", "ipp-cluster-worker-2"])
                assert.deepStrictEqual(find(r, "Container", w).inputs.volumes, [{ ...mount, readOnly: true }]);
            assert.strictEqual(find(r, "Container", "ipp-cluster-frontend").inputs.volumes, undefined);
        }
    });
});

describe("storage settings refused when the program loads", () => {
    const cases: [string, Record<string, string>, string][] = [
        ["a size that is not a quantity", { ...BASE, notebookStorage: "10GB" }, "ipp-cluster:notebookStorage must be a Kubernetes storage quantity"],
        [
            "an NFS server that is not a host name",
            { ...BASE, sharedVolume: '{"nfs":{"server":"nfs://x","path":"/d"}}' },
            "ipp-cluster:sharedVolume.nfs.server must be a host name",
        ],
        [
            "both claimName and nfs",
            { ...BASE, sharedVolume: '{"claimName":"d","nfs":{"server":"x","path":"/d"}}' },
            "ipp-cluster:sharedVolume must name exactly one",
        ],
        ["a host folder on Kubernetes", { ...BASE, sharedVolume: '{"hostPath":"/srv"}' }, "ipp-cluster:sharedVolume.hostPath is for the docker target only"],
    ];
    for (const [what, config, message] of cases) {
        it(`refuses ${what} at preview, before anything is declared`, async () => {
            await assert.rejects(runProgram(config, { preview: true }), (e: Error & { declared?: number }) => {
                assert.ok(e.message.startsWith(message), e.message);
                assert.strictEqual(e.declared, 0);
                return true;
            });
        });
    }
});
