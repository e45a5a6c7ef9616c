/**
 * Who owns each exported object today, and what an export may therefore declare with `adopt: true`. The tenant records
 * one owner per policy and per user assignment (docs/ownership.md); `adopt: true` makes the next `pulumi up` take the
 * object over from whoever holds it, like a forced server-side apply in Kubernetes. So an export says who holds what,
 * and refuses to write `adopt: true` over another stack's objects unless asked to (`--take-over`): otherwise a second
 * stack would silently take a tenant from the first, whose next `up` then fails naming the new owner.
 */
import { describeOwner, parseOwner } from "../../provider/ownership";
import type { StackRef } from "./connection";
import type { ExportedGrant, ExportedPolicy } from "./read";

/** Whose an object is, seen from the stack the export is for. */
export type OwnerClass = "nobody" | "this stack" | "another stack";

/**
 * Classifies an owner id against `target`, the stack the export is for (undefined: a stack that does not exist yet, so
 * every recorded owner is another stack's). The rules are the provider's (`isMine`, `sameStack`): the same stack
 * instance is this stack; an id without an instance (written by 0.1.0) is this stack's when project and stack names
 * match; anything else, including an earlier stack under the same name, is another stack's.
 */
export function classifyOwner(owner: string | null, target: StackRef | undefined): OwnerClass {
    if (owner === null) return "nobody";
    const o = parseOwner(owner);
    if (!o || !target) return "another stack";
    if (o.instance !== undefined) return o.instance === target.instance ? "this stack" : "another stack";
    return o.project === target.project && o.stack === target.stack ? "this stack" : "another stack";
}

/** How an owner reads in the export's messages. */
export function ownerText(owner: string | null, target: StackRef | undefined): string {
    if (owner === null) return "nobody (made by hand)";
    const cls = classifyOwner(owner, target);
    const o = parseOwner(owner);
    if (cls === "this stack" && o) return `resource "${o.resource}" of this stack (${owner})`;
    return describeOwner(owner);
}

/** The owners of one grant's users: each distinct owner with how many users it holds, by-hand first, then by count. */
export function grantOwners(grant: ExportedGrant): Array<{ owner: string | null; users: number }> {
    const counts = new Map<string | null, number>();
    for (const o of grant.owners) counts.set(o, (counts.get(o) ?? 0) + 1);
    return [...counts.entries()]
        .map(([owner, users]) => ({ owner, users }))
        .sort((a, b) => (a.owner === null ? -1 : b.owner === null ? 1 : b.users - a.users || (a.owner < b.owner ? -1 : 1)));
}

/** One object another stack owns: a policy, or a grant's users held by one owner. */
export interface ForeignObject {
    /** `Tag:Sales EU`, or `grant Tag:OfflineIM (12 of 40 users)`. */
    readonly object: string;
    readonly owner: string;
}

/** The ownership of everything an export holds. */
export interface OwnershipView {
    /** One line per policy and per grant, for the user: `Global: nobody (made by hand)`. */
    readonly lines: readonly string[];
    /** What another stack owns (what `adopt: true` would take over). */
    readonly foreign: readonly ForeignObject[];
    /** Objects with an owner recorded at all (this stack or another). */
    readonly owned: number;
}

/** Reads the owners of `policies` and `grants` as seen from `target`. */
export function ownershipView(policies: readonly ExportedPolicy[], grants: readonly ExportedGrant[], target: StackRef | undefined): OwnershipView {
    const lines: string[] = [];
    const foreign: ForeignObject[] = [];
    let owned = 0;
    for (const p of policies) {
        lines.push(`${p.identity.canonical}: ${ownerText(p.owner, target)}`);
        if (p.owner !== null) owned++;
        if (classifyOwner(p.owner, target) === "another stack") foreign.push({ object: p.identity.canonical, owner: p.owner! });
    }
    for (const g of grants) {
        const parts = grantOwners(g);
        const text = parts.map((x) => `${x.users} ${ownerText(x.owner, target)}`).join("; ");
        lines.push(`grant ${g.policy.canonical} (${g.users.length} user${g.users.length === 1 ? "" : "s"}): ${text}`);
        for (const x of parts) {
            if (x.owner !== null) owned++;
            if (classifyOwner(x.owner, target) === "another stack") {
                foreign.push({ object: `grant ${g.policy.canonical} (${x.users} of ${g.users.length} users)`, owner: x.owner! });
            }
        }
    }
    return { lines, foreign, owned };
}
