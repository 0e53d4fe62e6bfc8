/**
 * Runs the Pulumi program under mocks and records what it declares: every resource with its
 * inputs (secrets still marked), its options, and the dependencies the engine would receive.
 */
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { MOCK_NAME_SUFFIX, NewResource, defaultNewResource, formerName } from "./mock-provider";

export { MOCK_ENVIRONMENT, MOCK_NAME_SUFFIX, STACK_CLUSTER, defaultNewResource } from "./mock-provider";
export type { NewResource } from "./mock-provider";

const ROOT = path.resolve(__dirname, "..");
const STACK_TYPE = "pulumi:pulumi:Stack";

/** One alias of a resource as the program sends it to the engine. */
export interface AliasSpec {
    name: string;
    type: string;
    /** The old parent's URN; "" for the resource's current parent. */
    parentUrn: string;
    noParent: boolean;
}

export interface Declared {
    type: string;
    name: string;
    urn: string;
    /** Inputs with secrets unwrapped. */
    inputs: any;
    /** Inputs as sent to the engine: secret values are wrapped in a secret marker. */
    rawInputs: any;
    /** URNs of the resources this one depends on (explicit dependsOn and input dependencies). */
    dependencies: string[];
    parent: string;
    deleteBeforeReplace: boolean;
    replaceOnChanges: string[];
    additionalSecretOutputs: string[];
    /** Kept in the cloud (or on the engine) when Pulumi deletes it. */
    retainOnDelete: boolean;
    ignoreChanges: string[];
    /** The explicit provider's reference (`<urn>::<id>`), or "" for the default provider. */
    provider: string;
    /** The URNs this resource was known by before (from its aliases that rename it under the same parent). */
    aliasUrns: string[];
    /** Its aliases as sent to the engine (see aliases.ts for what the engine makes of them). */
    aliasSpecs: AliasSpec[];
    /** When the program registered it, among all resources (parents come before their children). */
    order: number;
    custom: boolean;
}

export interface ProgramRun {
    resources: Declared[];
    outputs: Record<string, any>;
    /** The stack outputs that are secret. */
    secretOutputs: string[];
    /** What the Pulumi runtime (or the program) warned about while it ran: a user sees each on every `pulumi up`. */
    warnings: string[];
}

/** The name a declared Kubernetes object has (its own, or the mock provider's auto-name). */
export function declaredName(r: Declared): string {
    return r.inputs.metadata?.name ?? `${formerName(r.name)}${MOCK_NAME_SUFFIX}`;
}

/** Whether a value as sent to the engine is a secret (wrapped in Pulumi's secret marker). */
export function isSecret(v: any): boolean {
    return v && typeof v === "object" && v[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

/** A resource's inputs as sent to the engine, as JSON, every secret value shown as "<secret>". */
export function withSecretsHidden(r: Declared): string {
    return JSON.stringify(r.rawInputs, (_k, v) => (isSecret(v) ? "<secret>" : v));
}

/** The program's own modules (index.ts, lib/, components/), so that each run loads the program afresh with its own config. */
const PROGRAM_MODULES = [path.join(ROOT, "index.ts"), path.join(ROOT, "lib") + path.sep, path.join(ROOT, "components") + path.sep];

function clearProgramModules() {
    for (const id of Object.keys(require.cache)) {
        if (PROGRAM_MODULES.some(m => id === m || id.startsWith(m))) delete require.cache[id];
    }
}

export interface RunOptions {
    stack?: string;
    /** The project the program runs in: this one (the stack program), or another that uses the component. */
    project?: string;
    preview?: boolean;
    newResource?: NewResource;
    /** Runs this instead of index.ts (to check the harness itself). */
    program?: () => Promise<Record<string, unknown>>;
}

/**
 * Loads index.ts with `config` (the project's keys without the `ipp-cluster:` prefix). Rejects with the
 * program's error when it throws.
 */
export async function runProgram(config: Record<string, string>, opts: RunOptions = {}): Promise<ProgramRun> {
    const resources: Declared[] = [];
    const pending: Declared[] = [];
    const newResource = opts.newResource ?? defaultNewResource;
    await pulumi.runtime.setMocks(
        {
            newResource: async args => newResource(args),
            call: args => args.inputs,
        },
        opts.project ?? "ipp-cluster",
        opts.stack ?? "dev",
        opts.preview ?? false,
    );
    const secretKeys = "registryPassword" in config ? ["ipp-cluster:registryPassword"] : [];
    pulumi.runtime.setAllConfig(
        // A key with a namespace of its own (`kubernetes:context`) is set as it is.
        Object.fromEntries(Object.entries(config).map(([k, v]) => [k.includes(":") ? k : `ipp-cluster:${k}`, v])),
        secretKeys,
    );

    const monitor: any = pulumi.runtime.getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        const entry: Declared = {
            type: req.getType(),
            name: req.getName(),
            urn: "",
            inputs: undefined,
            rawInputs: req.getObject()?.toJavaScript() ?? {},
            dependencies: req.getDependenciesList(),
            parent: req.getParent(),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            replaceOnChanges: req.getReplaceonchangesList(),
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            retainOnDelete: req.getRetainondelete() === true,
            ignoreChanges: req.getIgnorechangesList(),
            provider: req.getProvider(),
            aliasUrns: [],
            aliasSpecs: [],
            order: pending.length,
            custom: req.getCustom(),
        };
        const aliases = req.getAliasesList().map((a: any) => (a.hasSpec() ? a.getSpec() : undefined));
        entry.aliasSpecs = aliases
            .filter((a: any) => a)
            .map((a: any) => ({ name: a.getName(), type: a.getType(), parentUrn: a.getParenturn(), noParent: a.getNoparent() }));
        entry.inputs = unwrapSecrets(entry.rawInputs);
        pending.push(entry);
        register(req, (err: any, resp: any) => {
            if (resp) entry.urn = resp.getUrn();
            // An alias that renames a resource under the same parent and type: the URN with the old name.
            entry.aliasUrns = aliases
                .filter((a: any) => a && !a.getType() && (a.getParenturn() === entry.parent || !a.getParenturn()))
                .map((a: any) => entry.urn.replace(/::[^:]*$/, `::${a.getName()}`));
            resources.push(entry);
            callback(err, resp);
        });
    };

    clearProgramModules();
    // Warnings the runtime prints when it has no engine to send them to (as under mocks).
    const warnings: string[] = [];
    const consoleWarn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));
    let program: Record<string, unknown> = {};
    try {
        // As `pulumi up` runs it: inside the stack, the exported function called, its result turned into stack outputs.
        await pulumi.runtime.runInPulumiStack(async () => {
            // Loaded afresh for every run (its modules were just cleared), so not an import.
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const exported = opts.program ?? require(path.join(ROOT, "index.ts"));
            program = typeof exported === "function" ? await exported() : exported;
            return program;
        });
    } catch (e) {
        // How many resources the program had declared when it failed (registration is asynchronous).
        await settle(() => pending.length);
        (e as { declared?: number }).declared = pending.filter(r => r.type !== STACK_TYPE).length;
        throw e;
    } finally {
        console.warn = consoleWarn;
    }
    const outputs: Record<string, any> = {};
    const secretOutputs: string[] = [];
    for (const [name, value] of Object.entries(program)) {
        if (pulumi.Output.isInstance(value)) {
            const o = value as pulumi.Output<any>;
            if (await pulumi.isSecret(o)) secretOutputs.push(name);
            outputs[name] = await promiseOf(o);
        } else {
            outputs[name] = await promiseOf(pulumi.output(value as any));
        }
    }
    await settle(() => (pending.length === resources.length ? resources.length : -1));
    // In the order the engine answered them: registrations complete in any order.
    return { resources: resources.filter(r => r.type !== STACK_TYPE), outputs, secretOutputs, warnings };
}

/** Waits until the engine's RPC queue is drained and `count` has stayed the same a few times. */
async function settle(count: () => number) {
    for (let stable = 0, last = NaN; stable < 3;) {
        await (pulumi.runtime as any).waitForRPCs();
        await new Promise(r => setTimeout(r, 20));
        const now = count();
        stable = now === last && now >= 0 ? stable + 1 : 0;
        last = now;
    }
}

/** The value of an Output (undefined when it is unknown, as a preview leaves what providers compute). */
export async function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
    // An unknown output never applies its callback, so ask first whether it is known.
    if (!(await (o as any).isKnown)) return undefined as T;
    return new Promise(resolve => o.apply(v => (resolve(v), v)));
}

function unwrapSecrets(v: any): any {
    if (isSecret(v)) return unwrapSecrets(v.value);
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
    return v;
}

/** Whether the input at `path` (e.g. ["stringData", "session-key"]) was sent as a secret. */
export function isSecretInput(resource: Declared, keys: string[]): boolean {
    let v = resource.rawInputs;
    for (const k of keys) {
        if (isSecret(v)) return true;
        v = v?.[k];
    }
    return isSecret(v);
}

/** The one declared resource with this type suffix and name. */
export function find(run: ProgramRun, type: string, name: string): Declared {
    const hits = run.resources.filter(r => r.type.endsWith(type) && r.name === name);
    if (hits.length !== 1) {
        throw new Error(`expected one ${type} named ${name}, found ${hits.length}: ${run.resources.map(r => `${r.type}/${r.name}`).join(", ")}`);
    }
    return hits[0];
}

/** All declared resources of a type. */
export function ofType(run: ProgramRun, type: string): Declared[] {
    return run.resources.filter(r => r.type.endsWith(type));
}
