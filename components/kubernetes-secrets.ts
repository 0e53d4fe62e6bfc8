/**
 * The cluster's Secrets on Kubernetes: the session key, the notebook's token and the image pull
 * secret. Secret values reach them as secret Outputs, in `stringData`, and pods only through volumes.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { FILES } from "../lib/names";
import { RegistryCredentials } from "../lib/registry";
import { dockerConfigJson } from "../lib/k8s/registry-secret";
import { Child } from "./cluster-args";

type Metadata = (component?: "frontend" | "worker") => { namespace: pulumi.Input<string>; labels: Record<string, string> };

export interface ClusterSecrets {
    /** The session key, as the file FILES.sessionKey. */
    key: k8s.core.v1.Secret;
    /** The notebook's token, as the file FILES.notebookToken; only with a notebook. */
    notebookToken?: k8s.core.v1.Secret;
    /** The image pull secret's name, when the registry has credentials. */
    pullSecrets: pulumi.Output<string>[];
}

/** Declares the Secrets the cluster needs (auto-named, so that a new value rolls the pods that mount them). */
export function clusterSecrets(
    child: Child,
    meta: Metadata,
    values: { sessionKey: pulumi.Input<string>; notebookToken?: pulumi.Input<string>; registryCredentials?: RegistryCredentials },
): ClusterSecrets {
    const opaque = (role: string, component: "frontend" | undefined, file: string, value: pulumi.Input<string>) =>
        child(role, (n, o) => new k8s.core.v1.Secret(n, { metadata: meta(component), type: "Opaque", stringData: { [file]: value } }, o));
    const key = opaque("session-key", undefined, FILES.sessionKey, values.sessionKey);
    const token = values.notebookToken;
    const notebookToken = token !== undefined ? opaque("notebook-token", "frontend", FILES.notebookToken, token) : undefined;
    const credentials = values.registryCredentials;
    const pullSecrets = credentials
        ? [
              child(
                  "registry-credentials",
                  (n, o) =>
                      new k8s.core.v1.Secret(
                          n,
                          { metadata: meta(), type: "kubernetes.io/dockerconfigjson", stringData: { ".dockerconfigjson": dockerConfigJson(credentials) } },
                          o,
                      ),
              ).metadata.name,
          ]
        : [];
    return { key, notebookToken, pullSecrets };
}
