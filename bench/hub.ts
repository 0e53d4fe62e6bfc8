/**
 * `npm run bench:hub`: how far one controller goes. A real controller (the frontend image's
 * `ipcontroller` with the program's flags) and N stand-in engines (ipp_worker.standin: registration
 * and heartbeats only, many to a process) started at once: the time until the hub lists all of them,
 * the registrations it purged, the heartbeats it saw late and the engines it dropped, then its CPU
 * and memory over a rest, then what a worker's question at each look costs the hub: for its whole list (what
 * every look asked until now) and about one pod's 8 engines alone (what a settled look asks). Each size with today's settings and, where they differ, with the settings
 * the program derives for that size (lib/hub-settings.ts); turns interleaved. Writes bench/out/hub.json
 * (bench/hub.json with `-- --record`), which BENCHMARKS.md renders.
 *
 *   IPP_BENCH_REPS       turns of each case (default 2)
 *   IPP_BENCH_HUB_SIZES  engine counts (default 1000,2000,5000,8000,10000)
 */
import * as fs from "fs";
import * as path from "path";
import { REGISTRY, docker, removeTestContainers } from "../testbed/docker-cli";
import { cleanEngine, deploy } from "../testbed/deploy";
import { startPython } from "../testbed/python";
import { CONN, connectionFolder, standinContainer, startController } from "../testbed/hub";
import { CONTAINERS } from "../lib/names";
import { hubSettings } from "../lib/hub-settings";
import { parseBenchFiles, runBench } from "./settings";
import { cgroup, machine, measuredCommit } from "./provenance";
import { HubResult, HubTurn, QuestionCost, hubFile } from "./hub-report";

const LABEL = "bench-hub";
const REPS = Number(process.env.IPP_BENCH_REPS ?? 2);
const SIZES = (process.env.IPP_BENCH_HUB_SIZES ?? "1000,2000,5000,8000,10000").split(",").map(Number);
const REST_SECONDS = 30;
/** Stand-ins per process: four descriptors each, well inside a process's 20,000 here. */
const PER_PROCESS = 2500;
const PROBE = fs.readFileSync(path.join(__dirname, "hub_probe.py"), "utf8");

function log(message: string) {
    console.log(`[bench:hub] ${message}`);
}

/** Lines of the controller's log (since `since`, an ISO time, when given) that match `pattern`. */
async function logLines(controller: string, pattern: RegExp, since?: string, until?: string): Promise<string[]> {
    const range = [...(since ? ["--since", since] : []), ...(until ? ["--until", until] : [])];
    const out = await docker(["logs", ...range, controller], { allowFailure: true });
    return (out.stdout + out.stderr).split("\n").filter(l => pattern.test(l));
}

const LATE = /missed a beat/;
const PURGED = /purging stalled registration/;
const STOPPED = /(\d+) hearts stopped/;

/**
 * What the probe's questions of one kind cost the controller: its CPU between the lines around them,
 * less what it spends at rest (`restCpuPerSecond`) over that time, per question answered.
 */
async function questionCost(py: ReturnType<typeof startPython>, controller: string, kind: "all" | "own", restCpuPerSecond: number): Promise<QuestionCost> {
    await py.lineStarting(`{"event": "ask-${kind}"`, 60_000);
    const before = await cgroup(controller);
    const t0 = Date.now();
    const done = JSON.parse(await py.lineStarting(`{"event": "asked-${kind}"`, 900_000));
    const after = await cgroup(controller);
    const busy = after.cpu - before.cpu - restCpuPerSecond * ((Date.now() - t0) / 1000);
    return { questions: done.answered, seconds: done.seconds, hubCpuMs: (1000 * busy) / done.answered };
}

async function turn(image: string, dir: string, engines: number, variant: HubTurn["variant"]): Promise<HubTurn> {
    const hub = variant === "derived" ? hubSettings(engines) : hubSettings(0);
    const controller = await startController(LABEL, image, dir, hub);
    const probe = await standinContainer(LABEL, image, dir, ["sleep", "infinity"]);
    try {
        const deadline = hub.registrationSeconds + 60;
        const py = startPython(probe, PROBE, [CONN.standinFile, CONN.keyFile, String(engines), String(PER_PROCESS), String(deadline), String(REST_SECONDS)]);
        const registered = JSON.parse(await py.lineStarting('{"event": "registered"', (deadline + 120) * 1000));
        await py.lineStarting('{"event": "rest"', 60_000);
        const restStart = new Date().toISOString();
        const before = await cgroup(controller);
        const t0 = Date.now();
        await py.lineStarting('{"event": "rested"', (REST_SECONDS + 60) * 1000);
        const after = await cgroup(controller);
        const restSeconds = (Date.now() - t0) / 1000;
        const restEnd = new Date().toISOString();
        const restCpuPerSecond = (after.cpu - before.cpu) / restSeconds;
        const questions = {
            all: await questionCost(py, controller, "all", restCpuPerSecond),
            own: await questionCost(py, controller, "own", restCpuPerSecond),
        };
        const result = await py.result;
        const stopped = await logLines(controller, STOPPED);
        const t: HubTurn = {
            engines,
            variant,
            hub,
            registerSeconds: registered.seconds,
            registered: registered.registered,
            registeredEnd: result.registered_end,
            purged: (await logLines(controller, PURGED)).length,
            lateBeats: (await logLines(controller, LATE)).length,
            lateBeatsAtRest: (await logLines(controller, LATE, restStart, restEnd)).length,
            dropped: stopped.reduce((sum, l) => sum + Number(STOPPED.exec(l)![1]), 0),
            restCpuSeconds: after.cpu - before.cpu,
            restSeconds,
            memoryBytes: after.memory,
            questions,
        };
        log(
            `${engines} engines, ${variant} (${hub.heartbeatMs} ms × ${hub.heartbeatMisses}, ${hub.registrationSeconds} s): ` +
                `${t.registered} registered in ${t.registerSeconds?.toFixed(1) ?? "—"} s, ${t.purged} purged, ${t.lateBeats} late beats ` +
                `(${t.lateBeatsAtRest} at rest), ${t.dropped} dropped, ${t.registeredEnd} at the end; ` +
                `CPU ${((t.restCpuSeconds / t.restSeconds) * 100).toFixed(1)} % of a core at rest, ${(t.memoryBytes / 1e6).toFixed(0)} MB; ` +
                `a question costs the hub ${questions.all.hubCpuMs.toFixed(2)} ms for its whole list, ${questions.own.hubCpuMs.toFixed(2)} ms about 8 engines`,
        );
        return t;
    } finally {
        await docker(["rm", "-f", controller, probe], { allowFailure: true });
    }
}

async function main() {
    const files = parseBenchFiles(process.env, process.argv.slice(2));
    const out = hubFile(files.results);
    await cleanEngine();
    const deployment = await deploy({ registry: REGISTRY, workers: "1", notebook: "false" });
    const frontend = deployment.objects.pods.find(p => p.inputs.spec.containers.some((c: { name: string }) => c.name === CONTAINERS.controller));
    const image = frontend!.inputs.spec.containers[0].image;
    const dir = connectionFolder();
    const result: HubResult = {
        date: new Date().toISOString(),
        commit: measuredCommit(),
        machine: machine(),
        restSeconds: REST_SECONDS,
        perProcess: PER_PROCESS,
        turns: [],
    };
    try {
        for (let r = 0; r < REPS; r++) {
            for (const engines of SIZES) {
                const differs = JSON.stringify(hubSettings(engines)) !== JSON.stringify(hubSettings(0));
                for (const variant of differs ? (["today", "derived"] as const) : (["today"] as const)) {
                    result.turns.push(await turn(image, dir, engines, variant));
                    write(out, result); // each turn kept, should a later one fail
                }
            }
        }
    } finally {
        await removeTestContainers();
        fs.rmSync(dir, { recursive: true, force: true });
    }
    log(`wrote ${out}`);
}

function write(out: string, result: HubResult) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
}

runBench(main);
