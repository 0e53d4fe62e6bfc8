import * as assert from "assert";
import { parseConfig } from "../../lib/config";
import { isHostName } from "../../lib/storage";
import { problemsOf } from "./config-problems";

const K8S = { registry: "localhost:5000" };
const DOCKER = { target: "docker", push: "false" };

const shared = (value: unknown, base: Record<string, string> = K8S) => ({ ...base, sharedVolume: JSON.stringify(value) });

describe("storage settings", () => {
    describe("notebookStorage, storageClass and retainNotebookStorage", () => {
        it("default to a 10Gi claim in the cluster's default class, deleted with the stack", () => {
            assert.deepStrictEqual(parseConfig(K8S, "dev").notebookStorage, { size: "10Gi", storageClass: "", retain: false });
        });
        it("take a size, a class and retention", () => {
            const c = parseConfig({ ...K8S, notebookStorage: "50Gi", storageClass: "fast-ssd", retainNotebookStorage: "true" }, "dev");
            assert.deepStrictEqual(c.notebookStorage, { size: "50Gi", storageClass: "fast-ssd", retain: true });
        });
        it('take "" for a home that lives as long as the Pod', () => {
            assert.strictEqual(parseConfig({ ...K8S, notebookStorage: "" }, "dev").notebookStorage.size, "");
        });
        for (const bad of ["10GB", "ten", "0", "-1Gi", "10 Gi"]) {
            it(`refuse notebookStorage = ${JSON.stringify(bad)}, naming the key, the value and what is allowed`, () => {
                assert.deepStrictEqual(problemsOf({ ...K8S, notebookStorage: bad }), [
                    `ipp-cluster:notebookStorage must be a Kubernetes storage quantity such as 10Gi or 500Mi, or "" for a home folder that lives only as long as the Pod; got ${JSON.stringify(bad)}.`,
                ]);
            });
        }
        for (const bad of ["Fast_SSD", "fast ssd", "-fast"]) {
            it(`refuse storageClass = ${JSON.stringify(bad)}`, () => {
                assert.deepStrictEqual(problemsOf({ ...K8S, storageClass: bad }), [
                    `ipp-cluster:storageClass must name a StorageClass (lowercase letters, digits, "-" and ".", such as standard or fast-ssd), or be "" for the cluster's default class; got ${JSON.stringify(bad)}.`,
                ]);
            });
        }
        it("refuse retainNotebookStorage = yes", () => {
            assert.deepStrictEqual(problemsOf({ ...K8S, retainNotebookStorage: "yes" }), [
                'ipp-cluster:retainNotebookStorage must be true or false; got "yes".',
            ]);
        });
    });

    describe("sharedVolume", () => {
        it("defaults to none", () => assert.strictEqual(parseConfig(K8S, "dev").sharedVolume, undefined));

        it("takes an existing claim, read-write for the engines unless readOnly", () => {
            assert.deepStrictEqual(parseConfig(shared({ claimName: "data" }), "dev").sharedVolume, { kind: "claim", claimName: "data", readOnly: false });
            assert.deepStrictEqual(parseConfig(shared({ claimName: "data", readOnly: true }), "dev").sharedVolume, {
                kind: "claim",
                claimName: "data",
                readOnly: true,
            });
        });

        it("takes an NFS export by host name or address", () => {
            for (const server of ["nfs.example.com", "files", "192.0.2.10", "2001:db8::5"]) {
                assert.deepStrictEqual(parseConfig(shared({ nfs: { server, path: "/exports/data" } }), "dev").sharedVolume, {
                    kind: "nfs",
                    server,
                    path: "/exports/data",
                    readOnly: false,
                });
            }
        });

        it('takes readOnly as the CLI stores it with --path (true), or as the text "true"', () => {
            assert.strictEqual(parseConfig(shared({ claimName: "data", readOnly: "true" }), "dev").sharedVolume?.readOnly, true);
        });

        it("takes a Docker volume or a host folder on the docker target", () => {
            assert.deepStrictEqual(parseConfig(shared({ claimName: "ipp_data.1" }, DOCKER), "dev").sharedVolume, {
                kind: "claim",
                claimName: "ipp_data.1",
                readOnly: false,
            });
            assert.deepStrictEqual(parseConfig(shared({ hostPath: "/srv/data", readOnly: true }, DOCKER), "dev").sharedVolume, {
                kind: "hostPath",
                hostPath: "/srv/data",
                readOnly: true,
            });
        });

        const refusals: [string, unknown, Record<string, string>, string[]][] = [
            [
                "both a claim and an export",
                { claimName: "data", nfs: { server: "nfs.example.com", path: "/x" } },
                K8S,
                ["ipp-cluster:sharedVolume must name exactly one of claimName, nfs and hostPath; got claimName and nfs."],
            ],
            ["neither", { readOnly: true }, K8S, ["ipp-cluster:sharedVolume must name exactly one of claimName, nfs and hostPath; got none of them."]],
            [
                "an NFS server that is not a host name",
                { nfs: { server: "nfs://files", path: "/exports" } },
                K8S,
                ['ipp-cluster:sharedVolume.nfs.server must be a host name or an IP address, such as nfs.example.com; got "nfs://files".'],
            ],
            [
                "an NFS server with a port",
                { nfs: { server: "files:2049", path: "/exports" } },
                K8S,
                ['ipp-cluster:sharedVolume.nfs.server must be a host name or an IP address, such as nfs.example.com; got "files:2049".'],
            ],
            [
                "a relative NFS path",
                { nfs: { server: "files", path: "exports/data" } },
                K8S,
                [
                    'ipp-cluster:sharedVolume.nfs.path must be an absolute path on the NFS server, without ":" or ",", such as /exports/data; got "exports/data".',
                ],
            ],
            [
                "an export without a path",
                { nfs: { server: "files" } },
                K8S,
                ['ipp-cluster:sharedVolume.nfs.path must be an absolute path on the NFS server, without ":" or ",", such as /exports/data; got nothing.'],
            ],
            [
                "a field an export does not have",
                { nfs: { server: "files", path: "/x", port: 2049 } },
                K8S,
                [
                    'ipp-cluster:sharedVolume.nfs.port is not a field of an NFS export, which takes server and path; got {"server":"files","path":"/x","port":2049}.',
                ],
            ],
            [
                "a claim name that is no claim's",
                { claimName: "My Data" },
                K8S,
                [
                    'ipp-cluster:sharedVolume.claimName must name a PersistentVolumeClaim in the cluster\'s namespace (lowercase letters, digits, "-" and ".", such as data); got "My Data".',
                ],
            ],
            [
                "readOnly that is not a boolean",
                { claimName: "data", readOnly: "yes" },
                K8S,
                ['ipp-cluster:sharedVolume.readOnly must be true or false; got "yes".'],
            ],
            [
                "a field it does not have",
                { claimName: "data", mountPath: "/data" },
                K8S,
                [
                    'ipp-cluster:sharedVolume.mountPath is not a field of the shared volume, which takes claimName, nfs (server and path), hostPath and readOnly; got {"claimName":"data","mountPath":"/data"}.',
                ],
            ],
            [
                "a host folder on Kubernetes",
                { hostPath: "/srv/data" },
                K8S,
                [
                    "ipp-cluster:sharedVolume.hostPath is for the docker target only: a pod must not reach into its node's disk. On Kubernetes use claimName or nfs.",
                ],
            ],
            [
                "a relative host folder",
                { hostPath: "data" },
                DOCKER,
                ['ipp-cluster:sharedVolume.hostPath must be an absolute path of a folder on this machine, without ":" or ",", such as /srv/data; got "data".'],
            ],
            [
                "an NFS export on the docker target",
                { nfs: { server: "files", path: "/x" } },
                DOCKER,
                [
                    "ipp-cluster:sharedVolume.nfs is for the kubernetes target. On docker, make a Docker volume of the export " +
                        "(docker volume create --driver local --opt type=nfs --opt o=addr=<server> --opt device=:<path> <name>) and set ipp-cluster:sharedVolume.claimName to its name.",
                ],
            ],
        ];
        for (const [what, value, base, expected] of refusals) {
            it(`refuses ${what}, naming the key path`, () => assert.deepStrictEqual(problemsOf(shared(value, base)), expected));
        }

        it("refuses text that is not an object, and says how to set it", () => {
            const problems = problemsOf({ ...K8S, sharedVolume: "data" });
            assert.strictEqual(problems.length, 1);
            assert.match(problems[0], /^ipp-cluster:sharedVolume must be an object such as \{"claimName": "<claim>"\} or \{"nfs": /);
            assert.match(problems[0], /pulumi config set --path sharedVolume\.claimName data`; got "data"\.$/);
        });
    });

    it("tells host names from other text", () => {
        for (const good of ["nfs.example.com", "files", "nfs-1.lab.example.org", "192.0.2.10", "2001:db8::5"]) assert.ok(isHostName(good), good);
        for (const bad of ["", "-files", "files_1", "a..b", "999.1.1.1", "files:2049", "x".repeat(64)]) assert.ok(!isHostName(bad), bad);
    });
});
