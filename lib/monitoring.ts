/**
 * Seeing the cluster: the watcher beside the controller (its command, environment and resources, where
 * the notebook and the workers reach it) and the monitoring settings. The watcher itself is
 * images/base/ipp_cluster; the Kubernetes objects that expose it are in k8s/monitoring.ts.
 */
import { CLIENT_FILE, DNS_LABEL, key } from "./names";
import { METRICS_PORT, WATCHER_PORT } from "./ports";
import type { Resources } from "./quantities";
import { PathProblems, SettingsReader, isObject, parseJson, shown } from "./reader";
import { parseLabels } from "./placement";
import { EnvVar, frontendEnv } from "./runtime";

/** What the watcher gets: little CPU (it asks the hub every few seconds) and room for the logs it keeps (32 MiB of lines at most). */
export const WATCHER_RESOURCES: Resources = { cpu: "50m", memory: "256Mi" };

/** Who may scrape the metrics port on Kubernetes: pods with these labels, in this namespace. */
export interface Scrapers {
    namespace: string;
    podLabels: Record<string, string>;
}

export interface MonitoringSettings {
    /** How often the watcher asks the controller (seconds). */
    watchSeconds: number;
    scrapers: Scrapers;
    /** Declare a PodMonitor (monitoring.coreos.com/v1), with these labels for the operator's podMonitorSelector. */
    podMonitor: boolean;
    podMonitorLabels: Record<string, string>;
    /** Ship the Grafana dashboard as a ConfigMap for the Grafana sidecar. */
    grafanaDashboard: boolean;
}

export const MAX_WATCH_SECONDS = 300;

/** A set of labels in a setting of type object (the CLI hands it over as JSON). */
function labelSetting(s: SettingsReader, name: string, example: string): Record<string, string> {
    const text = s.json(name);
    const raw = parseJson(text);
    const p = new PathProblems();
    const labels = parseLabels(isObject(raw) ? raw : text, key(name), p, example);
    p.list.forEach(m => s.problem(m));
    return labels;
}

/** The monitoring settings; the PodMonitor and the dashboard are Kubernetes objects, refused on the docker target. */
export function parseMonitoring(s: SettingsReader, onDocker: boolean): MonitoringSettings {
    const watchSeconds = s.integer("watchSeconds", 1, MAX_WATCH_SECONDS);
    const namespace = s.text("metricsNamespace");
    if (namespace !== "" && !DNS_LABEL.test(namespace)) {
        s.problem(
            `${key("metricsNamespace")} must be a namespace name (a DNS label, such as monitoring), or "" for the cluster's own namespace; got ${shown(namespace)}.`,
        );
    }
    const podLabels = labelSetting(s, "metricsPodLabels", '{"app.kubernetes.io/name": "prometheus"}');
    const podMonitor = s.boolean("podMonitor");
    const podMonitorLabels = labelSetting(s, "podMonitorLabels", '{"release": "kube-prometheus-stack"}');
    const grafanaDashboard = s.boolean("grafanaDashboard");
    for (const name of ["podMonitor", "grafanaDashboard"]) {
        if (onDocker && s.text(name) === "true") {
            s.problem(
                `${key(name)} declares a Kubernetes object, which the docker target has no place for: set it on a kubernetes stack; got true with target docker.`,
            );
        }
    }
    return { watchSeconds, scrapers: { namespace, podLabels }, podMonitor, podMonitorLabels, grafanaDashboard };
}

/**
 * Why the scrapers' selector would let the engines reach the metrics port (it selects pods of the
 * cluster's own namespace that the worker pods, labelled `workerPodLabels`, all match), or undefined.
 */
export function scrapersProblem(scrapers: Scrapers, namespace: string, workerPodLabels: Record<string, string>[]): string | undefined {
    if (scrapers.namespace !== "" && scrapers.namespace !== namespace) return undefined;
    const matched = workerPodLabels.some(pod => Object.entries(scrapers.podLabels).every(([k, v]) => pod[k] === v));
    if (!matched) return undefined;
    return (
        `${key("metricsPodLabels")} ${shown(scrapers.podLabels)} in the namespace ${shown(namespace)} (${key("metricsNamespace")}) selects the worker pods too, ` +
        `which must not reach the metrics port: name your Prometheus's namespace and labels, such as monitoring and {"app.kubernetes.io/name": "prometheus"}.`
    );
}

/** The watcher's base URL at `host`: what workers report to and `ipp_cluster` asks. */
export function watcherUrl(host: string): string {
    return `http://${host}:${WATCHER_PORT.port}`;
}

/** The metrics' URL on this machine (Docker publishes the port on loopback; on Kubernetes, through a port-forward). */
export function metricsUrl(): string {
    return `http://127.0.0.1:${METRICS_PORT.port}/metrics`;
}

/** The watcher: `ipp-watcher`, through the frontend's entrypoint, which writes its keyed client file. */
export function watcherCommand(): string[] {
    return ["ipp-watcher"];
}

/** The watcher's settings: the frontend entrypoint's, its client file, its ports, its period and the cluster's name for the metrics. */
export function watcherEnv(watchSeconds: number, cluster: string): EnvVar[] {
    return [
        ...frontendEnv(),
        { name: "IPP_CLIENT_FILE", value: CLIENT_FILE },
        { name: "IPP_METRICS_PORT", value: String(METRICS_PORT.port) },
        { name: "IPP_WATCHER_PORT", value: String(WATCHER_PORT.port) },
        { name: "IPP_WATCH_SECONDS", value: String(watchSeconds) },
        { name: "IPP_CLUSTER", value: cluster },
    ];
}
