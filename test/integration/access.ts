/**
 * How a user reaches the cluster from outside it: a notebook over HTTP, and a client on the laptop
 * with the stack's laptop client file.
 */
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { TEST_LABEL, docker } from "./docker-cli";

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
