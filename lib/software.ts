/**
 * The user's own software in the images: Debian packages, pip requirements, the package index, and
 * an optional base image of their own. Pure checks and the build arguments they become.
 */

/** What goes into the base image besides Python and ipyparallel. */
export interface Software {
    aptPackages: string[];
    pipPackages: string[];
    /** The index pip uses instead of the default one ("" for pip's default). */
    pipIndexUrl: string;
    /** An index pip uses besides the default one (""). */
    pipExtraIndexUrl: string;
    /** An image of the user's own to build the base on ("" builds ours from osImage). */
    baseImage: string;
}

/** Debian policy: lowercase letters, digits, `+`, `-` and `.`, at least two characters, starting with a letter or digit. */
const DEBIAN_PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;
const NAME = "[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?";
const SPECIFIER = "(?:===|~=|==|!=|<=|>=|<|>)\\s*[A-Za-z0-9_.*+!-]+";
/** A PEP 508 requirement without URL or marker: `name[extra,…] op version, op version`. */
const PIP_REQUIREMENT = new RegExp(`^(${NAME})(\\[${NAME}(,${NAME})*\\])?(\\s*${SPECIFIER}(\\s*,\\s*${SPECIFIER})*)?$`);

export function isDebianPackage(name: string): boolean {
    return DEBIAN_PACKAGE.test(name);
}

export function isPipRequirement(requirement: string): boolean {
    return PIP_REQUIREMENT.test(requirement);
}

/** The project name a requirement asks for (`numpy` of `numpy[extra]>=2`). */
export function requirementName(requirement: string): string {
    return PIP_REQUIREMENT.exec(requirement)?.[1] ?? requirement;
}

/** Why `url` is no package index URL for the build, or undefined when it is one. Never repeats a password. */
export function indexUrlProblem(url: string): string | undefined {
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        return `must be an http or https URL, such as https://pypi.example.com/simple`;
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
        return `must be an http or https URL, such as https://pypi.example.com/simple`;
    }
    if (parsed.username || parsed.password) {
        return (
            "must not carry credentials: build arguments stay readable in the image's history, and the Docker " +
            "provider has no build secrets. Use an index the build machine reaches without credentials (a mirror " +
            "or proxy), or bring the packages in your own baseImage"
        );
    }
    return undefined;
}

/** An index URL as it may be shown: any credentials replaced. */
export function shownUrl(url: string): string {
    return url.replace(/^([a-z]+:\/\/)[^/@]*@/i, "$1***@");
}

/**
 * Build arguments of the base image: only those that are set, so that a stack without any keeps
 * the arguments (and the cache) it had. pip trusts a plain-http index only when told so.
 */
export function softwareBuildArgs(s: Software): Record<string, string> {
    const trusted = [s.pipIndexUrl, s.pipExtraIndexUrl].filter(u => u.startsWith("http:")).map(u => new URL(u).hostname);
    const args: Record<string, string> = {
        APT_PACKAGES: s.aptPackages.join(" "),
        PIP_REQUIREMENTS: s.pipPackages.join("\n"),
        PIP_INDEX_URL: s.pipIndexUrl,
        PIP_EXTRA_INDEX_URL: s.pipExtraIndexUrl,
        PIP_TRUSTED_HOST: [...new Set(trusted)].join(" "),
    };
    return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== ""));
}
