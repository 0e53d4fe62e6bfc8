/**
 * One way from a stack's settings to a running cluster, for the integration tests and the benchmarks:
 * the program under mocks with its images really built (and pushed, unless `push` is false), what it
 * declared as a kubelet reads it, and clusters of it that the test kubelet runs as containers.
 */
import { ProgramRun, RunOptions, runProgram } from "./program";
import { BuildRecord, buildingNewResource } from "./build";
import { DeclaredObjects } from "./declared";
import { Kubelet } from "./kubelet";
import { TestCluster } from "./cluster";
import { removeTestContainers, requireEngine } from "./docker-cli";
import { machineCaSettings } from "./ca";

export interface Deployment {
    run: ProgramRun;
    objects: DeclaredObjects;
    /** The images built for it, with their times. */
    builds: BuildRecord[];
    /** A cluster of these objects, its containers labelled with `label` (a run's own label). */
    cluster(label: string): TestCluster;
}

/**
 * Runs the program with `config` (the project's keys without their prefix), building its images for
 * real. The builds trust this machine's own CA certificates (a proxy's), as a user behind such a proxy
 * would set it, unless the config says otherwise (a base image of its own, or `buildCaCertificates`).
 * With `program` (another program that declares the component), that program chooses the settings.
 */
export async function deploy(config: Record<string, string>, opts: Pick<RunOptions, "stack" | "project" | "program"> = {}): Promise<Deployment> {
    const builds: BuildRecord[] = [];
    const settings = config.baseImage ? config : { ...machineCaSettings(), ...config };
    const run = await runProgram(settings, { ...opts, newResource: buildingNewResource(builds) });
    const objects = new DeclaredObjects(run);
    return { run, objects, builds, cluster: label => new TestCluster(objects, new Kubelet(objects, label)) };
}

/** Before a run: a Docker engine answers (or this fails, saying why), and no container of an earlier run is left. Returns how many were removed. */
export async function cleanEngine(): Promise<number> {
    await requireEngine();
    return removeTestContainers();
}
