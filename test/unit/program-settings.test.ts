import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Declared, MOCK_NAME_SUFFIX, ProgramRun, find, isSecretInput, ofType, runProgram, withSecretsHidden } from "../../testbed/program";

const BASE = { registry: "registry.example.com/team", workers: "3" };

describe("the program with other settings", () => {
    it("scales to 0 and to 64 workers", async () => {
        for (const workers of [0, 64]) {
            const run = await runProgram({ ...BASE, workers: String(workers) });
            assert.strictEqual(find(run, "Deployment", "ipp-cluster-workers").inputs.spec.replicas, workers);
            assert.strictEqual(run.outputs.workers, workers);
        }
    });

    it("uses an existing namespace without creating (or ever deleting) it", async () => {
        const run = await runProgram({ ...BASE, namespace: "science", createNamespace: "false" });
        assert.strictEqual(ofType(run, "Namespace").length, 0);
        for (const r of run.resources.filter(r => r.type.startsWith("kubernetes:"))) {
            assert.strictEqual(r.inputs.metadata.namespace, "science", r.name);
        }
        assert.strictEqual(run.outputs.namespace, "science");
        assert.match(run.outputs.seedTest, /^kubectl exec -n science ipp-dev-frontend /);
    });

    describe("with push off (images only in the local engine)", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram({ push: "false" });
        });

        it("builds without pushing, frontend and worker FROM the base's tag with its ID as a build argument", () => {
            const base = find(run, "Image", "ipp-images-base");
            assert.strictEqual(base.inputs.imageName, "ipp-base:latest");
            assert.strictEqual(base.inputs.skipPush, true);
            for (const kind of ["frontend", "worker"]) {
                const args = find(run, "Image", `ipp-images-${kind}`).inputs.build.args;
                assert.strictEqual(args.BASE_IMAGE, "ipp-base:latest");
                assert.strictEqual(args.BASE_IMAGE_ID, run.outputs.imageDigests.base);
                assert.match(args.BASE_IMAGE_ID, /^sha256:[0-9a-f]{64}$/);
            }
        });

        it("refers to tags with IfNotPresent and carries the image ID in an annotation, replacing the Pod when it changes", () => {
            const pod = find(run, "Pod", "ipp-cluster-frontend");
            const worker = find(run, "Deployment", "ipp-cluster-workers").inputs.spec.template;
            assert.strictEqual(pod.inputs.spec.containers[0].image, "ipp-frontend:latest");
            assert.strictEqual(pod.inputs.spec.containers[0].imagePullPolicy, "IfNotPresent");
            assert.strictEqual(pod.inputs.metadata.annotations["ipp-cluster/image-id"], run.outputs.imageDigests.frontend);
            assert.deepStrictEqual(pod.replaceOnChanges, ['metadata.annotations["ipp-cluster/image-id"]']);
            assert.strictEqual(worker.spec.containers[0].image, "ipp-worker:latest");
            assert.strictEqual(worker.spec.containers[0].imagePullPolicy, "IfNotPresent");
            assert.strictEqual(worker.metadata.annotations["ipp-cluster/image-id"], run.outputs.imageDigests.worker);
        });
    });

    describe("with registry credentials", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram({ ...BASE, registryUsername: "alice", registryPassword: "s3cret-token" });
        });

        it("pushes with them, the password as a secret", () => {
            for (const kind of ["base", "frontend", "worker"]) {
                const image = find(run, "Image", `ipp-images-${kind}`);
                assert.deepStrictEqual(image.inputs.registry, { server: "registry.example.com", username: "alice", password: "s3cret-token" });
                assert.ok(isSecretInput(image, ["registry", "password"]), `${kind}'s password must be secret`);
            }
        });

        it("gives both pods an image pull secret holding them, as a secret", () => {
            const pull = find(run, "core/v1:Secret", "ipp-cluster-registry-credentials");
            assert.strictEqual(pull.inputs.type, "kubernetes.io/dockerconfigjson");
            assert.ok(isSecretInput(pull, ["stringData", ".dockerconfigjson"]));
            const auths = JSON.parse(pull.inputs.stringData[".dockerconfigjson"]).auths;
            assert.deepStrictEqual(auths["registry.example.com"].auth, Buffer.from("alice:s3cret-token").toString("base64"));
            for (const spec of [
                find(run, "Pod", "ipp-cluster-frontend").inputs.spec,
                find(run, "Deployment", "ipp-cluster-workers").inputs.spec.template.spec,
            ]) {
                assert.deepStrictEqual(spec.imagePullSecrets, [{ name: `cluster-registry-credentials${MOCK_NAME_SUFFIX}` }]);
            }
        });

        it("never shows the password in a plain input or an output", () => {
            const plain = (r: Declared) => withSecretsHidden(r);
            for (const r of run.resources) assert.ok(!plain(r).includes("s3cret-token"), `${r.type} ${r.name}`);
            assert.ok(!JSON.stringify(run.outputs).includes("s3cret-token"), "no output, not even a secret one, holds the password");
        });
    });

    it("previews without built images (digests unknown)", async () => {
        const run = await runProgram(BASE, {
            preview: true,
            newResource: args => {
                const state = { ...args.inputs };
                if (args.type.startsWith("kubernetes:"))
                    state.metadata = { ...args.inputs.metadata, name: args.inputs.metadata?.name ?? `${args.name}${MOCK_NAME_SUFFIX}` };
                return { id: "", state };
            },
        });
        assert.strictEqual(ofType(run, "Deployment").length, 1);
        assert.strictEqual(run.outputs.imageDigests?.base, undefined);
        assert.strictEqual(find(run, "Pod", "ipp-cluster-frontend").inputs.spec.containers[0].image, pulumi.runtime.unknownValue);
    });
});
