/**
 * How the notebook is reached on Kubernetes: its own Service (only the notebook's port, so exposing it
 * exposes nothing else), and the port-forward, node port or external URL that the stack outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ServiceType } from "../lib/config";
import { ClusterNames } from "../lib/names";
import { NOTEBOOK_PORT } from "../lib/ports";
import { NotebookApp, notebookPath } from "../lib/runtime";
import * as commands from "../lib/commands";
import { notebookServiceSpec } from "../lib/k8s/frontend";
import { Child } from "./cluster-args";

/** The notebook's Service and how to reach it. */
export interface NotebookAccess {
    serviceName: pulumi.Output<string>;
    /** The claim holding the notebook's home folder; absent when the home is an emptyDir. */
    claimName?: pulumi.Output<string>;
    portForward: pulumi.Output<string>;
    /** With a NodePort Service: the port on every node. */
    nodePort?: pulumi.Output<number>;
    /** With a LoadBalancer Service: the external URL with the token (secret; empty until the balancer has an address). */
    externalUrl?: pulumi.Output<string>;
}

/** Declares the notebook's Service, after the frontend Pod, and says how to reach the notebook through it. */
export function notebookAccess(
    child: Child,
    where: { metadata: { namespace: pulumi.Output<string>; labels: Record<string, string> }; names: ClusterNames; instance: string },
    notebook: { app: NotebookApp; type: ServiceType; token: pulumi.Input<string>; claimName?: pulumi.Output<string> },
    frontend: pulumi.Resource,
): NotebookAccess {
    const { metadata, names, instance } = where;
    const type = notebook.type;
    const service = child(
        "notebook-service",
        (n, o) => new k8s.core.v1.Service(n, { metadata: { ...metadata, name: names.notebook }, spec: notebookServiceSpec(instance, type) }, o),
        { dependsOn: [frontend] },
    );
    const balancer = service.status.loadBalancer.ingress.apply(ingress => ingress?.[0]?.hostname ?? ingress?.[0]?.ip ?? "");
    return {
        serviceName: service.metadata.name,
        claimName: notebook.claimName,
        portForward: metadata.namespace.apply(ns => commands.portForwardCommand(ns, `service/${names.notebook}`, [NOTEBOOK_PORT.port])),
        nodePort: type === "NodePort" ? service.spec.ports.apply(p => p[0].nodePort) : undefined,
        externalUrl:
            type === "LoadBalancer"
                ? pulumi.secret(
                      pulumi
                          .all([balancer, notebook.token])
                          .apply(([host, t]) => (host ? commands.notebookUrl(host, NOTEBOOK_PORT.port, t, notebookPath(notebook.app)) : "")),
                  )
                : undefined,
    };
}
