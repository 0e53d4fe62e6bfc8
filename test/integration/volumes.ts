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
