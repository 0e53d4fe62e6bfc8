import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { controllerServiceSpec, frontendPodSpec, notebookClaimSpec, notebookServiceSpec } from "../../lib/k8s/frontend";
import { workerDeploymentSpec, workerPodSpec } from "../../lib/k8s/workers";
import { frontendNetworkPolicySpec, workerNetworkPolicySpec } from "../../lib/k8s/network-policy";
import { dockerConfigJson } from "../../lib/k8s/registry-secret";
import { promiseOf } from "../../testbed/program";
import { defaultGroup } from "../../lib/groups";
import { hubSettings } from "../../lib/hub-settings";

const SETTINGS = { image: "reg.example.com/ipp-frontend@sha256:abc", imagePullPolicy: "IfNotPresent", resources: { cpu: "250m", memory: "2Gi" } };
const SOURCES = { configMapName: "cm-fn", secretName: "key-secret", hub: hubSettings(8) };
const SELECT_FRONTEND = { "app.kubernetes.io/name": "ipp-cluster", "app.kubernetes.io/instance": "lab", "app.kubernetes.io/component": "frontend" };
const SELECT_WORKERS = { ...SELECT_FRONTEND, "app.kubernetes.io/component": "worker" };
const INSTANCE = { "app.kubernetes.io/name": "ipp-cluster", "app.kubernetes.io/instance": "lab" };
const GROUP = defaultGroup({ workers: 2, enginesPerWorker: 1, cpu: "500m", memory: "1Gi" });
const OPTIONS = { instance: "lab", gpuResource: "nvidia.com/gpu", watcherUrl: "http://ipp-lab-controller:10121" };
const WATCH = { watchSeconds: 5, cluster: "lab" };
const SCRAPERS = { namespace: "monitoring", podLabels: { "app.kubernetes.io/name": "prometheus" } };
const ENGINE_PORTS: [string, number][] = [
    ["tcp-register", 10100],
    ["tcp-e-control", 10101],
    ["tcp-e-mux", 10102],
    ["tcp-e-task", 10103],
    ["tcp-e-iopub", 10104],
    ["tcp-e-hb-ping", 10105],
    ["tcp-e-hb-pong", 10106],
    ["tcp-e-bcast-0", 10107],
    ["tcp-e-bcast-1", 10108],
];
const CLIENT_PORTS: [string, number][] = [
    ["tcp-c-control", 10109],
    ["tcp-c-mux", 10110],
    ["tcp-c-task", 10111],
    ["tcp-c-iopub", 10112],
    ["tcp-c-notify", 10113],
    ["tcp-c-bcast", 10114],
];
const SECURITY = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: 1000,
    runAsGroup: 1000,
    capabilities: { drop: ["ALL"] },
};

const byName = (xs: any[]) => Object.fromEntries(xs.map(x => [x.name, x]));
const LAB = { interface: "lab", server: "jupyter-server" } as const;

describe("Kubernetes specs (lib/k8s/)", () => {
    describe("the controller's Service", () => {
        const spec = controllerServiceSpec("lab");
        it("selects the frontend pods of this deployment alone", () => assert.deepStrictEqual(spec.selector, SELECT_FRONTEND));
        it("carries exactly the registration and engine ports and the watcher's (not its metrics), each to the container port of the same name", () => {
            assert.strictEqual(spec.type, "ClusterIP");
            assert.deepStrictEqual(
                spec.ports,
                [...ENGINE_PORTS, ["http-watcher", 10121]].map(([name, port]) => ({ name, port, targetPort: name, protocol: "TCP" })),
            );
        });
        it("publishes the Pod whatever its readiness, so that the watcher never stands between the engines and the controller", () => {
            assert.strictEqual(spec.publishNotReadyAddresses, true);
        });
    });

    describe("the notebook's Service", () => {
        it("carries the notebook's port and nothing else, in the type asked for", () => {
            const spec = notebookServiceSpec("lab", "LoadBalancer");
            assert.deepStrictEqual(spec, {
                type: "LoadBalancer",
                selector: SELECT_FRONTEND,
                ports: [{ name: "http-notebook", port: 8888, targetPort: "http-notebook", protocol: "TCP" }],
            });
        });
    });

    describe("the frontend Pod", () => {
        const alone = frontendPodSpec(SETTINGS, SOURCES, WATCH) as any;
        const withNotebook = frontendPodSpec(SETTINGS, { ...SOURCES, imagePullSecrets: ["pull"] }, WATCH, {
            app: LAB,
            resources: { cpu: "1", memory: "1Gi" },
            tokenSecretName: "tok",
        }) as any;

        it("declares every controller port by name, and is Ready once registration accepts connections", () => {
            const controller = alone.containers[0];
            assert.deepStrictEqual(
                controller.ports,
                [...ENGINE_PORTS, ...CLIENT_PORTS].map(([name, port]) => ({ name, containerPort: port, protocol: "TCP" })),
            );
            assert.deepStrictEqual(controller.readinessProbe, { tcpSocket: { port: "tcp-register" }, periodSeconds: 2, failureThreshold: 3 });
            assert.deepStrictEqual(controller.args.slice(0, 2), ["ipcontroller", "--reuse"]);
        });

        it("gives the controller the hub's timing the pods share, and the workers the same registration wait", () => {
            const hub = hubSettings(8000);
            const controller = (frontendPodSpec(SETTINGS, { ...SOURCES, hub }, WATCH) as any).containers[0];
            assert.deepStrictEqual(
                controller.args.filter((a: string) => /^--(ping|HeartMonitor|IPController\.registration)/.test(a)),
                ["--ping=2000", "--HeartMonitor.max_heartmonitor_misses=8", "--IPController.registration_timeout=390"],
            );
            const worker = (workerPodSpec(SETTINGS, { ...SOURCES, hub }, GROUP, OPTIONS) as any).containers[0];
            assert.strictEqual(worker.env.find((v: { name: string }) => v.name === "IPP_REGISTRATION_SECONDS").value, "390");
        });

        it("runs unprivileged as uid 1000 with a read-only root and no service account token", () => {
            for (const c of withNotebook.containers) assert.deepStrictEqual(c.securityContext, SECURITY, c.name);
            assert.deepStrictEqual(alone.securityContext, {
                runAsNonRoot: true,
                runAsUser: 1000,
                runAsGroup: 1000,
                fsGroup: 1000,
                seccompProfile: { type: "RuntimeDefault" },
            });
            assert.strictEqual(alone.automountServiceAccountToken, false);
            assert.strictEqual(alone.enableServiceLinks, false);
        });

        it("holds the controller's store of task results to a quarter of its memory limit", () => {
            assert.ok(alone.containers[0].args.includes("--DictDB.size_limit=536870912"), alone.containers[0].args.join(" "));
        });

        it("requests CPU without limiting it, and limits memory to its request", () => {
            assert.deepStrictEqual(alone.containers[0].resources, { requests: { cpu: "250m", memory: "2Gi" }, limits: { memory: "2Gi" } });
            assert.deepStrictEqual(byName(withNotebook.containers).notebook.resources, { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } });
        });

        it("mounts the keyless files and the key read-only, the key with mode 0440", () => {
            const volumes = byName(alone.volumes);
            assert.deepStrictEqual(volumes.connection, { name: "connection", configMap: { name: "cm-fn" } });
            assert.deepStrictEqual(volumes["session-key"], { name: "session-key", secret: { secretName: "key-secret", defaultMode: 0o440 } });
            const mounts = byName(alone.containers[0].volumeMounts);
            assert.deepStrictEqual(mounts.connection, { name: "connection", mountPath: "/etc/ipp/connection", readOnly: true });
            assert.deepStrictEqual(mounts["session-key"], { name: "session-key", mountPath: "/etc/ipp/secret", readOnly: true });
        });

        it("has the controller and the watcher without a notebook; with one, the token is mounted in the notebook alone", () => {
            assert.deepStrictEqual(
                alone.containers.map((c: any) => c.name),
                ["controller", "watcher"],
            );
            assert.ok(!alone.volumes.some((v: any) => v.name === "notebook-token"));
            const c = byName(withNotebook.containers);
            assert.ok(byName(c.notebook.volumeMounts)["notebook-token"]);
            assert.ok(!byName(c.controller.volumeMounts)["notebook-token"]);
            assert.deepStrictEqual(c.notebook.readinessProbe.tcpSocket, { port: "http-notebook" });
        });

        it("names image pull secrets only when there are some", () => {
            assert.strictEqual(alone.imagePullSecrets, undefined);
            assert.deepStrictEqual(withNotebook.imagePullSecrets, [{ name: "pull" }]);
        });
    });

    describe("the worker pods", () => {
        const pod = workerPodSpec(
            { ...SETTINGS, resources: { cpu: "500m", memory: "1Gi" } },
            { configMapName: "cm-wn", secretName: "key-secret", hub: hubSettings(8) },
            GROUP,
            OPTIONS,
        ) as any;
        it("run one engine that listens on nothing, Ready only while the readiness file exists", () => {
            assert.deepStrictEqual(
                pod.containers.map((c: any) => c.name),
                ["engine"],
            );
            const engine = pod.containers[0];
            assert.strictEqual(engine.ports, undefined);
            assert.deepStrictEqual(engine.readinessProbe, {
                exec: { command: ["test", "-e", "/tmp/ipp-worker-ready"] },
                periodSeconds: 2,
                failureThreshold: 1,
            });
            assert.strictEqual(byName(engine.env).IPP_READY_FILE.value, "/tmp/ipp-worker-ready");
            assert.deepStrictEqual(engine.securityContext, SECURITY);
        });
        it("leave 15 s to unregister on deletion", () => assert.strictEqual(pod.terminationGracePeriodSeconds, 15));

        it("come from a Deployment whose selector is the template's stable labels, never a version", () => {
            const spec = workerDeploymentSpec("lab", { ...GROUP, workers: 3 }, pod, { "ipp-cluster/image-id": "sha256:1" }) as any;
            assert.strictEqual(spec.replicas, 3);
            assert.deepStrictEqual(spec.selector, { matchLabels: SELECT_WORKERS });
            assert.deepStrictEqual(spec.template.metadata, {
                labels: {
                    ...SELECT_WORKERS,
                    "app.kubernetes.io/part-of": "ipp-cluster",
                    "app.kubernetes.io/managed-by": "pulumi",
                    "ipp-cluster/worker-group": "default",
                },
                annotations: { "ipp-cluster/image-id": "sha256:1" },
            });
        });
    });

    describe("storage", () => {
        const NFS = { kind: "nfs" as const, server: "nfs.example.com", path: "/exports/data", readOnly: true };
        const frontend = frontendPodSpec(SETTINGS, SOURCES, WATCH, {
            app: LAB,
            resources: SETTINGS.resources,
            tokenSecretName: "tok",
            homeClaimName: "home-claim",
            shared: NFS,
        }) as any;

        it("the notebook's home is its claim; the profile with the keyed files an emptyDir over it, shared with the controller", () => {
            const volumes = byName(frontend.volumes);
            assert.deepStrictEqual(
                [volumes["notebook-home"], volumes.ipython],
                [
                    { name: "notebook-home", persistentVolumeClaim: { claimName: "home-claim" } },
                    { name: "ipython", emptyDir: {} },
                ],
            );
            const c = byName(frontend.containers);
            assert.deepStrictEqual(
                c.notebook.volumeMounts.map((m: any) => `${m.name}:${m.mountPath}${m.readOnly ? ":ro" : ""}`),
                [
                    "connection:/etc/ipp/connection:ro",
                    "session-key:/etc/ipp/secret:ro",
                    "notebook-home:/home/jupyter",
                    "tmp:/tmp",
                    "ipython:/home/jupyter/.ipython",
                    "notebook-token:/etc/ipp/notebook:ro",
                    "shared:/home/jupyter/shared",
                ],
            );
            assert.deepStrictEqual(c.controller.volumeMounts.map((m: any) => `${m.name}:${m.mountPath}`).slice(2), [
                "home:/home/jupyter",
                "tmp:/tmp",
                "ipython:/home/jupyter/.ipython",
            ]);
            assert.strictEqual(frontend.securityContext.fsGroupChangePolicy, "OnRootMismatch");
        });

        it("the notebook writes to the shared volume, which a read-only engine only reads", () => {
            assert.deepStrictEqual(byName(frontend.volumes).shared, { name: "shared", nfs: { server: "nfs.example.com", path: "/exports/data" } });
            const worker = workerPodSpec(SETTINGS, SOURCES, GROUP, { ...OPTIONS, shared: NFS }) as any;
            assert.deepStrictEqual(byName(worker.volumes).shared, {
                name: "shared",
                nfs: { server: "nfs.example.com", path: "/exports/data", readOnly: true },
            });
            assert.deepStrictEqual(byName(worker.containers[0].volumeMounts).shared, { name: "shared", mountPath: "/home/jupyter/shared", readOnly: true });
        });

        it("the claim asks for one node's read-write access, its class only when one is named", () => {
            assert.deepStrictEqual(notebookClaimSpec("10Gi"), { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } });
            assert.strictEqual(notebookClaimSpec("1Gi", "fast").storageClassName, "fast");
        });
    });

    describe("network policies", () => {
        it("let only this deployment's pods reach the controller's ports; the notebook's port is open only with a notebook", () => {
            const rule = {
                from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "ipp-cluster", "app.kubernetes.io/instance": "lab" } } }],
                ports: [...ENGINE_PORTS, ...CLIENT_PORTS, ["http-watcher"]].map(([name]) => ({ port: name, protocol: "TCP" })),
            };
            const scrape = {
                from: [
                    {
                        podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
                    },
                ],
                ports: [{ port: "http-metrics", protocol: "TCP" }],
            };
            assert.deepStrictEqual(frontendNetworkPolicySpec("lab", false, SCRAPERS), {
                podSelector: { matchLabels: SELECT_FRONTEND },
                policyTypes: ["Ingress"],
                ingress: [rule, scrape],
            });
            assert.deepStrictEqual(frontendNetworkPolicySpec("lab", true, SCRAPERS).ingress, [
                rule,
                scrape,
                { ports: [{ port: "http-notebook", protocol: "TCP" }] },
            ]);
        });
        it("admit nothing to the workers", () => {
            assert.deepStrictEqual(workerNetworkPolicySpec("lab"), {
                podSelector: { matchLabels: INSTANCE, matchExpressions: [{ key: "ipp-cluster/worker-group", operator: "Exists" }] },
                policyTypes: ["Ingress"],
                ingress: [],
            });
        });
    });

    it("writes the registry login as a secret dockerconfigjson for the registry's host", async () => {
        const json = dockerConfigJson({ server: "ghcr.io", username: "alice", password: pulumi.output("s3cret") });
        assert.ok(await pulumi.isSecret(json));
        assert.deepStrictEqual(JSON.parse(await promiseOf(json)), {
            auths: { "ghcr.io": { username: "alice", password: "s3cret", auth: Buffer.from("alice:s3cret").toString("base64") } },
        });
    });
});
