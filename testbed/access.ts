/**
 * How a user reaches the cluster from outside it: a notebook over HTTP, and a client on the laptop
 * with the stack's laptop client file.
 */
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { TEST_LABEL, docker } from "./docker-cli";
import { machineCaSettings } from "./ca";

/** One HTTP request with an optional JSON body; the status and the body as text. */
export function httpRequest(method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = http.request(url, { method, headers: { ...headers, ...(data ? { "Content-Type": "application/json" } : {}) } }, res => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", d => (text += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on("error", reject);
        req.end(data);
    });
}

/** A notebook in nbformat 4.5, as the server stores it (so that it comes back as it went in). */
export const SAMPLE_NOTEBOOK = {
    cells: [{ cell_type: "code", execution_count: null, id: "lost-nothing", metadata: {}, outputs: [], source: "print(6 * 7)" }],
    metadata: { kernelspec: { display_name: "Python 3", language: "python", name: "python3" } },
    nbformat: 4,
    nbformat_minor: 5,
};

/** Saves SAMPLE_NOTEBOOK as `name` through the notebook server's REST API, as the notebook's Save does. */
export async function saveNotebook(server: string, auth: Record<string, string>, name: string): Promise<void> {
    const saved = await httpRequest("PUT", `${server}/api/contents/${name}`, auth, { type: "notebook", format: "json", content: SAMPLE_NOTEBOOK });
    if (![200, 201].includes(saved.status)) throw new Error(`saving ${name} answered ${saved.status}: ${saved.body}`);
}

/**
 * The notebook `name` as the server gives it back, without the mark it adds to each cell it serves
 * as trusted (the file holds no such mark).
 */
export async function readNotebook(server: string, auth: Record<string, string>, name: string): Promise<unknown> {
    const back = await httpRequest("GET", `${server}/api/contents/${name}?content=1`, auth);
    if (back.status !== 200) throw new Error(`reading ${name} answered ${back.status}: ${back.body}`);
    const content = JSON.parse(back.body).content;
    for (const cell of content.cells) delete cell.metadata.trusted;
    return content;
}

export function httpStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
    return new Promise((resolve, reject) => {
        http.get(url, { headers }, res => {
            res.resume();
            resolve(res.statusCode ?? 0);
        }).on("error", reject);
    });
}

/**
 * Runs the seed's greeting from a fresh container on the host network, as a laptop would: only the
 * client file (with its loopback address and the key) and the ports it names.
 */
export async function laptopGreetings(image: string, clientFile: string, runLabel: string): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ipp-laptop-"));
    try {
        fs.chmodSync(dir, 0o755);
        fs.writeFileSync(path.join(dir, "client.json"), clientFile, { mode: 0o644 });
        const program = 'import ipyparallel as ipp; c = ipp.Client("/laptop/client.json", timeout=20); print(c[:].apply_sync(lambda: "Hello, World"))';
        const out = await docker(
            ["run", "--rm", "--network=host", "--label", `${TEST_LABEL}=${runLabel}`, "-v", `${dir}:/laptop:ro`, image, "python3", "-c", program],
            { allowFailure: true },
        );
        if (out.code !== 0) throw new Error(`the laptop client failed: ${out.stderr.slice(-2000)}`);
        return out.stdout.trim();
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/**
 * A laptop with nothing but the Python the cluster runs (a container of the OS image, which has the
 * same minor version): a fresh virtual environment, `pipInstall` (the stack's `laptopPipInstall`) in
 * it from PyPI, then the seed's greeting through `clientFile` on this host's loopback. Trusts this
 * machine's own CA certificates, as a laptop behind the same proxy would. Returns what it printed.
 */
export async function venvLaptopGreetings(osImage: string, pipInstall: string, clientFile: string, runLabel: string): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ipp-venv-laptop-"));
    try {
        fs.chmodSync(dir, 0o755);
        fs.writeFileSync(path.join(dir, "client.json"), clientFile, { mode: 0o644 });
        const ca = machineCaSettings().buildCaCertificates;
        if (ca) fs.copyFileSync(ca, path.join(dir, "ca.pem"));
        const [pip, install, ...packages] = pipInstall.split(" ");
        if (pip !== "pip" || install !== "install" || !packages.every(p => /^[A-Za-z0-9._-]+==[A-Za-z0-9.+!-]+$/.test(p))) {
            throw new Error(`not a plain pip install of pinned packages: ${pipInstall}`);
        }
        const program = 'import ipyparallel as ipp; c = ipp.Client("/laptop/client.json", timeout=20); print(c[:].apply_sync(lambda: "Hello, World"))';
        const script = [
            "set -e",
            "apt-get update -qq && apt-get install -qq --yes --no-install-recommends python3-venv ca-certificates >/dev/null",
            ...(ca
                ? [
                      "cp /laptop/ca.pem /usr/local/share/ca-certificates/laptop-ca.crt && update-ca-certificates >/dev/null",
                      "export PIP_CERT=/etc/ssl/certs/ca-certificates.crt",
                  ]
                : []),
            "python3 -m venv /venv",
            '/venv/bin/pip install --quiet --disable-pip-version-check "$@"',
            `/venv/bin/python -c '${program}'`,
        ].join("\n");
        const out = await docker(
            [
                "run",
                "--rm",
                "--network=host",
                "--label",
                `${TEST_LABEL}=${runLabel}`,
                "-v",
                `${dir}:/laptop:ro`,
                osImage,
                "bash",
                "-c",
                script,
                "laptop",
                ...packages,
            ],
            { allowFailure: true, timeoutMs: 10 * 60_000 },
        );
        if (out.code !== 0) throw new Error(`the venv laptop failed: ${out.stderr.slice(-3000)}`);
        return out.stdout.trim().split("\n").pop() ?? "";
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
