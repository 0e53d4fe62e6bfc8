/**
 * Who may reach the cluster's pods: only this deployment's own pods reach the controller's ports and
 * the watcher's; only the scrapers its metrics; workers listen on nothing.
 */
import type * as k8s from "@pulumi/kubernetes";
import { CONTROLLER_PORTS, NOTEBOOK_PORT, WATCHER_PORT } from "../ports";
import { GROUP_LABEL, instanceLabels, selectorLabels } from "../names";
import type { Scrapers } from "../monitoring";
import { metricsIngress } from "./monitoring";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/**
 * Only this deployment's own pods may reach the controller's ports and the watcher's (the workers
 * report there); only the scrapers reach the metrics port. The notebook's port, when there is a
 * notebook, is open to whoever reaches its Service: its token guards it.
 */
export function frontendNetworkPolicySpec(instance: string, notebook: boolean, scrapers: Scrapers): NetworkPolicySpec {
    return {
        podSelector: { matchLabels: selectorLabels(instance, "frontend") },
        policyTypes: ["Ingress"],
        ingress: [
            {
                from: [{ podSelector: { matchLabels: instanceLabels(instance) } }],
                ports: [...CONTROLLER_PORTS, WATCHER_PORT].map(p => ({ port: p.name, protocol: "TCP" })),
            },
            metricsIngress(scrapers),
            ...(notebook ? [{ ports: [{ port: NOTEBOOK_PORT.name, protocol: "TCP" }] }] : []),
        ],
    };
}

/** Workers, of every group, listen on nothing: no ingress at all. */
export function workerNetworkPolicySpec(instance: string): NetworkPolicySpec {
    return {
        podSelector: { matchLabels: instanceLabels(instance), matchExpressions: [{ key: GROUP_LABEL, operator: "Exists" }] },
        policyTypes: ["Ingress"],
        ingress: [],
    };
}
