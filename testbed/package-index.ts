/**
 * A package index of the test's own on 127.0.0.1 (PEP 503's simple layout), holding a small
 * pure-Python wheel in several versions that the test builds itself: what a company's index or
 * mirror is to `pipIndexUrl`.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { AddressInfo } from "net";

/** Writes `<name>-<version>-py3-none-any.whl`: a module whose `__version__` is the version. */
function buildWheel(dir: string, name: string, version: string): string {
    const program = `
import base64, hashlib, sys, zipfile
name, version, target = sys.argv[1:]
info = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": f'__version__ = "{version}"\\n\\ndef hello():\\n    return "hello from {name} {version}"\\n',
    f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
    f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: ipp-cluster-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
for path, text in files.items():
    data = text.encode()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record.append(f"{path},sha256={digest},{len(data)}")
files[f"{info}/RECORD"] = "\\n".join(record + [f"{info}/RECORD,,"]) + "\\n"
with zipfile.ZipFile(target, "w") as z:
    for path, text in files.items():
        z.writestr(path, text)
`;
    const file = path.join(dir, `${name}-${version}-py3-none-any.whl`);
    execFileSync("python3", ["-c", program, name, version, file]);
    return file;
}

export interface PackageIndex {
    /** The index's URL, for pipIndexUrl. */
    url: string;
    /** How many times each file was fetched. */
    fetched: Map<string, number>;
    close(): Promise<void>;
}

/** Serves `<name>` in each of `versions` on 127.0.0.1, on a free port. */
export async function servePackageIndex(name: string, versions: string[]): Promise<PackageIndex> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ipp-index-"));
    const wheels = versions.map(v => buildWheel(dir, name, v));
    const links = wheels
        .map(w => {
            const file = path.basename(w);
            const sha = crypto.createHash("sha256").update(fs.readFileSync(w)).digest("hex");
            return `<a href="/files/${file}#sha256=${sha}">${file}</a><br>`;
        })
        .join("\n");
    const fetched = new Map<string, number>();
    const server = http.createServer((req, res) => {
        const url = req.url ?? "/";
        fetched.set(url, (fetched.get(url) ?? 0) + 1);
        res.setHeader("Content-Type", "text/html"); // pip reads an index page only as HTML (or PEP 691's JSON)
        if (url === "/simple/" || url === "/simple") {
            res.end(`<!DOCTYPE html><html><body><a href="/simple/${name}/">${name}</a></body></html>`);
        } else if (url === `/simple/${name}/` || url === `/simple/${name}`) {
            res.end(`<!DOCTYPE html><html><body>\n${links}\n</body></html>`);
        } else if (url.startsWith("/files/") && wheels.some(w => path.basename(w) === url.slice(7))) {
            res.setHeader("Content-Type", "application/octet-stream");
            res.end(fs.readFileSync(path.join(dir, url.slice(7))));
        } else {
            res.statusCode = 404;
            res.end("not found");
        }
    });
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    return {
        url: `http://127.0.0.1:${port}/simple/`,
        fetched,
        close: () =>
            new Promise<void>(resolve => {
                server.close(() => resolve());
                fs.rmSync(dir, { recursive: true, force: true });
            }),
    };
}
