import * as assert from "assert";
import { HEARTBEAT_MISSES, HEARTBEAT_MS, REGISTRATION_SECONDS, SMALL_CLUSTER, hubSettings } from "../../lib/hub-settings";
import { controllerCommand, workerEnv } from "../../lib/runtime";
import { CONTAINERS } from "../../lib/names";
import { runProgram } from "../../testbed/program";

const TODAY = { heartbeatMs: 1000, heartbeatMisses: 8, registrationSeconds: 120 };

describe("the controller's timing follows the cluster's size", () => {
    it("every cluster up to the size where the fixed settings measured right keeps them exactly", () => {
        assert.deepStrictEqual({ heartbeatMs: HEARTBEAT_MS, heartbeatMisses: HEARTBEAT_MISSES, registrationSeconds: REGISTRATION_SECONDS }, TODAY);
        for (const engines of [0, 1, 16, 512, 1000, 2000, SMALL_CLUSTER]) assert.deepStrictEqual(hubSettings(engines), TODAY, `${engines} engines`);
    });

    it("beyond it, a longer heartbeat and a registration timeout that grows with the square of the engines", () => {
        assert.deepStrictEqual(hubSettings(SMALL_CLUSTER + 1), { heartbeatMs: 2000, heartbeatMisses: 8, registrationSeconds: 180 });
        assert.deepStrictEqual(hubSettings(8000), { heartbeatMs: 2000, heartbeatMisses: 8, registrationSeconds: 390 });
        assert.deepStrictEqual(hubSettings(10000), { heartbeatMs: 2000, heartbeatMisses: 8, registrationSeconds: 600 });
        assert.deepStrictEqual(hubSettings(20000), { heartbeatMs: 4000, heartbeatMisses: 8, registrationSeconds: 2400 });
    });

    it("never shortens anything as the cluster grows", () => {
        let last = hubSettings(0);
        for (let engines = 1; engines <= 30000; engines += 97) {
            const s = hubSettings(engines);
            assert.ok(s.heartbeatMs >= last.heartbeatMs && s.registrationSeconds >= last.registrationSeconds, `${engines} engines`);
            assert.strictEqual(s.registrationSeconds % 30, 0);
            last = s;
        }
    });

    it("the controller's flags and the workers' registration wait come from the same settings", () => {
        const hub = hubSettings(10000);
        const flags = controllerCommand(hub, "2Gi");
        assert.ok(flags.includes("--ping=2000"), flags.join(" "));
        assert.ok(flags.includes("--HeartMonitor.max_heartmonitor_misses=8"));
        assert.ok(flags.includes("--IPController.registration_timeout=600"));
        const env = workerEnv("default", 8, "http://watcher:10121", hub);
        assert.strictEqual(env.find(v => v.name === "IPP_REGISTRATION_SECONDS")?.value, "600");
    });

    it("frontendMemory is held to the engines only beyond the 1,000 every earlier stack could have", async () => {
        const small = { registry: "registry.example.com/team", workers: "1000", frontendMemory: "256Mi", notebook: "false" };
        assert.strictEqual((await runProgram(small)).resources.filter(r => r.type === "kubernetes:apps/v1:Deployment").length, 1);
        await assert.rejects(
            runProgram({ ...small, workers: "1001" }),
            /ipp-cluster:frontendMemory must hold the controller of 1001 engines and its results \(a quarter\): at least 1009Mi; got "256Mi"\./,
        );
    });

    it("a 2,000-engine stack is taken with the default controller memory", async () => {
        const run = await runProgram({ registry: "registry.example.com/team", workers: "250", enginesPerWorker: "8", workerMemory: "2Gi" });
        assert.strictEqual(run.resources.filter(r => r.type === "kubernetes:apps/v1:Deployment")[0].inputs.spec.replicas, 250);
        assert.deepStrictEqual(run.warnings, []);
    });

    it("an 8,000-engine stack, given memory for its controller, declares the derived settings, for the controller and every worker", async () => {
        const stack = { registry: "registry.example.com/team", workers: "1000", enginesPerWorker: "8", workerMemory: "2Gi", notebook: "false" };
        await assert.rejects(
            runProgram(stack),
            /ipp-cluster:frontendMemory must hold the controller of 8000 engines and its results \(a quarter\): at least 5675Mi; got "2Gi"\./,
        );
        const run = await runProgram({ ...stack, frontendMemory: "6Gi" });
        const [pod] = run.resources.filter(r => r.type === "kubernetes:core/v1:Pod");
        const controller = pod.inputs.spec.containers.find((c: { name: string }) => c.name === CONTAINERS.controller);
        assert.ok(controller.args.includes("--ping=2000"), controller.args.join(" "));
        assert.ok(controller.args.includes("--IPController.registration_timeout=390"), controller.args.join(" "));
        const [deployment] = run.resources.filter(r => r.type === "kubernetes:apps/v1:Deployment");
        assert.strictEqual(deployment.inputs.spec.replicas, 1000);
        const env = deployment.inputs.spec.template.spec.containers[0].env;
        assert.strictEqual(env.find((v: { name: string }) => v.name === "IPP_REGISTRATION_SECONDS").value, "390");
        assert.deepStrictEqual(run.warnings, []);
    });
});
