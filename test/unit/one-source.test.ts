import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { MAX_ENGINES_PER_WORKER } from "../../lib/groups";
import { FILES, PATHS } from "../../lib/names";
import { POD_NAME_VARIABLE, WORKER_GRACE_SECONDS, workerEnv } from "../../lib/runtime";
import { DESTROY_GRACE_SECONDS } from "../../lib/docker/containers";
import { readSchema } from "../../lib/config";
import { hubSettings } from "../../lib/hub-settings";

/**
 * What the program and a script in an image must agree on, read from both sides: the scripts run in
 * the images, so they cannot import the program's constants; this test fails when the two differ.
 */

const ROOT = path.resolve(__dirname, "../..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
const WORKER_SETTINGS = "images/worker/ipp_worker/settings.py";

/** The number a Python module assigns to `name` at its top level (`NAME = 7.0  # ...`). */
function pythonNumber(file: string, name: string): number {
    const m = new RegExp(`^${name} = ([0-9.]+)\\b`, "m").exec(read(file));
    assert.ok(m, `${file} assigns no number to ${name}`);
    return Number(m[1]);
}

describe("one source for what the program and the images both need", () => {
    it("the engines a pod may run: the program's bound is the worker's, Pulumi.yaml's and the README's", () => {
        assert.strictEqual(pythonNumber(WORKER_SETTINGS, "MAX_ENGINES"), MAX_ENGINES_PER_WORKER);
        assert.match(readSchema().enginesPerWorker.description, new RegExp(`\\(1 to ${MAX_ENGINES_PER_WORKER}\\)`));
        assert.ok(read("README.md").includes(`integer, 1 to ${MAX_ENGINES_PER_WORKER}: engines in each worker pod`), "README's settings table");
    });

    it("the worker's whole shutdown fits inside a worker pod's grace period, and a Docker container's", () => {
        const shutdown =
            pythonNumber(WORKER_SETTINGS, "QUERY_TIMEOUT_MS") / 1000 +
            pythonNumber(WORKER_SETTINGS, "STOP_SECONDS") +
            pythonNumber(WORKER_SETTINGS, "REPORT_CLOSE_SECONDS");
        // A second to spare for the kills and the exit.
        assert.ok(shutdown + 1 <= WORKER_GRACE_SECONDS, `${shutdown} s of shutdown against a grace period of ${WORKER_GRACE_SECONDS} s`);
        assert.ok(shutdown + 1 <= DESTROY_GRACE_SECONDS);
    });

    it("the worker reads exactly the environment the program gives it (and engines see the group and the pod)", () => {
        const text = read(WORKER_SETTINGS);
        const read_ = [...text.matchAll(/(?:required_env|required_seconds|required_count|optional_switch|os\.environ\.get)\("(IPP_[A-Z_]+)"/g)].map(m => m[1]);
        assert.ok(read_.length >= 6, `found ${read_}`);
        const given = [...workerEnv("default", 1, "http://watcher:10121", hubSettings(1)).map(v => v.name), POD_NAME_VARIABLE];
        assert.deepStrictEqual([...new Set(read_)].sort(), given.sort());
    });

    it("the connection files' names: the frontend's entrypoint keys the files the ConfigMaps hold", () => {
        const m = /^FILES = \(("[^"]+"), ("[^"]+")\)$/m.exec(read("images/frontend/ipp-frontend"));
        assert.ok(m, "images/frontend/ipp-frontend names no FILES");
        assert.deepStrictEqual([JSON.parse(m[1]), JSON.parse(m[2])], [FILES.engine, FILES.client]);
    });

    it("where the base image records what it holds: the build writes the file the program reads", () => {
        const script = read("images/base/install-packages");
        assert.ok(script.includes(`> ${PATHS.environmentFile}`), `install-packages does not write ${PATHS.environmentFile}`);
    });
});
