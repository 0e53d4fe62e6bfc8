import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findTool } from "./stand-ins";

/**
 * scripts/local.sh (`npm run local`, `npm run local:down`) against stand-ins for `pulumi` and
 * `docker` that record each call, in a temporary copy of the files it reads. PATH holds only the
 * stand-ins and the few system tools the script uses, so no real pulumi or docker is ever run, and
 * IPP_PROJECT_DIR keeps every file it writes out of the working tree.
 */

const ROOT = path.resolve(__dirname, "../..");
const SCRIPT = path.join(ROOT, "scripts", "local.sh");
const SEED = `echo "[0, 1]"; echo "['Hello, World', 'Hello, World']"`;
const SEED_OUTPUT = "[0, 1]\n['Hello, World', 'Hello, World']\n";
const NOTEBOOK_URL = "http://127.0.0.1:8888/?token=t0ken";
/** What the script says, once, when it generates the passphrase. */
const GENERATED = "kept in .pulumi-state/passphrase";
/** The system tools the script calls besides pulumi and docker. */
const TOOLS = ["mkdir", "od", "tr", "chmod", "mv", "grep"];

interface Call {
    args: string[];
    cwd: string;
    backend: string | null;
    passphrase: string | null;
    passphraseFile: string | null;
}

const BASH = findTool("bash");
/** What the stand-ins log for a variable that is not set. */
const UNSET = "@unset";

/** Quotes a word for bash. */
function shq(word: string): string {
    return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A temporary project copy, a PATH of stand-ins, and the log of what they were asked. */
class Sandbox {
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

const UP_CALLS = [
    ["stack", "select", "--create", "local"],
    ["up", "--yes", "--stack", "local"],
    ["stack", "output", "seedTest", "--stack", "local"],
    ["stack", "output", "--show-secrets", "notebookUrl", "--stack", "local"],
];
const DOWN_CALLS = [
    ["destroy", "--yes", "--stack", "local"],
    ["stack", "rm", "--yes", "--preserve-config", "local"],
];

describe("scripts/local.sh (npm run local, npm run local:down)", function () {
    this.timeout(30_000);
    let box: Sandbox;
    afterEach(() => box?.remove());

    it("is what npm run local and npm run local:down run", () => {
        const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
        assert.strictEqual(scripts.local, "bash scripts/local.sh up");
        assert.strictEqual(scripts["local:down"], "bash scripts/local.sh down");
    });

    it("up: checks docker, then selects or creates stack local, runs pulumi up, the seed test and prints the next steps", () => {
        box = new Sandbox();
        const r = box.run("up");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(box.dockerCalls(), [["info"]]);
        assert.deepStrictEqual(
            box.pulumiCalls().map(c => c.args),
            UP_CALLS,
        );
        for (const c of box.pulumiCalls()) assert.strictEqual(fs.realpathSync(c.cwd), fs.realpathSync(box.project));
        assert.ok(r.stdout.includes(SEED_OUTPUT), `the seed test's output is not printed:\n${r.stdout}`);
        assert.ok(r.stdout.indexOf(SEED_OUTPUT) < r.stdout.indexOf(NOTEBOOK_URL), "the notebook URL comes after the seed test");
        assert.ok(r.stdout.includes(NOTEBOOK_URL), r.stdout);
        assert.ok(r.stdout.includes("npm run local:down"), r.stdout);
    });

    it("gives every pulumi call a file:// backend in the project folder, and never logs in", () => {
        box = new Sandbox();
        assert.strictEqual(box.run("up").status, 0);
        assert.strictEqual(box.run("down").status, 0);
        const calls = box.pulumiCalls();
        assert.strictEqual(calls.length, UP_CALLS.length + DOWN_CALLS.length);
        for (const c of calls) {
            assert.strictEqual(c.backend, `file://${box.stateDir}`, c.args.join(" "));
            assert.ok(c.backend!.startsWith(`file://${box.project}/`));
            assert.notStrictEqual(c.args[0], "login");
        }
        assert.ok(fs.statSync(box.stateDir).isDirectory());
    });

    it("generates a passphrase once, readable by the user alone, says where it is, and reuses it", () => {
        box = new Sandbox();
        const first = box.run("up");
        assert.strictEqual(first.status, 0, first.stderr);
        const stat = fs.statSync(box.passphraseFile);
        assert.strictEqual(stat.mode & 0o777, 0o600);
        const passphrase = fs.readFileSync(box.passphraseFile, "utf8");
        assert.match(passphrase, /^[0-9a-f]{64}\n$/);
        assert.strictEqual(first.stdout.split("\n").filter(l => l.includes(GENERATED)).length, 1, first.stdout);
        for (const c of box.pulumiCalls()) {
            assert.strictEqual(c.passphraseFile, box.passphraseFile, c.args.join(" "));
            assert.strictEqual(c.passphrase, null);
        }

        box.clearLog();
        const second = box.run("up");
        assert.strictEqual(second.status, 0, second.stderr);
        assert.strictEqual(fs.readFileSync(box.passphraseFile, "utf8"), passphrase, "the passphrase changed");
        assert.ok(!second.stdout.includes(GENERATED), second.stdout);
        for (const c of box.pulumiCalls()) assert.strictEqual(c.passphraseFile, box.passphraseFile);
    });

    it("makes a different passphrase in another project", () => {
        box = new Sandbox();
        const other = new Sandbox();
        try {
            assert.strictEqual(box.run("up").status, 0);
            assert.strictEqual(other.run("up").status, 0);
            assert.notStrictEqual(fs.readFileSync(box.passphraseFile, "utf8"), fs.readFileSync(other.passphraseFile, "utf8"));
        } finally {
            other.remove();
        }
    });

    for (const passphrase of ["my own passphrase", ""]) {
        it(`respects a PULUMI_CONFIG_PASSPHRASE the user set (${JSON.stringify(passphrase)}): no file is made`, () => {
            box = new Sandbox();
            const r = box.run("up", { PULUMI_CONFIG_PASSPHRASE: passphrase });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.ok(!fs.existsSync(box.passphraseFile));
            assert.deepStrictEqual(
                box.pulumiCalls().map(c => c.args),
                UP_CALLS,
            );
            for (const c of box.pulumiCalls()) {
                assert.strictEqual(c.passphrase, passphrase);
                assert.strictEqual(c.passphraseFile, null);
            }
            assert.ok(!r.stdout.includes(GENERATED), r.stdout);
        });
    }

    it("respects a PULUMI_CONFIG_PASSPHRASE_FILE the user set: no file is made", () => {
        box = new Sandbox();
        const own = path.join(box.dir, "own-passphrase");
        fs.writeFileSync(own, "mine\n", { mode: 0o600 });
        const r = box.run("up", { PULUMI_CONFIG_PASSPHRASE_FILE: own });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.ok(!fs.existsSync(box.passphraseFile));
        for (const c of box.pulumiCalls()) {
            assert.strictEqual(c.passphraseFile, own);
            assert.strictEqual(c.passphrase, null);
        }
    });

    it("down: pulumi destroy, then stack rm keeping Pulumi.local.yaml; the passphrase stays for the next up", () => {
        box = new Sandbox();
        assert.strictEqual(box.run("up").status, 0);
        const passphrase = fs.readFileSync(box.passphraseFile, "utf8");
        box.clearLog();
        const r = box.run("down");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(box.dockerCalls(), [["info"]]);
        assert.deepStrictEqual(
            box.pulumiCalls().map(c => c.args),
            DOWN_CALLS,
        );
        for (const c of box.pulumiCalls()) {
            assert.strictEqual(c.backend, `file://${box.stateDir}`);
            assert.strictEqual(c.passphraseFile, box.passphraseFile);
        }
        assert.strictEqual(fs.readFileSync(box.passphraseFile, "utf8"), passphrase);
    });

    it("down: without any passphrase, refuses rather than making a new one that could not decrypt the stack", () => {
        box = new Sandbox();
        const r = box.run("down");
        assert.notStrictEqual(r.status, 0);
        assert.match(r.stderr, /PULUMI_CONFIG_PASSPHRASE/);
        assert.deepStrictEqual(box.pulumiCalls(), []);
        assert.ok(!fs.existsSync(box.passphraseFile));
    });

    it("up: refuses to make a passphrase when Pulumi.local.yaml holds a salt made with another one", () => {
        box = new Sandbox();
        fs.appendFileSync(path.join(box.project, "Pulumi.local.yaml"), "encryptionsalt: v1:AAAA:v1:BBBB:CCCC\n");
        const r = box.run("up");
        assert.notStrictEqual(r.status, 0);
        assert.match(r.stderr, /encryptionsalt/);
        assert.deepStrictEqual(box.pulumiCalls(), []);
        assert.ok(!fs.existsSync(box.passphraseFile));
    });

    it("without pulumi on PATH: says where to install it, exits non-zero, does nothing", () => {
        box = new Sandbox({ pulumi: false });
        for (const sub of ["up", "down"]) {
            const r = box.run(sub);
            assert.notStrictEqual(r.status, 0, sub);
            assert.match(r.stderr, /Pulumi CLI \(pulumi\) is not on your PATH/);
            assert.ok(r.stderr.includes("https://www.pulumi.com/docs/install/"), r.stderr);
            assert.strictEqual(r.stdout, "");
        }
        assert.ok(!fs.existsSync(box.stateDir), "a state folder was made");
    });

    it("without a reachable Docker engine: says so, exits non-zero, runs no pulumi command", () => {
        box = new Sandbox();
        const r = box.run("up", { STUB_FAIL: "docker info" });
        assert.notStrictEqual(r.status, 0);
        assert.match(r.stderr, /cannot reach a Docker engine \('docker info' failed\)/);
        assert.deepStrictEqual(box.pulumiCalls(), []);
    });

    it("without npm ci: says to run it first", () => {
        box = new Sandbox({ nodeModules: false });
        const r = box.run("up");
        assert.notStrictEqual(r.status, 0);
        assert.match(r.stderr, /Run 'npm ci' first/);
        assert.deepStrictEqual(box.pulumiCalls(), []);
    });

    it("stops at a failed pulumi up: no seed test, non-zero exit", () => {
        box = new Sandbox();
        const r = box.run("up", { STUB_FAIL: "pulumi up" });
        assert.notStrictEqual(r.status, 0);
        assert.deepStrictEqual(
            box.pulumiCalls().map(c => c.args),
            UP_CALLS.slice(0, 2),
        );
        assert.ok(!r.stdout.includes(SEED_OUTPUT));
    });

    it("stops at a failed seed test", () => {
        box = new Sandbox();
        const r = box.run("up", { STUB_FAIL: "pulumi stack output seedTest" });
        assert.notStrictEqual(r.status, 0);
        assert.deepStrictEqual(
            box.pulumiCalls().map(c => c.args),
            UP_CALLS.slice(0, 3),
        );
        assert.ok(!r.stdout.includes("npm run local:down"));
    });

    it("without a subcommand: prints its usage and exits 2", () => {
        box = new Sandbox();
        const r = box.run(undefined);
        assert.strictEqual(r.status, 2);
        assert.match(r.stderr, /usage: bash scripts\/local.sh up\|down/);
        assert.deepStrictEqual(box.pulumiCalls(), []);
    });
});
