import * as assert from "assert";
import { parseConfig } from "../../lib/config";
import { problemsOf as configProblems } from "./config-problems";
import { Software, isPipRequirement, laptopPipInstall, requirementName, softwareBuildArgs } from "../../lib/software";
import { MOCK_ENVIRONMENT, find, runProgram } from "../../testbed/program";

const REGISTRY = { registry: "registry.example.com/team" };

/** The problems in `raw` on a stack that keeps its images in the local engine (no registry needed). */
const problemsOf = (raw: Record<string, string>) => configProblems({ push: "false", ...raw });

const list = (...items: string[]) => JSON.stringify(items);
const NOTHING_ADDED: Software = {
    pythonStack: "pypi",
    caCertificates: "",
    aptPackages: [],
    pipPackages: [],
    pipIndexUrl: "",
    pipExtraIndexUrl: "",
    baseImage: "",
};

describe("your own software (aptPackages, pipPackages, pipIndexUrl, baseImage)", () => {
    describe("settings", () => {
        it("accepts Debian package names and pip requirements of every usual form", () => {
            const c = parseConfig(
                {
                    push: "false",
                    aptPackages: list("python3-numpy", "libg++6", "python3.13-dev"),
                    pipPackages: list("numpy", "numpy==2.2.4", "numpy>=2,<3", "dask[distributed]~=2025.1", "zarr >= 3"),
                },
                "dev",
            );
            assert.deepStrictEqual(c.software.aptPackages, ["python3-numpy", "libg++6", "python3.13-dev"]);
            assert.strictEqual(c.software.pipPackages.length, 5);
        });

        it("defaults to nothing added, and the pypi stack", () => {
            assert.deepStrictEqual(parseConfig({ push: "false" }, "dev").software, NOTHING_ADDED);
        });

        it("refuses an invalid Debian package name, naming the item", () => {
            assert.deepStrictEqual(problemsOf({ aptPackages: list("python3-numpy", "Numpy") }), [
                'ipp-cluster:aptPackages[1] must be a Debian package name: lowercase letters, digits, "+", "-" and ".", at least two characters, starting with a letter or digit, such as python3-numpy; got "Numpy".',
            ]);
        });

        for (const bad of ["--index-url=https://x", "numpy; python_version<'3.9'", "https://example.com/x.whl", "./pkg", "numpy=2", "numpy==", ""]) {
            it(`refuses the pip requirement ${JSON.stringify(bad)}`, () => {
                assert.deepStrictEqual(problemsOf({ pipPackages: list(bad) }), [
                    `ipp-cluster:pipPackages[0] must be a pip requirement: a project name with optional [extras] and version specifiers, such as numpy, numpy==2.2.4 or numpy>=2,<3 (no options, URLs, paths or markers); got ${JSON.stringify(bad)}.`,
                ]);
            });
        }

        it("refuses a list given as a plain string, saying how to set one", () => {
            assert.deepStrictEqual(problemsOf({ aptPackages: "python3-numpy" }), [
                "ipp-cluster:aptPackages must be a list of strings, set with `pulumi config set --path 'aptPackages[0]' VALUE`; got \"python3-numpy\".",
            ]);
        });

        it("refuses an index that is not http(s)", () => {
            assert.deepStrictEqual(problemsOf({ pipExtraIndexUrl: "ftp://mirror.example.com/simple" }), [
                'ipp-cluster:pipExtraIndexUrl must be an http or https URL, such as https://pypi.example.com/simple; got "ftp://mirror.example.com/simple".',
            ]);
        });

        it("refuses an index URL with credentials, and never repeats the password", () => {
            const problems = problemsOf({ pipIndexUrl: "https://alice:s3cret-token@pypi.example.com/simple" });
            assert.strictEqual(problems.length, 1);
            assert.match(problems[0], /^ipp-cluster:pipIndexUrl must not carry credentials: build arguments stay readable in the image's history/);
            assert.ok(problems[0].endsWith('got "https://***@pypi.example.com/simple".'), problems[0]);
            assert.ok(!problems[0].includes("s3cret-token") && !problems[0].includes("alice"));
        });

        it("refuses baseImage together with an osImage of the user's", () => {
            assert.deepStrictEqual(problemsOf({ baseImage: "ghcr.io/org/science:2025.1", osImage: "debian:trixie" }), [
                'ipp-cluster:baseImage and ipp-cluster:osImage cannot both be set: baseImage replaces the image ours is built from. Remove one (`pulumi config rm osImage`); got baseImage "ghcr.io/org/science:2025.1" and osImage "debian:trixie".',
            ]);
        });

        it("refuses baseImage whenever the stack sets osImage, even to its default", () => {
            assert.deepStrictEqual(problemsOf({ baseImage: "ghcr.io/org/science:2025.1", osImage: "debian:trixie-slim" }), [
                'ipp-cluster:baseImage and ipp-cluster:osImage cannot both be set: baseImage replaces the image ours is built from. Remove one (`pulumi config rm osImage`); got baseImage "ghcr.io/org/science:2025.1" and osImage "debian:trixie-slim".',
            ]);
            assert.deepStrictEqual(problemsOf({ baseImage: "ghcr.io/org/science:2025.1" }), []);
        });

        it("refuses a baseImage that is not an image reference", () => {
            assert.deepStrictEqual(problemsOf({ baseImage: "Science Image" }), [
                'ipp-cluster:baseImage must be an image reference such as ghcr.io/org/science:2025.1; got "Science Image".',
            ]);
        });

        it("fails the program before anything is declared", async () => {
            await assert.rejects(runProgram({ ...REGISTRY, aptPackages: list("BAD") }), (e: Error & { declared?: number }) => {
                assert.match(e.message, /^ipp-cluster:aptPackages\[0\] must be a Debian package name/);
                assert.strictEqual(e.declared, 0);
                return true;
            });
        });
    });

    describe("requirements", () => {
        it("name their project", () => {
            assert.deepStrictEqual(["numpy>=2,<3", "dask[distributed]~=2025.1", "zope.interface", "a_b-c==1"].map(requirementName), [
                "numpy",
                "dask",
                "zope.interface",
                "a_b-c",
            ]);
            assert.ok(!isPipRequirement("-r requirements.txt"));
        });
    });

    describe("build arguments", () => {
        it("name the Python stack, and nothing else when nothing is added", () => {
            assert.deepStrictEqual(softwareBuildArgs({ ...NOTHING_ADDED, pythonStack: "pypi" }), { PYTHON_STACK: "pypi" });
            assert.deepStrictEqual(softwareBuildArgs({ ...NOTHING_ADDED, pythonStack: "debian" }), { PYTHON_STACK: "debian" });
        });

        it("carry the packages, the indexes, and trust for plain-http indexes", () => {
            assert.deepStrictEqual(
                softwareBuildArgs({
                    ...NOTHING_ADDED,
                    aptPackages: ["python3-numpy", "python3-scipy"],
                    pipPackages: ["numpy>=2,<3", "ippdemo==0.2.0"],
                    pipIndexUrl: "http://127.0.0.1:8080/simple/",
                    pipExtraIndexUrl: "https://pypi.example.com/simple",
                    baseImage: "",
                }),
                {
                    PYTHON_STACK: "pypi",
                    APT_PACKAGES: "python3-numpy python3-scipy",
                    PIP_REQUIREMENTS: "numpy>=2,<3\nippdemo==0.2.0",
                    PIP_INDEX_URL: "http://127.0.0.1:8080/simple/",
                    PIP_EXTRA_INDEX_URL: "https://pypi.example.com/simple",
                    PIP_TRUSTED_HOST: "127.0.0.1",
                },
            );
        });
    });

    describe("in the program", () => {
        it("builds our base with the packages as build arguments; frontend and worker build FROM it", async () => {
            const run = await runProgram({
                ...REGISTRY,
                aptPackages: list("python3-numpy"),
                pipPackages: list("ippdemo==0.2.0"),
                pipIndexUrl: "https://pypi.example.com/simple",
            });
            const base = find(run, "Image", "ipp-images-base");
            assert.strictEqual(base.inputs.build.dockerfile, "images/base/Dockerfile");
            assert.deepStrictEqual(base.inputs.build.args, {
                OS_IMAGE: "debian:trixie-slim",
                PYTHON_STACK: "pypi",
                APT_PACKAGES: "python3-numpy",
                PIP_REQUIREMENTS: "ippdemo==0.2.0",
                PIP_INDEX_URL: "https://pypi.example.com/simple",
            });
            for (const kind of ["frontend", "worker"]) {
                assert.ok(find(run, "Image", `ipp-images-${kind}`).dependencies.includes(base.urn), `${kind} must build from the base`);
            }
        });

        it("builds on the user's base image with the custom Dockerfile, the OS image supplying tini", async () => {
            const run = await runProgram({ ...REGISTRY, baseImage: "ghcr.io/org/science:2025.1", aptPackages: list("python3-numpy") });
            const base = find(run, "Image", "ipp-images-base").inputs.build;
            assert.strictEqual(base.dockerfile, "images/base/custom.Dockerfile");
            assert.strictEqual(base.context, "images/base");
            assert.deepStrictEqual(base.args, { BASE_IMAGE: "ghcr.io/org/science:2025.1", TOOLS_IMAGE: "debian:trixie-slim", APT_PACKAGES: "python3-numpy" });
        });

        it("reports the environment read out of the built worker image, again whenever the image changes", async () => {
            const run = await runProgram(REGISTRY);
            const record = find(run, "Command", "ipp-images-environment");
            const worker = run.outputs.imageDigests.worker;
            assert.strictEqual(record.inputs.create, `docker run --rm --network=none --entrypoint cat ${worker} /etc/ipp/environment.json`);
            assert.deepStrictEqual(record.inputs.triggers, [worker]);
            assert.deepStrictEqual(run.outputs.environment, MOCK_ENVIRONMENT);
            assert.ok(!run.secretOutputs.includes("environment"));
        });

        it("derives the laptop's pip command from that record: ipyparallel, pyzmq and every pip package at the images' versions", async () => {
            const run = await runProgram(REGISTRY);
            assert.strictEqual(run.outputs.laptopPipInstall, "pip install ipyparallel==9.2.0 pyzmq==27.3.0 numpy==2.3.5");
            assert.strictEqual(
                laptopPipInstall({ ...MOCK_ENVIRONMENT, ipyparallel: "8.8.0", pyzmq: "26.4.0", pipPackages: { ippdemo: "0.1.0", missing: null } }),
                "pip install ipyparallel==8.8.0 pyzmq==26.4.0 ippdemo==0.1.0",
            );
        });
    });
});
