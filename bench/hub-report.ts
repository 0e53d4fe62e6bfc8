/** The section of BENCHMARKS.md on how far one controller goes, from `npm run bench:hub`. */
import * as fs from "fs";
import * as path from "path";
import { HubSettings } from "../lib/hub-settings";
import { show, stat } from "./stats";

/** One turn: N stand-in engines started at once against a fresh controller, then a rest. */
export interface HubTurn {
    engines: number;
    /** The controller's settings: today's (those of a small cluster) or those derived for this size. */
    variant: "today" | "derived";
    hub: HubSettings;
    /** Seconds from the stand-ins' start until the hub listed all of them; null when it never did. */
    registerSeconds: number | null;
    /** What the hub listed when it listed all, or at the deadline (registration timeout + 60 s). */
    registered: number;
    /** What the hub listed after the rest. */
    registeredEnd: number;
    /** Registrations the hub purged: no first heartbeat handled within its registration timeout. */
    purged: number;
    /** Heartbeats the heart monitor saw a period late ("missed a beat"), over the whole turn and over the rest. */
    lateBeats: number;
    lateBeatsAtRest: number;
    /** Engines the heart monitor dropped (their heart stopped, as it saw it). */
    dropped: number;
    /** The controller container's CPU seconds over the rest, and the rest's length. */
    restCpuSeconds: number;
    restSeconds: number;
    /** The controller container's memory (bytes) at the end of the rest. */
    memoryBytes: number;
    /** What a worker's question costs the hub: for its whole list, and about 8 engines alone (absent in runs before they were measured). */
    questions?: { all: QuestionCost; own: QuestionCost };
}

/** Questions of one kind asked one after another, after the rest. */
export interface QuestionCost {
    /** Questions answered, and the seconds they took the asker. */
    questions: number;
    seconds: number;
    /** The controller's CPU milliseconds per question, less what it spends at rest meanwhile. */
    hubCpuMs: number;
}

export interface HubResult {
    date: string;
    commit: string;
    machine: string;
    restSeconds: number;
    perProcess: number;
    turns: HubTurn[];
    /** What the numbers mean, written by hand into the committed results after a run; rendered as they are. */
    notes?: string[];
}

export function hubFile(resultsFile: string): string {
    return path.join(path.dirname(resultsFile), "hub.json");
}

export function readHub(resultsFile: string): HubResult | undefined {
    const file = hubFile(resultsFile);
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined;
}

/** The cases measured, in order: by size, today's settings before the derived ones. */
function cases(r: HubResult): { engines: number; variant: HubTurn["variant"]; turns: HubTurn[] }[] {
    const keys = [...new Set(r.turns.map(t => `${t.engines}/${t.variant}`))];
    return keys
        .map(k => {
            const turns = r.turns.filter(t => `${t.engines}/${t.variant}` === k);
            return { engines: turns[0].engines, variant: turns[0].variant, turns };
        })
        .sort((a, b) => a.engines - b.engines || (a.variant === "today" ? -1 : 1));
}

const settingsText = (h: HubSettings) => `${h.heartbeatMs} ms × ${h.heartbeatMisses}, ${h.registrationSeconds} s`;

/** "4.1 (3.9–4.3, n=2)", or how many turns never got there. */
function registerTime(turns: HubTurn[]): string {
    const done = turns.filter(t => t.registerSeconds !== null).map(t => t.registerSeconds!);
    const never = turns.length - done.length;
    if (!done.length) return `never all (n=${turns.length})`;
    return show(stat(done), 1) + (never ? `; never all in ${never} of ${turns.length}` : "");
}

/** The hub's CPU per question of this kind, or a dash when the turns did not measure it. */
function questionCell(turns: HubTurn[], kind: "all" | "own"): string {
    const costs = turns.flatMap(t => (t.questions ? [t.questions[kind].hubCpuMs] : []));
    return costs.length ? show(stat(costs), 2) : "—";
}

export function renderHub(r: HubResult): string[] {
    const range = (xs: number[], digits = 0) => show(stat(xs), digits);
    const rows = cases(r).map(c => {
        const t = c.turns;
        const perEngine = t.map(x => (x.restCpuSeconds / x.restSeconds / x.engines) * 1e6);
        return (
            `| ${c.engines.toLocaleString("en")} | ${c.variant}: ${settingsText(t[0].hub)} | ${registerTime(t)} | ${range(t.map(x => x.registered))} | ` +
            `${range(t.map(x => x.purged))} | ${range(t.map(x => x.lateBeats))} | ${range(t.map(x => x.lateBeatsAtRest))} | ${range(t.map(x => x.dropped))} | ` +
            `${range(perEngine, 1)} | ${range(t.map(x => (x.restCpuSeconds / x.restSeconds) * 100))} | ${range(t.map(x => x.memoryBytes / 1e6))} | ` +
            `${questionCell(t, "all")} | ${questionCell(t, "own")} |`
        );
    });
    return [
        "",
        "## How far one controller goes",
        "",
        `Measured ${r.date.slice(0, 10)} at commit ${r.commit} on ${r.machine} by \`npm run bench:hub\`: a fresh controller (the ` +
            "frontend image's `ipcontroller` with the program's flags) and N stand-in engines (`ipp_worker.standin`: registration and " +
            `heartbeats only, no kernel, ${r.perProcess.toLocaleString("en")} to a process, each with its own two heartbeat connections) ` +
            "started at once, on the same machine. Time until the hub lists all of them; registrations it purged (no first heartbeat " +
            `within its registration timeout); heartbeats the heart monitor saw a period late, over the whole turn and over the ` +
            `${r.restSeconds} s of rest that follow the registrations; engines it dropped; over the rest, the controller container's CPU and memory; ` +
            "then what one worker's question costs the controller (its CPU over 500 or 3,000 questions asked one after another, less its CPU at rest " +
            "meanwhile): for the hub's whole list (a `connection_request`, what every look of a worker asked until all its engines " +
            "were registered), and about one pod's 8 engines alone (a `queue_request` naming their session ids, what a settled look asks). " +
            "Settings: heartbeat period × missed beats " +
            "allowed, registration timeout; *today* are the fixed ones every stack had, *derived* those lib/hub-settings.ts gives that " +
            "size. Medians, with the range in parentheses; turns interleaved.",
        "",
        "| engines | settings | all registered (s) | registered | purged | late beats | of them at rest | dropped | controller CPU at rest (µs per engine per s) | (% of a core) | controller memory (MB) | a question for the whole list (ms of hub CPU) | a question about 8 engines (ms) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ...rows,
        "",
        ...(r.notes ?? []).flatMap(n => [n, ""]),
    ];
}
