/**
 * Aggregation: identical changes across tenants shown once ("`Global.enableIMAutoArchiving`: false → true in 37
 * tenants"). Two changes are identical when kind, operation, resource type, tenant object and, per property, path and
 * before/after values are equal; the tenants are listed with each group.
 */
import type { Change, ChangeKind, ChangeOp, TenantReport } from "./model";

/** One aggregated change and where it happens. */
export interface ChangeGroup {
    kind: ChangeKind;
    op: ChangeOp;
    type: string;
    /** Policy identity, or the resource name when the object has none. */
    object: string;
    /** Property path, when the group is one property's change. */
    path?: string;
    before?: unknown;
    after?: unknown;
    /** Stacks where it happens, sorted. */
    stacks: string[];
    /** Users reached, summed over the tenants where known (tag policies); undefined when none known. */
    usersReached?: number;
    /** At least one tenant's change is to Global (reaches every user without a per-user policy). */
    global: boolean;
}

function atoms(ch: Change): Omit<ChangeGroup, "stacks" | "usersReached" | "global">[] {
    const object = ch.identity ?? ch.name;
    if (ch.properties.length === 0 || ch.op === "create" || ch.op === "delete") return [{ kind: ch.kind, op: ch.op, type: ch.type, object }];
    return ch.properties.map((p) => ({ kind: p.kind, op: ch.op, type: ch.type, object, path: p.path, before: p.before, after: p.after }));
}

/** Groups every change of `tenants` (errors have none), largest groups first, then by object and path. */
export function aggregate(tenants: readonly TenantReport[]): ChangeGroup[] {
    const groups = new Map<string, ChangeGroup>();
    for (const t of tenants) {
        for (const ch of t.changes) {
            for (const a of atoms(ch)) {
                const key = JSON.stringify([a.kind, a.op, a.type, a.object, a.path ?? null, a.before ?? null, a.after ?? null]);
                let g = groups.get(key);
                if (!g) groups.set(key, (g = { ...a, stacks: [], global: false }));
                if (!g.stacks.includes(t.stack)) {
                    g.stacks.push(t.stack);
                    if (ch.impact?.scope === "tag" && ch.impact.users !== null) g.usersReached = (g.usersReached ?? 0) + ch.impact.users;
                    if (ch.impact?.scope === "global") g.global = true;
                }
            }
        }
    }
    return [...groups.values()]
        .map((g) => ({ ...g, stacks: g.stacks.sort() }))
        .sort((a, b) => b.stacks.length - a.stacks.length || a.object.localeCompare(b.object) || (a.path ?? "").localeCompare(b.path ?? ""));
}
