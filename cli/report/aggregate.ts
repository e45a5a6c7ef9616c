/**
 * Aggregation: identical changes across tenants shown once ("`Global.enableIMAutoArchiving`: false → true in 37
 * tenants"). Two changes are identical when kind, operation, resource type, tenant object and, per property, path and
 * before/after values are equal; the tenants are listed with each group.
 */
import type { Change, ChangeKind, ChangeOp, PropertyChange, TenantReport } from "../../api/report";

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
    /** Users whose effective settings change, summed over the tenants where counted; undefined when none counted. */
    usersReached?: number;
    /** The property is a set (before: members removed, after: members added). */
    set?: boolean;
    /** A create: the declared properties. */
    created?: PropertyChange[];
    /** A policy being created (it reaches nobody yet). */
    newPolicy?: boolean;
    /** A policy in the tenant that no stack manages. */
    unmanaged?: boolean;
    /** The command that acts on the finding. */
    hint?: string;
    /**
     * The tenant changed the object and the code changes it too (`pulumi up` stops there until refreshed): the
     * tenant's values of the drifted properties.
     */
    refreshFirst?: Array<{ path: string; tenant: unknown }>;
    /** A create that takes over the tenant's existing policy (its properties: tenant's value → code's; no after: unset). */
    takeOver?: boolean;
}

type Atom = Omit<ChangeGroup, "stacks" | "usersReached">;

/** The tenant's values of a change's drifted properties (`after` of a drift, `tenant` of a both). */
export function tenantValues(ch: Change): Array<{ path: string; tenant: unknown }> {
    return ch.properties.filter((p) => p.kind !== "pending").map((p) => ({ path: p.path, tenant: p.kind === "both" ? p.tenant : p.after }));
}

function atoms(ch: Change): Atom[] {
    const object = ch.identity ?? ch.name;
    const base = { kind: ch.kind, op: ch.op, type: ch.type, object, ...(ch.refreshFirst ? { refreshFirst: tenantValues(ch) } : {}), ...(ch.takeOver ? { takeOver: true } : {}) };
    if (ch.unmanaged) return [{ ...base, unmanaged: true, hint: ch.hint?.replace(/--stack \S+/, "--stack <stack>") }];
    if (ch.op === "create") {
        return [{ ...base, created: ch.properties.map(({ path, after, set }) => ({ path, after, kind: ch.kind, ...(set ? { set } : {}) })), newPolicy: ch.impact?.text === "new policy" || undefined }];
    }
    if (ch.properties.length === 0 || ch.op === "delete") return [base];
    // The mark goes with what the code changes; a drifted property's own line already shows the tenant's value.
    return ch.properties.map((p) => ({ ...base, kind: p.kind, path: p.path, before: p.before, after: p.after, ...(p.set ? { set: true } : {}),
        ...(p.kind === "drift" ? { refreshFirst: undefined } : {}) }));
}

/** Groups every change of `tenants` (errors have none), largest groups first, then by object and path. */
export function aggregate(tenants: readonly TenantReport[]): ChangeGroup[] {
    const groups = new Map<string, ChangeGroup>();
    for (const t of tenants) {
        for (const ch of t.changes) {
            for (const a of atoms(ch)) {
                const key = JSON.stringify([a.kind, a.op, a.type, a.object, a.path ?? null, a.before ?? null, a.after ?? null, a.created ?? null, a.unmanaged ?? false, a.refreshFirst ?? null, a.takeOver ?? false]);
                let g = groups.get(key);
                if (!g) groups.set(key, (g = { ...a, stacks: [] }));
                if (!g.stacks.includes(t.stack)) {
                    g.stacks.push(t.stack);
                    if (ch.impact && ch.impact.users !== null) g.usersReached = (g.usersReached ?? 0) + ch.impact.users;
                }
            }
        }
    }
    return [...groups.values()]
        .map((g) => ({ ...g, stacks: g.stacks.sort() }))
        .sort((a, b) => b.stacks.length - a.stacks.length || a.object.localeCompare(b.object) || (a.path ?? "").localeCompare(b.path ?? ""));
}
