/**
 * How the test kubelet turns one container of a pod spec into `docker run` arguments, the way a kubelet
 * would run it: host network, user and groups, capabilities, read-only root, memory, environment
 * (the downward API's pod name), mounts. Any field it does not understand stops it.
 */
import { TEST_LABEL, inspect } from "./docker-cli";
import type { ApiAccess } from "./api-server";
import { HostVolume, only } from "./declared";
import { cpuCores, cpuShares, memoryBytes } from "../lib/quantities";

const LOOPBACK = "127.0.0.1";

/** Bytes in a memory limit, as `docker run --memory` takes them. */
function memory(quantity: string): string {
    const bytes = memoryBytes(quantity);
    if (!(bytes > 0)) throw new Error(`the test kubelet cannot read memory ${quantity}`);
    return String(Math.round(bytes));
}

const PULL = { Always: "always", IfNotPresent: "missing", Never: "never" } as Record<string, string>;

/**
 * `docker run` arguments for container `c` of pod `pod`: on the host network, every name in `hosts`
 * resolving to loopback, its user, capabilities, memory, environment and mounts from the spec.
 */
export async function containerRunArgs(
    pod: string,
    c: any,
    options: { podSecurity: any; volumes: Map<string, HostVolume>; grace: number; restart: string; hosts: Iterable<string>; runLabel: string; api?: ApiAccess },
): Promise<string[]> {
    const { podSecurity, volumes, grace, restart } = options;
    const where = `container ${c.name}`;
    only(c, ["name", "image", "imagePullPolicy", "command", "args", "env", "ports", "readinessProbe", "resources", "securityContext", "volumeMounts"], where);
    const args = [
        "--name",
        `${pod}-${c.name}`,
        "--label",
        `${TEST_LABEL}=${options.runLabel}`,
        "--label",
        `${TEST_LABEL}.pod=${pod}`,
        "--network=host",
        "--hostname",
        pod,
        "--restart",
        restart,
        "--stop-timeout",
        String(grace),
        "--pull",
        PULL[c.imagePullPolicy ?? "IfNotPresent"],
        ...[...options.hosts].flatMap(h => ["--add-host", `${h}:${LOOPBACK}`]),
    ];

    const sc = { ...podSecurity, ...(c.securityContext ?? {}) };
    only(
        c.securityContext,
        ["allowPrivilegeEscalation", "readOnlyRootFilesystem", "runAsNonRoot", "runAsUser", "runAsGroup", "capabilities"],
        `${where}.securityContext`,
    );
    const imageUser = await inspect(c.image, "{{.Config.User}}");
    const uid = sc.runAsUser ?? (imageUser.split(":")[0] || "0");
    if (sc.runAsNonRoot && !/^[0-9]+$/.test(String(uid))) {
        throw new Error(`${where}: runAsNonRoot needs a numeric user; the image says ${JSON.stringify(imageUser)}`);
    }
    if (sc.runAsNonRoot && Number(uid) === 0) throw new Error(`${where}: runAsNonRoot, but it would run as root`);
    args.push("--user", sc.runAsGroup !== undefined ? `${uid}:${sc.runAsGroup}` : String(uid));
    if (sc.fsGroup !== undefined) args.push("--group-add", String(sc.fsGroup));
    if (sc.allowPrivilegeEscalation === false) args.push("--security-opt", "no-new-privileges");
    if (sc.readOnlyRootFilesystem) args.push("--read-only");
    if (sc.capabilities) {
        only(sc.capabilities, ["drop", "add"], `${where}.securityContext.capabilities`);
        for (const cap of sc.capabilities.drop ?? []) args.push("--cap-drop", cap);
        for (const cap of sc.capabilities.add ?? []) args.push("--cap-add", cap);
    }

    if (c.resources) {
        only(c.resources, ["requests", "limits"], `${where}.resources`);
        only(c.resources.requests, ["cpu", "memory"], `${where}.resources.requests`);
        for (const k of Object.keys(c.resources.limits ?? {})) {
            if (!["cpu", "memory"].includes(k)) throw new Error(`${where} would stay Pending: this node has no ${k}`);
        }
        if (c.resources.requests?.cpu) args.push("--cpu-shares", String(cpuShares(c.resources.requests.cpu)));
        if (c.resources.limits?.cpu) args.push("--cpus", String(cpuCores(c.resources.limits.cpu)));
        if (c.resources.limits?.memory) args.push("--memory", memory(c.resources.limits.memory));
    }

    // What a kubelet gives every container, service links or not: where the API server is.
    if (options.api) args.push("--env", `KUBERNETES_SERVICE_HOST=${LOOPBACK}`, "--env", `KUBERNETES_SERVICE_PORT=${options.api.port}`);
    for (const e of c.env ?? []) {
        only(e, ["name", "value", "valueFrom"], `${where}.env ${e.name}`);
        if (e.valueFrom) {
            // The downward API's pod name; nothing else.
            if (e.valueFrom.fieldRef?.fieldPath !== "metadata.name")
                throw new Error(`${where}.env ${e.name}: the test kubelet knows valueFrom.fieldRef metadata.name only`);
            args.push("--env", `${e.name}=${pod}`);
        } else {
            args.push("--env", `${e.name}=${e.value}`);
        }
    }
    for (const m of c.volumeMounts ?? []) {
        only(m, ["name", "mountPath", "readOnly"], `${where}.volumeMounts ${m.name}`);
        const volume = volumes.get(m.name);
        if (!volume) throw new Error(`${where}: mounts undeclared volume ${m.name}`);
        args.push("--volume", `${volume.dir}:${m.mountPath}${m.readOnly || volume.readOnly ? ":ro" : ""}`);
    }
    for (const p of c.ports ?? []) only(p, ["name", "containerPort", "protocol"], `${where}.ports ${p.name}`);
    if (c.readinessProbe) {
        only(c.readinessProbe, ["exec", "tcpSocket", "periodSeconds", "failureThreshold", "initialDelaySeconds"], `${where}.readinessProbe`);
    }

    const command: string[] | undefined = c.command;
    if (command?.length) args.push("--entrypoint", command[0]);
    args.push(c.image, ...(command?.slice(1) ?? []), ...(c.args ?? []));
    return args;
}
