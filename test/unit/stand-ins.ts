/**
 * Stand-ins for the commands a script runs (pulumi, docker, kubectl, kind…): each records its
 * arguments and what it read on standard input, then answers as a bash snippet says. PATH holds only
 * the stand-ins and the system tools named, so nothing real is ever run.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** One call of a stand-in: the tool, its arguments and its standard input. */
export interface Call {
    tool: string;
    args: string[];
    stdin: string;
}

/** Where `name` is on this machine's PATH. */
export function findTool(name: string): string {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            return candidate;
        } catch {
            // not in this folder
        }
    }
    throw new Error(`${name} is not on PATH`);
}

const BASH = findTool("bash");
/** What the stand-ins themselves need. */
const OWN_TOOLS = ["base64", "cat"];

export class StandIns {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "ipp-stand-ins-"));
    readonly bin = path.join(this.dir, "bin");
    /** A folder the answers may keep state in (`$STANDIN_STATE`). */
    readonly state = path.join(this.dir, "state");
    private readonly log = path.join(this.dir, "calls.log");

    /**
     * `answers`: per tool, a bash snippet run after the call is recorded, with the call's arguments as
     * "$@" (an empty one answers nothing and succeeds); `tools`: the system tools the script may run.
     */
    constructor(answers: Record<string, string>, tools: string[] = []) {
        fs.mkdirSync(this.bin);
        fs.mkdirSync(this.state);
        for (const tool of [...new Set([...OWN_TOOLS, ...tools])]) fs.symlinkSync(findTool(tool), path.join(this.bin, tool));
        for (const [name, answer] of Object.entries(answers)) {
            fs.writeFileSync(
                path.join(this.bin, name),
                `#!${BASH}
stdin=$(cat | base64 -w0)
{
    printf '@call %s %s\\n' ${name} "$stdin"
    for a in "$@"; do printf 'arg %s\\n' "$(printf '%s' "$a" | base64 -w0)"; done
} >>"$STANDIN_LOG"
${answer}
`,
                { mode: 0o755 },
            );
        }
    }

    /** Runs `script` with `args` under bash, the stand-ins first (and alone) on PATH; standard input is empty. */
    run(script: string, args: string[], env: Record<string, string> = {}) {
        const r = spawnSync(BASH, [script, ...args], {
            encoding: "utf8",
            input: "",
            env: { PATH: this.bin, HOME: this.dir, STANDIN_LOG: this.log, STANDIN_STATE: this.state, ...env },
        });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    }

    /** Every call so far, in order (only `tool`'s, when given). */
    calls(tool?: string): Call[] {
        if (!fs.existsSync(this.log)) return [];
        const decode = (b64: string) => Buffer.from(b64, "base64").toString();
        const calls: Call[] = [];
        for (const line of fs.readFileSync(this.log, "utf8").split("\n").filter(Boolean)) {
            const [key, first, second] = line.split(" ");
            if (key === "@call") calls.push({ tool: first, args: [], stdin: decode(second ?? "") });
            else if (key === "arg") calls[calls.length - 1].args.push(decode(first ?? ""));
        }
        return tool ? calls.filter(c => c.tool === tool) : calls;
    }

    /** The calls of `tool`, each as one line of its arguments. */
    lines(tool: string): string[] {
        return this.calls(tool).map(c => c.args.join(" "));
    }

    remove() {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
