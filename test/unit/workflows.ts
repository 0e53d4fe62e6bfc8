/**
 * The project's GitHub workflows, read as GitHub reads them: their steps, the scripts they call and
 * the environment they give them.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

export const ROOT = path.resolve(__dirname, "../..");
/** A step that calls a script: `bash scripts/NAME.sh SUBCOMMAND ARGS...`. */
export const SCRIPT_CALL = /^bash (scripts\/[A-Za-z0-9_-]+\.sh)(?: ([a-z][a-z-]*))?((?: [0-9]+)*)$/;

export interface Step {
    name?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    if?: string;
}

/**
 * `.github/workflows/<name>.yml`: its text, the parsed workflow, its jobs (or the one named `job`), their
 * steps and the lines they run.
 */
export function readWorkflow(name: string, job?: string) {
    const text = fs.readFileSync(path.join(ROOT, ".github", "workflows", `${name}.yml`), "utf8");
    const workflow = yaml.load(text) as any;
    const jobs = (job ? [workflow.jobs[job]] : Object.values(workflow.jobs)) as any[];
    if (jobs.some(j => j === undefined)) throw new Error(`${name}.yml has no job ${job}`);
    const steps: Step[] = jobs.flatMap(j => j.steps);
    const runs = steps.filter(s => s.run !== undefined).map(s => s.run!.trim());
    const calls = runs.map(r => r.match(SCRIPT_CALL)).filter((m): m is RegExpMatchArray => m !== null);
    /** The environment the (first) job's steps run with. */
    const env: Record<string, string> = Object.fromEntries(Object.entries({ ...workflow.env, ...jobs[0].env }).map(([k, v]) => [k, String(v)]));
    return { text, workflow, jobs, steps, runs, calls, env };
}
