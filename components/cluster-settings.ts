/**
 * The settings of a cluster, as the `Cluster` component takes them from any Pulumi language: one field
 * per stack setting of Pulumi.yaml, with the same name, meaning and default (a field left out takes
 * the default). They are plain values, not Outputs, because they decide which objects exist and are
 * checked before anything is declared; only the registry password is an Input (a secret).
 */
import * as pulumi from "@pulumi/pulumi";

/** An NFS export that every engine and the notebook mount. */
export interface NfsShare {
    /** The NFS server's host name or address. */
    server: string;
    /** The exported folder, an absolute path. */
    path: string;
}

/** A data volume at /home/jupyter/shared in the notebook and every engine: exactly one of claimName, nfs and hostPath. */
export interface SharedVolumeSettings {
    /** An existing PersistentVolumeClaim (on the docker target, a Docker volume). */
    claimName?: string;
    /** An NFS export (Kubernetes only). */
    nfs?: NfsShare;
    /** A folder of the Docker engine's machine (docker target only). */
    hostPath?: string;
    /** Mount it read-only in the engines. Default: false. */
    readOnly?: boolean;
}

/** A named group of worker pods, its own Deployment. */
export interface WorkerGroupSettings {
    /** The group's name, a DNS label such as gpu. */
    name: string;
    /** Worker pods (0 to 1000). */
    workers: number;
    /** Kubernetes: the fewest pods the scaler may leave. Default: workers. */
    minWorkers?: number;
    /** Kubernetes: the most pods the scaler may start. Default: workers (no scaling). */
    maxWorkers?: number;
    /** Engines in each pod (1 to 256). Default: the cluster's enginesPerWorker. */
    enginesPerWorker?: number;
    /** CPU request of each pod. Default: the cluster's workerCpu. */
    cpu?: string;
    /** Memory request and limit of each pod (160Mi per engine at least). Default: the cluster's workerMemory. */
    memory?: string;
    /** GPUs of each pod, asked for as gpuResource (0 to 64). Default: 0. */
    gpus?: number;
    /** Kubernetes: the nodes the pods may run on, by label. */
    nodeSelector?: { [label: string]: string };
    /** Kubernetes: the pods' tolerations, as in a pod spec. */
    tolerations?: any[];
    /** Kubernetes: the pods' affinity, as in a pod spec. */
    affinity?: any;
    /** Kubernetes: the pods' PriorityClass. */
    priorityClassName?: string;
}

/** Every setting of a cluster; each field is optional and takes Pulumi.yaml's default when left out. */
export interface ClusterSettings {
    /** Where the cluster runs: kubernetes (the current kubectl context) or docker (containers on the local Docker engine). Default: kubernetes. */
    target?: string;
    /** Number of worker pods (0 to 1000), each running enginesPerWorker engines. Not with workerGroups, where each group has its own. Default: 2. */
    workers?: number;
    /** Kubernetes: the fewest worker pods the scaler may leave (ipp_cluster.scale(), adapt()), an integer from 0 to workers; unset means workers. With maxWorkers, workers is the count the group starts with. Not with workerGroups, whose groups have their own. */
    minWorkers?: number;
    /** Kubernetes: the most worker pods the scaler may start, an integer from workers to 1000; unset means workers (no scaling). Lowering it below the current count scales down gracefully (idle pods only). Not with workerGroups, whose groups have their own. */
    maxWorkers?: number;
    /** Kubernetes, with a group that scales: a ValidatingAdmissionPolicy (Kubernetes 1.30+; creating it needs cluster-admin) that holds even a stolen scaler token to each Deployment's minWorkers..maxWorkers and to the deletion-cost annotation of this stack's worker pods. false to go without it. Default: true. */
    scalerAdmissionPolicy?: boolean;
    /** Engines in each worker pod (1 to 256), e.g. one per core on big nodes; workerMemory must hold 160Mi per engine. The pod is Ready only while all of them are registered. Default: 1. */
    enginesPerWorker?: number;
    /** Named groups of worker pods, each its own Deployment: {name, workers, minWorkers, maxWorkers, enginesPerWorker, cpu, memory, gpus, nodeSelector, tolerations, affinity, priorityClassName}; minWorkers and maxWorkers default to workers (no scaling); enginesPerWorker, cpu and memory default to enginesPerWorker, workerCpu and workerMemory. Empty means one group named default, of workers pods. */
    workerGroups?: WorkerGroupSettings[];
    /** The resource a group's gpus are asked for by, e.g. nvidia.com/gpu or amd.com/gpu. Default: nvidia.com/gpu. */
    gpuResource?: string;
    /** Every object's name starts with it (<prefix>-frontend, <prefix>-controller, <prefix>-workers-<group>, ...), so stacks can share a namespace. Empty means ipp-<stack>, cut to 30 characters. */
    namePrefix?: string;
    /** Where images are pushed, e.g. ghcr.io/org/team or localhost:5000. Required when push is true. */
    registry?: string;
    /** Push images to the registry. false keeps them in the local Docker engine (e.g. Docker Desktop's Kubernetes). Default: true. */
    push?: boolean;
    /** User name for the registry, when it needs one. */
    registryUsername?: string;
    /** Password or token for the registry; set it with `pulumi config set --secret`. */
    registryPassword?: pulumi.Input<string>;
    /** Kubernetes namespace. Empty means ipp-<stack>. */
    namespace?: string;
    /** Create the namespace (and delete it on destroy). false uses an existing one and never deletes it. Default: true. */
    createNamespace?: boolean;
    /** Where the images' Python packages come from: pypi (ipyparallel 9, JupyterLab 4 and Notebook 7 from PyPI, every version and file hash locked in images/base/python/requirements.txt) or debian (Debian trixie's own: ipyparallel 8.8 and the classic Notebook 6, for sites with a Debian mirror and no PyPI). Default: pypi. */
    pythonStack?: string;
    /** What the notebook serves: lab (JupyterLab 4, at /lab) or notebook (Notebook 7 at /tree; the classic Notebook 6 with pythonStack debian or a baseImage). The same token and the same home folder either way. Empty: lab with pythonStack pypi, notebook with pythonStack debian (which has no JupyterLab) or a baseImage. */
    notebookInterface?: string;
    /** A PEM file of CA certificates that the image builds and the images trust besides Debian's own, such as a company proxy's that intercepts TLS (at most 64 KiB: the proxy's certificates, not a whole system bundle). Empty: none. */
    buildCaCertificates?: string;
    /** Debian trixie based image the base image starts from. Default: debian:trixie-slim. */
    osImage?: string;
    /** An image of your own to build the base on instead of osImage: it must hold Python 3, ipyparallel 8.x and pyzmq (and the Jupyter notebook 6 server, unless it has apt-get to install it). */
    baseImage?: string;
    /** Debian packages added to the base image, so the notebook, the controller and every engine have them (e.g. python3-numpy). */
    aptPackages?: string[];
    /** pip requirements (name, name==1.2, name>=1,<2) installed in the base image, next to Debian's packages, where every Python of the image sees them. */
    pipPackages?: string[];
    /** The package index pip uses instead of the default one (http or https, without credentials). */
    pipIndexUrl?: string;
    /** A package index pip uses besides the default one (http or https, without credentials). */
    pipExtraIndexUrl?: string;
    /** CPU request of the controller (no CPU limit is set). Default: 250m. */
    frontendCpu?: string;
    /** Memory request and limit of the controller, which keeps task results in memory (up to a quarter of this) and the tasks it has not handed out yet. Default: 2Gi. */
    frontendMemory?: string;
    /** Run a Jupyter notebook server next to the controller, behind a generated token. Default: true. */
    notebook?: boolean;
    /** Type of the notebook's Service: ClusterIP (reach it with kubectl port-forward), NodePort or LoadBalancer. Default: ClusterIP. */
    notebookServiceType?: string;
    /** CPU request of the notebook server (no CPU limit is set). Default: 250m. */
    notebookCpu?: string;
    /** Memory request and limit of the notebook server and its kernels. Default: 1Gi. */
    notebookMemory?: string;
    /** CPU request of each worker (no CPU limit is set). Default: 500m. */
    workerCpu?: string;
    /** Memory request and limit of each worker. Default: 1Gi. */
    workerMemory?: string;
    /** Size of the PersistentVolumeClaim that holds the notebook's home folder (/home/jupyter), so notebooks outlive the frontend Pod. Empty keeps the home in an emptyDir that lives only as long as the Pod. Default: 10Gi. */
    notebookStorage?: string;
    /** StorageClass of the notebook's claim. Empty means the cluster's default class. */
    storageClass?: string;
    /** Keep the notebook's claim (on the docker target, its volume) on pulumi destroy; the next pulumi up takes it up again. Default: false. */
    retainNotebookStorage?: boolean;
    /** A data volume mounted at /home/jupyter/shared in the notebook and every engine: {claimName} (an existing claim; on docker, a Docker volume) or {nfs: {server, path}} (Kubernetes), or {hostPath} (docker target only), with an optional readOnly for the engines. Empty means none. */
    sharedVolume?: SharedVolumeSettings;
    /** How often the cluster's watcher (beside the controller) asks the controller for the engines, their queues and the failed tasks, from 1 to 300 seconds. Its Prometheus metrics and ipp_cluster.status() are that fresh. Default: 5. */
    watchSeconds?: number;
    /** Kubernetes: the namespace whose pods (those with metricsPodLabels) the NetworkPolicy lets scrape the watcher's metrics port; nothing else reaches it. Empty means the cluster's own namespace. Default: monitoring. */
    metricsNamespace?: string;
    /** Kubernetes: the labels of the pods that may scrape the watcher's metrics (in metricsNamespace); the default matches the Prometheus operator's pods. Empty ({}) means every pod of that namespace. Default: {"app.kubernetes.io/name":"prometheus"}. */
    metricsPodLabels?: { [label: string]: string };
    /** Kubernetes: declare a PodMonitor (monitoring.coreos.com/v1) for the watcher's metrics, for clusters that run the Prometheus operator (its CRDs must be installed). The frontend Pod carries prometheus.io/scrape annotations either way. Default: false. */
    podMonitor?: boolean;
    /** Kubernetes: labels for the PodMonitor, as the operator's podMonitorSelector asks, such as {release: kube-prometheus-stack}. */
    podMonitorLabels?: { [label: string]: string };
    /** Kubernetes: ship the cluster's Grafana dashboard (dashboards/ipp-cluster.json) as a ConfigMap labelled grafana_dashboard=1, where the Grafana sidecar of kube-prometheus-stack finds it (in the cluster's namespace: set the sidecar's searchNamespace to ALL or to it). Default: false. */
    grafanaDashboard?: boolean;
}
