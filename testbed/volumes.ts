/**
 * What stands in for persistent storage when the test kubelet runs pods: a folder per claim that
 * outlives every pod mounting it, as a PersistentVolume would, and a folder per NFS export. They
 * live in one folder per test run, removed at the end of the run (`removeStandIns`).
 *
 * An NFS export here is a host folder owned by uid 1000, the stand-in for an export its server lets
 * uid 1000 write: the kubelet mounts what the server exports and changes no ownership on it. This
 * shows the mounts and what the containers do with them, not NFS itself.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ApiAccess } from "./api-server";
import { DeclaredObjects, HostVolume, only } from "./declared";

/** The user the images run as, who owns the stand-in exports. */
const EXPORT_OWNER = 1000;
/** Every run folder this process made, for `removeStandIns` at the end. */
const made = new Set<string>();

/** Removes the stand-ins of every run this process made (the integration suite's last hook; the bench's end). */
export function removeStandIns() {
    for (const root of made) fs.rmSync(root, { recursive: true, force: true });
    made.clear();
}

export class VolumeStandIns {
    readonly root: string;
    private readonly provided = new Set<string>();

    /** `declaredClaims`: the claims the program declares; other claims must be `provide`d, as a user's own claim would exist in the cluster. */
    constructor(
        runLabel: string,
        private readonly declaredClaims: ReadonlySet<string>,
    ) {
        this.root = path.join(os.tmpdir(), `ipp-volumes-${runLabel}`);
    }

    /** A claim that exists in the cluster without the program declaring it (such as a user's data claim). */
    provide(claimName: string) {
        this.provided.add(claimName);
    }

    /** The claim's folder, made on first use (as a provisioner makes the volume) and kept across pods. */
    claim(claimName: string, fsGroup: number | undefined, changePolicy: string | undefined): string {
        if (!this.declaredClaims.has(claimName) && !this.provided.has(claimName)) {
            throw new Error(`no PersistentVolumeClaim ${claimName} is declared or provided; a kubelet would wait for it forever`);
        }
        const dir = path.join(this.root, "claims", claimName);
        made.add(this.root);
        fs.mkdirSync(dir, { recursive: true });
        if (fsGroup !== undefined) applyFsGroup(dir, fsGroup, changePolicy ?? "Always");
        return dir;
    }

    /** The folder standing in for `server:path`. */
    nfs(server: string, exportPath: string): string {
        const dir = path.join(this.root, "nfs", server, exportPath);
        made.add(this.root);
        if (!fs.existsSync(dir)) {
            fs.mkdirSync(dir, { recursive: true });
            fs.chownSync(dir, EXPORT_OWNER, EXPORT_OWNER);
            fs.chmodSync(dir, 0o775);
        }
        return dir;
    }

    /** Every file under the claim's folder, relative to it. */
    files(claimName: string): string[] {
        const dir = path.join(this.root, "claims", claimName);
        return fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).filter(f => fs.statSync(path.join(dir, f)).isFile()) : [];
    }

    claimPath(claimName: string): string {
        return path.join(this.root, "claims", claimName);
    }

    /** Removes every stand-in of the run. */
    removeAll() {
        fs.rmSync(this.root, { recursive: true, force: true });
    }
}

/**
 * What the kubelet does for `fsGroup` on a volume that supports ownership: the group owns every file,
 * group read-write, and new files inherit the group (setgid folders). `OnRootMismatch` does it only
 * when the root is not set up so yet.
 */
function applyFsGroup(dir: string, fsGroup: number, policy: string) {
    if (!["Always", "OnRootMismatch"].includes(policy)) throw new Error(`the test kubelet does not know fsGroupChangePolicy ${policy}`);
    const root = fs.statSync(dir);
    if (policy === "OnRootMismatch" && root.gid === fsGroup && (root.mode & 0o2070) === 0o2070) return;
    const walk = (p: string) => {
        const st = fs.lstatSync(p);
        if (st.isSymbolicLink()) return;
        fs.chownSync(p, st.uid, fsGroup);
        fs.chmodSync(p, (st.mode & 0o7777) | (st.isDirectory() ? 0o2070 : 0o060));
        if (st.isDirectory()) for (const child of fs.readdirSync(p)) walk(path.join(p, child));
    };
    walk(dir);
}

/**
 * A projected volume of the one kind pods here have: the ServiceAccount token (for the test API server),
 * the cluster's CA (kube-root-ca.crt) and the namespace (downward API).
 */
function projectedFiles(v: any, api?: ApiAccess): Record<string, string> {
    only(v.projected, ["sources", "defaultMode"], `volume ${v.name}.projected`);
    if (!api) throw new Error(`volume ${v.name}: a projected token, but no API server serves`);
    const files: Record<string, string> = {};
    for (const source of v.projected.sources) {
        only(source, ["serviceAccountToken", "configMap", "downwardAPI"], `volume ${v.name}.projected.sources`);
        if (source.serviceAccountToken) {
            only(source.serviceAccountToken, ["path", "expirationSeconds"], `volume ${v.name}.projected serviceAccountToken`);
            files[source.serviceAccountToken.path] = api.token;
        } else if (source.configMap) {
            if (source.configMap.name !== "kube-root-ca.crt")
                throw new Error(`volume ${v.name}: the test kubelet projects the ConfigMap kube-root-ca.crt only`);
            for (const item of source.configMap.items) files[item.path] = api.caPem;
        } else {
            for (const item of source.downwardAPI.items) {
                if (item.fieldRef?.fieldPath !== "metadata.namespace") throw new Error(`volume ${v.name}: the test kubelet projects metadata.namespace only`);
                files[item.path] = api.namespace;
            }
        }
    }
    return files;
}

/**
 * A pod's volume `v` as a host folder: ConfigMaps and Secrets (of `objects`) as files, emptyDirs as
 * fresh folders in `podDir`, claims and NFS exports as the `standIns`' folders.
 */
export function hostVolume(v: any, podDir: string, podSecurity: any, objects: DeclaredObjects, standIns: VolumeStandIns, api?: ApiAccess): HostVolume {
    only(v, ["name", "configMap", "secret", "emptyDir", "persistentVolumeClaim", "nfs", "projected"], `volume ${v.name}`);
    const fsGroup: number | undefined = podSecurity.fsGroup;
    if (v.persistentVolumeClaim) {
        only(v.persistentVolumeClaim, ["claimName", "readOnly"], `volume ${v.name}.persistentVolumeClaim`);
        const dir = standIns.claim(v.persistentVolumeClaim.claimName, fsGroup, podSecurity.fsGroupChangePolicy);
        return { dir, readOnly: v.persistentVolumeClaim.readOnly === true };
    }
    if (v.nfs) {
        // The kubelet applies no fsGroup to NFS: the export's own ownership stands.
        only(v.nfs, ["server", "path", "readOnly"], `volume ${v.name}.nfs`);
        return { dir: standIns.nfs(v.nfs.server, v.nfs.path), readOnly: v.nfs.readOnly === true };
    }
    const dir = path.join(podDir, v.name);
    fs.mkdirSync(dir);
    if (v.emptyDir) {
        only(v.emptyDir, [], `volume ${v.name}.emptyDir`);
        fs.chmodSync(dir, 0o777); // as the kubelet makes them
        return { dir, readOnly: false };
    }
    let files: Record<string, string>;
    let mode: number;
    if (v.projected) {
        files = projectedFiles(v, api);
        mode = v.projected.defaultMode ?? 0o644;
    } else if (v.configMap) {
        only(v.configMap, ["name", "defaultMode", "optional"], `volume ${v.name}.configMap`);
        const data = objects.configMaps.get(v.configMap.name) ?? (v.configMap.optional ? {} : undefined);
        if (!data) throw new Error(`volume ${v.name}: no ConfigMap ${v.configMap.name} is declared`);
        files = data;
        mode = v.configMap.defaultMode ?? 0o644;
    } else if (v.secret) {
        only(v.secret, ["secretName", "defaultMode"], `volume ${v.name}.secret`);
        const data = objects.secrets.get(v.secret.secretName);
        if (!data) throw new Error(`volume ${v.name}: no Secret ${v.secret.secretName} is declared`);
        files = data;
        mode = v.secret.defaultMode ?? 0o644;
    } else {
        throw new Error(`volume ${v.name}: the test kubelet knows configMap, secret, emptyDir, persistentVolumeClaim and nfs volumes only`);
    }
    for (const [file, content] of Object.entries(files)) {
        const target = path.join(dir, file);
        fs.writeFileSync(target, content);
        if (fsGroup !== undefined) fs.chownSync(target, 0, fsGroup);
        fs.chmodSync(target, mode);
    }
    return { dir, readOnly: true };
}
