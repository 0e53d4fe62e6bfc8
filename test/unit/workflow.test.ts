import * as assert from "assert";
import { SCRIPT_CALL, Step, readWorkflow } from "./workflows";

/**
 * The workflows, read as GitHub would read them: .github/workflows/e2e.yml, the project's run on a
 * real Kubernetes cluster with the Pulumi CLI, and ci.yml, the checks on every push.
 */

/** The only commands a step may run besides scripts under scripts/. */
const ALLOWED_COMMANDS = ["npm ci"];
/** `owner/repo[/path]@ref`, ref a full commit SHA or an exact x.y.z version. */
const PINNED = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@(?:[0-9a-f]{40}|v?[0-9]+\.[0-9]+\.[0-9]+)$/;

const { text: workflowText, workflow, steps, runs, calls, env: workflowEnv } = readWorkflow("e2e", "kind");

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

    it("goes kind-up, login, up, seed, scale, seed, up-keeps, replace-frontend, seed, down, namespace-gone; diagnose only on failure", () => {
        const always = steps
            .filter(s => s.run && !s.if)
            .map(s => s.run!.match(SCRIPT_CALL)?.[2])
            .filter(Boolean);
        assert.deepStrictEqual(always, ["kind-up", "login", "up", "seed", "scale", "seed", "up-keeps", "replace-frontend", "seed", "down", "namespace-gone"]);
        const diagnose = steps.find(s => s.run?.includes("diagnose"));
        assert.strictEqual(diagnose?.if, "failure()");
    });

    it("deploys a ci stack with 2 workers pushing to the kind registry, with an empty passphrase, and expects 2 engines, then 3 once scaled", () => {
        assert.strictEqual(workflowEnv.IPP_E2E_STACK, "ci");
        assert.strictEqual(workflowEnv.IPP_E2E_REGISTRY, "localhost:5001/ipp");
        assert.strictEqual(workflowEnv.IPP_E2E_WORKERS, "2");
        assert.strictEqual(workflowEnv.PULUMI_CONFIG_PASSPHRASE, "");
        const seeds = calls.filter(c => c[2] === "seed").map(c => c[3].trim().split(" ")[0]);
        assert.deepStrictEqual(seeds, ["2", "3", "3"]);
    });
});

describe(".github/workflows/e2e.yml, its job for the component from Python", () => {
    const component = readWorkflow("e2e", "component");

    it("installs the same pinned actions as the kind job, and runs nothing but scripts/e2e.sh (and npm ci first)", () => {
        const pins = (s: typeof steps) => s.filter(x => x.uses).map(x => [x.uses, JSON.stringify(x.with ?? {})]);
        assert.deepStrictEqual(pins(component.steps), pins(steps));
        for (const r of component.runs) assert.ok(ALLOWED_COMMANDS.includes(r) || SCRIPT_CALL.test(r), `a step runs something else: ${r}`);
        assert.ok(component.runs.indexOf("npm ci") < component.runs.findIndex(r => SCRIPT_CALL.test(r)), "npm ci comes before the scripts");
    });

    it("goes kind-up, login, py-up, seed 2, down, namespace-gone, as the Python example in a stack of its own; diagnose only on failure", () => {
        const always = component.steps.filter(s => s.run && !s.if && s.run !== "npm ci").map(s => s.run!.match(SCRIPT_CALL)?.slice(2, 4).join("").trim());
        assert.deepStrictEqual(always, ["kind-up", "login", "py-up", "seed 2 120", "down", "namespace-gone 300"]);
        assert.strictEqual(component.steps.find(s => s.run?.includes("diagnose"))?.if, "failure()");
        assert.strictEqual(component.env.IPP_E2E_PROGRAM, "python");
        assert.strictEqual(component.env.IPP_E2E_STACK, "ci-py");
        assert.strictEqual(component.env.IPP_E2E_REGISTRY, workflowEnv.IPP_E2E_REGISTRY);
        assert.strictEqual(component.env.PULUMI_CONFIG_PASSPHRASE, "");
    });
});

describe(".github/workflows/ci.yml (the checks on every push)", () => {
    const { workflow: ci, jobs: ciJobs, steps: ciSteps, runs: ciRuns } = readWorkflow("ci");

    it("runs on every push, its actions pinned to a commit SHA", () => {
        const on = ci.on ?? ci[true as any];
        assert.ok(Object.keys(on).includes("push"));
        assert.strictEqual(on.push, null, "push is limited to some branches");
        for (const u of ciSteps.filter(s => s.uses).map(s => s.uses!)) assert.match(u, /@[0-9a-f]{40}$/);
    });

    it("runs the lint, the unit tests, the worker's tests, the SDK check and the integration tests, each after npm ci", () => {
        for (const command of ["npm run lint", "npm test", "npm run test:worker", "npm run test:sdk"]) assert.ok(ciRuns.includes(command), command);
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
