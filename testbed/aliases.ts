/**
 * How the Pulumi engine matches a program's resources to what a stack already holds (its step
 * generator): a resource is known by its URN, by the URN each of its alias specs gives, and, when its
 * parent matched an old URN, by the URN under that one (the parent's old name put back in front of a
 * child named after its parent). The first of these that the stack holds is the object it updates;
 * a resource that matches none is created, and an old object that nothing matched is deleted.
 */
import { AliasSpec, Declared } from "./program";

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/** The parts of a URN: `urn:pulumi:<stack>::<project>::<qualified type>::<name>`. */
function parts(urn: string): { head: string; qualifiedType: string; name: string } {
    const [stack, project, qualifiedType, ...name] = urn.split("::");
    return { head: `${stack}::${project}`, qualifiedType, name: name.join("::") };
}

/** The URN of a resource of `type` named `name` under `parent` ("" or the stack for none). */
function urnUnder(head: string, parent: string, type: string, name: string): string {
    const parentType = parent ? parts(parent).qualifiedType : "";
    const prefix = parentType && parentType !== ROOT_STACK_TYPE ? `${parentType}$` : "";
    return `${head}::${prefix}${type}::${name}`;
}

/**
 * The URN the engine gives each resource (by the URN the mocks gave it). The mocks put only the
 * parent's own type in front of a child's (and the stack's in front of its children's); the engine
 * puts the parent's whole chain of types, and nothing for the stack.
 */
function engineUrns(resources: Declared[]): Map<string, string> {
    const urns = new Map<string, string>();
    for (const r of resources) {
        const parent = urns.get(r.parent) ?? "";
        urns.set(r.urn, urnUnder(parts(r.urn).head, parent, r.type, r.name));
    }
    return urns;
}

/** A URN the mocks gave a resource at the top of the stack or one below, as the engine gives it. */
function engineUrnOfShallow(urn: string): string {
    return urn.replace(`::${ROOT_STACK_TYPE}$`, "::");
}

/**
 * Which old URN each resource takes (both as the mocks give them), given the stack's URNs (as the mocks
 * gave them to resources no deeper than a component's children). Resources are taken in the order the
 * program registered them, parents first, as the engine sees them. Throws when two resources would take
 * the same old object, as the engine refuses that.
 */
export function matchOldUrns(resources: Declared[], oldUrns: Iterable<string>): Map<string, string> {
    const olds = new Map([...oldUrns].map(u => [engineUrnOfShallow(u), u]));
    const ordered = [...resources].sort((a, b) => a.order - b.order);
    const urns = engineUrns(ordered);
    const names = new Map(resources.map(r => [urns.get(r.urn)!, r.name]));
    const matched = new Map<string, string>();
    const taken = new Map<string, string>();
    const result = new Map<string, string>();
    for (const r of ordered) {
        const urn = urns.get(r.urn)!;
        const parentUrn = urns.get(r.parent) ?? "";
        const { head } = parts(urn);
        const collapse = (a: AliasSpec) => {
            const given = a.parentUrn ? (urns.get(a.parentUrn) ?? a.parentUrn) : "";
            const parent = a.noParent ? "" : given ? (matched.get(given) ?? given) : parentUrn;
            return urnUnder(head, parent, a.type || r.type, a.name || r.name);
        };
        const inherited = (type: string, name: string, parentOld: string) => {
            const parentName = names.get(parentUrn) ?? "";
            const aliasName = parentName && name.startsWith(parentName) ? parts(parentOld).name + name.slice(parentName.length) : name;
            return urnUnder(head, parentOld, type, aliasName);
        };
        const candidates = [urn, ...r.aliasSpecs.map(collapse)];
        const parentOld = matched.get(parentUrn);
        if (parentOld) {
            candidates.push(inherited(r.type, r.name, parentOld));
            for (const a of r.aliasSpecs) {
                const own = parts(collapse(a));
                candidates.push(inherited(own.qualifiedType.split("$").pop()!, own.name, parentOld));
            }
        }
        const old = candidates.find(u => olds.has(u));
        if (old === undefined) continue;
        if (taken.has(old)) throw new Error(`${r.urn} and ${taken.get(old)} both take ${olds.get(old)}`);
        taken.set(old, r.urn);
        if (old !== urn) matched.set(urn, old);
        result.set(r.urn, olds.get(old)!);
    }
    return result;
}
