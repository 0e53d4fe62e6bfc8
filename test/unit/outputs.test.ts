import * as assert from "assert";
import { runProgram } from "../../testbed/program";

const REGISTRY = { registry: "registry.example.com/team" };
const COMMANDS = ["frontendPython", "frontendShell", "seedTest", "workerShells"];
const COMMON = [
    "engines",
    "environment",
    "imageDigests",
    "laptopClientFile",
    "laptopPipInstall",
    "metricsUrl",
    "target",
    "workerGroups",
    "workers",
    ...COMMANDS,
];
const KUBERNETES = [...COMMON, "clientPortForward", "frontendPod", "metricsPortForward", "namespace", "service", "workerDeployment", "workerDeployments"];
const DOCKER = [...COMMON, "frontendContainer", "network", "watcherContainer", "workerContainers"];

const CASES: { what: string; config: Record<string, string>; stack?: string; outputs: string[]; secret: string[] }[] = [
    {
        what: "a Kubernetes stack",
        config: REGISTRY,
        outputs: [...KUBERNETES, "notebookPortForward", "notebookStorage", "notebookUrl"],
        secret: ["laptopClientFile", "notebookUrl"],
    },
    { what: "a Kubernetes stack without a notebook", config: { ...REGISTRY, notebook: "false" }, outputs: KUBERNETES, secret: ["laptopClientFile"] },
    {
        what: "a Kubernetes stack with a NodePort notebook",
        config: { ...REGISTRY, notebookServiceType: "NodePort" },
        outputs: [...KUBERNETES, "notebookNodePort", "notebookPortForward", "notebookStorage", "notebookUrl"],
        secret: ["laptopClientFile", "notebookUrl"],
    },
    {
        what: "a Kubernetes stack with a LoadBalancer notebook and registry credentials",
        config: { ...REGISTRY, notebookServiceType: "LoadBalancer", registryUsername: "alice", registryPassword: "s3cret" },
        outputs: [...KUBERNETES, "notebookExternalUrl", "notebookPortForward", "notebookStorage", "notebookUrl"],
        secret: ["laptopClientFile", "notebookExternalUrl", "notebookUrl"],
    },
    {
        what: "a Docker stack",
        config: { target: "docker", push: "false" },
        stack: "local",
        outputs: [...DOCKER, "notebookContainer", "notebookStorage", "notebookUrl"],
        secret: ["laptopClientFile", "notebookUrl"],
    },
    {
        what: "a Kubernetes stack whose notebook home lives only as long as the Pod",
        config: { ...REGISTRY, notebookStorage: "" },
        outputs: [...KUBERNETES, "notebookPortForward", "notebookUrl"],
        secret: ["laptopClientFile", "notebookUrl"],
    },
    {
        what: "a Docker stack whose notebook home lives only as long as the container",
        config: { target: "docker", push: "false", notebookStorage: "" },
        stack: "local",
        outputs: [...DOCKER, "notebookContainer", "notebookUrl"],
        secret: ["laptopClientFile", "notebookUrl"],
    },
    {
        what: "a Docker stack without a notebook",
        config: { target: "docker", push: "false", notebook: "false" },
        stack: "local",
        outputs: DOCKER,
        secret: ["laptopClientFile"],
    },
];

describe("stack outputs", () => {
    for (const c of CASES) {
        describe(c.what, () => {
            let run: Awaited<ReturnType<typeof runProgram>>;
            before(async () => {
                run = await runProgram(c.config, { stack: c.stack });
            });

            it("exports exactly the outputs that apply, each with a value", () => {
                assert.deepStrictEqual(Object.keys(run.outputs).sort(), [...c.outputs].sort());
                for (const [name, value] of Object.entries(run.outputs)) assert.notStrictEqual(value, undefined, name);
            });

            it("keeps secret exactly the outputs that carry the key or the token", () => {
                assert.deepStrictEqual([...run.secretOutputs].sort(), [...c.secret].sort());
            });

            it("runs without a single warning from the Pulumi runtime", () => {
                assert.deepStrictEqual(run.warnings, []);
            });
        });
    }

    it("the check can fail: a program that leaves an output undefined is warned about", async () => {
        const run = await runProgram({ ...REGISTRY }, { program: async () => ({ fine: "yes", missing: undefined }) });
        assert.deepStrictEqual(run.warnings, ["warning: [runtime] Undefined value (missing) will not show as a stack output."]);
    });
});
