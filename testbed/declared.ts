/**
 * What the program declared, as a kubelet reads it: ConfigMaps and Secrets by their names, the pods,
 * Deployments and Services; and the check that the test kubelet understands every field it is given.
 */
import { Declared, ProgramRun, declaredName, ofType } from "./program";

/** Throws when `obj` has a field outside `allowed`, naming where. */
export function only(obj: object | undefined, allowed: string[], where: string) {
    for (const k of Object.keys(obj ?? {})) {
        if (!allowed.includes(k)) throw new Error(`the test kubelet does not understand ${where}.${k}`);
    }
}

export interface PodTemplate {
    metadata: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string>; namespace?: string };
    spec: any;
}

export interface RunningPod {
    name: string;
    template: PodTemplate;
    containers: { name: string; id: string }[];
    volumeDir: string;
}

/** A pod's volume as a host folder, and whether the volume itself is read-only. */
export interface HostVolume {
    dir: string;
    readOnly: boolean;
}

/** The objects a kubelet would read: ConfigMaps and Secrets by their (generated) names. */
export class DeclaredObjects {
    readonly configMaps = new Map<string, Record<string, string>>();
    readonly secrets = new Map<string, Record<string, string>>();
    readonly services: Declared[];
    readonly pods: Declared[];
    readonly deployments: Declared[];
    /** The PersistentVolumeClaims the program declares, by name. */
    readonly claims: Set<string>;

    constructor(readonly run: ProgramRun) {
        const nameOf = (r: Declared) => declaredName(r);
        for (const cm of ofType(run, "core/v1:ConfigMap")) this.configMaps.set(nameOf(cm), cm.inputs.data ?? {});
        for (const s of ofType(run, "core/v1:Secret")) {
            const data = Object.fromEntries(Object.entries<string>(s.inputs.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
            this.secrets.set(nameOf(s), { ...data, ...(s.inputs.stringData ?? {}) });
        }
        this.services = ofType(run, "core/v1:Service");
        this.pods = ofType(run, "core/v1:Pod");
        this.deployments = ofType(run, "apps/v1:Deployment");
        this.claims = new Set(ofType(run, "core/v1:PersistentVolumeClaim").map(nameOf));
    }

    /** Names that a cluster's DNS (or a pod's own hostname) would resolve. */
    serviceNames(): string[] {
        return this.services.map(s => s.inputs.metadata.name);
    }
}
