import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseConfig, readSchema } from "../../lib/config";
import { runProgram } from "../../testbed/program";
import { problemsOf } from "./config-problems";

const REGISTRY = { registry: "localhost:5000" };

describe("stack configuration", () => {
    describe("workers", () => {
        for (const bad of ["-1", "abc", "2.5", "100000", "1001", "", " 3", "0x10"]) {
            it(`rejects workers = ${JSON.stringify(bad)} with a message naming the key, the value and the range`, () => {
                assert.deepStrictEqual(problemsOf({ ...REGISTRY, workers: bad }), [
                    `ipp-cluster:workers must be an integer from 0 to 1000; got ${JSON.stringify(bad)}.`,
                ]);
            });
        }
        for (const [good, expected] of [
            ["0", 0],
            ["64", 64],
            ["1000", 1000],
        ] as const) {
            it(`accepts workers = ${good}`, () => {
                assert.strictEqual(parseConfig({ ...REGISTRY, workers: good }, "dev").workerGroups[0].workers, expected);
            });
        }
        it("defaults to 2 workers", () => {
            assert.strictEqual(parseConfig(REGISTRY, "dev").workerGroups[0].workers, 2);
        });
    });

    describe("registry", () => {
        const allowed =
            "a lowercase registry host with an optional port and lowercase path, without a scheme, such as ghcr.io/org/team, docker.io/alice or localhost:5000";
        for (const bad of ["not a registry", "https://reg.example.com/x", "ghcr.io/Org/team", "ghcr.io/org/", "alice", "localhost:5000/a b"]) {
            it(`rejects registry = ${JSON.stringify(bad)}`, () => {
                assert.deepStrictEqual(problemsOf({ registry: bad }), [`ipp-cluster:registry must be ${allowed}; got ${JSON.stringify(bad)}.`]);
            });
        }
        for (const good of [
            "localhost:5000",
            "ghcr.io/org/team",
            "docker.io/alice",
            "127.0.0.1:5000/ipp-test",
            "registry:5000/a/b_c",
            "my-reg.example.com:443/x.y",
        ]) {
            it(`accepts registry = ${good}`, () => {
                assert.strictEqual(parseConfig({ registry: good }, "dev").registry, good);
            });
        }
        it("is required when push is true, and the error says what to set", () => {
            const problems = problemsOf({});
            assert.strictEqual(problems.length, 1);
            assert.match(problems[0], /^ipp-cluster:registry must be set when ipp-cluster:push is true/);
            assert.match(problems[0], /pulumi config set registry /);
            assert.match(problems[0], /pulumi config set push false/);
        });
        it("is optional when push is false", () => {
            const config = parseConfig({ push: "false" }, "dev");
            assert.strictEqual(config.registry, "");
            assert.strictEqual(config.push, false);
        });
    });

    describe("booleans", () => {
        for (const name of ["push", "createNamespace"]) {
            it(`rejects ${name} = "yes"`, () => {
                assert.deepStrictEqual(problemsOf({ ...REGISTRY, [name]: "yes" }), [`ipp-cluster:${name} must be true or false; got "yes".`]);
            });
        }
    });

    describe("registry credentials", () => {
        it("needs the user name and the password together", () => {
            assert.deepStrictEqual(problemsOf({ ...REGISTRY, registryUsername: "alice" }), [
                "ipp-cluster:registryUsername and ipp-cluster:registryPassword must be set together; only one is set.",
            ]);
        });
        it("needs a registry", () => {
            assert.deepStrictEqual(problemsOf({ push: "false", registryUsername: "alice", registryPassword: "pw" }), [
                "ipp-cluster:registryUsername is set but ipp-cluster:registry is empty; the credentials need a registry.",
            ]);
        });
    });

    describe("namespace", () => {
        it("defaults to ipp-<stack>, made a DNS label", () => {
            assert.strictEqual(parseConfig(REGISTRY, "dev").namespace, "ipp-dev");
            assert.strictEqual(parseConfig(REGISTRY, "My_Stack.1").namespace, "ipp-my-stack-1");
        });
        it("rejects a name that is not a DNS label", () => {
            assert.deepStrictEqual(problemsOf({ ...REGISTRY, namespace: "Science_Team" }), [
                'ipp-cluster:namespace must be a DNS label: at most 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit; got "Science_Team".',
            ]);
        });
    });

    describe("osImage", () => {
        for (const good of ["debian:trixie-slim", "debian:trixie", "registry.example.com:5000/base/debian:trixie", `debian@sha256:${"a".repeat(64)}`]) {
            it(`accepts ${good}`, () => assert.strictEqual(parseConfig({ ...REGISTRY, osImage: good }, "dev").osImage, good));
        }
        for (const bad of ["debian trixie", "https://debian", "Debian:trixie", "debian:", "debian@sha256:xyz"]) {
            it(`rejects ${JSON.stringify(bad)}`, () => {
                assert.deepStrictEqual(problemsOf({ ...REGISTRY, osImage: bad }), [
                    `ipp-cluster:osImage must be an image reference such as debian:trixie-slim or registry.example.com/debian:trixie; got ${JSON.stringify(bad)}.`,
                ]);
            });
        }
    });

    describe("cpu and memory", () => {
        it("accepts Kubernetes quantities", () => {
            const c = parseConfig({ ...REGISTRY, workerCpu: "2.5", workerMemory: "4Gi", frontendCpu: "750m", frontendMemory: "1G" }, "dev");
            assert.deepStrictEqual([c.workerGroups[0].cpu, c.workerGroups[0].memory], ["2.5", "4Gi"]);
            assert.deepStrictEqual(c.frontend, { cpu: "750m", memory: "1G" });
        });
        it("rejects a CPU that is not a positive quantity", () => {
            assert.deepStrictEqual(problemsOf({ ...REGISTRY, workerCpu: "0" }), [
                'ipp-cluster:workerCpu must be a positive Kubernetes CPU quantity, such as 500m, 1 or 2.5; got "0".',
            ]);
        });
        it("rejects memory below 128Mi, such as a unit left out", () => {
            assert.deepStrictEqual(problemsOf({ ...REGISTRY, frontendMemory: "512" }), [
                'ipp-cluster:frontendMemory must be a Kubernetes memory quantity of at least 128Mi, such as 512Mi or 2Gi; got "512".',
            ]);
        });
    });

    it("reports every problem at once", () => {
        assert.throws(
            () => parseConfig({ workers: "-1", registry: "not a registry", workerCpu: "lots" }, "dev"),
            (e: Error) => e.message.startsWith("Invalid stack configuration:\n  ipp-cluster:registry") && e.message.split("\n").length === 4,
        );
    });

    describe("Pulumi.yaml, the one declaration of every setting", () => {
        const schema = readSchema();
        it("gives every setting a type, a default and a description", () => {
            for (const [name, spec] of Object.entries(schema)) {
                assert.ok(["string", "integer", "boolean", "array", "object"].includes(spec.type), `${name}: type ${spec.type}`);
                assert.ok(spec.default !== undefined, `${name} has no default`);
                assert.ok(spec.description.length > 10, `${name} has no description`);
            }
        });
        it("supplies the defaults parseConfig applies", () => {
            const c = parseConfig({ push: "false" }, "dev", {
                ...schema,
                workers: { ...schema.workers, default: 7 },
                frontendCpu: { ...schema.frontendCpu, default: "3" },
            });
            assert.deepStrictEqual([c.workerGroups[0].workers, c.frontend.cpu], [7, "3"]);
        });
        it("refuses a setting declared there that the program never reads", () => {
            const extra = { ...schema, gpus: { type: "integer" as const, default: 0, description: "GPUs per worker, unused." } };
            assert.throws(() => parseConfig({ push: "false" }, "dev", extra), { message: "Pulumi.yaml declares settings the program never reads: gpus" });
        });
        it("refuses a setting the program reads that is not declared there", () => {
            const { osImage: _left, ...missing } = schema;
            assert.throws(() => parseConfig({ push: "false" }, "dev", missing), {
                message: "ipp-cluster:osImage is read by the program but not declared in Pulumi.yaml",
            });
        });
    });

    describe("when the program loads", () => {
        it("fails before declaring anything when a value is invalid", async () => {
            await assert.rejects(runProgram({ workers: "abc", registry: "localhost:5000" }), (e: Error & { declared?: number }) => {
                assert.strictEqual(e.message, 'ipp-cluster:workers must be an integer from 0 to 1000; got "abc".');
                assert.strictEqual(e.declared, 0);
                return true;
            });
        });
        for (const registry of ["not a registry", "https://reg.example.com/x"]) {
            it(`fails on registry ${JSON.stringify(registry)}`, async () => {
                await assert.rejects(runProgram({ registry }), /ipp-cluster:registry must be a lowercase registry host/);
            });
        }
    });
});

describe("the README", () => {
    const readme = fs.readFileSync(path.join(__dirname, "../../README.md"), "utf8");
    it("documents every configuration key with its default", () => {
        for (const [name, spec] of Object.entries(readSchema())) {
            const row = readme.split("\n").find(l => l.startsWith(`| \`${name}\` |`));
            assert.ok(row, `the README's configuration table has no row for ${name}`);
            const shown = typeof spec.default === "object" ? JSON.stringify(spec.default) : String(spec.default);
            if (shown !== "") assert.ok(row!.includes(`\`${shown}\``), `the README gives another default for ${name}: ${row}`);
        }
    });
});
