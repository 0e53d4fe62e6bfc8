import * as assert from "assert";
import { ProgramRun, find, ofType, runProgram } from "../../testbed/program";

describe("worker groups on Docker", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram(
            {
                target: "docker",
                push: "false",
                workerGroups: JSON.stringify([
                    { name: "default", workers: 2 },
                    { name: "big", workers: 1, enginesPerWorker: 2, gpus: 1 },
                ]),
            },
            { stack: "local" },
        );
    });

    it("runs each group's containers, named after the group, the default group's as before", () => {
        // By name: registrations complete in any order.
        const containers = ofType(run, "Container")
            .filter(c => c.name.startsWith("ipp-cluster-worker"))
            .sort((a, b) => a.name.localeCompare(b.name));
        assert.deepStrictEqual(
            containers.map(c => [c.name, c.inputs.name, c.inputs.hostname]),
            [
                ["ipp-cluster-worker-1", "ipp-local-worker-1", "ipp-local-worker-1"],
                ["ipp-cluster-worker-2", "ipp-local-worker-2", "ipp-local-worker-2"],
                ["ipp-cluster-worker-big-1", "ipp-local-worker-big-1", "ipp-local-worker-big-1"],
            ],
        );
        assert.deepStrictEqual(run.outputs.workerContainers, ["ipp-local-worker-1", "ipp-local-worker-2", "ipp-local-worker-big-1"]);
        assert.deepStrictEqual([run.outputs.workers, run.outputs.engines], [3, 4]);
        assert.deepStrictEqual(run.warnings, []);
    });

    it("tells each engine its group, its container and its engines; asks Docker for the GPUs of a group that has some", () => {
        const byName = (name: string) => find(run, "Container", name).inputs;
        const envOf = (c: any) => Object.fromEntries(c.envs.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));
        const big = byName("ipp-cluster-worker-big-1");
        assert.deepStrictEqual(
            [envOf(big).IPP_WORKER_GROUP, envOf(big).IPP_POD_NAME, envOf(big).IPP_ENGINES, big.gpus],
            ["big", "ipp-local-worker-big-1", "2", "all"],
        );
        const one = byName("ipp-cluster-worker-1");
        assert.deepStrictEqual(
            [envOf(one).IPP_WORKER_GROUP, envOf(one).IPP_POD_NAME, envOf(one).IPP_ENGINES, one.gpus],
            ["default", "ipp-local-worker-1", "1", undefined],
        );
        assert.ok(big.labels.some((l: any) => l.label === "ipp-cluster/worker-group" && l.value === "big"));
    });
});
