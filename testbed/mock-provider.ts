/**
 * What the mock providers return for each resource the program declares: enough for its outputs to
 * resolve (an image's digest, a random key, a Command's output, a Kubernetes object's auto-name).
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";

/** Computes a resource's output state from its inputs; the default fills in what providers do. */
export type NewResource = (args: pulumi.runtime.MockResourceArgs) => Promise<{ id: string; state: any }> | { id: string; state: any };

function fakeDigest(text: string): string {
    return "sha256:" + createHash("sha256").update(text).digest("hex");
}

/** What the mock provider appends to a logical name for an object without a name of its own, as Pulumi's auto-naming would. */
export const MOCK_NAME_SUFFIX = "-abc123";

/** What the mock image's record says it holds. */
export const MOCK_ENVIRONMENT = { python: "3.13.5", ipyparallel: "9.2.0", pyzmq: "27.3.0", aptPackages: {}, pipPackages: { numpy: "2.3.5" } };

/** The name the stack program gives its cluster component (index.ts): its children's names start with it. */
export const STACK_CLUSTER = "ipp";

/**
 * The name a resource had before the stack program's objects moved into the cluster component. What
 * providers made for it then (a random key, an auto-name) stays in the stack's state, which the engine
 * keeps for a resource taken by an alias: the mocks derive such values from this name.
 */
export function formerName(name: string): string {
    return name.startsWith(`${STACK_CLUSTER}-`) ? name.slice(STACK_CLUSTER.length + 1) : name;
}

/** What providers would return, enough for the program's outputs to resolve. */
export function defaultNewResource(mocked: pulumi.runtime.MockResourceArgs): { id: string; state: any } {
    const args = { ...mocked, name: formerName(mocked.name) };
    const state = { ...args.inputs };
    switch (args.type) {
        case "docker:index/image:Image": {
            const id = fakeDigest(`${args.name}:${JSON.stringify(args.inputs.build)}`);
            const repo = String(args.inputs.imageName).replace(/:[^:/]+$/, "");
            state.repoDigest = args.inputs.skipPush ? id : `${repo}@${id}`;
            break;
        }
        case "random:index/randomPassword:RandomPassword":
            state.result = createHash("sha256")
                .update(args.name)
                .digest("base64")
                .replace(/[^A-Za-z0-9]/g, "")
                .slice(0, args.inputs.length);
            break;
        case "command:local:Command":
            // What the base image records, for the environment the stack reports.
            state.stdout = JSON.stringify(MOCK_ENVIRONMENT);
            break;
        case "random:index/randomBytes:RandomBytes":
            state.hex = createHash("sha256").update(args.name).digest("hex");
            state.base64 = Buffer.from(state.hex, "hex").toString("base64");
            break;
        default:
            if (args.type.startsWith("kubernetes:")) {
                state.metadata = { ...args.inputs.metadata, name: args.inputs.metadata?.name ?? `${args.name}${MOCK_NAME_SUFFIX}` };
            }
            // As the API server does: a NodePort (or LoadBalancer) Service gets a port on every node.
            if (args.type === "kubernetes:core/v1:Service" && ["NodePort", "LoadBalancer"].includes(args.inputs.spec?.type)) {
                state.spec = { ...args.inputs.spec, ports: args.inputs.spec.ports.map((p: any, i: number) => ({ ...p, nodePort: 30000 + i })) };
            }
    }
    return { id: `${mocked.name}-id`, state };
}
