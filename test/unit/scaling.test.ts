import * as assert from "assert";
import { evaluate } from "@marcbachmann/cel-js";
import { problemsOf as problems } from "./config-problems";
import { DELETION_COST, admissionPolicySpec, scalerRules } from "../../lib/scaling";
import { ProgramRun, declaredName, find, ofType, runProgram } from "../../testbed/program";
import { validateObjects } from "./k8s-schema";

const BASE = { registry: "registry.example.com/team" };
const SCALING = { ...BASE, workers: "2", minWorkers: "1", maxWorkers: "6" };
const byName = (xs: any[]) => Object.fromEntries(xs.map(x => [x.name, x]));

describe("scaling: the program's side", () => {
    let run: ProgramRun;
    let still: ProgramRun;
    before(async () => {
        run = await runProgram(SCALING);
        still = await runProgram({ ...BASE, workers: "2" });
    });

    it("refuses bad bounds at preview, naming the setting, the value and what is allowed", () => {
        assert.deepStrictEqual(problems({ ...BASE, workers: "2", maxWorkers: "x" }), [
            'ipp-cluster:maxWorkers must be an integer from 0 to 1000, or "" for workers; got "x".',
        ]);
        assert.match(
            problems({ ...BASE, workers: "2", maxWorkers: "1" })[0],
            /ipp-cluster:minWorkers ≤ ipp-cluster:workers ≤ ipp-cluster:maxWorkers must hold .*got 2, 2, 1\./,
        );
        assert.match(problems({ ...BASE, workers: "2", minWorkers: "3", maxWorkers: "4" })[0], /got 3, 2, 4\./);
        const groups = JSON.stringify([{ name: "cpu", workers: 2, maxWorkers: 1 }]);
        assert.match(
            problems({ ...BASE, workerGroups: groups })[0],
            /ipp-cluster:workerGroups\[0\]\.minWorkers ≤ .*\[0\]\.workers ≤ .*\[0\]\.maxWorkers must hold/,
        );
        assert.match(
            problems({ ...BASE, workerGroups: groups.replace("2,", "2, "), maxWorkers: "3" }).join("\n"),
            /ipp-cluster:maxWorkers cannot be set together with ipp-cluster:workerGroups/,
        );
        assert.match(problems({ ...BASE, workers: "2", maxWorkers: "1001" })[0], /from 0 to 1000/);
        assert.match(
            problems({ ...BASE, workers: "10", maxWorkers: "1000", enginesPerWorker: "9", workerMemory: "2Gi" }).join("\n"),
            /at most 8000 engines \(ipp-cluster:maxWorkers × ipp-cluster:enginesPerWorker\); got 9000/,
        );
        assert.match(
            problems({ ...SCALING, target: "docker" })[0],
            /ipp-cluster:minWorkers\/ipp-cluster:maxWorkers need the kubernetes target .* on docker, change workers and run pulumi up; got target docker\./,
        );
    });

    it("scaling off: no scaler, no token, no ServiceAccount, and the Deployment keeps its count in Pulumi's hands", () => {
        const pod = find(still, "Pod", "ipp-cluster-frontend").inputs.spec;
        assert.strictEqual(pod.serviceAccountName, undefined);
        assert.deepStrictEqual(
            pod.containers.map((c: any) => c.name),
            ["controller", "watcher", "notebook"],
        );
        for (const kind of ["ServiceAccount", "Role", "RoleBinding", "ValidatingAdmissionPolicy"])
            assert.strictEqual(ofType(still, `:${kind}`).length, 0, kind);
        assert.deepStrictEqual(find(still, "Deployment", "ipp-cluster-workers").ignoreChanges, ["metadata.name"]);
    });

    it("an existing stack that turns scaling on keeps every object's URN: the Deployment is updated in place, only the frontend Pod changes", () => {
        const before = new Map(still.resources.map(r => [r.urn, r]));
        const after = new Map(run.resources.map(r => [r.urn, r]));
        for (const urn of before.keys()) assert.ok(after.has(urn), `${urn} is gone`);
        const added = [...after.keys()].filter(urn => !before.has(urn)).map(urn => urn.split("::").pop());
        assert.deepStrictEqual(added.sort(), [
            "ipp-cluster-scaler-account",
            "ipp-cluster-scaler-binding",
            "ipp-cluster-scaler-policy",
            "ipp-cluster-scaler-policy-binding",
            "ipp-cluster-scaler-role",
            "ipp-cluster-scaling",
        ]);
        const changed = [...before.values()]
            .filter(r => JSON.stringify(r.inputs) !== JSON.stringify(after.get(r.urn)!.inputs))
            .map(r => r.name)
            .sort();
        // The Deployment's own spec is the same (its count stays 2; maxWorkers and ignoreChanges are options);
        // the frontend Pod gains the scaler and a ServiceAccount, which Kubernetes cannot change in place.
        assert.deepStrictEqual(changed, ["ipp-cluster-frontend"]);
        assert.deepStrictEqual(find(run, "Deployment", "ipp-cluster-workers").inputs.spec, find(still, "Deployment", "ipp-cluster-workers").inputs.spec);
    });

    it("the token is mounted into the scaler's container alone; the Pod runs as the scaler's ServiceAccount without automounting", () => {
        const pod = find(run, "Pod", "ipp-cluster-frontend").inputs.spec;
        assert.strictEqual(pod.automountServiceAccountToken, false);
        assert.strictEqual(pod.serviceAccountName, "ipp-dev-scaler");
        const token = pod.volumes.find((v: any) => v.projected);
        assert.deepStrictEqual(token.projected.sources[0], { serviceAccountToken: { path: "token", expirationSeconds: 3600 } });
        const mounting = pod.containers.filter((c: any) => c.volumeMounts.some((m: any) => m.name === token.name)).map((c: any) => c.name);
        assert.deepStrictEqual(mounting, ["scaler"]);
        const scaler = byName(pod.containers).scaler;
        assert.deepStrictEqual(scaler.args, ["ipp-scaler"]);
        assert.ok(scaler.volumeMounts.some((m: any) => m.mountPath === "/var/run/secrets/kubernetes.io/serviceaccount" && m.readOnly));
        assert.strictEqual(scaler.ports, undefined, "the scaler listens on the Pod's loopback only");
        const watcherEnv = byName(byName(pod.containers).watcher.env);
        assert.strictEqual(watcherEnv.IPP_SCALER_URL.value, "http://127.0.0.1:10122");
        assert.strictEqual(byName(scaler.env).IPP_WATCHER_URL.value, "http://127.0.0.1:10121");
        assert.strictEqual(find(run, "ServiceAccount", "ipp-cluster-scaler-account").inputs.automountServiceAccountToken, false);
    });

    it("the Role allows exactly the scale subresource of the scaling Deployments by name, and pod patches", () => {
        const deployment = declaredName(find(run, "Deployment", "ipp-cluster-workers"));
        const role = find(run, "Role", "ipp-cluster-scaler-role").inputs;
        assert.deepStrictEqual(role.rules, [
            { apiGroups: ["apps"], resources: ["deployments/scale"], resourceNames: [deployment], verbs: ["get", "patch", "update"] },
            { apiGroups: [""], resources: ["pods"], verbs: ["patch"] },
        ]);
        const binding = find(run, "RoleBinding", "ipp-cluster-scaler-binding").inputs;
        assert.deepStrictEqual(binding.subjects, [{ kind: "ServiceAccount", name: "ipp-dev-scaler", namespace: "ipp-dev" }]);
        assert.strictEqual(binding.roleRef.name, declaredName(find(run, "Role", "ipp-cluster-scaler-role")));
        const file = JSON.parse(find(run, "ConfigMap", "ipp-cluster-scaling").inputs.data["scaling.json"]);
        assert.deepStrictEqual(file, { groups: { default: { deployment, minimum: 1, maximum: 6, enginesPerPod: 1 } }, notReadySeconds: 3 });
    });

    it("ignoreChanges spec.replicas exactly for the groups that scale", async () => {
        assert.deepStrictEqual(find(run, "Deployment", "ipp-cluster-workers").ignoreChanges, ["metadata.name", "spec.replicas"]);
        const groups = JSON.stringify([
            { name: "cpu", workers: 2, maxWorkers: 5 },
            { name: "gpu", workers: 1 },
        ]);
        const two = await runProgram({ ...BASE, workerGroups: groups });
        assert.deepStrictEqual(find(two, "Deployment", "ipp-cluster-workers-cpu").ignoreChanges, ["metadata.name", "spec.replicas"]);
        assert.deepStrictEqual(find(two, "Deployment", "ipp-cluster-workers-gpu").ignoreChanges, ["metadata.name"]);
        assert.deepStrictEqual(find(two, "Role", "ipp-cluster-scaler-role").inputs.rules[0].resourceNames, [
            declaredName(find(two, "Deployment", "ipp-cluster-workers-cpu")),
        ]);
    });

    it("the admission policy holds the scaler's requests to the bounds and to the deletion cost of this stack's worker pods (CEL evaluated)", () => {
        const policy = find(run, "ValidatingAdmissionPolicy", "ipp-cluster-scaler-policy").inputs;
        assert.strictEqual(policy.metadata.name, "ipp-dev-ipp-dev-scaler");
        const binding = find(run, "ValidatingAdmissionPolicyBinding", "ipp-cluster-scaler-policy-binding").inputs.spec;
        assert.deepStrictEqual(binding.validationActions, ["Deny"]);
        assert.deepStrictEqual(binding.matchResources.namespaceSelector.matchLabels, { "kubernetes.io/metadata.name": "ipp-dev" });
        const deployment = declaredName(find(run, "Deployment", "ipp-cluster-workers"));
        const spec = policy.spec;
        // A Scale leaves out replicas 0, as the API server gives it to the policy.
        const scaleObject = (name: string, replicas: number) => ({ metadata: { name }, spec: replicas === 0 ? {} : { replicas } });
        const scale = (name: string, replicas: number, from = 3) => ({
            request: { resource: { resource: "deployments" }, userInfo: { username: "system:serviceaccount:ipp-dev:ipp-dev-scaler" } },
            object: scaleObject(name, replicas),
            oldObject: scaleObject(name, from),
        });
        const verdict = (ctx: any) => spec.validations.every((v: any) => evaluate(v.expression, ctx) === true);
        assert.ok(evaluate(spec.matchConditions[0].expression, scale(deployment, 1)));
        assert.ok(!evaluate(spec.matchConditions[0].expression, { request: { userInfo: { username: "alice" } } }), "applies to others too");
        assert.deepStrictEqual(
            [1, 6, 0, 7].map(n => verdict(scale(deployment, n))),
            [true, true, false, false],
        );
        assert.ok(verdict(scale(deployment, 8, 9)), "a step down toward maxWorkers, lowered under the count, is refused");
        assert.ok(!verdict(scale(deployment, 10, 9)), "a step up beyond maxWorkers is allowed");
        assert.strictEqual(verdict(scale("another-deployment", 2)), false);
        const pod = (labels: Record<string, string>, annotations: Record<string, string>, image = "w") => ({
            metadata: { name: "p", labels, annotations },
            spec: { containers: [{ name: "engine", image }] },
        });
        const workerLabels = { "app.kubernetes.io/instance": "dev", "ipp-cluster/worker-group": "default" };
        const patch = (before: any, after: any) => ({ request: { resource: { resource: "pods" } }, oldObject: before, object: after });
        assert.ok(verdict(patch(pod(workerLabels, { a: "1" }), pod(workerLabels, { a: "1", [DELETION_COST]: "-1000" }))));
        assert.ok(!verdict(patch(pod(workerLabels, { a: "1" }), pod(workerLabels, { a: "2" }))), "another annotation changed");
        assert.ok(!verdict(patch(pod(workerLabels, {}), pod(workerLabels, {}, "evil"))), "the spec changed");
        assert.ok(
            !verdict(patch(pod({ "app.kubernetes.io/instance": "other" }, {}), pod({ "app.kubernetes.io/instance": "other" }, { [DELETION_COST]: "1" }))),
            "another stack's pod",
        );
    });

    it("scalerAdmissionPolicy false leaves the policy out; the rules and policy builders are pure", async () => {
        const off = await runProgram({ ...SCALING, scalerAdmissionPolicy: "false" });
        assert.strictEqual(ofType(off, ":ValidatingAdmissionPolicy").length, 0);
        assert.strictEqual(ofType(off, ":ValidatingAdmissionPolicyBinding").length, 0);
        assert.deepStrictEqual(scalerRules(["b", "a"])[0].resourceNames, ["a", "b"]);
        assert.strictEqual(admissionPolicySpec("u", "i", []).validations[0].expression, "request.resource.resource != 'deployments' || false");
    });

    it("every object it declares passes the Kubernetes OpenAPI schema", async () => {
        const kinds = (await validateObjects(run)).map(r => r.type.split(":").pop());
        for (const kind of ["ServiceAccount", "Role", "RoleBinding", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"])
            assert.ok(kinds.includes(kind), kind);
    });
});
