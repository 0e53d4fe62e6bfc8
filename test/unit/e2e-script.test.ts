import * as assert from "assert";
import * as path from "path";
import { StandIns } from "./stand-ins";
import { SCRIPT_CALL, readWorkflow } from "./workflows";

/**
 * scripts/e2e.sh, which every step of .github/workflows/e2e.yml runs, run here step by step with
 * stand-ins for docker, kind, kubectl and pulumi that record what they are asked.
 */

const E2E = path.resolve(__dirname, "../../scripts/e2e.sh");
const { steps, env: workflowEnv } = readWorkflow("e2e", "kind");
const component = readWorkflow("e2e", "component");

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
    "get deployment") cat "$STANDIN_STATE/replicas" 2>/dev/null || echo 2 ;;
    "exec -n") re='scale[(]([0-9]+),'; [[ "$*" =~ $re ]] && echo "\${BASH_REMATCH[1]}" >"$STANDIN_STATE/replicas"; echo '{"done": true}' ;;
    "delete pod") [[ -n "\${SAME_UID:-}" ]] || echo uid-2 >"$STANDIN_STATE/uid" ;;
    "get namespace") looks=$(($(cat "$STANDIN_STATE/looks" 2>/dev/null || echo 0) + 1)); echo "$looks" >"$STANDIN_STATE/looks"
                     ((looks >= \${NAMESPACE_LOOKS:-1})) || echo "namespace/ipp-ci" ;;
esac`,
    pulumi: `
case "$*" in
    "stack output seedTest --stack "* | "-C examples/python stack output seed_test --stack "*) echo 'printf "%s" "$SEED_PRINTS"; exit "\${SEED_EXIT:-0}"' ;;
    "stack output frontendPod --stack "*) echo "ipp-$5-frontend" ;;
    "stack output workerDeployment --stack "*) echo "ipp-$5-workers-default" ;;
    "up --yes --stack "*) [[ -n "\${UP_RESETS:-}" ]] && echo 2 >"$STANDIN_STATE/replicas"; true ;;
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
            const words = args.trim().split(" ").filter(Boolean);
            const r = e2e([subcommand, ...words], { SEED_PRINTS: seedOutput(subcommand === "seed" ? Number(words[0]) : 2) });
            assert.strictEqual(r.status, 0, `${subcommand}${args}: ${r.stderr}`);
        }
        assert.deepStrictEqual(world.lines("pulumi"), [
            "login --local",
            "stack select --create ci",
            "config set --stack ci registry localhost:5001/ipp",
            "config set --stack ci workers 2",
            "config set --stack ci maxWorkers 4",
            "up --yes --stack ci",
            "stack output seedTest --stack ci",
            "stack output frontendPod --stack ci",
            "stack output workerDeployment --stack ci",
            "stack output seedTest --stack ci",
            "up --yes --stack ci",
            "stack output workerDeployment --stack ci",
            "preview --expect-no-changes --stack ci",
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
            "config set --stack lab maxWorkers 4",
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

    it("scale N runs ipp_cluster.scale(N) in the notebook's container; up-keeps N fails when pulumi up changes the count", () => {
        assert.strictEqual(e2e(["scale", "3"]).status, 0);
        const exec = world.lines("kubectl").find(l => l.startsWith("exec "))!;
        assert.match(exec, /^exec -n ipp-ci ipp-ci-frontend -c notebook -- python3 -c import json, ipp_cluster; r = ipp_cluster\.scale\(3, timeout=240\)/);
        assert.strictEqual(e2e(["up-keeps", "3"]).status, 0);
        const r = e2e(["up-keeps", "3"], { UP_RESETS: "1" });
        assert.notStrictEqual(r.status, 0);
        assert.match(r.stderr, /pulumi up changed the scaler's 3 replicas to 2/);
        assert.notStrictEqual(e2e(["scale", "x"]).status, 0);
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

describe("scripts/e2e.sh for the component from Python (IPP_E2E_PROGRAM=python), with stand-ins", () => {
    /** A virtual environment as python3 -m venv makes one (its python: the python3 stand-in); NO_SDK: the SDK is not importable. */
    const PYTHON = {
        python3: `
case "$1 $2" in
    "-m venv") mkdir -p "$3/bin" && ln -sf "$(command -v python3)" "$3/bin/python" ;;
    "-c import"*) [[ -z "\${NO_SDK:-}" ]] ;;
esac`,
    };
    let world: StandIns;
    beforeEach(() => {
        world = new StandIns({ ...WORLD, ...PYTHON }, [...TOOLS, "mkdir", "ln"]);
    });
    afterEach(() => world.remove());
    const venv = () => path.join(world.dir, "venv");
    const e2e = (args: string[], env: Record<string, string> = {}) => world.run(E2E, args, { ...component.env, IPP_E2E_VENV: venv(), ...env });

    it("runs every step of the component job, in its order: the example's venv, the package added from this checkout, up, seed, destroy", () => {
        const always = component.steps.filter(s => s.run && !s.if).map(s => s.run!.trim().match(SCRIPT_CALL));
        for (const [, , subcommand, args] of always.filter((m): m is RegExpMatchArray => m !== null)) {
            const words = args.trim().split(" ").filter(Boolean);
            const r = e2e([subcommand, ...words], { SEED_PRINTS: seedOutput(2) });
            assert.strictEqual(r.status, 0, `${subcommand}${args}: ${r.stderr}`);
        }
        const inExample = (line: string) => `-C examples/python ${line}`;
        assert.deepStrictEqual(world.lines("pulumi"), [
            "login --local",
            ...[
                "stack select --create ci-py",
                "package add ../..",
                "install",
                "config set --stack ci-py registry localhost:5001/ipp",
                "up --yes --stack ci-py",
                "stack output seed_test --stack ci-py",
                "destroy --yes --stack ci-py",
            ].map(inExample),
        ]);
        assert.deepStrictEqual(world.lines("python3"), [
            `-m venv ${venv()}`,
            "-m pip install --quiet -r examples/python/requirements.txt",
            "-c import pulumi_ipp_cluster",
        ]);
        assert.ok(world.lines("kubectl").includes("get namespace ipp-ci-py --ignore-not-found -o name"));
    });

    it("py-up installs the SDK pulumi generated when pulumi did not, and fails, saying so, when it is still missing", () => {
        const r = e2e(["py-up"], { NO_SDK: "1" });
        assert.notStrictEqual(r.status, 0);
        assert.ok(world.lines("python3").includes("-m pip install --quiet examples/python/sdks/ipp-cluster"), world.lines("python3").join("\n"));
        assert.match(r.stderr, /no pulumi_ipp_cluster in .* after pulumi package add \.\.\/\.\./);
        assert.ok(!world.lines("pulumi").some(l => l.includes(" up ")), "pulumi up ran without the SDK");
    });

    it("py-up refuses to run for the stack program, and an unknown program is refused", () => {
        const r = e2e(["py-up"], { IPP_E2E_PROGRAM: "stack" });
        assert.notStrictEqual(r.status, 0);
        assert.match(r.stderr, /py-up needs IPP_E2E_PROGRAM=python; got 'stack'/);
        assert.strictEqual(e2e(["login"], { IPP_E2E_PROGRAM: "go" }).status, 2);
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
