/**
 * The notebook's home folder on Kubernetes: a PersistentVolumeClaim with a fixed name, and the
 * provider that takes up a claim (and a namespace) kept by an earlier `pulumi destroy`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { notebookClaimSpec } from "../lib/k8s/frontend";
import { NotebookStorage } from "../lib/storage";
import { Child } from "./cluster-args";

/** The settings of the stack's default Kubernetes provider that say which cluster it talks to. */
const CLUSTER_SETTINGS = ["kubeconfig", "context", "cluster"] as const;

/**
 * A provider for the cluster the default provider talks to (an explicit provider does not read the
 * stack's `kubernetes:` settings, so those that choose the cluster are passed on; the kubeconfig as a
 * secret), which takes up an object that already exists instead of failing on it: the kept claim, and
 * the namespace kept with it.
 */
export function adoptingProvider(child: Child): k8s.Provider {
    const settings = Object.fromEntries(
        CLUSTER_SETTINGS.map(name => [name, pulumi.runtime.getConfig(`kubernetes:${name}`)] as const).filter(([, value]) => value !== undefined),
    );
    const kubeconfig = settings.kubeconfig;
    return child(
        "adopting-provider",
        (n, o) =>
            new k8s.Provider(
                n,
                { ...settings, ...(kubeconfig !== undefined ? { kubeconfig: pulumi.secret(kubeconfig) } : {}), upsertExistingObjects: true },
                o,
            ),
    );
}

/**
 * The claim that holds the notebook's home folder, named `<prefix>-notebook-home` in the cluster's
 * namespace. Its name never changes once it exists (`ignoreChanges`): a claim made when every
 * cluster's was `ipp-notebook-home` keeps that name and its notebooks, whatever the prefix. It is always declared through the adopting provider, so that turning `retain` on or off
 * never moves it to another provider; with `retain` it is kept on destroy.
 *
 * Nothing about the images or the sizes of the pods reaches it, so none of their changes replaces it.
 * A change Kubernetes cannot make to a claim (another StorageClass, a smaller size) is refused by the
 * API server, and `pulumi up` stops there: a replacement would first apply the new spec to the
 * existing claim (which fails) and so never deletes it.
 */
export function notebookClaim(
    child: Child,
    metadata: { namespace: pulumi.Input<string>; labels: Record<string, string>; name: string },
    storage: NotebookStorage,
    provider: k8s.Provider,
): k8s.core.v1.PersistentVolumeClaim {
    return child(
        "notebook-home",
        (n, o) => new k8s.core.v1.PersistentVolumeClaim(n, { metadata, spec: notebookClaimSpec(storage.size, storage.storageClass) }, o),
        { provider, retainOnDelete: storage.retain, ignoreChanges: ["metadata.name"] },
    );
}
