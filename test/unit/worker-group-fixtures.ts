/** A GPU worker group with every field set, as the user writes it: what several tests start from. */
export const GPU_GROUP = {
    name: "gpu",
    workers: 2,
    minWorkers: 2,
    maxWorkers: 2,
    enginesPerWorker: 2,
    cpu: "8",
    memory: "32Gi",
    gpus: 1,
    nodeSelector: { "cloud.google.com/gke-accelerator": "nvidia-l4" },
    tolerations: [{ key: "nvidia.com/gpu", operator: "Exists" as const, effect: "NoSchedule" as const }],
    affinity: {
        nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 1, preference: { matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] } },
            ],
        },
    },
    priorityClassName: "high-priority",
};
