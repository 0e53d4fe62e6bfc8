import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { runProgram } from "../../testbed/program";
import { matchOldUrns } from "../../testbed/aliases";
import { STACKS } from "./stacks";

/**
 * What the program declares for a set of stacks (every object with its URN, inputs and options, and the
 * stack outputs), against a record of it. A change that renames, replaces or alters a live object of an
 * existing stack shows here; one made on purpose updates the record
 * (`IPP_UPDATE_DECLARATIONS=1 npx mocha test/unit/declarations.test.ts`) and the diff shows it.
 */
const RECORD = path.join(__dirname, "declarations.json");

/** The URNs a stack of the record holds: what the engine matches the program's resources to. */
function recordedUrns(name: string): string[] {
    const record = JSON.parse(fs.readFileSync(RECORD, "utf8"))[name];
    return (record?.resources ?? []).map((r: { urn: string }) => r.urn);
}

/**
 * What a run declares, in a form that compares and reads well. Each URN is the one of the recorded
 * stack's objects that the engine would update (the resource's own, or the one an alias takes).
 */
async function declarations(config: Record<string, string>, stack: string | undefined, recorded: string) {
    const run = await runProgram(config, { stack });
    const taken = matchOldUrns(run.resources, recordedUrns(recorded));
    const urn = (u: string) => taken.get(u) ?? u;
    // `<urn>::<id>`: a provider taken by an alias keeps its object, and so its id (the mocks' `<name>-id`).
    const providerReference = (ref: string) => {
        const at = ref.lastIndexOf("::");
        const old = taken.get(ref.slice(0, at));
        return old ? `${old}::${old.slice(old.lastIndexOf("::") + 2)}-id` : ref;
    };
    return {
        resources: run.resources
            .map(r => ({
                urn: urn(r.urn),
                parent: urn(r.parent),
                inputs: r.inputs,
                dependencies: r.dependencies.map(urn).sort(),
                options: {
                    deleteBeforeReplace: r.deleteBeforeReplace,
                    replaceOnChanges: r.replaceOnChanges,
                    additionalSecretOutputs: r.additionalSecretOutputs,
                    retainOnDelete: r.retainOnDelete,
                    ignoreChanges: r.ignoreChanges,
                    provider: providerReference(r.provider),
                },
            }))
            .sort((a, b) => a.urn.localeCompare(b.urn)),
        outputs: run.outputs,
        secretOutputs: [...run.secretOutputs].sort(),
    };
}

/**
 * What holds user data (the notebook's claim or Docker volume, and the namespace it lives in), as it was
 * declared before the Python stack changed the images: a change of the images must never replace it.
 */
const USER_DATA = path.join(__dirname, "user-data.json");
const HOLDS_USER_DATA = ["kubernetes:core/v1:PersistentVolumeClaim::", "kubernetes:core/v1:Namespace::", "docker:index/volume:Volume::"];

describe("what holds user data", () => {
    const before: Record<string, unknown[]> = JSON.parse(fs.readFileSync(USER_DATA, "utf8"));
    for (const s of STACKS) {
        it(`is declared as it was, URN, inputs and options, for a stack: ${s.name}`, async () => {
            const now = JSON.parse(JSON.stringify(await declarations(s.config, s.stack, s.name)));
            const held = now.resources.filter((r: { urn: string }) => HOLDS_USER_DATA.some(t => r.urn.includes(t)));
            assert.deepStrictEqual(held, before[s.name] ?? []);
        });
    }
});

describe("what existing stacks hold", () => {
    for (const s of STACKS) {
        it(`is all taken by the program, each object by one resource (its URN or an alias), for a stack: ${s.name}`, async () => {
            const run = await runProgram(s.config, { stack: s.stack });
            const held = recordedUrns(s.name);
            const taken = [...matchOldUrns(run.resources, held).values()];
            assert.deepStrictEqual(taken.sort(), [...held].sort());
        });
    }
});

describe("what existing stacks declare", () => {
    const record: Record<string, unknown> = fs.existsSync(RECORD) ? JSON.parse(fs.readFileSync(RECORD, "utf8")) : {};
    const update = process.env.IPP_UPDATE_DECLARATIONS === "1";
    const fresh: Record<string, unknown> = {};

    for (const s of STACKS) {
        it(`is unchanged for a stack: ${s.name}`, async () => {
            const now = JSON.parse(JSON.stringify(await declarations(s.config, s.stack, s.name)));
            fresh[s.name] = now;
            if (!update) assert.deepStrictEqual(now, record[s.name]);
        });
    }

    after(() => {
        if (update) fs.writeFileSync(RECORD, JSON.stringify(fresh, null, 1) + "\n");
    });
});
