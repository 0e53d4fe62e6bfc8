/**
 * The image pull secret: a `kubernetes.io/dockerconfigjson` document for the registry the images are in.
 */
import * as pulumi from "@pulumi/pulumi";
import type { RegistryCredentials } from "../registry";

/** A `kubernetes.io/dockerconfigjson` document for one registry; secret, since it holds the password. */
export function dockerConfigJson(credentials: RegistryCredentials): pulumi.Output<string> {
    const { server, username } = credentials;
    return pulumi.secret(
        credentials.password.apply(password =>
            JSON.stringify({
                auths: { [server]: { username, password, auth: Buffer.from(`${username}:${password}`).toString("base64") } },
            }),
        ),
    );
}
