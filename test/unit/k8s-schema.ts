/**
 * The Kubernetes OpenAPI schema check (kubernetes-models) of every object a program run declares.
 */
import * as assert from "assert";
import { Declared, ProgramRun, declaredName } from "../../testbed/program";
import { esmImport } from "../../testbed/esm";

/** The model of each kind the program declares. */
async function models(): Promise<Record<string, any>> {
    const core = await esmImport("kubernetes-models/v1");
    return {
        Namespace: core.Namespace,
        ConfigMap: core.ConfigMap,
        Secret: core.Secret,
        Service: core.Service,
        Pod: core.Pod,
        PersistentVolumeClaim: core.PersistentVolumeClaim,
        Deployment: (await esmImport("kubernetes-models/apps/v1")).Deployment,
        NetworkPolicy: (await esmImport("kubernetes-models/networking.k8s.io/v1")).NetworkPolicy,
        ServiceAccount: core.ServiceAccount,
        Role: (await esmImport("kubernetes-models/rbac.authorization.k8s.io/v1")).Role,
        RoleBinding: (await esmImport("kubernetes-models/rbac.authorization.k8s.io/v1")).RoleBinding,
        ValidatingAdmissionPolicy: (await esmImport("kubernetes-models/admissionregistration.k8s.io/v1")).ValidatingAdmissionPolicy,
        ValidatingAdmissionPolicyBinding: (await esmImport("kubernetes-models/admissionregistration.k8s.io/v1")).ValidatingAdmissionPolicyBinding,
    };
}

/** Validates every Kubernetes object of the run against the schema (a name filled in where the provider would make one); returns them. */
export async function validateObjects(run: ProgramRun): Promise<Declared[]> {
    const model = await models();
    const objects = run.resources.filter(r => r.type.startsWith("kubernetes:"));
    for (const r of objects) {
        const kind = r.type.split(":").pop()!;
        assert.ok(model[kind], `no schema model for ${kind}`);
        const { apiVersion: _v, kind: _k, ...body } = r.inputs;
        const metadata = { ...body.metadata, name: declaredName(r) };
        assert.doesNotThrow(() => new model[kind]({ ...body, metadata }).validate(), `${kind} ${r.name}`);
    }
    return objects;
}
