import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { StandIns } from "./stand-ins";

/**
 * .github/workflows/e2e.yml, the project's run on a real Kubernetes cluster with the Pulumi CLI, read
 * as GitHub would read it; and scripts/e2e.sh, which every step of it runs, run here step by step with
 * stand-ins for docker, kind, kubectl and pulumi that record what they are asked.
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

const workflowText = fs.readFileSync(WORKFLOW_FILE, "utf8");
const workflow = yaml.load(workflowText) as any;
const jobs = Object.values(workflow.jobs) as any[];
const steps: Step[] = jobs.flatMap(j => j.steps);
const runs = steps.filter(s => s.run !== undefined).map(s => s.run!.trim());
const calls = runs.map(r => r.match(SCRIPT_CALL)).filter((m): m is RegExpMatchArray => m !== null);
/** The environment the steps run with. */
const workflowEnv: Record<string, string> = Object.fromEntries(Object.entries({ ...workflow.env, ...jobs[0].env }).map(([k, v]) => [k, String(v)]));

describe(".github/workflows/e2e.yml (kind and the Pulumi CLI)", () => {
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
        for (const line of workflowText.split("\n").filter(l => /^\s*-?\s*uses:/.test(l))) {
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

    it("runs nothing but scripts under scripts/ (and npm ci first)", () => {
        assert.ok(runs.length > 0);
        for (const r of runs) {
            assert.ok(!r.includes("\n"), `a step runs more than one line: ${r}`);
            assert.ok(ALLOWED_COMMANDS.includes(r) || SCRIPT_CALL.test(r), `a step runs something else: ${r}`);
        }
        assert.ok(runs.indexOf("npm ci") < runs.findIndex(r => SCRIPT_CALL.test(r)), "npm ci comes before the scripts");
        for (const [, script] of calls) assert.strictEqual(script, "scripts/e2e.sh");
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

    it("deploys a ci stack with 2 workers pushing to the kind registry, with an empty passphrase, and expects 2 engines", () => {
        assert.strictEqual(workflowEnv.IPP_E2E_STACK, "ci");
        assert.strictEqual(workflowEnv.IPP_E2E_REGISTRY, "localhost:5001/ipp");
        assert.strictEqual(workflowEnv.IPP_E2E_WORKERS, "2");
        assert.strictEqual(workflowEnv.PULUMI_CONFIG_PASSPHRASE, "");
        const seeds = calls.filter(c => c[2] === "seed").map(c => c[3].trim().split(" ")[0]);
        assert.deepStrictEqual(seeds, ["2", "2"]);
    });
});

const greetings = (n: number) => `[${Array(n).fill("'Hello, World'").join(", ")}]`;
const seedOutput = (n: number) => `[${[...Array(n).keys()].join(", ")}]\n${greetings(n)}\n`;

/**
 * A kind cluster, its registry and a Pulumi stack as far as scripts/e2e.sh sees them. State lives in
 * files: the registry container runs once started, is on the kind network once connected, the cluster
 * exists once created, the frontend Pod's uid changes when it is deleted (unless SAME_UID is set), and
 * a namespace is gone from the NAMESPACE_LOOKS-th look on. The seed test prints SEED_PRINTS and exits with SEED_EXIT.
 */
const WORLD = {
    docker: `
case "$1" in
    inspect) if [[ "$3" == *State.Running* ]]; then [[ -f "$STANDIN_STATE/registry" ]] && echo true || exit 1
             else [[ -f "$STANDIN_STATE/connected" ]] && echo '{"NetworkID":"n"}' || echo null; fi ;;
    run) touch "$STANDIN_STATE/registry"; echo registry-id ;;
    network) touch "$STANDIN_STATE/connected" ;;
esac`,
    kind: `
case "$1 $2" in
    "get clusters") [[ -f "$STANDIN_STATE/cluster" ]] && echo ipp-e2e ;;
    "create cluster") touch "$STANDIN_STATE/cluster" ;;
    "get nodes") printf '%s\\n' ipp-e2e-control-plane ipp-e2e-worker ;;
esac`,
    kubectl: `
case "$1 $2" in
    "get pod") cat "$STANDIN_STATE/uid" 2>/dev/null || echo uid-1 ;;
    "delete pod") [[ -n "\${SAME_UID:-}" ]] || echo uid-2 >"$STANDIN_STATE/uid" ;;
    "get namespace") looks=$(($(cat "$STANDIN_STATE/looks" 2>/dev/null || echo 0) + 1)); echo "$looks" >"$STANDIN_STATE/looks"
                     ((looks >= \${NAMESPACE_LOOKS:-1})) || echo "namespace/ipp-ci" ;;
esac`,
    pulumi: `
case "$*" in
    "stack output seedTest --stack "*) echo 'printf "%s" "$SEED_PRINTS"; exit "\${SEED_EXIT:-0}"' ;;
    "stack output frontendPod --stack "*) echo "ipp-$5-frontend" ;;
esac`,
    sleep: "",
};
const TOOLS = ["grep", "mktemp", "rm", "touch"];

describe("scripts/e2e.sh, with stand-ins for docker, kind, kubectl and pulumi", () => {
    let world: StandIns;
    beforeEach(() => {
        world = new StandIns(WORLD, TOOLS);
    });
    afterEach(() => world.remove());
    const e2e = (args: string[], env: Record<string, string> = {}) => world.run(E2E, args, { ...workflowEnv, ...env });

    it("runs every step of the workflow, in its order and with its environment, to the end", () => {
        const always = steps.filter(s => s.run && !s.if).map(s => s.run!.trim().match(SCRIPT_CALL));
        for (const [, , subcommand, args] of always.filter((m): m is RegExpMatchArray => m !== null)) {
            const r = e2e([subcommand, ...args.trim().split(" ").filter(Boolean)], { SEED_PRINTS: seedOutput(2) });
            assert.strictEqual(r.status, 0, `${subcommand}${args}: ${r.stderr}`);
        }
        assert.deepStrictEqual(world.lines("pulumi"), [
            "login --local",
            "stack select --create ci",
            "config set --stack ci registry localhost:5001/ipp",
            "config set --stack ci workers 2",
            "up --yes --stack ci",
            "stack output seedTest --stack ci",
            "stack output frontendPod --stack ci",
            "up --refresh --yes --stack ci",
            "stack output seedTest --stack ci",
            "destroy --yes --stack ci",
        ]);
    });

    it("kind-up: the registry on 127.0.0.1:5001 and on kind's network, the pinned node image, containerd told where localhost:5001 is", () => {
        const r = e2e(["kind-up"]);
        assert.strictEqual(r.status, 0, r.stderr);
        const docker = world.lines("docker");
        assert.ok(docker.includes("run -d --restart=always -p 127.0.0.1:5001:5000 --name kind-registry registry:3.0.0"), docker.join("\n"));
        assert.ok(docker.includes("network connect kind kind-registry"), docker.join("\n"));
        const [create] = world.calls("kind").filter(c => c.args[0] === "create");
        assert.match(create.args.join(" "), /^create cluster --name ipp-e2e --image kindest\/node:v[0-9.]+@sha256:[0-9a-f]{64} --wait 180s --config=-$/);
        assert.match(create.stdin, /config_path = "\/etc\/containerd\/certs\.d"/);
        for (const node of ["ipp-e2e-control-plane", "ipp-e2e-worker"]) {
            assert.ok(docker.includes(`exec ${node} mkdir -p /etc/containerd/certs.d/localhost:5001`), node);
            const hosts = world
                .calls("docker")
                .find(c => c.args.join(" ") === `exec -i ${node} cp /dev/stdin /etc/containerd/certs.d/localhost:5001/hosts.toml`);
            assert.strictEqual(hosts?.stdin, '[host."http://kind-registry:5000"]\n');
        }
        const kubectl = world.calls("kubectl");
        assert.deepStrictEqual(kubectl[0].args, ["config", "use-context", "kind-ipp-e2e"]);
        const apply = kubectl.find(c => c.args.join(" ") === "apply -f -");
        assert.match(apply!.stdin, /name: local-registry-hosting[\s\S]*host: "localhost:5001"/);
    });

    it("kind-up a second time starts no second registry or cluster", () => {
        assert.strictEqual(e2e(["kind-up"]).status, 0);
        const before = world.calls().length;
        assert.strictEqual(e2e(["kind-up"]).status, 0);
        const again = world.calls().slice(before);
        assert.ok(!again.some(c => c.tool === "docker" && ["run", "network"].includes(c.args[0])), "the registry was started or connected again");
        assert.ok(!again.some(c => c.tool === "kind" && c.args[0] === "create"), "the cluster was created again");
    });

    it("up takes the stack, registry and workers from the environment, and refuses a count that is not a number before calling pulumi", () => {
        assert.strictEqual(e2e(["up"], { IPP_E2E_STACK: "lab", IPP_E2E_REGISTRY: "ghcr.io/org/ipp", IPP_E2E_WORKERS: "3" }).status, 0);
        assert.deepStrictEqual(world.lines("pulumi"), [
            "stack select --create lab",
            "config set --stack lab registry ghcr.io/org/ipp",
            "config set --stack lab workers 3",
            "up --yes --stack lab",
        ]);
        const bad = new StandIns(WORLD, TOOLS);
        try {
            const r = bad.run(E2E, ["up"], { ...workflowEnv, IPP_E2E_WORKERS: "two" });
            assert.notStrictEqual(r.status, 0);
            assert.match(r.stderr, /IPP_E2E_WORKERS must be a whole number; got 'two'/);
            assert.deepStrictEqual(bad.calls("pulumi"), []);
        } finally {
            bad.remove();
        }
    });

    it("replace-frontend deletes the stack's frontend Pod in its namespace and fails when pulumi up does not recreate it", () => {
        assert.strictEqual(e2e(["replace-frontend"]).status, 0);
        assert.ok(world.lines("kubectl").includes("delete pod ipp-ci-frontend -n ipp-ci --wait=true --timeout=180s"), world.lines("kubectl").join("\n"));
        const r = e2e(["replace-frontend"], { SAME_UID: "1" });
        assert.notStrictEqual(r.status, 0);
        assert.match(r.stderr, /the frontend Pod was not recreated/);
    });

    it("namespace-gone waits until the namespace is gone, and fails when it stays past the time given", () => {
        assert.strictEqual(e2e(["namespace-gone", "60"], { NAMESPACE_LOOKS: "3" }).status, 0);
        assert.deepStrictEqual(world.lines("kubectl"), Array(3).fill("get namespace ipp-ci --ignore-not-found -o name"));
        const r = e2e(["namespace-gone", "0"], { NAMESPACE_LOOKS: "1000" });
        assert.notStrictEqual(r.status, 0);
        assert.match(r.stderr, /namespace ipp-ci still exists after 0s/);
    });

    it("diagnose asks the cluster and the stack, and never fails", () => {
        const r = e2e(["diagnose"]);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.ok(world.lines("kubectl").some(l => l.startsWith("get all,configmaps,secrets,networkpolicies -n ipp-ci")));
        assert.deepStrictEqual(world.lines("pulumi"), ["stack --stack ci"]);
    });

    it("kind-down removes the cluster and the registry; an unknown step is refused", () => {
        assert.strictEqual(e2e(["kind-down"]).status, 0);
        assert.deepStrictEqual(world.lines("kind"), ["delete cluster --name ipp-e2e"]);
        assert.deepStrictEqual(world.lines("docker"), ["rm -f kind-registry"]);
        assert.strictEqual(e2e(["deploy"]).status, 2);
    });
});

describe("scripts/e2e.sh seed N (the stack's seedTest must print N engine ids and N greetings)", () => {
    let world: StandIns;
    beforeEach(() => {
        world = new StandIns(WORLD, TOOLS);
    });
    afterEach(() => world.remove());
    /** Runs `seed` with a stack whose seedTest prints `printed` (and exits with `code`). */
    const seed = (args: string[], printed: string, code = 0) =>
        world.run(E2E, ["seed", ...args], { ...workflowEnv, SEED_PRINTS: printed, SEED_EXIT: String(code) });

    it("passes on exactly [0, 1] and two greetings for N = 2, and prints them", () => {
        const r = seed(["2"], seedOutput(2));
        assert.strictEqual(r.status, 0, r.stderr);
        assert.ok(r.stdout.startsWith(seedOutput(2)), r.stdout);
        assert.deepStrictEqual(world.lines("pulumi"), ["stack output seedTest --stack ci"]);
    });

    it("works for any N", () => {
        for (const n of [1, 5, 12]) assert.strictEqual(seed([String(n)], seedOutput(n)).status, 0, String(n));
    });

    for (const [why, printed] of [
        ["one engine too few", seedOutput(1)],
        ["one engine too many", seedOutput(3)],
        ["ids other than 0..N-1", `[0, 2]\n${greetings(2)}\n`],
        ["another greeting", `[0, 1]\n['Hello, World', 'Hello, world']\n`],
        ["a missing greetings line", `[0, 1]\n`],
        ["an extra line", `${seedOutput(2)}extra\n`],
        ["nothing", ``],
    ]) {
        it(`fails on ${why}`, () => {
            const r = seed(["2"], printed);
            assert.notStrictEqual(r.status, 0, r.stdout);
            assert.match(r.stderr, /seed: expected \(2 engines\)/);
        });
    }

    it("fails when the seed test itself fails, even with the right output", () => {
        const r = seed(["2"], seedOutput(2), 3);
        assert.notStrictEqual(r.status, 0);
        assert.match(r.stderr, /exit code 3/);
    });

    it("refuses an N that is not a whole number", () => {
        for (const bad of [[], ["two"], ["-1"]]) assert.notStrictEqual(seed(bad, "").status, 0, JSON.stringify(bad));
    });
});

describe(".github/workflows/ci.yml (the checks on every push)", () => {
    const ci = yaml.load(fs.readFileSync(path.join(ROOT, ".github", "workflows", "ci.yml"), "utf8")) as any;
    const ciJobs = Object.values(ci.jobs) as any[];
    const ciSteps: Step[] = ciJobs.flatMap(j => j.steps);
    const ciRuns = ciSteps.filter(s => s.run).map(s => s.run!.trim());

    it("runs on every push, its actions pinned to a commit SHA", () => {
        const on = ci.on ?? ci[true as any];
        assert.ok(Object.keys(on).includes("push"));
        assert.strictEqual(on.push, null, "push is limited to some branches");
        for (const u of ciSteps.filter(s => s.uses).map(s => s.uses!)) assert.match(u, /@[0-9a-f]{40}$/);
    });

    it("runs the lint, the unit tests, the worker's tests and the integration tests, each after npm ci", () => {
        for (const command of ["npm run lint", "npm test", "npm run test:worker"]) assert.ok(ciRuns.includes(command), command);
        assert.ok(
            ciRuns.some(r => r.endsWith("npm run test:integration")),
            ciRuns.join("\n"),
        );
        for (const job of ciJobs) {
            const jobRuns = job.steps.filter((s: Step) => s.run).map((s: Step) => s.run!.trim());
            assert.strictEqual(
                jobRuns.filter((r: string) => r.startsWith("npm run") || r === "npm test" || r.endsWith("npm run test:integration")).length > 0,
                true,
            );
            const firstNpm = jobRuns.findIndex((r: string) => r.includes("npm run") || r === "npm test");
            assert.ok(jobRuns.indexOf("npm ci") >= 0 && jobRuns.indexOf("npm ci") < firstNpm, `npm ci first in ${job.name}`);
        }
    });
});
