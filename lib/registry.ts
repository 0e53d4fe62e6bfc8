/**
 * Where the images go and who may push and pull them: the `registry`, `push`, `registryUsername` and
 * `registryPassword` settings. The password itself is never read here: it stays a secret Output.
 */
import type * as pulumi from "@pulumi/pulumi";
import { isRegistryPath, registryHost } from "./image-reference";
import { key } from "./names";
import { SettingsReader, shown } from "./reader";

/** Who pushes and pulls: present exactly when images are pushed with a user name and password. */
export interface RegistryLogin {
    /** The registry's host, which the credentials belong to. */
    server: string;
    username: string;
}

/** Credentials for pushing and pulling the images; the password stays a secret Output. */
export interface RegistryCredentials extends RegistryLogin {
    password: pulumi.Output<string>;
}

export interface RegistrySettings {
    registry: string;
    push: boolean;
    /** Set when images are pushed with credentials (then the password is set too). */
    registryLogin?: RegistryLogin;
}

/** Why `registry` is not a registry path, or undefined when it is one. */
export function registryProblem(registry: string): string | undefined {
    if (isRegistryPath(registry)) return undefined;
    const allowed =
        "a lowercase registry host with an optional port and lowercase path, without a scheme, such as ghcr.io/org/team, docker.io/alice or localhost:5000";
    return `${key("registry")} must be ${allowed}; got ${shown(registry)}.`;
}

/** The registry settings, with "push with credentials" decided once, here. */
export function parseRegistry(s: SettingsReader): RegistrySettings {
    const push = s.boolean("push");
    const registry = s.text("registry");
    if (registry) {
        const problem = registryProblem(registry);
        if (problem) s.problem(problem);
    } else if (push) {
        s.problem(
            `${key("registry")} must be set when ${key("push")} is true: the cluster's nodes pull the images from it. ` +
                `Set it with \`pulumi config set registry ghcr.io/<org>\` (or any registry the nodes can reach), ` +
                `or set \`pulumi config set push false\` to keep the images in the local Docker engine.`,
        );
    }

    const username = s.text("registryUsername");
    const hasPassword = s.text("registryPassword") !== "";
    if (hasPassword !== (username !== "")) {
        s.problem(`${key("registryUsername")} and ${key("registryPassword")} must be set together; only one is set.`);
    } else if (username && !registry) {
        s.problem(`${key("registryUsername")} is set but ${key("registry")} is empty; the credentials need a registry.`);
    }
    const registryLogin = push && username && hasPassword && registry ? { server: registryHost(registry), username } : undefined;
    return { registry, push, registryLogin };
}
