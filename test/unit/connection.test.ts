import * as assert from "assert";
import { frontendConnectionFiles, workerConnectionFile } from "../../lib/connection";
import { CONTROLLER_PORTS, portsFor } from "../../lib/ports";

// Literal expectations from ipyparallel 8.8's own files (`ipcontroller --ports=10100-10117`).
const ENGINE_KEYS = [
    "ssh",
    "interface",
    "registration",
    "control",
    "mux",
    "task",
    "iopub",
    "hb_ping",
    "hb_pong",
    "broadcast",
    "curve_serverkey",
    "location",
    "pack",
    "unpack",
    "signature_scheme",
].sort();
const CLIENT_KEYS = [
    "ssh",
    "interface",
    "registration",
    "control",
    "mux",
    "task",
    "task_scheme",
    "iopub",
    "notification",
    "broadcast",
    "curve_serverkey",
    "location",
    "pack",
    "unpack",
    "signature_scheme",
].sort();

const ENGINE_PORTS = { registration: 10100, control: 10101, mux: 10102, task: 10103, iopub: 10104, hb_ping: 10105, hb_pong: 10106, broadcast: [10107, 10108] };
const CLIENT_PORTS = { registration: 10100, control: 10109, mux: 10110, task: 10111, iopub: 10112, notification: 10113, broadcast: 10114 };
const SESSION = { pack: "json", unpack: "json", signature_scheme: "hmac-sha256", ssh: "", curve_serverkey: null };

function pick(file: object, keys: string[]) {
    return Object.fromEntries(keys.map(k => [k, (file as any)[k]]));
}

describe("connection files", () => {
    const frontend = frontendConnectionFiles("ipp-lab-frontend");
    const worker = workerConnectionFile("ipp-lab-controller");

    it("the engine files have exactly ipyparallel's engine keys, and no key", () => {
        assert.deepStrictEqual(Object.keys(frontend.engine).sort(), ENGINE_KEYS);
        assert.deepStrictEqual(Object.keys(worker).sort(), ENGINE_KEYS);
    });

    it("the client file has exactly ipyparallel's client keys, and no key", () => {
        assert.deepStrictEqual(Object.keys(frontend.client).sort(), CLIENT_KEYS);
    });

    it("the engine files carry the controller's engine ports", () => {
        assert.deepStrictEqual(pick(frontend.engine, Object.keys(ENGINE_PORTS)), ENGINE_PORTS);
        assert.deepStrictEqual(pick(worker, Object.keys(ENGINE_PORTS)), ENGINE_PORTS);
    });

    it("the client file carries the controller's client ports and the default scheduler", () => {
        assert.deepStrictEqual(pick(frontend.client, Object.keys(CLIENT_PORTS)), CLIENT_PORTS);
        assert.strictEqual(frontend.client.task_scheme, "leastload");
    });

    it("all three files agree on session settings", () => {
        for (const file of [frontend.engine, frontend.client, worker]) {
            assert.deepStrictEqual(pick(file, Object.keys(SESSION)), SESSION);
        }
    });

    it("the frontend binds every interface under one interface for both files, located at its own hostname", () => {
        assert.strictEqual(frontend.engine.interface, "tcp://*");
        assert.strictEqual(frontend.client.interface, "tcp://*");
        assert.strictEqual(frontend.engine.location, "ipp-lab-frontend");
        assert.strictEqual(frontend.client.location, "ipp-lab-frontend");
    });

    it("the workers reach the controller through the Service's name", () => {
        assert.strictEqual(worker.interface, "tcp://ipp-lab-controller");
        assert.strictEqual(worker.location, "ipp-lab-controller");
    });
});

describe("port table", () => {
    it("names every port validly for Kubernetes (at most 15 characters, lowercase, a letter, single hyphens)", () => {
        for (const { name } of CONTROLLER_PORTS) {
            assert.ok(name.length <= 15, `${name} is longer than 15 characters`);
            assert.match(name, /^[a-z0-9]+(-[a-z0-9]+)*$/, name);
            assert.match(name, /[a-z]/, name);
        }
    });

    it("has 15 distinct names and ports, 10100 to 10114", () => {
        assert.strictEqual(new Set(CONTROLLER_PORTS.map(p => p.name)).size, 15);
        assert.deepStrictEqual(
            CONTROLLER_PORTS.map(p => p.port).sort((a, b) => a - b),
            Array.from({ length: 15 }, (_, i) => 10100 + i),
        );
    });

    it("gives engines the registration port and the eight engine ports", () => {
        assert.deepStrictEqual(
            portsFor("engines").map(p => p.port),
            [10100, 10101, 10102, 10103, 10104, 10105, 10106, 10107, 10108],
        );
    });
});
