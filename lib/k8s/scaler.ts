/**
 * The scaler's place in the frontend Pod: its container, the only one that mounts a Kubernetes token (a
 * projected volume of its ServiceAccount's token, the cluster's CA and the namespace, where client
 * libraries look for them), and the bounds file from the scaling ConfigMap (optional: it is declared once
 * the Deployments it names exist, after the Pod; the kubelet brings it, and its changes, to the volume).
 */
import type * as pulumi from "@pulumi/pulumi";
import { CONTAINERS } from "../names";
import { SCALER_RESOURCES, SCALING_DIR, SERVICE_ACCOUNT_DIR, TOKEN_SECONDS, scalerCommand, scalerEnv } from "../scaling";
import { Container, ContainerSettings, Volume, container } from "./pod";

/** The scaler in the frontend Pod: its ServiceAccount and the ConfigMap with the groups' bounds. */
export interface ScalerSettings {
    serviceAccountName: pulumi.Input<string>;
    scalingConfigMapName: pulumi.Input<string>;
}

/** The token volume: the ServiceAccount's token (renewed by the kubelet), the API server's CA and the namespace. */
export function tokenVolume(): Volume {
    return {
        name: "scaler-token",
        projected: {
            defaultMode: 0o440,
            sources: [
                { serviceAccountToken: { path: "token", expirationSeconds: TOKEN_SECONDS } },
                { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
                { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } },
            ],
        },
    };
}

/** The scaler's container and the volumes only it mounts. */
export function scalerParts(settings: ContainerSettings, scaler: ScalerSettings, watchSeconds: number): { container: Container; volumes: Volume[] } {
    const scalerContainer = container(
        CONTAINERS.scaler,
        { ...settings, resources: SCALER_RESOURCES },
        {
            args: scalerCommand(),
            env: scalerEnv(watchSeconds),
            volumeMounts: [
                { name: "scaler-token", mountPath: SERVICE_ACCOUNT_DIR, readOnly: true },
                { name: "scaling", mountPath: SCALING_DIR, readOnly: true },
            ],
        },
        "scaler-home",
    );
    const volumes: Volume[] = [
        tokenVolume(),
        { name: "scaling", configMap: { name: scaler.scalingConfigMapName, optional: true } },
        { name: "scaler-home", emptyDir: {} },
    ];
    return { container: scalerContainer, volumes };
}
