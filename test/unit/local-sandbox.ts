/**
 * A sandbox for scripts/local.sh: a temporary copy of the files it reads, and a PATH of stand-ins for
 * `pulumi` and `docker` (which record each call with the Pulumi environment it had) beside the few
 * system tools the script uses.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findTool } from "./stand-ins";

export const ROOT = path.resolve(__dirname, "../..");
export const SCRIPT = path.join(ROOT, "scripts", "local.sh");
export const SEED = `echo "[0, 1]"; echo "['Hello, World', 'Hello, World']"`;
export const SEED_OUTPUT = "[0, 1]\n['Hello, World', 'Hello, World']\n";
export const NOTEBOOK_URL = "http://127.0.0.1:8888/?token=t0ken";
/** What the script says, once, when it generates the passphrase. */
export const GENERATED = "kept in .pulumi-state/passphrase";
/** The system tools the script calls besides pulumi and docker. */
export const TOOLS = ["mkdir", "od", "tr", "chmod", "mv", "grep"];

export interface Call {
    args: string[];
    cwd: string;
    backend: string | null;
    passphrase: string | null;
    passphraseFile: string | null;
}

export const BASH = findTool("bash");
/** What the stand-ins log for a variable that is not set. */
export const UNSET = "@unset";

/** Quotes a word for bash. */
function shq(word: string): string {
    return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A temporary project copy, a PATH of stand-ins, and the log of what they were asked. */
export class Sandbox {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "ipp-local-"));
    readonly project = path.join(this.dir, "project");
    readonly bin = path.join(this.dir, "bin");
    readonly log = path.join(this.dir, "calls.log");

    constructor(opts: { pulumi?: boolean; nodeModules?: boolean } = {}) {
        fs.mkdirSync(this.project);
        fs.mkdirSync(this.bin);
        for (const file of ["Pulumi.yaml", "Pulumi.local.yaml"]) fs.copyFileSync(path.join(ROOT, file), path.join(this.project, file));
        if (opts.nodeModules !== false) fs.mkdirSync(path.join(this.project, "node_modules"));
        for (const tool of TOOLS) fs.symlinkSync(findTool(tool), path.join(this.bin, tool));
        if (opts.pulumi !== false) this.stub("pulumi");
        this.stub("docker");
    }

    /** A stand-in (bash, fast to start) that logs its arguments and the Pulumi environment, and answers as the real one would. */
    private stub(name: string) {
        const file = path.join(this.bin, name);
        fs.writeFileSync(
            file,
            `#!${BASH}
{
    printf '@call %s\\n' ${shq(name)}
    printf 'cwd %s\\n' "$PWD"
    printf 'backend %s\\n' "\${PULUMI_BACKEND_URL-${UNSET}}"
    printf 'passphrase %s\\n' "\${PULUMI_CONFIG_PASSPHRASE-${UNSET}}"
    printf 'passphraseFile %s\\n' "\${PULUMI_CONFIG_PASSPHRASE_FILE-${UNSET}}"
    for a in "$@"; do printf 'arg %s\\n' "$a"; done
} >>"$STUB_LOG"
line=${shq(name)}" $*"
if [[ -n "\${STUB_FAIL:-}" && "$line" == "$STUB_FAIL"* ]]; then
    echo "stand-in: $line fails" >&2
    exit 1
fi
if [[ "\${1:-} \${2:-}" == "stack output" ]]; then
    for a in "$@"; do
        case $a in
            seedTest) printf '%s\\n' ${shq(SEED)} ;;
            notebookUrl) printf '%s\\n' ${shq(NOTEBOOK_URL)} ;;
        esac
    done
fi
`,
        );
        fs.chmodSync(file, 0o755);
    }

    run(subcommand: string | undefined, env: Record<string, string> = {}) {
        const r = spawnSync(BASH, subcommand ? [SCRIPT, subcommand] : [SCRIPT], {
            cwd: this.dir,
            encoding: "utf8",
            env: { PATH: this.bin, HOME: this.dir, IPP_PROJECT_DIR: this.project, STUB_LOG: this.log, ...env },
        });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    }

    private records(): (Call & { tool: string })[] {
        if (!fs.existsSync(this.log)) return [];
        const records: (Call & { tool: string })[] = [];
        for (const line of fs.readFileSync(this.log, "utf8").split("\n")) {
            const space = line.indexOf(" ");
            const [key, value] = [line.slice(0, space), line.slice(space + 1)];
            const v = value === UNSET ? null : value;
            if (key === "@call") records.push({ tool: value, args: [], cwd: "", backend: null, passphrase: null, passphraseFile: null });
            else if (key === "arg") records[records.length - 1].args.push(value);
            else if (key === "cwd") records[records.length - 1].cwd = value;
            else if (key === "backend" || key === "passphrase" || key === "passphraseFile") records[records.length - 1][key] = v;
        }
        return records;
    }

    pulumiCalls(): Call[] {
        return this.records().filter(r => r.tool === "pulumi");
    }

    dockerCalls(): string[][] {
        return this.records()
            .filter(r => r.tool === "docker")
            .map(r => r.args);
    }

    clearLog() {
        fs.rmSync(this.log, { force: true });
    }

    get stateDir() {
        return path.join(this.project, ".pulumi-state");
    }

    get passphraseFile() {
        return path.join(this.stateDir, "passphrase");
    }

    remove() {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
