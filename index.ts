/**
 * The stack program: the cluster component with this stack's config. Every setting is declared in
 * Pulumi.yaml and checked by the component before anything is declared.
 */
import { Cluster, outputsOf } from "./components/cluster";
import { settingsFromConfig } from "./lib/config";

export = async () => {
    // Its objects keep the URNs they had when this program declared them itself (by aliases).
    const cluster = new Cluster("ipp", settingsFromConfig());
    // Only the outputs that apply: Pulumi warns about every undefined stack output.
    return outputsOf(cluster);
};
