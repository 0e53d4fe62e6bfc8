/**
 * The stacks whose declarations are on record (declarations.json): each kind of setting a user has,
 * on both targets.
 */
const REGISTRY = { registry: "registry.example.com/team" };

export const STACKS: { name: string; stack?: string; config: Record<string, string> }[] = [
    { name: "kubernetes", config: REGISTRY },
    {
        name: "kubernetes with credentials and a LoadBalancer",
        config: { ...REGISTRY, registryUsername: "alice", registryPassword: "s3cret", notebookServiceType: "LoadBalancer" },
    },
    {
        name: "kubernetes without a notebook, in a namespace of its own",
        config: { ...REGISTRY, notebook: "false", createNamespace: "false", namespace: "science", workers: "5" },
    },
    {
        name: "kubernetes with groups, a prefix, a kept claim and an NFS share",
        config: {
            ...REGISTRY,
            namePrefix: "ipp-alice",
            retainNotebookStorage: "true",
            storageClass: "fast",
            notebookServiceType: "NodePort",
            sharedVolume: JSON.stringify({ nfs: { server: "nfs.example.com", path: "/exports/data" }, readOnly: true }),
            workerGroups: JSON.stringify([
                { name: "cpu", workers: 3, enginesPerWorker: 4, memory: "2Gi" },
                {
                    name: "gpu",
                    workers: 1,
                    gpus: 2,
                    nodeSelector: { "cloud.google.com/gke-accelerator": "nvidia-l4" },
                    tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
                    priorityClassName: "high",
                },
            ]),
        },
    },
    {
        name: "kubernetes with packages, an emptyDir home and a claim share",
        config: {
            ...REGISTRY,
            aptPackages: JSON.stringify(["python3-numpy"]),
            pipPackages: JSON.stringify(["requests==2.32.3"]),
            pipIndexUrl: "http://pypi.example.com/simple",
            notebookStorage: "",
            sharedVolume: JSON.stringify({ claimName: "data" }),
        },
    },
    {
        name: "kubernetes on a base image of the user's, unpushed",
        config: { push: "false", baseImage: "ghcr.io/org/science:2025.1", enginesPerWorker: "2", workerMemory: "2Gi" },
    },
    { name: "docker", stack: "local", config: { target: "docker", push: "false", workers: "2" } },
    {
        name: "docker with groups, a kept volume and a host folder",
        stack: "local",
        config: {
            target: "docker",
            push: "false",
            retainNotebookStorage: "true",
            sharedVolume: JSON.stringify({ hostPath: "/srv/data", readOnly: true }),
            workerGroups: JSON.stringify([
                { name: "default", workers: 1 },
                { name: "big", workers: 2, enginesPerWorker: 2, memory: "1Gi", gpus: 1 },
            ]),
        },
    },
    { name: "docker without a notebook", stack: "local", config: { target: "docker", push: "false", notebook: "false", workers: "3" } },
];
