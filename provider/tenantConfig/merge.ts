/**
 * The merge rules of the config repo (docs/config-repo.md): the baseline is the fleet standard, a tenant file changes
 * it item by item.
 *
 * - A tenant policy whose identity matches a baseline policy (case-insensitive, `OfflineIM` = `Tag:OfflineIM`) is an
 *   **override**: each setting it names replaces the baseline's value, `null` drops the baseline's setting, settings it
 *   does not name keep the baseline's value; `description` and `adopt`, when given, replace the baseline's.
 * - A tenant grant of a policy the baseline also grants is an override: its `users` list replaces the baseline's,
 *   `adopt` when given replaces the baseline's.
 * - Any other tenant policy or grant is an **addition**.
 * - `remove.policies` / `remove.grants` drop a baseline item by name; removing a policy also drops the baseline's
 *   grant of it. Removing something the baseline does not have, or removing and redeclaring one item, is an error.
 */
import { foldIdentity, isIdentityError, parseGrantPolicyName, parsePolicyIdentity } from "../../api/identity";
import type { FileDeclaration, GrantDeclaration, PolicyDeclaration, TenantDeclaration } from "./schema";

/** Where a merged (or removed) item came from. */
export type ItemOrigin = "baseline" | "override" | "addition" | "removed";

/** One item of the merge and where it came from, for `clientpolicy config show`. */
export interface ItemProvenance {
    kind: "policy" | "grant";
    /** Canonical identity (policy) or policy name (grant). */
    name: string;
    origin: ItemOrigin;
    /** Settings (or `description`, `adopt`, `users`) the tenant file set or changed on a baseline item. */
    overridden?: string[];
    /** Baseline settings the tenant file dropped with `null`. */
    unset?: string[];
    /** Why a removed item was removed (the tenant file's `remove` entry, or its policy's removal). */
    reason?: string;
}

/** A problem of the merge itself, with the tenant file's YAML path (`remove.policies[0]`). */
export interface MergeProblem {
    path: Array<string | number>;
    message: string;
}

/** The merged declaration and each item's provenance (merged items in order, then removed ones). */
export interface MergeResult {
    declaration: TenantDeclaration;
    provenance: ItemProvenance[];
    problems: MergeProblem[];
}

const policyKey = (s: string) => {
    const p = parsePolicyIdentity(s);
    return isIdentityError(p) ? undefined : p.key;
};
const grantKey = (s: string) => {
    const p = parseGrantPolicyName(s);
    return isIdentityError(p) ? undefined : p.key;
};

const withoutNulls = (settings: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== null));

/**
 * Merges a baseline and a tenant file (both in canonical form, see `canonicalFile`). Problems (a `remove` entry that
 * names nothing in the baseline, an item both removed and redeclared) are returned, not thrown, so a loader can
 * report them with every other problem. Pure: inputs are not modified.
 */
export function mergeDeclarations(baseline: FileDeclaration, tenant: FileDeclaration): MergeResult {
    const problems: MergeProblem[] = [];
    const provenance: ItemProvenance[] = [];
    const removedNotes: ItemProvenance[] = [];

    const basePolicies = new Map<string, PolicyDeclaration>();
    for (const p of baseline.policies) basePolicies.set(policyKey(p.identity) ?? p.identity, p);
    const baseGrants = new Map<string, GrantDeclaration>();
    for (const g of baseline.grants) baseGrants.set(grantKey(g.policy) ?? g.policy, g);
    const tenantPolicies = new Map<string, number>();
    tenant.policies.forEach((p, i) => tenantPolicies.set(policyKey(p.identity) ?? p.identity, i));
    const tenantGrants = new Map<string, number>();
    tenant.grants.forEach((g, i) => tenantGrants.set(grantKey(g.policy) ?? g.policy, i));

    const removedPolicies = new Map<string, string>();
    const removedGrants = new Map<string, string>();
    (tenant.remove?.policies ?? []).forEach((name, i) => {
        const key = policyKey(name);
        if (key === undefined) {
            problems.push({ path: ["remove", "policies", i], message: `"${name}" is not a policy identity` });
        } else if (!basePolicies.has(key)) {
            problems.push({ path: ["remove", "policies", i], message: `names no policy of the baseline (baseline policies: ${[...basePolicies.values()].map((p) => p.identity).join(", ") || "none"})` });
        } else if (tenantPolicies.has(key)) {
            problems.push({ path: ["remove", "policies", i], message: `removes ${basePolicies.get(key)!.identity}, which this file also declares at policies[${tenantPolicies.get(key)}]; keep one of the two` });
        } else removedPolicies.set(key, `remove.policies[${i}]`);
    });
    (tenant.remove?.grants ?? []).forEach((name, i) => {
        const key = grantKey(name);
        if (key === undefined) {
            problems.push({ path: ["remove", "grants", i], message: `"${name}" is not a per-user policy name` });
        } else if (!baseGrants.has(key)) {
            problems.push({ path: ["remove", "grants", i], message: `names no grant of the baseline (baseline grants: ${[...baseGrants.values()].map((g) => g.policy).join(", ") || "none"})` });
        } else if (tenantGrants.has(key)) {
            problems.push({ path: ["remove", "grants", i], message: `removes the grant of ${baseGrants.get(key)!.policy}, which this file also declares at grants[${tenantGrants.get(key)}]; keep one of the two` });
        } else removedGrants.set(key, `remove.grants[${i}]`);
    });

    const policies: PolicyDeclaration[] = [];
    for (const [key, base] of basePolicies) {
        const removed = removedPolicies.get(key);
        if (removed) {
            removedNotes.push({ kind: "policy", name: base.identity, origin: "removed", reason: `tenant file ${removed}` });
            continue;
        }
        const ti = tenantPolicies.get(key);
        if (ti === undefined) {
            policies.push(clonePolicy(base));
            provenance.push({ kind: "policy", name: base.identity, origin: "baseline" });
            continue;
        }
        const over = tenant.policies[ti];
        const overridden: string[] = [];
        const unset: string[] = [];
        const settings: Record<string, unknown> = { ...base.settings };
        for (const [k, v] of Object.entries(over.settings)) {
            if (v === null) {
                if (k in settings) { delete settings[k]; unset.push(k); }
                continue;
            }
            if (JSON.stringify(settings[k]) !== JSON.stringify(v)) overridden.push(k);
            settings[k] = v;
        }
        // The tenant's spelling of the identity wins (it may change only the case, which updates in place).
        const merged: PolicyDeclaration = { identity: over.identity, settings };
        const desc = over.description ?? base.description;
        if (desc !== undefined) merged.description = desc;
        if (over.description !== undefined && over.description !== base.description) overridden.push("description");
        const ad = over.adopt ?? base.adopt;
        if (ad !== undefined) merged.adopt = ad;
        if (over.adopt !== undefined && over.adopt !== base.adopt) overridden.push("adopt");
        policies.push(merged);
        provenance.push({ kind: "policy", name: merged.identity, origin: "override", overridden, ...(unset.length ? { unset } : {}) });
    }
    tenant.policies.forEach((p) => {
        const key = policyKey(p.identity) ?? p.identity;
        if (basePolicies.has(key)) return;
        policies.push({ ...clonePolicy(p), settings: withoutNulls(p.settings) });
        provenance.push({ kind: "policy", name: p.identity, origin: "addition" });
    });

    const grants: GrantDeclaration[] = [];
    for (const [key, base] of baseGrants) {
        const removed = removedGrants.get(key);
        const viaPolicy = removedPolicies.get(key);
        if (removed || viaPolicy) {
            removedNotes.push({ kind: "grant", name: base.policy, origin: "removed", reason: removed ? `tenant file ${removed}` : `its policy was removed (${viaPolicy})` });
            continue;
        }
        const ti = tenantGrants.get(key);
        if (ti === undefined) {
            grants.push(cloneGrant(base));
            provenance.push({ kind: "grant", name: base.policy, origin: "baseline" });
            continue;
        }
        const over = tenant.grants[ti];
        const overridden: string[] = [];
        if (JSON.stringify(over.users) !== JSON.stringify(base.users)) overridden.push("users");
        const merged: GrantDeclaration = { policy: over.policy, users: [...over.users] };
        const ad = over.adopt ?? base.adopt;
        if (ad !== undefined) merged.adopt = ad;
        if (over.adopt !== undefined && over.adopt !== base.adopt) overridden.push("adopt");
        grants.push(merged);
        provenance.push({ kind: "grant", name: merged.policy, origin: "override", overridden });
    }
    tenant.grants.forEach((g) => {
        const key = grantKey(g.policy) ?? g.policy;
        if (baseGrants.has(key)) return;
        grants.push(cloneGrant(g));
        provenance.push({ kind: "grant", name: g.policy, origin: "addition" });
    });

    // A user granted by the baseline and again by a tenant addition would hold two per-user policies.
    const holder = new Map<string, string>();
    for (const g of grants) {
        for (const u of g.users) {
            const k = foldIdentity(u.trim());
            const other = holder.get(k);
            if (other !== undefined && other !== g.policy) {
                const ti = tenant.grants.findIndex((t) => (grantKey(t.policy) ?? t.policy) === (grantKey(g.policy) ?? g.policy));
                problems.push({
                    path: ti >= 0 ? ["grants", ti, "users", tenant.grants[ti].users.indexOf(u)] : ["grants"],
                    message: `"${u}" is granted both ${other} and ${g.policy} after the merge; a user holds one per-user client policy (override or remove the other grant)`,
                });
            } else holder.set(k, g.policy);
        }
    }

    return { declaration: { policies, grants }, provenance: [...provenance, ...removedNotes], problems };
}

function clonePolicy(p: PolicyDeclaration): PolicyDeclaration {
    const out: PolicyDeclaration = { identity: p.identity, settings: JSON.parse(JSON.stringify(p.settings)) };
    if (p.description !== undefined) out.description = p.description;
    if (p.adopt !== undefined) out.adopt = p.adopt;
    return out;
}

function cloneGrant(g: GrantDeclaration): GrantDeclaration {
    const out: GrantDeclaration = { policy: g.policy, users: [...g.users] };
    if (g.adopt !== undefined) out.adopt = g.adopt;
    return out;
}
