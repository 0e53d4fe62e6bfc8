/**
 * The user's own software in the images: Debian packages, pip requirements, the package index, and
 * an optional base image of their own; the OS image ours starts from. Their checks (`parseSoftware`),
 * the build arguments they become, and what the built images record of themselves.
 */
import { readCaCertificates } from "./ca-certificates";
import { isImageReference } from "./image-reference";
import { key } from "./names";
import { SettingsReader, shown } from "./reader";
import { NOTEBOOK_INTERFACES, NotebookApp } from "./runtime";

/** Where the images' Python packages come from. */
export const PYTHON_STACKS = ["pypi", "debian"] as const;
export type PythonStack = (typeof PYTHON_STACKS)[number];

/** What goes into the base image besides Python and ipyparallel. */
export interface Software {
    /** The Python stack: pypi (the locked requirements) or debian (trixie's packages). */
    pythonStack: PythonStack;
    /** CA certificates (PEM) the builds and the images trust besides Debian's own; "" for none. */
    caCertificates: string;
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
        // A base image of the user's brings its own Python stack.
        ...(s.baseImage ? {} : { PYTHON_STACK: s.pythonStack }),
        // The build trusts them from its first step (a stage of their own, taken only when they are given).
        ...(s.caCertificates ? { TRUST: "trusting", BUILD_CA_CERTIFICATES: s.caCertificates } : {}),
        APT_PACKAGES: s.aptPackages.join(" "),
        PIP_REQUIREMENTS: s.pipPackages.join("\n"),
        PIP_INDEX_URL: s.pipIndexUrl,
        PIP_EXTRA_INDEX_URL: s.pipExtraIndexUrl,
        PIP_TRUSTED_HOST: [...new Set(trusted)].join(" "),
    };
    return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== ""));
}

/** What the images hold, as recorded in the base image when it was built (PATHS.environmentFile). */
export interface Environment {
    python: string;
    ipyparallel: string;
    pyzmq: string;
    /** Each requested Debian package with its installed version. */
    aptPackages: Record<string, string | null>;
    /** Each requested pip project with its installed version. */
    pipPackages: Record<string, string | null>;
}

/**
 * The pip command that gives a laptop's virtual environment what a client of the cluster must match:
 * ipyparallel and pyzmq, and every pip package the images hold, each at the version the images hold.
 * Run it with the Python version the images have (`environment.python`, its minor version).
 */
export function laptopPipInstall(env: Environment): string {
    const pins = [["ipyparallel", env.ipyparallel], ["pyzmq", env.pyzmq], ...Object.entries(env.pipPackages)].filter(([, v]) => v);
    return ["pip", "install", ...pins.map(([name, version]) => `${name}==${version}`)].join(" ");
}

/** The OS image ours starts from, and the user's packages, package indexes and base image. */
export function parseSoftware(s: SettingsReader): { osImage: string; software: Software } {
    const pythonStack = s.choice("pythonStack", PYTHON_STACKS);
    const caFile = s.text("buildCaCertificates");
    const ca = caFile ? readCaCertificates(caFile) : { pem: "" };
    if ("problem" in ca) s.problem(ca.problem);
    const osImage = s.text("osImage");
    if (!isImageReference(osImage)) {
        s.problem(`${key("osImage")} must be an image reference such as debian:trixie-slim or registry.example.com/debian:trixie; got ${shown(osImage)}.`);
    }
    const aptPackages = s.list(
        "aptPackages",
        isDebianPackage,
        'a Debian package name: lowercase letters, digits, "+", "-" and ".", at least two characters, starting with a letter or digit, such as python3-numpy',
    );
    const pipPackages = s.list(
        "pipPackages",
        isPipRequirement,
        "a pip requirement: a project name with optional [extras] and version specifiers, such as numpy, numpy==2.2.4 or numpy>=2,<3 (no options, URLs, paths or markers)",
    );
    const url = (name: string) => {
        const value = s.text(name);
        const problem = value ? indexUrlProblem(value) : undefined;
        if (problem) s.problem(`${key(name)} ${problem}; got ${shown(shownUrl(value))}.`);
        return value;
    };
    const pipIndexUrl = url("pipIndexUrl");
    const pipExtraIndexUrl = url("pipExtraIndexUrl");
    const baseImage = s.text("baseImage");
    if (baseImage && !isImageReference(baseImage)) {
        s.problem(`${key("baseImage")} must be an image reference such as ghcr.io/org/science:2025.1; got ${shown(baseImage)}.`);
    }
    for (const name of ["pythonStack", "buildCaCertificates"]) {
        if (baseImage && s.isSet(name)) {
            s.problem(
                `${key("baseImage")} and ${key(name)} cannot both be set: a base image of your own brings its own Python packages and trusts ` +
                    `its own certificates. Remove one (\`pulumi config rm ${name}\`); got baseImage ${shown(baseImage)} and ${name} ${shown(s.text(name))}.`,
            );
        }
    }
    // Whenever the stack sets osImage itself, even to its default: the base image would silently win.
    if (baseImage && s.isSet("osImage")) {
        s.problem(
            `${key("baseImage")} and ${key("osImage")} cannot both be set: baseImage replaces the image ours is built from. ` +
                `Remove one (\`pulumi config rm osImage\`); got baseImage ${shown(baseImage)} and osImage ${shown(osImage)}.`,
        );
    }
    const caCertificates = "pem" in ca ? ca.pem : "";
    return { osImage, software: { pythonStack, caCertificates, aptPackages, pipPackages, pipIndexUrl, pipExtraIndexUrl, baseImage } };
}

/**
 * The notebook server the images run: `notebookInterface` (by default JupyterLab where the images have
 * it, the pypi stack's) on Jupyter Server (the pypi stack's JupyterLab 4 and Notebook 7), or the classic
 * Notebook 6 (the debian stack's, which has no JupyterLab; and a base image of the user's serving the
 * notebook interface, as before there was a choice).
 */
export function parseNotebookApp(s: SettingsReader, software: Software): NotebookApp {
    const lab = software.pythonStack === "pypi" && !software.baseImage;
    const ui = s.text("notebookInterface") === "" ? (lab ? "lab" : "notebook") : s.choice("notebookInterface", NOTEBOOK_INTERFACES);
    if (software.baseImage) return { interface: ui, server: ui === "lab" ? "jupyter-server" : "classic" };
    if (software.pythonStack === "debian" && ui === "lab") {
        s.problem(
            `${key("notebookInterface")} lab needs ${key("pythonStack")} pypi: Debian packages no JupyterLab. ` +
                `Set \`pulumi config set notebookInterface notebook\` for Debian's classic notebook; got notebookInterface "lab" and pythonStack "debian".`,
        );
    }
    return { interface: ui, server: software.pythonStack === "debian" ? "classic" : "jupyter-server" };
}
