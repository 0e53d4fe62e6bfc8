/**
 * What rolls pods when something they do not name changes: the image ID (pods may refer to an unpushed
 * image by its tag) and the workers' connection file (the controller's address).
 */
import { createHash } from "crypto";
import { ClusterNames } from "../names";
import { connectionFileContents } from "../runtime";

/** Annotation that carries the image ID, so that a rebuilt image rolls out also when pods refer to it by tag. */
export const IMAGE_ID_ANNOTATION = "ipp-cluster/image-id";
/** Annotation on the workers' pods with a digest of their connection file: a new controller address rolls them. */
export const CONNECTION_ANNOTATION = "ipp-cluster/connection-file";

/** A short digest of the workers' connection file, for CONNECTION_ANNOTATION. */
export function connectionDigest(names: ClusterNames): string {
    return createHash("sha256")
        .update(JSON.stringify(connectionFileContents("worker", names)))
        .digest("hex")
        .slice(0, 16);
}
