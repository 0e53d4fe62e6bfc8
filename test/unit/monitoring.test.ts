import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { problemsOf as problems } from "./config-problems";
import { METRICS_PORT, WATCHER_PORT } from "../../lib/ports";
import { DASHBOARD_FILE } from "../../lib/k8s/monitoring";
import { ProgramRun, find, ofType, runProgram } from "../../testbed/program";

const ROOT = path.resolve(__dirname, "../..");
const REGISTRY = { registry: "registry.example.com/team", workers: "2" };
const byName = (xs: any[]) => Object.fromEntries(xs.map(x => [x.name, x]));
const envOf = (c: any): Record<string, string> => Object.fromEntries((c.env ?? []).filter((e: any) => "value" in e).map((e: any) => [e.name, e.value]));
const envsOf = (c: any): Record<string, string> => Object.fromEntries(c.inputs.envs.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));

/** Whether a NetworkPolicy peer in the cluster's own namespace selects pods labelled `labels`. */
function peerSelects(peer: any, labels: Record<string, string>): boolean {
    if (peer.namespaceSelector) return false; // another namespace: the cluster's namespace is refused by the settings
    return Object.entries(peer.podSelector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

describe("monitoring on Kubernetes", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ ...REGISTRY, watchSeconds: "7" });
    });

    it("runs the watcher beside the controller: the frontend's image, its two ports, its own home and no readiness probe", () => {
        const containers = byName(find(run, "Pod", "ipp-cluster-frontend").inputs.spec.containers);
        const watcher = containers.watcher;
        assert.strictEqual(watcher.image, containers.controller.image);
        assert.deepStrictEqual(watcher.args, ["ipp-watcher"]);
        assert.deepStrictEqual(
            watcher.ports.map((p: any) => [p.name, p.containerPort]),
            [
                ["http-metrics", METRICS_PORT.port],
                ["http-watcher", WATCHER_PORT.port],
            ],
        );
        assert.strictEqual(watcher.readinessProbe, undefined);
        assert.deepStrictEqual(watcher.resources, { requests: { cpu: "50m", memory: "256Mi" }, limits: { memory: "256Mi" } });
        const env = envOf(watcher);
        assert.deepStrictEqual([env.IPP_WATCH_SECONDS, env.IPP_METRICS_PORT, env.IPP_WATCHER_PORT, env.IPP_CLUSTER], ["7", "10120", "10121", "dev"]);
        assert.strictEqual(env.IPP_CLIENT_FILE, "/home/jupyter/.ipython/profile_default/security/ipcontroller-client.json");
        assert.ok(watcher.volumeMounts.some((m: any) => m.name === "watcher-home" && m.mountPath === "/home/jupyter"));
        assert.strictEqual(envOf(containers.notebook).IPP_WATCHER_URL, "http://127.0.0.1:10121");
    });

    it("the workers report through the controller's Service, which carries the watcher's port and not the metrics'", () => {
        const service = find(run, "Service", "ipp-cluster-service").inputs.spec;
        const names = service.ports.map((p: any) => p.name);
        assert.ok(names.includes("http-watcher") && !names.includes("http-metrics"), `${names}`);
        const engine = find(run, "Deployment", "ipp-cluster-workers").inputs.spec.template.spec.containers[0];
        assert.strictEqual(envOf(engine).IPP_WATCHER_URL, `http://${run.outputs.service}:10121`);
    });

    it("is scraped the usual ways: prometheus.io annotations on the controller Pod, and no PodMonitor or dashboard unless asked", () => {
        const annotations = find(run, "Pod", "ipp-cluster-frontend").inputs.metadata.annotations;
        assert.deepStrictEqual(
            [annotations["prometheus.io/scrape"], annotations["prometheus.io/port"], annotations["prometheus.io/path"]],
            ["true", "10120", "/metrics"],
        );
        assert.deepStrictEqual(ofType(run, "PodMonitor"), []);
        assert.deepStrictEqual(ofType(run, "ConfigMap").length, 2);
    });

    it("the metrics port is reachable from the scrapers alone, never from the engines", () => {
        const policy = find(run, "NetworkPolicy", "ipp-cluster-netpol-frontend").inputs.spec;
        const workerLabels = find(run, "Deployment", "ipp-cluster-workers").inputs.spec.template.metadata.labels;
        const opening = policy.ingress.filter((rule: any) => rule.ports.some((p: any) => p.port === "http-metrics"));
        assert.strictEqual(opening.length, 1);
        assert.ok(opening[0].from.length > 0, "a rule without peers admits everybody");
        assert.ok(!opening[0].from.some((peer: any) => peerSelects(peer, workerLabels)), "a worker pod may scrape the metrics");
        // The check can fail: the rule of the controller's ports does select the workers.
        const controllerRule = policy.ingress.find((rule: any) => rule.ports.some((p: any) => p.port === "tcp-register"));
        assert.ok(controllerRule.from.some((peer: any) => peerSelects(peer, workerLabels)));
    });

    it("declares a PodMonitor when asked: the controller Pod's metrics port, with the labels its Prometheus selects by", async () => {
        const asked = await runProgram({ ...REGISTRY, podMonitor: "true", podMonitorLabels: JSON.stringify({ release: "kube-prometheus-stack" }) });
        const [monitor] = ofType(asked, "PodMonitor");
        assert.deepStrictEqual([monitor.inputs.apiVersion, monitor.inputs.kind], ["monitoring.coreos.com/v1", "PodMonitor"]);
        assert.strictEqual(monitor.inputs.metadata.labels.release, "kube-prometheus-stack");
        assert.deepStrictEqual(monitor.inputs.spec.selector.matchLabels, find(asked, "Service", "ipp-cluster-service").inputs.spec.selector);
        assert.deepStrictEqual(monitor.inputs.spec.podMetricsEndpoints, [{ port: "http-metrics", path: "/metrics", interval: "5s" }]);
        assert.ok(monitor.dependencies.includes(find(asked, "Pod", "ipp-cluster-frontend").urn));
    });

    it("ships the dashboard as a ConfigMap for the Grafana sidecar when asked, the repository's file as it is", async () => {
        const asked = await runProgram({ ...REGISTRY, grafanaDashboard: "true" });
        const dashboard = find(asked, "ConfigMap", "ipp-cluster-grafana-dashboard").inputs;
        assert.strictEqual(dashboard.metadata.labels.grafana_dashboard, "1");
        assert.strictEqual(dashboard.data["ipp-cluster.json"], fs.readFileSync(DASHBOARD_FILE, "utf8"));
    });
});

describe("monitoring on a Docker engine", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ target: "docker", push: "false", workers: "2" }, { stack: "local" });
    });

    it("runs the watcher as a container of its own, after the controller, its ports on this machine's loopback", () => {
        const watcher = find(run, "Container", "ipp-cluster-watcher");
        assert.deepStrictEqual(watcher.inputs.command, ["ipp-watcher"]);
        assert.deepStrictEqual(
            watcher.inputs.ports.map((p: any) => `${p.ip}:${p.external}->${p.internal}`),
            ["127.0.0.1:10120->10120", "127.0.0.1:10121->10121"],
        );
        assert.ok(watcher.dependencies.includes(find(run, "Container", "ipp-cluster-frontend").urn));
        assert.strictEqual(run.outputs.metricsUrl, "http://127.0.0.1:10120/metrics");
    });

    it("the workers and the notebook find it by its name", () => {
        for (const name of ["ipp-cluster-worker-1", "ipp-cluster-notebook"]) {
            assert.strictEqual(envsOf(find(run, "Container", name)).IPP_WATCHER_URL, "http://ipp-local-watcher:10121", name);
        }
    });
});

describe("the monitoring settings", () => {
    it("take a period from 1 to 300 seconds", () => {
        assert.deepStrictEqual(problems({ ...REGISTRY, watchSeconds: "0" }), ['ipp-cluster:watchSeconds must be an integer from 1 to 300; got "0".']);
        assert.deepStrictEqual(problems({ ...REGISTRY, watchSeconds: "5" }), []);
    });

    it("refuse scrapers that would include the engines: the cluster's own namespace with labels the worker pods carry", () => {
        const own = { ...REGISTRY, metricsNamespace: "" };
        for (const labels of [{}, { "app.kubernetes.io/name": "ipp-cluster" }]) {
            const found = problems({ ...own, metricsPodLabels: JSON.stringify(labels) });
            assert.strictEqual(found.length, 1, JSON.stringify(labels));
            assert.match(found[0], /^ipp-cluster:metricsPodLabels .* selects the worker pods too/);
        }
        assert.deepStrictEqual(problems({ ...own, metricsPodLabels: JSON.stringify({ "app.kubernetes.io/name": "prometheus" }) }), []);
        assert.deepStrictEqual(problems({ ...REGISTRY, metricsNamespace: "monitoring", metricsPodLabels: "{}" }), []);
    });

    it("name the setting, the value and what is allowed for a bad namespace or labels", () => {
        assert.deepStrictEqual(problems({ ...REGISTRY, metricsNamespace: "Monitoring" }), [
            'ipp-cluster:metricsNamespace must be a namespace name (a DNS label, such as monitoring), or "" for the cluster\'s own namespace; got "Monitoring".',
        ]);
        assert.match(
            problems({ ...REGISTRY, podMonitorLabels: JSON.stringify({ release: "a b" }) })[0],
            /^ipp-cluster:podMonitorLabels\.release must be a label value/,
        );
        assert.match(problems({ ...REGISTRY, metricsPodLabels: '"prometheus"' })[0], /^ipp-cluster:metricsPodLabels must be an object of labels/);
    });

    it("refuse a PodMonitor or a dashboard on the docker target, which has no place for them", () => {
        for (const name of ["podMonitor", "grafanaDashboard"]) {
            assert.deepStrictEqual(problems({ target: "docker", push: "false", [name]: "true" }), [
                `ipp-cluster:${name} declares a Kubernetes object, which the docker target has no place for: set it on a kubernetes stack; got true with target docker.`,
            ]);
        }
    });
});

describe("the Grafana dashboard", () => {
    const dashboard = JSON.parse(fs.readFileSync(DASHBOARD_FILE, "utf8"));
    const exported = [
        ...fs.readFileSync(path.join(ROOT, "images/base/ipp_cluster/metrics.py"), "utf8").matchAll(/^\s*\("(ipp_[a-z_]+)", "(gauge|counter)"/gm),
    ].map(m => m[1]);

    it("shows engines by group, the busy share, the queue, and tasks per second completed and failed", () => {
        const queries = dashboard.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr)).join("\n");
        for (const needed of [
            /sum by \(group\) \(ipp_engines_registered/,
            /ipp_engines_busy.*\/.*ipp_engines_registered/,
            /ipp_tasks_unassigned/,
            /rate\(ipp_tasks_completed_total/,
            /rate\(ipp_tasks_failed_total/,
        ]) {
            assert.match(queries, needed);
        }
    });

    it("asks only for metrics the watcher exports, each panel for the chosen clusters", () => {
        assert.ok(exported.length >= 10, `${exported}`);
        for (const panel of dashboard.panels) {
            for (const target of panel.targets) {
                for (const name of target.expr.match(/\bipp_[a-z_]+/g) ?? []) assert.ok(exported.includes(name), `${panel.title}: ${name} is not exported`);
                assert.match(target.expr, /cluster=~"\$cluster"/, panel.title);
            }
        }
    });

    it("the watcher's port is the one ipp_cluster asks by default", () => {
        const m = /^WATCHER_PORT = (\d+)/m.exec(fs.readFileSync(path.join(ROOT, "images/base/ipp_cluster/client.py"), "utf8"));
        assert.strictEqual(Number(m?.[1]), WATCHER_PORT.port);
    });
});
