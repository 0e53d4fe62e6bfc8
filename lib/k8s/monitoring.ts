/**
 * How Prometheus and Grafana find the watcher's metrics on Kubernetes: the scrape annotations on the
 * controller Pod, a PodMonitor for the Prometheus operator, the dashboard's ConfigMap for the Grafana
 * sidecar, and the NetworkPolicy rule that lets the scrapers (and nobody else) in.
 */
import * as fs from "fs";
import * as path from "path";
import { METRICS_PORT } from "../ports";
import { selectorLabels } from "../names";
import type { Scrapers } from "../monitoring";

/** The dashboard, as the repository holds it. */
export const DASHBOARD_FILE = path.join(__dirname, "..", "..", "dashboards", "ipp-cluster.json");

/** The label (and value) the Grafana sidecar of kube-prometheus-stack looks for on ConfigMaps, by default. */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" };

/** The annotations that Prometheus's usual `kubernetes-pods` scrape job reads. */
export function scrapeAnnotations(): Record<string, string> {
    return { "prometheus.io/scrape": "true", "prometheus.io/port": String(METRICS_PORT.port), "prometheus.io/path": "/metrics" };
}

/** A PodMonitor's spec: the controller Pod's metrics port, scraped as often as the watcher asks. */
export function podMonitorSpec(instance: string, watchSeconds: number) {
    return {
        selector: { matchLabels: selectorLabels(instance, "frontend") },
        podMetricsEndpoints: [{ port: METRICS_PORT.name, path: "/metrics", interval: `${Math.max(watchSeconds, 5)}s` }],
    };
}

/** The dashboard's ConfigMap data: the JSON file, as it is. */
export function dashboardData(file = DASHBOARD_FILE): Record<string, string> {
    return { "ipp-cluster.json": fs.readFileSync(file, "utf8") };
}

/** The ingress rule for the metrics port: from the scrapers' pods only, in their namespace ("": the cluster's own). */
export function metricsIngress(scrapers: Scrapers) {
    const pods = { podSelector: { matchLabels: scrapers.podLabels } };
    const peer = scrapers.namespace ? { ...pods, namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": scrapers.namespace } } } : pods;
    return { from: [peer], ports: [{ port: METRICS_PORT.name, protocol: "TCP" }] };
}
