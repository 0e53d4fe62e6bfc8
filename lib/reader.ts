/**
 * Reading stack settings: the reader that takes each setting by name with Pulumi.yaml's default,
 * checks its form and collects every problem, so that `parseConfig` throws them all at once. The
 * parsers of each concern (software, groups, storage, registry) take the reader and own their checks.
 */
import { key } from "./names";
import { Resources, cpuCores, memoryBytes } from "./quantities";

export type ConfigType = "string" | "integer" | "boolean" | "array" | "object";

/** One setting as Pulumi.yaml declares it. */
export interface ConfigKey {
    type: ConfigType;
    /** The default as it stands in Pulumi.yaml. An empty string means "not set". */
    default: string | number | boolean | string[] | Record<string, unknown>;
    description: string;
}

/** Raw values as the stack holds them (strings), by key without the project prefix. */
export type RawConfig = Record<string, string | undefined>;

/** Thrown with every problem found, so a user fixes them in one round. */
export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(problems.length === 1 ? problems[0] : `Invalid stack configuration:\n  ${problems.join("\n  ")}`);
        this.name = "ConfigError";
    }
}

/** A value as an error message shows it: as JSON, or "nothing" when there is none. */
export function shown(value: unknown): string {
    return value === undefined ? "nothing" : JSON.stringify(value);
}

/** The value of JSON text, or undefined when the text is no JSON. */
export function parseJson(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return undefined;
    }
}

/** A JSON object (not null, not a list). */
export function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An integer (the CLI may hand it over as a number or as text), or NaN. */
export function integer(value: unknown): number {
    if (typeof value === "number" && Number.isInteger(value)) return value;
    if (typeof value === "string" && /^-?[0-9]+$/.test(value)) return parseInt(value, 10);
    return NaN;
}

/** Collects problems about key paths inside a structured setting (`ipp-cluster:workerGroups[1].gpus`). */
export class PathProblems {
    readonly list: string[] = [];
    /** `<path> must be <allowed>; got <value>.` */
    add(path: string, allowed: string, value: unknown) {
        this.list.push(`${path} must be ${allowed}; got ${shown(value)}.`);
    }
    /** Fields an object takes none of, each named with its value. */
    unknownFields(path: string, raw: Record<string, unknown>, fields: string[], what: string) {
        for (const k of Object.keys(raw).filter(k => !fields.includes(k))) {
            this.list.push(`${path}.${k} is not a field of ${what}, which takes ${fields.join(", ")}; got ${shown(raw[k])}.`);
        }
    }
}

/** The smallest memory a container is given. */
export const MIN_MEMORY_BYTES = 128 * 2 ** 20;

/**
 * Reads settings by name, with Pulumi.yaml's defaults, collecting problems; knows which settings
 * were read, so that a setting declared but never read (or read but never declared) is caught.
 */
export class SettingsReader {
    readonly problems: string[] = [];
    private readonly read = new Set<string>();

    constructor(
        private readonly raw: RawConfig,
        private readonly schema: Record<string, ConfigKey>,
    ) {}

    text(name: string): string {
        const spec = this.schema[name];
        if (!spec) throw new Error(`${key(name)} is read by the program but not declared in Pulumi.yaml`);
        this.read.add(name);
        return this.raw[name] ?? String(spec.default);
    }

    /** A list of strings (the CLI hands arrays to the program as JSON), each checked by `valid`. */
    list(name: string, valid: (item: string) => boolean, allowed: string): string[] {
        const text = this.json(name);
        const items = parseJson(text);
        if (!Array.isArray(items) || !items.every(i => typeof i === "string")) {
            this.problem(`${key(name)} must be a list of strings, set with \`pulumi config set --path '${name}[0]' VALUE\`; got ${shown(text)}.`);
            return [];
        }
        items.forEach((item, i) => valid(item) || this.problem(`${key(name)}[${i}] must be ${allowed}; got ${shown(item)}.`));
        return items;
    }

    /** A structured setting, as JSON text: the CLI hands structured values to the program that way. */
    json(name: string): string {
        this.text(name); // declared, and now read
        return this.raw[name] ?? JSON.stringify(this.schema[name].default);
    }

    boolean(name: string): boolean {
        const value = this.text(name);
        if (value !== "true" && value !== "false") this.problem(`${key(name)} must be true or false; got ${shown(value)}.`);
        return value === "true";
    }

    /** One of `allowed`, which the message lists. */
    choice<T extends string>(name: string, allowed: readonly T[]): T {
        const value = this.text(name);
        if (!allowed.includes(value as T)) {
            const list = allowed.length === 2 ? allowed.join(" or ") : `${allowed.slice(0, -1).join(", ")} or ${allowed[allowed.length - 1]}`;
            this.problem(`${key(name)} must be ${list}; got ${shown(value)}.`);
        }
        return value as T;
    }

    /** CPU request and memory request/limit under `<prefix>Cpu` and `<prefix>Memory`. */
    resources(prefix: string): Resources {
        const cpu = this.text(`${prefix}Cpu`);
        const memory = this.text(`${prefix}Memory`);
        if (!(cpuCores(cpu) > 0)) {
            this.problem(`${key(`${prefix}Cpu`)} must be a positive Kubernetes CPU quantity, such as 500m, 1 or 2.5; got ${shown(cpu)}.`);
        }
        if (!(memoryBytes(memory) >= MIN_MEMORY_BYTES)) {
            this.problem(`${key(`${prefix}Memory`)} must be a Kubernetes memory quantity of at least 128Mi, such as 512Mi or 2Gi; got ${shown(memory)}.`);
        }
        return { cpu, memory };
    }

    /** Whether the stack sets `name` itself (rather than leaving Pulumi.yaml's default). */
    isSet(name: string): boolean {
        return this.raw[name] !== undefined;
    }

    /** An integer from `min` to `max`. */
    integer(name: string, min: number, max: number): number {
        const text = this.text(name);
        const n = /^[0-9]+$/.test(text) ? parseInt(text, 10) : NaN;
        if (!(n >= min && n <= max)) this.problem(`${key(name)} must be an integer from ${min} to ${max}; got ${shown(text)}.`);
        return n;
    }

    problem(message: string) {
        this.problems.push(message);
    }

    /** Throws every problem at once; a declared setting that was never read is the program's own mistake. */
    finish() {
        const unread = Object.keys(this.schema).filter(name => !this.read.has(name));
        if (unread.length) throw new Error(`Pulumi.yaml declares settings the program never reads: ${unread.join(", ")}`);
        if (this.problems.length) throw new ConfigError(this.problems);
    }
}
