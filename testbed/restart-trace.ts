/**
 * Where a controller restart's seconds go, read afterwards from the containers themselves (no
 * instrumentation): when the restarted controller container started, when the workers saw a controller
 * listen again, asked it to take their engines back and saw them listed (or killed and started them
 * again instead), and when the drill's client had every engine's answer. The workers see their engines
 * listed at their next look, which may come after the client's answers: read it a look later.
 */
import { CONTAINERS } from "../lib/names";
import { TestCluster } from "./cluster";
import { docker, inspect } from "./docker-cli";

export interface RestartTrace {
    /** Seconds after the restart was asked for; NaN when the logs do not say. */
    controllerStarted: number;
    /** The controller's heart monitor beating, and its first new hearts handed to the hub. */
    heartMonitorStarted: number;
    firstHearts: number;
    /** The first worker to see a controller listen again, and the last. */
    workersSawItFirst: number;
    workersSawItLast: number;
    /** The first take-back asked, and the last engine the workers saw listed again. */
    takeBackAsked: number;
    lastListed: number;
    /** Engines killed and started again instead of taken back (0 when all were taken back). */
    restarted: number;
    answering: number;
}

/** [time in ms, text] of each line a container logged since `sinceMs`. */
async function lines(container: string, sinceMs: number): Promise<[number, string][]> {
    const out = await docker(["logs", "--timestamps", "--since", new Date(sinceMs - 1000).toISOString(), container], { allowFailure: true });
    return (out.stdout + out.stderr)
        .split("\n")
        .filter(l => l.trim())
        .map((l): [number, string] => {
            const space = l.indexOf(" ");
            return [Date.parse(l.slice(0, space)), l.slice(space + 1)];
        })
        .filter(([t]) => t >= sinceMs);
}

const first = (times: number[]) => (times.length ? Math.min(...times) : NaN);
const last = (times: number[]) => (times.length ? Math.max(...times) : NaN);

/** The trace of a restart asked for at `startedMs` whose engines all answered `answeringSeconds` later. */
export async function restartTrace(cluster: TestCluster, startedMs: number, answeringSeconds: number): Promise<RestartTrace> {
    const controller = cluster.frontend!.containers.find(c => c.name === CONTAINERS.controller)!;
    const at = (ms: number) => (ms - startedMs) / 1000;
    const workerLines = (await Promise.all(cluster.workers.map(w => lines(w.containers[0].id, startedMs)))).flat();
    const when = (pattern: RegExp) => workerLines.filter(([, text]) => pattern.test(text)).map(([t]) => at(t));
    const saw = when(/a controller listens at/);
    const controllerLines = await lines(controller.id, startedMs);
    const controllerSaid = (pattern: RegExp) => first(controllerLines.filter(([, text]) => pattern.test(text)).map(([t]) => at(t)));
    return {
        controllerStarted: at(Date.parse(await inspect(controller.id, "{{.State.StartedAt}}"))),
        heartMonitorStarted: controllerSaid(/heartbeat::subscription started/),
        firstHearts: controllerSaid(/Notifying hub of [0-9]+ new hearts/),
        workersSawItFirst: first(saw),
        workersSawItLast: last(saw),
        takeBackAsked: first(when(/asking it to take back/)),
        lastListed: last(when(/(taken back|registered) as id/)),
        restarted: when(/killing engine .*(controller|taken back)/).length,
        answering: answeringSeconds,
    };
}

/** One line: the trace's moments, in seconds after the restart was asked for. */
export function describeTrace(t: RestartTrace): string {
    const s = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} s` : "–");
    return (
        `controller container started ${s(t.controllerStarted)}, heart monitor beating ${s(t.heartMonitorStarted)}, ` +
        `first hearts handed to the hub ${s(t.firstHearts)}; workers saw it listen ${s(t.workersSawItFirst)}–${s(t.workersSawItLast)}; ` +
        `take-back asked ${s(t.takeBackAsked)}; last engine listed ${s(t.lastListed)}; every engine answering ${s(t.answering)}; ` +
        `${t.restarted} engine(s) started again instead`
    );
}
