/**
 * A bare controller and stand-in engines against it, for the stand-in's test and `npm run bench:hub`:
 * the frontend image's `ipcontroller` with the program's flags, on the host network, and containers of
 * the same image that run `ipp_worker.standin` from this repository (images/worker mounted).
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TEST_LABEL, docker } from "./docker-cli";
import { sleep } from "./time";
import { FILES } from "../lib/names";
import { frontendConnectionFiles, toJson } from "../lib/connection";
import { controllerCommand, frontendReadyCommand } from "../lib/runtime";
import { HubSettings } from "../lib/hub-settings";

const ROOT = path.resolve(__dirname, "..");

/** Inside the containers: the folder of the connection files, the stand-ins' engine file (loopback) and the key. */
export const CONN = { dir: "/conn", standinFile: "/conn/standin-engine.json", keyFile: "/conn/key", clientFile: `/conn/${FILES.client}` };

/** The keyed connection files, the stand-ins' engine file and the key, in a new folder the containers mount; remove it when done. */
export function connectionFolder(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ipp-hub-"));
    const key = randomBytes(16).toString("hex");
    const files = frontendConnectionFiles("127.0.0.1");
    fs.writeFileSync(path.join(dir, FILES.engine), toJson({ ...files.engine, key }));
    fs.writeFileSync(path.join(dir, FILES.client), toJson({ ...files.client, key }));
    fs.writeFileSync(path.join(dir, path.basename(CONN.standinFile)), toJson({ ...files.engine, interface: "tcp://127.0.0.1" }));
    fs.writeFileSync(path.join(dir, path.basename(CONN.keyFile)), key + "\n");
    fs.chmodSync(dir, 0o755);
    for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644);
    return dir;
}

/** `docker run -d` on the host network, labelled as the test's, with the connection folder mounted. */
export async function runContainer(label: string, dir: string, args: string[]): Promise<string> {
    const common = ["run", "-d", "--network=host", "--label", `${TEST_LABEL}=${label}`, "-v", `${dir}:${CONN.dir}:ro`];
    return (await docker([...common, ...args])).stdout.trim();
}

/** How a controller is started: through the frontend's entrypoint (as the program runs it) or bare, and under what open-files limit. */
export interface ControllerStart {
    /** Through `ipp-frontend`, which raises the open-files limit before it execs the controller; else `ipcontroller` itself. */
    entrypoint?: boolean;
    /** `soft:hard`, as `docker run --ulimit nofile=` takes it; else the engine's default. */
    openFiles?: string;
}

/** The controller, with the program's flags for `hub`; resolves once it listens. */
export async function startController(label: string, image: string, dir: string, hub: HubSettings, start: ControllerStart = {}): Promise<string> {
    const [command, ...flags] = controllerCommand(hub);
    const files = [`--IPController.engine_json_file=${CONN.dir}/${FILES.engine}`, `--IPController.client_json_file=${CONN.clientFile}`];
    const limit = start.openFiles ? ["--ulimit", `nofile=${start.openFiles}`] : [];
    const entrypoint = start.entrypoint
        ? [
              "-e",
              `IPP_CONNECTION_DIR=${CONN.dir}`,
              "-e",
              `IPP_KEY_FILE=${CONN.keyFile}`,
              "-e",
              "IPP_SECURITY_DIR=/tmp/ipp-security",
              "--entrypoint",
              "ipp-frontend",
              image,
              command,
          ]
        : ["--entrypoint", command, image];
    const id = await runContainer(label, dir, [...limit, ...entrypoint, ...flags, ...files]);
    for (let i = 0; i < 60; i++) {
        if ((await docker(["exec", id, ...frontendReadyCommand()], { allowFailure: true })).code === 0) return id;
        await sleep(500);
    }
    throw new Error(`the controller did not listen within 30 s:\n${(await docker(["logs", id], { allowFailure: true })).stderr}`);
}

/** A container of `image` with the worker package on its path: `command` runs in it (`sleep infinity` to exec into it). */
export function standinContainer(label: string, image: string, dir: string, command: string[]): Promise<string> {
    const worker = ["-v", `${path.join(ROOT, "images/worker")}:/standin:ro`, "-e", "PYTHONPATH=/standin"];
    return runContainer(label, dir, [...worker, "--entrypoint", command[0], image, ...command.slice(1)]);
}
