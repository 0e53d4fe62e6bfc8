import * as assert from "assert";
import { HEARTBEAT_MISSES, HEARTBEAT_MS, REGISTRATION_SECONDS, SMALL_CLUSTER, hubSettings } from "../../lib/hub-settings";
import { controllerCommand, workerEnv } from "../../lib/runtime";

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
});
