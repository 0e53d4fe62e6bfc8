/**
 * The monitoring objects a Kubernetes stack asks for: a PodMonitor for the Prometheus operator
 * (`podMonitor`) and the Grafana dashboard's ConfigMap (`grafanaDashboard`), each only when asked.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { MonitoringSettings } from "../lib/monitoring";
import { GRAFANA_DASHBOARD_LABEL, dashboardData, podMonitorSpec } from "../lib/k8s/monitoring";
import { Child } from "./cluster-args";

type Metadata = { namespace: pulumi.Output<string>; labels: Record<string, string> };

/** Declares what `monitoring` asks for, after the frontend Pod whose metrics they are about. */
export function monitoringObjects(child: Child, where: { metadata: Metadata; instance: string; monitoring: MonitoringSettings }, frontend: pulumi.Resource) {
    const { metadata, instance, monitoring } = where;
    if (monitoring.podMonitor) {
        child(
            "pod-monitor",
            (n, o) =>
                new k8s.apiextensions.CustomResource(
                    n,
                    {
                        apiVersion: "monitoring.coreos.com/v1",
                        kind: "PodMonitor",
                        metadata: { ...metadata, labels: { ...metadata.labels, ...monitoring.podMonitorLabels } },
                        spec: podMonitorSpec(instance, monitoring.watchSeconds),
                    },
                    o,
                ),
            { dependsOn: [frontend] },
        );
    }
    if (monitoring.grafanaDashboard) {
        child(
            "grafana-dashboard",
            (n, o) =>
                new k8s.core.v1.ConfigMap(
                    n,
                    { metadata: { ...metadata, labels: { ...metadata.labels, ...GRAFANA_DASHBOARD_LABEL } }, data: dashboardData() },
                    o,
                ),
        );
    }
}
