import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { GENERATED, NOTEBOOK_URL, ROOT, SEED_OUTPUT, Sandbox } from "./local-sandbox";

/**
 * scripts/local.sh (`npm run local`, `npm run local:down`) against stand-ins for `pulumi` and
 * `docker` that record each call, in a temporary copy of the files it reads. PATH holds only the
 * stand-ins and the few system tools the script uses, so no real pulumi or docker is ever run, and
 * IPP_PROJECT_DIR keeps every file it writes out of the working tree.
 */

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
