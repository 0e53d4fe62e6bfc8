import * as assert from "assert";
import { Declared, MOCK_NAME_SUFFIX, ProgramRun, find, isSecretInput, ofType, runProgram, withSecretsHidden } from "../../testbed/program";
import { validateObjects } from "./k8s-schema";

const byName = (xs: any[]) => Object.fromEntries(xs.map(x => [x.name, x]));
const esmImport = new Function("specifier", "return import(specifier)") as (s: string) => Promise<any>;

const BASE = { registry: "registry.example.com/team", workers: "3" };

function short(urn: string): string {
    return urn.split("::").pop()!;
}

function deps(r: Declared): string[] {
    return r.dependencies.map(short);
}

/** The session key the mock generated (RandomBytes' hex), as the Secret holds it; fails when it is not there. */
async function sessionKeyOf(run: ProgramRun): Promise<string> {
    const key = find(run, "core/v1:Secret", "ipp-cluster-session-key").inputs.stringData["session-key"];
    assert.match(key, /^[0-9a-f]{64}$/, "the Secret must hold the generated key");
    return key;
}

describe("the program on Kubernetes", function () {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram(BASE);
    });

    it("declares the images, the key and the cluster's objects, with their names", () => {
        const declared = run.resources.map(r => `${r.type} ${r.name}`).sort();
        assert.deepStrictEqual(declared, [
            "command:local:Command ipp-images-environment",
            "docker:index/image:Image ipp-images-base",
            "docker:index/image:Image ipp-images-frontend",
            "docker:index/image:Image ipp-images-worker",
            "ipp-cluster:index:Cluster ipp",
            "ipp-cluster:index:Images ipp-images",
            "ipp-cluster:index:KubernetesCluster ipp-cluster",
            "kubernetes:apps/v1:Deployment ipp-cluster-workers",
            "kubernetes:core/v1:ConfigMap ipp-cluster-configmap-fn",
            "kubernetes:core/v1:ConfigMap ipp-cluster-configmap-wn",
            "kubernetes:core/v1:Namespace ipp-cluster-namespace",
            "kubernetes:core/v1:PersistentVolumeClaim ipp-cluster-notebook-home",
            "kubernetes:core/v1:Pod ipp-cluster-frontend",
            "kubernetes:core/v1:Secret ipp-cluster-notebook-token",
            "kubernetes:core/v1:Secret ipp-cluster-session-key",
            "kubernetes:core/v1:Service ipp-cluster-notebook-service",
            "kubernetes:core/v1:Service ipp-cluster-service",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy ipp-cluster-netpol-frontend",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy ipp-cluster-netpol-workers",
            "pulumi:providers:kubernetes ipp-cluster-adopting-provider",
            "random:index/randomBytes:RandomBytes ipp-session-key",
            "random:index/randomPassword:RandomPassword ipp-notebook-token",
        ]);
    });

    it("creates configmap-fn → configmap-wn → Service → frontend Pod → worker Deployment, each depending on the one before", () => {
        const chain = [
            find(run, "ConfigMap", "ipp-cluster-configmap-fn"),
            find(run, "ConfigMap", "ipp-cluster-configmap-wn"),
            find(run, "Service", "ipp-cluster-service"),
            find(run, "Pod", "ipp-cluster-frontend"),
            find(run, "Deployment", "ipp-cluster-workers"),
        ];
        for (let i = 1; i < chain.length; i++) {
            assert.ok(chain[i].dependencies.includes(chain[i - 1].urn), `${chain[i].name} must depend on ${chain[i - 1].name}; has ${deps(chain[i])}`);
        }
        assert.ok(!deps(chain[0]).some(d => ["ipp-cluster-configmap-wn", "ipp-cluster-service", "ipp-cluster-frontend", "ipp-cluster-workers"].includes(d)));
    });

    it("puts every object in the namespace it creates, ipp-<stack>", () => {
        const ns = find(run, "Namespace", "ipp-cluster-namespace");
        assert.strictEqual(ns.inputs.metadata.name, "ipp-dev");
        for (const r of run.resources.filter(r => r.type.startsWith("kubernetes:") && r !== ns)) {
            assert.strictEqual(r.inputs.metadata.namespace, "ipp-dev", r.name);
            assert.ok(r.dependencies.includes(ns.urn), `${r.name} must depend on the namespace`);
        }
    });

    it("keeps the session key out of every ConfigMap, every plain input and every output that is not secret", async () => {
        const key = await sessionKeyOf(run);
        assert.match(key, /^[0-9a-f]{64}$/);
        for (const cm of ofType(run, "ConfigMap")) {
            for (const [file, text] of Object.entries<string>(cm.inputs.data)) {
                assert.ok(!("key" in JSON.parse(text)), `${cm.name}/${file} has a key field`);
                assert.ok(!text.includes(key), `${cm.name}/${file} holds the key`);
            }
        }
        const plain = (r: Declared) => withSecretsHidden(r);
        for (const r of run.resources) assert.ok(!plain(r).includes(key), `${r.type} ${r.name} holds the key in a plain input`);
        for (const [name, value] of Object.entries(run.outputs)) {
            if (!run.secretOutputs.includes(name)) assert.ok(!JSON.stringify(value ?? "").includes(key), `output ${name} holds the key`);
        }
        assert.ok(run.outputs.laptopClientFile.includes(key), "the laptop's client file must carry the key");
    });

    it("holds the key only in a Secret, sent as a secret and kept secret in its outputs", () => {
        const secret = find(run, "core/v1:Secret", "ipp-cluster-session-key");
        assert.ok(isSecretInput(secret, ["stringData", "session-key"]));
        assert.deepStrictEqual([...new Set(secret.additionalSecretOutputs)].sort(), ["data", "stringData"]);
        const random = find(run, "RandomBytes", "ipp-session-key");
        assert.strictEqual(random.inputs.length, 32);
    });

    it("gives the frontend both keyless files, pointing at itself, and the workers the engine file, pointing at the Service", () => {
        const fn = find(run, "ConfigMap", "ipp-cluster-configmap-fn").inputs.data;
        const wn = find(run, "ConfigMap", "ipp-cluster-configmap-wn").inputs.data;
        assert.deepStrictEqual(Object.keys(fn).sort(), ["ipcontroller-client.json", "ipcontroller-engine.json"]);
        assert.deepStrictEqual(Object.keys(wn), ["ipcontroller-engine.json"]);
        const fnEngine = JSON.parse(fn["ipcontroller-engine.json"]);
        const fnClient = JSON.parse(fn["ipcontroller-client.json"]);
        const wnEngine = JSON.parse(wn["ipcontroller-engine.json"]);
        assert.deepStrictEqual([fnEngine.interface, fnEngine.location], ["tcp://*", "ipp-dev-frontend"]);
        assert.deepStrictEqual([fnClient.interface, fnClient.location], ["tcp://*", "ipp-dev-frontend"]);
        assert.deepStrictEqual([wnEngine.interface, wnEngine.location], ["tcp://ipp-dev-controller", "ipp-dev-controller"]);
        const { interface: _a, location: _b, ...fnPorts } = fnEngine;
        const { interface: _c, location: _d, ...wnPorts } = wnEngine;
        assert.deepStrictEqual(wnPorts, fnPorts, "the workers' ports must be the controller's");
        assert.strictEqual(fnClient.registration, fnEngine.registration);
    });

    it("names the Service <prefix>-controller, selects the frontend alone, and routes every port to a declared frontend port: the engines' and the watcher's", () => {
        const service = find(run, "Service", "ipp-cluster-service").inputs;
        const pod = find(run, "Pod", "ipp-cluster-frontend").inputs;
        const workerLabels = find(run, "Deployment", "ipp-cluster-workers").inputs.spec.template.metadata.labels;
        assert.strictEqual(service.metadata.name, "ipp-dev-controller");
        assert.strictEqual(service.spec.type, "ClusterIP");
        const selects = (labels: Record<string, string>) => Object.entries(service.spec.selector).every(([k, v]) => labels[k] === v);
        assert.ok(selects(pod.metadata.labels), "the selector must match the frontend pod");
        assert.ok(!selects(workerLabels), "the selector must not match the workers");
        const containerPorts = new Map<string, number>(pod.spec.containers.flatMap((c: any) => c.ports).map((p: any) => [p.name, p.containerPort]));
        for (const p of service.spec.ports) {
            assert.strictEqual(containerPorts.get(p.targetPort), p.port, `${p.name} → ${p.targetPort}`);
        }
        const wn = JSON.parse(find(run, "ConfigMap", "ipp-cluster-configmap-wn").inputs.data["ipcontroller-engine.json"]);
        const needed = [wn.registration, wn.control, wn.mux, wn.task, wn.iopub, wn.hb_ping, wn.hb_pong, ...wn.broadcast, 10121].sort();
        assert.deepStrictEqual(service.spec.ports.map((p: any) => p.port).sort(), needed);
    });

    it("runs ipcontroller --reuse in a fixed-name Pod that is deleted before it is replaced", () => {
        const pod = find(run, "Pod", "ipp-cluster-frontend");
        assert.strictEqual(pod.inputs.metadata.name, "ipp-dev-frontend");
        assert.strictEqual(pod.deleteBeforeReplace, true);
        const c = pod.inputs.spec.containers[0];
        assert.strictEqual(c.args[0], "ipcontroller");
        assert.ok(c.args.includes("--reuse"));
        assert.deepStrictEqual(c.readinessProbe.tcpSocket, { port: "tcp-register" });
    });

    it("runs ipp-engine (ipengine, the worker its nanny) in `workers` replicas, Ready only while the engine is registered", () => {
        const d = find(run, "Deployment", "ipp-cluster-workers").inputs;
        assert.strictEqual(d.spec.replicas, 3);
        const c = d.spec.template.spec.containers[0];
        assert.strictEqual(c.args[0], "ipp-engine");
        assert.ok(c.args.includes("--file=/etc/ipp/connection/ipcontroller-engine.json"));
        assert.ok(c.args.includes("--keyfile=/etc/ipp/secret/session-key"));
        const readyFile = c.env.find((e: any) => e.name === "IPP_READY_FILE").value;
        assert.deepStrictEqual(c.readinessProbe.exec.command, ["test", "-e", readyFile]);
        assert.deepStrictEqual(d.spec.selector.matchLabels, {
            "app.kubernetes.io/name": "ipp-cluster",
            "app.kubernetes.io/instance": "dev",
            "app.kubernetes.io/component": "worker",
        });
    });

    it("mounts the key from the Secret and the files from their ConfigMaps, never as plain environment", async () => {
        const key = await sessionKeyOf(run);
        const secretName = `cluster-session-key${MOCK_NAME_SUFFIX}`; // the mock provider's auto-name
        const pods: [string, any][] = [
            ["configmap-fn", find(run, "Pod", "ipp-cluster-frontend").inputs.spec],
            ["configmap-wn", find(run, "Deployment", "ipp-cluster-workers").inputs.spec.template.spec],
        ];
        for (const [cm, spec] of pods) {
            const volumes = Object.fromEntries(spec.volumes.map((v: any) => [v.name, v]));
            assert.strictEqual(volumes.connection.configMap.name, `cluster-${cm}${MOCK_NAME_SUFFIX}`);
            assert.strictEqual(volumes["session-key"].secret.secretName, secretName);
            assert.strictEqual(volumes["session-key"].secret.defaultMode, 0o440);
            for (const c of spec.containers) {
                assert.ok(!JSON.stringify([c.env, c.args, c.command]).includes(key), `${cm}: ${c.name}'s environment or command holds the key`);
                assert.ok(!c.env.some((e: any) => e.valueFrom?.secretKeyRef), `${c.name} takes no value from a Secret into its environment`);
                assert.deepStrictEqual(
                    c.env.filter((e: any) => e.valueFrom).map((e: any) => e.valueFrom),
                    cm === "configmap-wn" ? [{ fieldRef: { fieldPath: "metadata.name" } }] : [],
                );
            }
        }
    });

    it("runs every container as uid 1000 without privileges", () => {
        for (const spec of [find(run, "Pod", "ipp-cluster-frontend").inputs.spec, find(run, "Deployment", "ipp-cluster-workers").inputs.spec.template.spec]) {
            assert.strictEqual(spec.securityContext.runAsNonRoot, true);
            assert.strictEqual(spec.automountServiceAccountToken, false);
            const sc = spec.containers[0].securityContext;
            assert.deepStrictEqual(
                [sc.runAsNonRoot, sc.runAsUser, sc.allowPrivilegeEscalation, sc.readOnlyRootFilesystem, sc.capabilities.drop],
                [true, 1000, false, true, ["ALL"]],
            );
            const r = spec.containers[0].resources;
            assert.ok(r.requests.cpu && r.requests.memory && r.limits.memory);
        }
    });

    it("sets cpu and memory from the stack", async () => {
        const custom = await runProgram({ ...BASE, workerCpu: "2", workerMemory: "3Gi", frontendCpu: "750m", frontendMemory: "640Mi" });
        assert.deepStrictEqual(find(custom, "Deployment", "ipp-cluster-workers").inputs.spec.template.spec.containers[0].resources, {
            requests: { cpu: "2", memory: "3Gi" },
            limits: { memory: "3Gi" },
        });
        assert.deepStrictEqual(find(custom, "Pod", "ipp-cluster-frontend").inputs.spec.containers[0].resources, {
            requests: { cpu: "750m", memory: "640Mi" },
            limits: { memory: "640Mi" },
        });
    });

    it("must not expose the controller (or the watcher) beyond this deployment's own pods, nor the metrics beyond the scrapers", () => {
        const fn = find(run, "NetworkPolicy", "ipp-cluster-netpol-frontend").inputs.spec;
        assert.deepStrictEqual(fn.podSelector.matchLabels, find(run, "Service", "ipp-cluster-service").inputs.spec.selector);
        assert.deepStrictEqual(fn.policyTypes, ["Ingress"]);
        assert.strictEqual(fn.ingress.length, 3);
        assert.deepStrictEqual(fn.ingress[2], { ports: [{ port: "http-notebook", protocol: "TCP" }] }, "only the notebook's port is open to all");
        assert.deepStrictEqual(fn.ingress[0].from, [
            { podSelector: { matchLabels: { "app.kubernetes.io/name": "ipp-cluster", "app.kubernetes.io/instance": "dev" } } },
        ]);
        const containers = byName(find(run, "Pod", "ipp-cluster-frontend").inputs.spec.containers);
        const portsOf = (c: any) => c.ports.map((p: any) => p.name);
        assert.deepStrictEqual(fn.ingress[0].ports.map((p: any) => p.port).sort(), [...portsOf(containers.controller), "http-watcher"].sort());
        assert.deepStrictEqual(fn.ingress[1], {
            from: [
                {
                    podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
                    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
                },
            ],
            ports: [{ port: "http-metrics", protocol: "TCP" }],
        });
        assert.deepStrictEqual(portsOf(containers.watcher), ["http-metrics", "http-watcher"]);
        const wn = find(run, "NetworkPolicy", "ipp-cluster-netpol-workers").inputs.spec;
        assert.deepStrictEqual([wn.policyTypes, wn.ingress], [["Ingress"], []]);
    });

    it("builds the images under the registry, frontend and worker FROM the pushed base digest", () => {
        const base = find(run, "Image", "ipp-images-base").inputs;
        assert.strictEqual(base.imageName, "registry.example.com/team/ipp-base:latest");
        assert.deepStrictEqual(base.build.args, { OS_IMAGE: "debian:trixie-slim", PYTHON_STACK: "pypi" });
        assert.strictEqual(base.skipPush, false);
        for (const kind of ["frontend", "worker"]) {
            const image = find(run, "Image", `ipp-images-${kind}`);
            assert.strictEqual(image.inputs.imageName, `registry.example.com/team/ipp-${kind}:latest`);
            assert.strictEqual(image.inputs.build.context, `images/${kind}`);
            assert.match(image.inputs.build.args.BASE_IMAGE, /^registry\.example\.com\/team\/ipp-base@sha256:[0-9a-f]{64}$/);
            assert.ok(image.dependencies.includes(find(run, "Image", "ipp-images-base").urn));
        }
    });

    it("refers to pushed images by digest in the pods", () => {
        const frontend = find(run, "Pod", "ipp-cluster-frontend").inputs;
        const worker = find(run, "Deployment", "ipp-cluster-workers").inputs.spec.template;
        assert.strictEqual(frontend.spec.containers[0].image, run.outputs.imageDigests.frontend);
        assert.strictEqual(worker.spec.containers[0].image, run.outputs.imageDigests.worker);
        assert.match(run.outputs.imageDigests.worker, /^registry\.example\.com\/team\/ipp-worker@sha256:/);
        assert.deepStrictEqual(frontend.metadata.annotations, {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": "10120",
            "prometheus.io/path": "/metrics",
        });
    });

    it("exports where the cluster is and the exact command that runs the seed's test", () => {
        const o = run.outputs;
        assert.deepStrictEqual([o.namespace, o.frontendPod, o.service, o.workers], ["ipp-dev", "ipp-dev-frontend", "ipp-dev-controller", 3]);
        assert.strictEqual(
            o.seedTest,
            `kubectl exec -n ipp-dev ipp-dev-frontend -c controller -- python3 -c 'import ipyparallel as ipp; ` +
                `c = ipp.Client("/home/jupyter/.ipython/profile_default/security/ipcontroller-client.json"); ` +
                `print(c.ids); print(c[:].apply_sync(lambda: "Hello, World"))'`,
        );
        assert.deepStrictEqual(run.secretOutputs.sort(), ["laptopClientFile", "notebookUrl"]);
    });

    it("produces objects that pass the Kubernetes OpenAPI schema", async () => {
        const objects = await validateObjects(run);
        // Namespace, 2 ConfigMaps, 2 Secrets, 2 Services, the Pod, the notebook's claim, the Deployment, 2 NetworkPolicies.
        assert.strictEqual(objects.length, 12);
    });

    it("the schema check catches a wrong object", async () => {
        const { Pod } = await esmImport("kubernetes-models/v1");
        const pod = find(run, "Pod", "ipp-cluster-frontend").inputs;
        const broken = JSON.parse(JSON.stringify(pod));
        broken.spec.containers[0].ports[0].containerPort = "10100";
        assert.throws(() => new Pod(broken).validate(), /containerPort must be integer/);
    });
});
