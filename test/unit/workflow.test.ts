import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";

/**
 * .github/workflows/e2e.yml, the project's run on a real Kubernetes cluster with the Pulumi CLI,
 * read as GitHub would read it, and the scripts it runs checked as far as they can be here.
 */

const ROOT = path.resolve(__dirname, "../..");
const WORKFLOW_FILE = path.join(ROOT, ".github", "workflows", "e2e.yml");
const E2E = path.join(ROOT, "scripts", "e2e.sh");
/** The only commands a step may run besides scripts under scripts/. */
const ALLOWED_COMMANDS = ["npm ci"];
/** A step that calls a script: `bash scripts/NAME.sh SUBCOMMAND ARGS...`. */
const SCRIPT_CALL = /^bash (scripts\/[A-Za-z0-9_-]+\.sh)(?: ([a-z][a-z-]*))?((?: [0-9]+)*)$/;
/** `owner/repo[/path]@ref`, ref a full commit SHA or an exact x.y.z version. */
const PINNED = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@(?:[0-9a-f]{40}|v?[0-9]+\.[0-9]+\.[0-9]+)$/;

interface Step {
    name?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    if?: string;
}

function bash(args: string[], env: Record<string, string> = {}) {
    const r = spawnSync("bash", args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe(".github/workflows/e2e.yml (kind and the Pulumi CLI)", () => {
    const text = fs.readFileSync(WORKFLOW_FILE, "utf8");
    const workflow = yaml.load(text) as any;
    const jobs = Object.values(workflow.jobs) as any[];
    const steps: Step[] = jobs.flatMap(j => j.steps);
    const runs = steps.filter(s => s.run !== undefined).map(s => s.run!.trim());
    const calls = runs.map(r => r.match(SCRIPT_CALL)).filter((m): m is RegExpMatchArray => m !== null);

    it("runs on every push", () => {
        const on = workflow.on ?? workflow[true as any];
        const triggers = typeof on === "string" ? [on] : Array.isArray(on) ? on : Object.keys(on);
        assert.ok(triggers.includes("push"), `triggers: ${triggers}`);
        if (!Array.isArray(on) && typeof on === "object" && on.push) {
            assert.strictEqual(on.push.branches, undefined, "push is limited to some branches");
        }
    });

    it("pins every action to a full commit SHA or an exact version, with the version beside a SHA", () => {
        const uses = steps.filter(s => s.uses).map(s => s.uses!);
        assert.ok(uses.length >= 4, `uses: ${uses}`);
        for (const u of uses) assert.match(u, PINNED);
        for (const line of text.split("\n").filter(l => /^\s*-?\s*uses:/.test(l))) {
            if (/@[0-9a-f]{40}/.test(line)) assert.match(line, /# v[0-9]+\.[0-9]+\.[0-9]+/, line);
        }
        const byAction = Object.fromEntries(steps.filter(s => s.uses).map(s => [s.uses!.split("@")[0], s]));
        for (const action of ["actions/checkout", "actions/setup-node", "pulumi/actions", "helm/kind-action"]) assert.ok(byAction[action], action);
        assert.match(String(byAction["actions/setup-node"].with?.["node-version"]), /^22\.[0-9]+\.[0-9]+$/);
        assert.match(String(byAction["pulumi/actions"].with?.["pulumi-version"]), /^[0-9]+\.[0-9]+\.[0-9]+$/);
        assert.strictEqual(byAction["pulumi/actions"].with?.command, undefined, "pulumi/actions should only install the CLI");
        const kind = byAction["helm/kind-action"].with ?? {};
        assert.match(String(kind.version), /^v[0-9]+\.[0-9]+\.[0-9]+$/);
        assert.match(String(kind.kubectl_version), /^v[0-9]+\.[0-9]+\.[0-9]+$/);
        assert.strictEqual(kind.install_only, true, "the cluster is made by scripts/e2e.sh kind-up");
    });

    it("runs nothing but scripts under scripts/ (and npm ci)", () => {
        assert.ok(runs.length > 0);
        for (const r of runs) {
            assert.ok(!r.includes("\n"), `a step runs more than one line: ${r}`);
            assert.ok(ALLOWED_COMMANDS.includes(r) || SCRIPT_CALL.test(r), `a step runs something else: ${r}`);
        }
        assert.ok(runs.indexOf("npm ci") < runs.findIndex(r => SCRIPT_CALL.test(r)), "npm ci comes before the scripts");
    });

    it("names scripts that exist, pass bash -n, and have the subcommands it calls", () => {
        assert.ok(calls.length > 0);
        for (const [, script, subcommand] of calls) {
            const file = path.join(ROOT, script);
            assert.ok(fs.existsSync(file), `${script} does not exist`);
            const check = bash(["-n", file]);
            assert.strictEqual(check.status, 0, `bash -n ${script}: ${check.stderr}`);
            if (subcommand) {
                assert.match(fs.readFileSync(file, "utf8"), new RegExp(`^\\s+${subcommand}\\) `, "m"), `${script} has no subcommand ${subcommand}`);
            }
        }
    });

    it("goes kind-up, login, up, seed, replace-frontend, seed, down, namespace-gone; diagnose only on failure", () => {
        const always = steps
            .filter(s => s.run && !s.if)
            .map(s => s.run!.match(SCRIPT_CALL)?.[2])
            .filter(Boolean);
        assert.deepStrictEqual(always, ["kind-up", "login", "up", "seed", "replace-frontend", "seed", "down", "namespace-gone"]);
        const diagnose = steps.find(s => s.run?.includes("diagnose"));
        assert.strictEqual(diagnose?.if, "failure()");
    });

    it("deploys a ci stack with 2 workers pushing to the kind registry, with an empty passphrase", () => {
        const env = { ...workflow.env, ...jobs[0].env };
        assert.strictEqual(env.IPP_E2E_STACK, "ci");
        assert.strictEqual(env.IPP_E2E_REGISTRY, "localhost:5001/ipp");
        assert.strictEqual(String(env.IPP_E2E_WORKERS), "2");
        assert.strictEqual(env.PULUMI_CONFIG_PASSPHRASE, "");
        // The seed checks expect as many engines as the stack has workers.
        const seeds = calls.filter(c => c[2] === "seed").map(c => c[3].trim().split(" ")[0]);
        assert.deepStrictEqual(seeds, ["2", "2"]);
        // ...and the script turns those settings into the stack's configuration.
        const script = fs.readFileSync(E2E, "utf8");
        assert.match(script, /^readonly STACK=\$\{IPP_E2E_STACK:-ci\}$/m);
        assert.match(script, /^readonly REGISTRY=\$\{IPP_E2E_REGISTRY:-localhost:5001\/ipp\}$/m);
        assert.match(script, /^readonly WORKERS=\$\{IPP_E2E_WORKERS:-2\}$/m);
        assert.match(script, /pulumi config set --stack "\$STACK" registry "\$REGISTRY"/);
        assert.match(script, /pulumi config set --stack "\$STACK" workers "\$WORKERS"/);
        assert.match(script, /pulumi up --refresh --yes --stack "\$STACK"/);
        assert.match(script, /^readonly NAMESPACE="ipp-\$STACK"$/m);
    });

    it("wires the kind registry as kind's guide does: containerd config_path, hosts.toml for localhost:5001, the kind network", () => {
        const script = fs.readFileSync(E2E, "utf8");
        assert.match(script, /config_path = "\/etc\/containerd\/certs\.d"/);
        assert.match(script, /\/etc\/containerd\/certs\.d\/localhost:\$REGISTRY_PORT/);
        assert.match(script, /\[host\."http:\/\/%s:5000"\]/);
        assert.match(script, /docker network connect kind "\$REGISTRY_NAME"/);
        assert.match(script, /^readonly REGISTRY_PORT=5001$/m);
        assert.match(script, /^readonly KIND_NODE_IMAGE=kindest\/node:v[0-9.]+@sha256:[0-9a-f]{64}$/m);
        assert.match(script, /^readonly REGISTRY_IMAGE=registry:[0-9]+\.[0-9]+\.[0-9]+$/m);
    });

    it("scripts/local.sh and scripts/e2e.sh pass bash -n", () => {
        for (const script of ["scripts/local.sh", "scripts/e2e.sh"]) {
            const check = bash(["-n", path.join(ROOT, script)]);
            assert.strictEqual(check.status, 0, `${script}: ${check.stderr}`);
        }
    });
});

describe("scripts/e2e.sh seed N (the stack's seedTest must print N engine ids and N greetings)", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "ipp-e2e-seed-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Runs `seed` with a stand-in pulumi whose seedTest prints `printed` (and exits with `code`). */
    function seed(args: string[], printed: string, code = 0) {
        const command = `printf '%s' '${printed.replace(/'/g, `'\\''`)}'; exit ${code}`;
        fs.writeFileSync(
            path.join(dir, "pulumi"),
            `#!/usr/bin/env bash\n[[ "$*" == "stack output seedTest --stack ci" ]] || exit 9\nprintf '%s\\n' '${command.replace(/'/g, `'\\''`)}'\n`,
            { mode: 0o755 },
        );
        return bash([E2E, "seed", ...args], { PATH: `${dir}${path.delimiter}${process.env.PATH}`, IPP_E2E_STACK: "ci" });
    }
    const greetings = (n: number) => `[${Array(n).fill("'Hello, World'").join(", ")}]`;

    it("passes on exactly [0, 1] and two greetings for N = 2, and prints them", () => {
        const r = seed(["2"], `[0, 1]\n${greetings(2)}\n`);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.ok(r.stdout.startsWith(`[0, 1]\n${greetings(2)}\n`), r.stdout);
    });

    it("works for any N", () => {
        assert.strictEqual(seed(["1"], `[0]\n${greetings(1)}\n`).status, 0);
        assert.strictEqual(seed(["5"], `[0, 1, 2, 3, 4]\n${greetings(5)}\n`).status, 0);
        assert.strictEqual(seed(["12"], `[${[...Array(12).keys()].join(", ")}]\n${greetings(12)}\n`).status, 0);
    });

    for (const [why, printed] of [
        ["one engine too few", `[0]\n${greetings(1)}\n`],
        ["one engine too many", `[0, 1, 2]\n${greetings(3)}\n`],
        ["ids other than 0..N-1", `[0, 2]\n${greetings(2)}\n`],
        ["another greeting", `[0, 1]\n['Hello, World', 'Hello, world']\n`],
        ["a missing greetings line", `[0, 1]\n`],
        ["an extra line", `[0, 1]\n${greetings(2)}\nextra\n`],
        ["nothing", ``],
    ]) {
        it(`fails on ${why}`, () => {
            const r = seed(["2"], printed);
            assert.notStrictEqual(r.status, 0, r.stdout);
            assert.match(r.stderr, /seed: expected \(2 engines\)/);
        });
    }

    it("fails when the seed test itself fails, even with the right output", () => {
        const r = seed(["2"], `[0, 1]\n${greetings(2)}\n`, 3);
        assert.notStrictEqual(r.status, 0);
        assert.match(r.stderr, /exit code 3/);
    });

    it("refuses an N that is not a whole number", () => {
        for (const bad of [[], ["two"], ["-1"]]) assert.notStrictEqual(seed(bad, "").status, 0, JSON.stringify(bad));
    });
});
