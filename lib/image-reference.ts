/**
 * The grammar of image references and registry paths, as Docker's reference grammar has it:
 * `[host[:port]/]path[:tag][@sha256:digest]`.
 */

const LABEL = "[a-z0-9]([a-z0-9-]*[a-z0-9])?";
/** `localhost`, a dotted host name or address, or any single label with a port; an optional port. */
const REGISTRY_HOST = new RegExp(`^((localhost|${LABEL}(\\.${LABEL})+)(:[0-9]{1,5})?|${LABEL}:[0-9]{1,5})$`);
/** One path component of a repository name. */
const REPOSITORY_PART = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Whether `registry` is a registry host with an optional path, without a scheme: `ghcr.io/org/team`, `localhost:5000`. */
export function isRegistryPath(registry: string): boolean {
    const [host, ...path] = registry.split("/");
    return REGISTRY_HOST.test(host) && path.every(p => REPOSITORY_PART.test(p));
}

/** The registry's host (`ghcr.io` of `ghcr.io/org/team`), which is what credentials belong to. */
export function registryHost(registry: string): string {
    return registry.split("/")[0];
}

/** Whether `ref` is an image reference: `[host[:port]/]path[:tag][@sha256:digest]`. */
export function isImageReference(ref: string): boolean {
    const [nameAndTag, digest, ...rest] = ref.split("@");
    if (rest.length || (digest !== undefined && !DIGEST.test(digest))) return false;
    const slash = nameAndTag.lastIndexOf("/");
    const colon = nameAndTag.lastIndexOf(":");
    const hasTag = colon > slash;
    const name = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
    if (hasTag && !TAG.test(nameAndTag.slice(colon + 1))) return false;
    const parts = name.split("/");
    const host = parts.length > 1 && REGISTRY_HOST.test(parts[0]) ? parts.shift() : undefined;
    return (host !== undefined || parts.length > 0) && parts.every(p => REPOSITORY_PART.test(p));
}
