/**
 * Where work is kept: the notebook's home folder (a claim, or a Docker volume) and the data volume
 * that the notebook and every engine share. `parseStorage` reads their settings; every message names
 * the key (or the key path inside `sharedVolume`), the value and what is allowed.
 */
import { isIP } from "net";
import { DNS_SUBDOMAIN, key } from "./names";
import { memoryBytes } from "./quantities";
import { SettingsReader, isObject, parseJson, shown } from "./reader";

/** The notebook's home folder. */
export interface NotebookStorage {
    /** Size of the claim, a Kubernetes quantity; "" keeps the home in a folder that lives as long as the Pod. */
    size: string;
    /** The claim's StorageClass; "" lets the cluster choose its default class. */
    storageClass: string;
    /** Keep the claim (or the Docker volume) when the stack is destroyed, for the next `pulumi up` to take up again. */
    retain: boolean;
}

/**
 * The data volume mounted at /home/jupyter/shared in the notebook and in every engine, read-write in
 * the notebook; `readOnly` makes it read-only for the engines.
 *   claim:    an existing PersistentVolumeClaim (on the docker target: a Docker volume) by name;
 *   nfs:      an NFS export (Kubernetes only);
 *   hostPath: a folder of this machine (docker target only).
 */
export type SharedVolume =
    | { kind: "claim"; claimName: string; readOnly: boolean }
    | { kind: "nfs"; server: string; path: string; readOnly: boolean }
    | { kind: "hostPath"; hostPath: string; readOnly: boolean };

const HOST_LABEL = /^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$/;
/** What Docker accepts as a volume name. */
const DOCKER_VOLUME = /^[A-Za-z0-9][A-Za-z0-9_.-]+$/;
/** Absolute, and free of what would break a mount specification (`:` and `,`). */
const ABSOLUTE_PATH = /^\/[^\0\n:,]*$/;

/** A host name (RFC 1123) or an IPv4 or IPv6 address. */
export function isHostName(text: string): boolean {
    if (isIP(text)) return true;
    return text.length <= 253 && text.split(".").every(label => HOST_LABEL.test(label)) && !/^[0-9.]+$/.test(text);
}

/** Why `size` is not a storage size (or "" for none), or undefined when it is one. */
export function storageSizeProblem(size: string): string | undefined {
    if (size === "" || memoryBytes(size) > 0) return undefined;
    return `${key("notebookStorage")} must be a Kubernetes storage quantity such as 10Gi or 500Mi, or "" for a home folder that lives only as long as the Pod; got ${shown(size)}.`;
}

/** Why `name` is not a StorageClass name (or "" for the cluster's default), or undefined when it is one. */
export function storageClassProblem(name: string): string | undefined {
    if (name === "" || DNS_SUBDOMAIN.test(name)) return undefined;
    return `${key("storageClass")} must name a StorageClass (lowercase letters, digits, "-" and ".", such as standard or fast-ssd), or be "" for the cluster's default class; got ${shown(name)}.`;
}

const SHARED = key("sharedVolume");
const SHAPE =
    `{"claimName": "<claim>"} or {"nfs": {"server": "<host>", "path": "/<export>"}} (docker target: {"claimName": "<volume>"} or {"hostPath": "/<folder>"}), ` +
    `with an optional "readOnly": true for the engines; set it with \`pulumi config set --path sharedVolume.claimName data\``;
const SOURCES = ["claimName", "nfs", "hostPath"] as const;

/**
 * Reads `sharedVolume` as the program receives it (JSON text; `{}` for none) for `target`. Returns
 * the volume (undefined for none) and every problem found.
 */
export function parseSharedVolume(text: string, target: "kubernetes" | "docker"): { volume?: SharedVolume; problems: string[] } {
    const problems: string[] = [];
    const value = parseJson(text);
    if (!isObject(value)) return { problems: [`${SHARED} must be an object such as ${SHAPE}; got ${shown(text)}.`] };
    if (Object.keys(value).length === 0) return { problems };

    for (const k of Object.keys(value).filter(k => ![...SOURCES, "readOnly"].includes(k))) {
        problems.push(
            `${SHARED}.${k} is not a field of the shared volume, which takes claimName, nfs (server and path), hostPath and readOnly; got ${shown(value)}.`,
        );
    }
    const named = SOURCES.filter(s => value[s] !== undefined);
    if (named.length !== 1) {
        const got = named.length ? named.join(" and ") : "none of them";
        problems.push(`${SHARED} must name exactly one of claimName, nfs and hostPath; got ${got}.`);
        return { problems };
    }
    const ro = value.readOnly ?? false;
    if (ro !== true && ro !== false && ro !== "true" && ro !== "false") problems.push(`${SHARED}.readOnly must be true or false; got ${shown(ro)}.`);
    const readOnly = ro === true || ro === "true";

    let volume: SharedVolume | undefined;
    if (named[0] === "claimName") {
        const claimName = value.claimName;
        const [valid, what] =
            target === "docker"
                ? [DOCKER_VOLUME, 'a Docker volume (letters, digits, "_", "." and "-", such as ipp-data)']
                : [DNS_SUBDOMAIN, 'a PersistentVolumeClaim in the cluster\'s namespace (lowercase letters, digits, "-" and ".", such as data)'];
        if (typeof claimName !== "string" || !valid.test(claimName)) problems.push(`${SHARED}.claimName must name ${what}; got ${shown(claimName)}.`);
        volume = { kind: "claim", claimName: String(claimName), readOnly };
    } else if (named[0] === "nfs") {
        volume = nfsVolume(value.nfs, target, readOnly, problems);
    } else {
        const hostPath = value.hostPath;
        if (target !== "docker") {
            problems.push(`${SHARED}.hostPath is for the docker target only: a pod must not reach into its node's disk. On Kubernetes use claimName or nfs.`);
        } else if (typeof hostPath !== "string" || !ABSOLUTE_PATH.test(hostPath)) {
            problems.push(
                `${SHARED}.hostPath must be an absolute path of a folder on this machine, without ":" or ",", such as /srv/data; got ${shown(hostPath)}.`,
            );
        }
        volume = { kind: "hostPath", hostPath: String(hostPath), readOnly };
    }
    return { volume: problems.length ? undefined : volume, problems };
}

function nfsVolume(nfs: unknown, target: string, readOnly: boolean, problems: string[]): SharedVolume | undefined {
    if (target === "docker") {
        problems.push(
            `${SHARED}.nfs is for the kubernetes target. On docker, make a Docker volume of the export ` +
                `(docker volume create --driver local --opt type=nfs --opt o=addr=<server> --opt device=:<path> <name>) and set ${SHARED}.claimName to its name.`,
        );
        return undefined;
    }
    if (!isObject(nfs)) {
        problems.push(
            `${SHARED}.nfs must be an object with a server and a path, such as {"server": "nfs.example.com", "path": "/exports/data"}; got ${shown(nfs)}.`,
        );
        return undefined;
    }
    for (const k of Object.keys(nfs).filter(k => !["server", "path"].includes(k))) {
        problems.push(`${SHARED}.nfs.${k} is not a field of an NFS export, which takes server and path; got ${shown(nfs)}.`);
    }
    const { server, path } = nfs;
    if (typeof server !== "string" || !isHostName(server)) {
        problems.push(`${SHARED}.nfs.server must be a host name or an IP address, such as nfs.example.com; got ${shown(server)}.`);
    }
    if (typeof path !== "string" || !ABSOLUTE_PATH.test(path)) {
        problems.push(`${SHARED}.nfs.path must be an absolute path on the NFS server, without ":" or ",", such as /exports/data; got ${shown(path)}.`);
    }
    return { kind: "nfs", server: String(server), path: String(path), readOnly };
}

/** The notebook's home folder and the shared data volume, for `target`. */
export function parseStorage(s: SettingsReader, target: "kubernetes" | "docker"): { notebookStorage: NotebookStorage; sharedVolume?: SharedVolume } {
    const size = s.text("notebookStorage");
    const storageClass = s.text("storageClass");
    const retain = s.boolean("retainNotebookStorage");
    for (const problem of [storageSizeProblem(size), storageClassProblem(storageClass)]) if (problem) s.problem(problem);
    const shared = parseSharedVolume(s.json("sharedVolume"), target);
    shared.problems.forEach(p => s.problem(p));
    return { notebookStorage: { size, storageClass, retain }, sharedVolume: shared.volume };
}
