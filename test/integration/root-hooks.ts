/**
 * Hooks of the whole integration run: at its end, the folders that stood in for claims and NFS
 * exports go, whichever test made them.
 */
import { removeStandIns } from "../../testbed/volumes";

export const mochaHooks = {
    afterAll() {
        removeStandIns();
    },
};
