import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as command from "@pulumi/command";
import { IMAGES, IMAGE_TAG, ImageKind, imageFolder, imageRepository } from "../lib/names";
import { RegistryCredentials } from "../lib/registry";
import { Environment, Software, softwareBuildArgs } from "../lib/software";
import { environmentCommand } from "../lib/commands";
import { NotebookInterface } from "../lib/runtime";

export interface ImagesArgs {
    /** Where images go; empty only when `push` is false. */
    registry: string;
    /** Push to the registry. When false, images stay in the local engine. */
    push: boolean;
    /** The OS image the base starts from (a Debian trixie based image). */
    osImage: string;
    /** Packages to add, and an image of the user's own to start from instead of `osImage`. */
    software: Software;
    /** What the notebook serves: the frontend's build checks that the image has it. */
    notebookInterface: NotebookInterface;
    /** Credentials for pushing, when the registry needs them (given only when `push` is true). */
    credentials?: RegistryCredentials;
}

/** How a pod refers to one built image. */
export interface ImageRef {
    /** What a pod's `image` field holds: the pushed `repo@sha256:…`, or the tag when not pushed. */
    image: pulumi.Output<string>;
    /** `IfNotPresent` either way: digests never change, and unpushed tags exist only locally. */
    imagePullPolicy: string;
    /** Changes with every rebuild: the pushed digest, or the local image ID. */
    id: pulumi.Output<string>;
    /** Whether the image is in the registry. When not, pods refer to a tag, and need `id` to notice a rebuild. */
    pushed: boolean;
}

/**
 * Builds base, frontend and worker. The frontend and worker build FROM the base: by its pushed
 * digest, or by its tag when not pushed (BuildKit cannot build FROM a local image ID), with the ID
 * as a build argument so that a new base still rebuilds them.
 */
export class Images extends pulumi.ComponentResource {
    readonly refs: Record<ImageKind, ImageRef>;
    /** Python, ipyparallel and every requested package, as installed in the images. */
    readonly environment: pulumi.Output<Environment>;

    constructor(name: string, args: ImagesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ipp-cluster:index:Images", name, {}, opts);
        const build = (kind: ImageKind, buildArgs: Record<string, pulumi.Input<string>>, dockerfile = "Dockerfile") => {
            const folder = imageFolder(kind, pulumi.getProject(), process.cwd());
            return new docker.Image(
                `${name}-${kind}`,
                {
                    imageName: `${imageRepository(args.registry, kind)}:${IMAGE_TAG}`,
                    build: { context: folder, dockerfile: `${folder}/${dockerfile}`, args: buildArgs },
                    skipPush: !args.push,
                    registry: args.credentials && { server: args.credentials.server, username: args.credentials.username, password: args.credentials.password },
                },
                { parent: this },
            );
        };

        // The user's base image, checked and completed; or ours, from the OS image. The OS image
        // also supplies tini to the user's (built statically, it runs on any C library).
        const software = args.software;
        const packages = softwareBuildArgs(software);
        const base = software.baseImage
            ? build("base", { BASE_IMAGE: software.baseImage, TOOLS_IMAGE: args.osImage, ...packages }, "custom.Dockerfile")
            : build("base", { OS_IMAGE: args.osImage, ...packages });
        const fromBase = { BASE_IMAGE: args.push ? base.repoDigest : base.imageName, BASE_IMAGE_ID: base.repoDigest };
        const built: Record<ImageKind, docker.Image> = {
            base,
            frontend: build("frontend", { ...fromBase, NOTEBOOK_INTERFACE: args.notebookInterface }),
            worker: build("worker", fromBase),
        };

        this.refs = Object.fromEntries(
            IMAGES.map(kind => [
                kind,
                {
                    image: args.push ? built[kind].repoDigest : built[kind].imageName,
                    imagePullPolicy: "IfNotPresent",
                    id: built[kind].repoDigest,
                    pushed: args.push,
                },
            ]),
        ) as Record<ImageKind, ImageRef>;
        // Read from the built image, not from the settings: what a laptop client has to match.
        const worker = this.refs.worker;
        const record = new command.local.Command(
            `${name}-environment`,
            { create: worker.image.apply(environmentCommand), triggers: [worker.id], logging: "stderr" },
            { parent: this },
        );
        this.environment = record.stdout.apply(text => JSON.parse(text) as Environment);
        this.registerOutputs({ refs: this.refs, environment: this.environment });
    }
}
