import * as assert from "assert";
import * as path from "path";
import { TestCluster } from "../../testbed/cluster";
import { REGISTRY, removeTestContainers } from "../../testbed/docker-cli";
import { Deployment, cleanEngine, deploy } from "../../testbed/deploy";
import { machineCaSettings } from "../../testbed/ca";
import { seedTestProgram } from "../../lib/commands";

const RUN_LABEL = `run-${process.pid}-${Date.now()}`;

/**
 * The cluster declared by another program (another project, as a Python program's `pulumi up` runs the
 * component): the settings of examples/python, the images built from this package's folders by
 * absolute path, and the cluster it declares run as containers.
 */
describe("the component in another program, on a real Docker engine", function () {
    this.timeout(20 * 60_000);
    let deployment: Deployment;
    let cluster: TestCluster;

    before(async () => {
        await cleanEngine();
        const settings = { ...machineCaSettings(), registry: REGISTRY, workers: 2, workerMemory: "2Gi" };
        deployment = await deploy(
            {},
            {
                project: "ipp-cluster-python",
                program: async () => {
                    // eslint-disable-next-line @typescript-eslint/no-require-imports
                    const { Cluster, outputsOf } = require("../../components/cluster");
                    return outputsOf(new Cluster("science", settings));
                },
            },
        );
        cluster = deployment.cluster(RUN_LABEL);
    });

    afterEach(async function () {
        if (this.currentTest?.state === "failed") await cluster.printLogs();
    });

    after(async () => {
        await cluster?.down();
        await removeTestContainers();
    });

    it("builds the images from this package's folders, by absolute path", () => {
        assert.deepStrictEqual(deployment.builds.map(b => b.name).sort(), ["science-images-base", "science-images-frontend", "science-images-worker"]);
        for (const image of deployment.run.resources.filter(r => r.type === "docker:index/image:Image")) {
            assert.ok(path.isAbsolute(image.inputs.build.context), image.inputs.build.context);
        }
    });

    it("runs a cluster of 2 workers whose engines answer the seed's test", async () => {
        await cluster.up();
        const out = await cluster.python("-c", [seedTestProgram()]);
        assert.strictEqual(out.code, 0, out.stderr);
        const [ids, greetings] = out.stdout.trim().split("\n");
        assert.deepStrictEqual(JSON.parse(ids), [0, 1]);
        assert.strictEqual(greetings, "['Hello, World', 'Hello, World']");
        assert.strictEqual(deployment.run.outputs.engines, 2);
    });
});
