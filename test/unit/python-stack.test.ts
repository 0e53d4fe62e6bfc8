import * as assert from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseConfig } from "../../lib/config";
import { MAX_CA_BYTES } from "../../lib/ca-certificates";
import { find, runProgram } from "../../testbed/program";
import { problemsOf } from "./config-problems";

const ROOT = path.resolve(__dirname, "../..");
const REGISTRY = { registry: "registry.example.com/team" };
const INPUT = path.join(ROOT, "images/base/python/requirements.in");
const LOCK = path.join(ROOT, "images/base/python/requirements.txt");

/** A certificate's PEM form (its content need not verify: the build only hands it to the trust store). */
const CERTIFICATE = `-----BEGIN CERTIFICATE-----\n${Buffer.alloc(300, 7)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")}\n-----END CERTIFICATE-----\n`;

function tempFile(content: string): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ipp-ca-")), "ca.pem");
    fs.writeFileSync(file, content);
    return file;
}

describe("the Python stack (pythonStack, notebookInterface)", () => {
    it("is pypi with JupyterLab by default; debian with the classic notebook; a base image's with the notebook interface", () => {
        const app = (raw: Record<string, string>) => parseConfig({ ...REGISTRY, ...raw }, "dev").notebookApp;
        assert.deepStrictEqual(app({}), { interface: "lab", server: "jupyter-server" });
        assert.deepStrictEqual(app({ notebookInterface: "notebook" }), { interface: "notebook", server: "jupyter-server" });
        assert.deepStrictEqual(app({ pythonStack: "debian" }), { interface: "notebook", server: "classic" });
        assert.deepStrictEqual(app({ baseImage: "ghcr.io/org/science:1" }), { interface: "notebook", server: "classic" });
        assert.deepStrictEqual(app({ baseImage: "ghcr.io/org/science:1", notebookInterface: "lab" }), { interface: "lab", server: "jupyter-server" });
    });

    it("refuses JupyterLab on the debian stack, and values that are none of the choices", () => {
        assert.deepStrictEqual(problemsOf({ ...REGISTRY, pythonStack: "debian", notebookInterface: "lab" }), [
            'ipp-cluster:notebookInterface lab needs ipp-cluster:pythonStack pypi: Debian packages no JupyterLab. Set `pulumi config set notebookInterface notebook` for Debian\'s classic notebook; got notebookInterface "lab" and pythonStack "debian".',
        ]);
        assert.deepStrictEqual(problemsOf({ ...REGISTRY, pythonStack: "conda" }), ['ipp-cluster:pythonStack must be pypi or debian; got "conda".']);
        assert.deepStrictEqual(problemsOf({ ...REGISTRY, notebookInterface: "classic" }), [
            'ipp-cluster:notebookInterface must be lab or notebook; got "classic".',
        ]);
    });

    it("refuses pythonStack and buildCaCertificates with a base image of the user's, which brings its own", () => {
        const ca = tempFile(CERTIFICATE);
        const problems = problemsOf({ ...REGISTRY, baseImage: "ghcr.io/org/science:1", pythonStack: "pypi", buildCaCertificates: ca });
        assert.strictEqual(problems.length, 2, problems.join("\n"));
        assert.match(
            problems[0],
            /^ipp-cluster:baseImage and ipp-cluster:pythonStack cannot both be set: a base image of your own brings its own Python packages/,
        );
        assert.match(problems[1], /^ipp-cluster:baseImage and ipp-cluster:buildCaCertificates cannot both be set/);
    });

    it("names the stack to the base image's build and the interface to the frontend's, and opens the notebook on its page", async () => {
        for (const [raw, stack, ui, page] of [
            [{}, "pypi", "lab", "/lab?token="],
            [{ notebookInterface: "notebook" }, "pypi", "notebook", "/tree?token="],
            [{ pythonStack: "debian" }, "debian", "notebook", "/tree?token="],
        ] as const) {
            const run = await runProgram({ ...REGISTRY, ...raw });
            assert.strictEqual(find(run, "Image", "ipp-images-base").inputs.build.args.PYTHON_STACK, stack);
            assert.strictEqual(find(run, "Image", "ipp-images-frontend").inputs.build.args.NOTEBOOK_INTERFACE, ui);
            assert.ok(new URL(run.outputs.notebookUrl).pathname + "?token=" === page, run.outputs.notebookUrl);
            const notebook = find(run, "Pod", "ipp-cluster-frontend").inputs.spec.containers.find((c: any) => c.name === "notebook");
            assert.deepStrictEqual(notebook.args.slice(0, 2), ["jupyter", ui === "lab" ? "lab" : "notebook"]);
            assert.ok(
                notebook.args.some((a: string) => a.startsWith(stack === "debian" ? "--NotebookApp." : "--ServerApp.")),
                notebook.args.join(" "),
            );
        }
    });
});

describe("CA certificates for the builds (buildCaCertificates)", () => {
    it("hands the certificates of the file, and only they, to the base image's build, which then trusts them", async () => {
        const file = tempFile(`a comment\n${CERTIFICATE}more text\n${CERTIFICATE}`);
        const run = await runProgram({ ...REGISTRY, buildCaCertificates: file });
        const args = find(run, "Image", "ipp-images-base").inputs.build.args;
        assert.strictEqual(args.TRUST, "trusting");
        assert.strictEqual(args.BUILD_CA_CERTIFICATES, `${CERTIFICATE.trim()}\n${CERTIFICATE}`);
    });

    it("changes nothing in the build without them", async () => {
        const run = await runProgram(REGISTRY);
        const args = find(run, "Image", "ipp-images-base").inputs.build.args;
        assert.ok(!("TRUST" in args) && !("BUILD_CA_CERTIFICATES" in args), JSON.stringify(args));
    });

    it("refuses a file that is missing, too large, or holds no certificate, naming the setting and the file", () => {
        const problem = (file: string) => problemsOf({ ...REGISTRY, buildCaCertificates: file });
        assert.deepStrictEqual(problem("/nonexistent/ca.pem"), [
            'ipp-cluster:buildCaCertificates must name a readable PEM file of CA certificates; got "/nonexistent/ca.pem" (ENOENT).',
        ]);
        const big = tempFile(CERTIFICATE.repeat(Math.ceil(MAX_CA_BYTES / CERTIFICATE.length) + 1));
        assert.match(
            problem(big)[0],
            /^ipp-cluster:buildCaCertificates must name a PEM file of at most 64 KiB: your proxy's or company's CA certificates, not a whole system bundle/,
        );
        const none = tempFile("no certificate here\n");
        assert.deepStrictEqual(problem(none), [
            `ipp-cluster:buildCaCertificates must name a PEM file holding at least one "-----BEGIN CERTIFICATE-----" block; got ${JSON.stringify(none)}, which holds none.`,
        ]);
    });
});

describe("the lock (images/base/python/requirements.txt)", () => {
    const lock = fs.readFileSync(LOCK, "utf8");
    const pins = new Map([...lock.matchAll(/^([a-z0-9._-]+)==([^ ;\\\n]+)/gm)].map(m => [m[1], m[2]]));

    it("was made from requirements.in as it stands (`npm run lock` after every change of it)", () => {
        const digest = createHash("sha256").update(fs.readFileSync(INPUT)).digest("hex");
        assert.strictEqual(
            /sha256 ([0-9a-f]{64})/.exec(lock.split("\n")[0])?.[1],
            digest,
            "requirements.txt is not the lock of requirements.in: run `npm run lock`",
        );
    });

    it("pins every direct requirement to a version it allows", () => {
        const direct = fs
            .readFileSync(INPUT, "utf8")
            .split("\n")
            .filter(l => l && !l.startsWith("#"));
        assert.ok(direct.length >= 3);
        for (const line of direct) {
            const [, name, wanted] = /^([A-Za-z0-9._-]+)==(.+)$/.exec(line.trim())!;
            const pinned = pins.get(name.toLowerCase());
            assert.ok(pinned, `${name} is not in the lock`);
            const allowed = wanted.endsWith(".*") ? pinned.startsWith(wanted.slice(0, -1)) : pinned === wanted;
            assert.ok(allowed, `${name}: the lock has ${pinned}, requirements.in asks for ${wanted}`);
        }
    });

    it("gives every pinned package, and nothing else, with at least one file hash", () => {
        const entries = lock.split(/\n(?=[a-z0-9])/).filter(e => /^[a-z0-9]/.test(e));
        assert.strictEqual(entries.length, pins.size);
        for (const entry of entries) assert.match(entry, /--hash=sha256:[0-9a-f]{64}/, entry.split("\n")[0]);
    });
});
