/**
 * The part of a Kubernetes API server the scaler talks to, over HTTPS with a CA and a token of its own,
 * judging each request the way the real one does, in its order: authentication (the token the kubelet
 * projected into the pod of the declared ServiceAccount), authorization (the declared Roles bound to that
 * account, by verb, resource, subresource and name), the declared ValidatingAdmissionPolicies (their CEL
 * evaluated), and the resulting object against the Kubernetes OpenAPI schema (kubernetes-models, generated
 * from it). It serves GET/PATCH/PUT of a Deployment's scale subresource and merge patches of pods; the test
 * cluster does what the ReplicaSet controller would (see TestCluster.scaleGroup).
 */
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import { evaluate } from "@marcbachmann/cel-js";
import { Declared, declaredName, ofType } from "./program";
import type { DeclaredObjects } from "./declared";
import { esmImport } from "./esm";

/** What a pod needs to reach the API server: its address, the CA that signs its certificate, a token. */
export interface ApiAccess {
    port: number;
    caPem: string;
    token: string;
    namespace: string;
}

/** What the API server asks of the cluster it fronts (the ReplicaSet controller's side). */
export interface ScalableCluster {
    replicas(deployment: string): number | undefined;
    /** The Deployment's pod selector, as the scale subresource's status gives it. */
    selector(deployment: string): string;
    scaleTo(deployment: string, replicas: number): void;
    /** A pod as the API server would answer it (name, labels, annotations, spec), or undefined. */
    pod(name: string): any;
    setAnnotations(pod: string, annotations: Record<string, string>): void;
}

export interface ApiRequest {
    method: string;
    path: string;
    user: string;
    status: number;
    message?: string;
}

class Refusal extends Error {
    constructor(
        readonly status: number,
        message: string,
    ) {
        super(message);
    }
}

/** An RFC 7386 merge patch of `target`. */
export function mergePatch(target: any, patch: any): any {
    if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
    const out = target !== null && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
    for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete out[k];
        else out[k] = mergePatch(out[k], v);
    }
    return out;
}

/** Whether the declared Roles bound to `user` allow `verb` on `resource` (with its subresource) named `name`. */
export function authorized(run: DeclaredObjects["run"], namespace: string, user: string, verb: string, resource: string, name: string): boolean {
    const roles = new Map(ofType(run, "rbac.authorization.k8s.io/v1:Role").map(r => [declaredName(r), r] as [string, Declared]));
    for (const binding of ofType(run, "rbac.authorization.k8s.io/v1:RoleBinding")) {
        const bound = (binding.inputs.subjects ?? []).some(
            (s: any) => s.kind === "ServiceAccount" && `system:serviceaccount:${s.namespace ?? namespace}:${s.name}` === user,
        );
        const role = roles.get(binding.inputs.roleRef.name);
        if (!bound || !role || binding.inputs.roleRef.kind !== "Role") continue;
        const group = resource.startsWith("deployments") ? "apps" : "";
        for (const rule of role.inputs.rules ?? []) {
            const names: string[] | undefined = rule.resourceNames;
            if (rule.apiGroups.includes(group) && rule.resources.includes(resource) && rule.verbs.includes(verb) && (!names?.length || names.includes(name))) {
                return true;
            }
        }
    }
    return false;
}

/** The declared admission policies' verdict on an UPDATE: the message of the first that denies, or undefined. */
export function admission(run: DeclaredObjects["run"], namespace: string, request: any, object: any, oldObject: any): string | undefined {
    const bindings = ofType(run, "admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding");
    for (const policy of ofType(run, "admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy")) {
        const binding = bindings.find(b => b.inputs.spec.policyName === declaredName(policy));
        if (!binding || binding.inputs.spec.matchResources?.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] !== namespace) continue;
        const spec = policy.inputs.spec;
        const resource = request.resource.resource + (request.subResource ? `/${request.subResource}` : "");
        const matches = spec.matchConstraints.resourceRules.some((r: any) => r.resources.includes(resource) && r.operations.includes("UPDATE"));
        const context = { request, object, oldObject };
        if (!matches || !(spec.matchConditions ?? []).every((c: any) => evaluate(c.expression, context) === true)) continue;
        for (const v of spec.validations) {
            if (evaluate(v.expression, context) !== true) return v.message;
        }
    }
    return undefined;
}

/** A self-signed certificate for 127.0.0.1 (its own CA), made with openssl. */
function certificate(): { key: string; cert: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ipp-api-"));
    const [key, cert] = [path.join(dir, "key.pem"), path.join(dir, "cert.pem")];
    execFileSync(
        "openssl",
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1"].concat([
            "-subj",
            "/CN=kubernetes",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:kubernetes.default.svc",
        ]),
        { stdio: "ignore" },
    );
    const pems = { key: fs.readFileSync(key, "utf8"), cert: fs.readFileSync(cert, "utf8") };
    fs.rmSync(dir, { recursive: true, force: true });
    return pems;
}

export class FakeApiServer {
    readonly requests: ApiRequest[] = [];
    private server?: https.Server;
    readonly access: ApiAccess;
    private readonly cert = certificate();
    private models: Record<string, any> = {};

    /** `user`: the ServiceAccount the token stands for (the frontend Pod's). */
    constructor(
        private readonly objects: DeclaredObjects,
        private readonly cluster: ScalableCluster,
        namespace: string,
        private readonly user: string,
    ) {
        this.access = { port: 0, caPem: this.cert.cert, token: randomBytes(24).toString("hex"), namespace };
    }

    async start(): Promise<ApiAccess> {
        this.models = { Scale: (await esmImport("kubernetes-models/autoscaling/v1")).Scale, Pod: (await esmImport("kubernetes-models/v1")).Pod };
        this.server = https.createServer({ key: this.cert.key, cert: this.cert.cert }, (req, res) => {
            let body = "";
            req.on("data", chunk => (body += chunk));
            req.on("end", () => this.handle(req, body, res));
        });
        await new Promise<void>(resolve => this.server!.listen(0, "127.0.0.1", resolve));
        this.access.port = (this.server.address() as any).port;
        return this.access;
    }

    async stop(): Promise<void> {
        await new Promise<void>(resolve => (this.server ? this.server.close(() => resolve()) : resolve()));
    }

    private handle(req: any, body: string, res: any) {
        const method: string = req.method;
        const record: ApiRequest = { method, path: req.url, user: "", status: 200 };
        let answer: any;
        try {
            if (req.headers.authorization !== `Bearer ${this.access.token}`) throw new Refusal(401, "Unauthorized");
            record.user = this.user;
            answer = this.route(method, req.url, body, req.headers["content-type"] ?? "");
        } catch (e: any) {
            record.status = e instanceof Refusal ? e.status : 500;
            record.message = e.message;
            answer = { kind: "Status", apiVersion: "v1", status: "Failure", message: e.message, code: record.status };
        }
        this.requests.push(record);
        res.writeHead(record.status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(answer));
    }

    private route(method: string, url: string, body: string, contentType: string): any {
        const ns = this.access.namespace;
        const scale = new RegExp(`^/apis/apps/v1/namespaces/${ns}/deployments/([^/]+)/scale$`).exec(url);
        const pod = new RegExp(`^/api/v1/namespaces/${ns}/pods/([^/]+)$`).exec(url);
        const verb = { GET: "get", PATCH: "patch", PUT: "update" }[method];
        if (!verb || (!scale && !pod)) throw new Refusal(404, `the test API server serves no ${method} ${url}`);
        const [resource, name] = scale ? ["deployments/scale", scale[1]] : ["pods", pod![1]];
        if (!authorized(this.objects.run, ns, this.user, verb, resource, name)) {
            throw new Refusal(403, `${resource} "${name}" is forbidden: User "${this.user}" cannot ${verb} resource "${resource}" in the namespace "${ns}"`);
        }
        const current = scale ? this.scaleOf(name) : this.cluster.pod(name);
        if (current === undefined) throw new Refusal(404, `${resource} "${name}" not found`);
        if (verb === "get") return current;
        if (verb === "patch" && contentType !== "application/merge-patch+json")
            throw new Refusal(415, `the test API server takes merge patches only, not ${contentType}`);
        const next = verb === "patch" ? mergePatch(current, JSON.parse(body)) : JSON.parse(body);
        const request = {
            resource: { group: scale ? "apps" : "", resource: scale ? "deployments" : "pods" },
            subResource: scale ? "scale" : "",
            userInfo: { username: this.user },
        };
        const denied = admission(this.objects.run, ns, request, next, current);
        if (denied) throw new Refusal(422, `admission denied: ${denied}`);
        this.validate(scale ? "Scale" : "Pod", next);
        if (scale) {
            this.cluster.scaleTo(name, next.spec.replicas);
            return this.scaleOf(name);
        }
        this.cluster.setAnnotations(name, next.metadata.annotations ?? {});
        return this.cluster.pod(name);
    }

    private scaleOf(deployment: string) {
        const replicas = this.cluster.replicas(deployment);
        if (replicas === undefined) return undefined;
        const meta = { name: deployment, namespace: this.access.namespace };
        return {
            kind: "Scale",
            apiVersion: "autoscaling/v1",
            metadata: meta,
            spec: { replicas },
            status: { replicas, selector: this.cluster.selector(deployment) },
        };
    }

    /** Checks an object against the Kubernetes OpenAPI schema (kubernetes-models' validators are generated from it). */
    private validate(kind: "Scale" | "Pod", object: any) {
        try {
            new this.models[kind](object).validate();
        } catch (e: any) {
            throw new Refusal(422, `${kind} is invalid: ${e.message}`);
        }
    }
}
