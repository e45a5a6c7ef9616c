/**
 * Tenant routes about users as a population: the paged user listing (with site, grant and effective-policy filters),
 * the sites of the topology, and the user counts by (site, grant) group with each group's effective client policy.
 * The effective policy comes from the one resolver (api/effective.ts); the backend only lists users, sites and
 * policies. A backend that cannot list users or sites (the optional {@link TenantBackend} methods) answers 501.
 */
import { ROUTE_PATTERNS, type WireUser, type WireUserGroup } from "../api/contract";
import { appliedPolicy, grantPolicyKey, groupKey, policySet, siteIdentity, sitePolicyKey, type PolicySet } from "../api/effective";
import { foldIdentity, isIdentityError, parsePolicyIdentity } from "../api/identity";
import type { TenantBackend } from "./backend";
import { Errors } from "./errors";
import type { RequestContext, Reply } from "./http";
import { route, type Route } from "./router";

async function usersOf(t: TenantBackend): Promise<WireUser[]> {
    if (!t.listUsers) throw Errors.notImplemented("Listing users on this backend");
    return t.listUsers();
}

function requireClientPolicy(type: string): void {
    if (type.toLowerCase() !== "clientpolicy") throw Errors.notImplemented(`Policy type "${type}"`);
}

/** A query parameter: undefined when absent, null when present and empty ("none"), else the text. */
function queryValue(ctx: RequestContext, name: string): string | null | undefined {
    const v = ctx.url.searchParams.get(name);
    if (v === null) return undefined;
    return v.trim() === "" ? null : v;
}

/** `fn` memoised per distinct argument (users share a handful of sites and grants; parsing once per value is enough). */
function memo<T>(fn: (x: string | null | undefined) => T): (x: string | null | undefined) => T {
    const seen = new Map<string | null | undefined, T>();
    return (x) => {
        if (seen.has(x)) return seen.get(x)!;
        const v = fn(x);
        seen.set(x, v);
        return v;
    };
}

/** The users `GET /users` answers after its filters (400 naming a malformed filter). */
function filtered(ctx: RequestContext, users: WireUser[], policies: PolicySet | undefined): WireUser[] {
    let out = users;
    const site = queryValue(ctx, "site");
    if (site !== undefined) {
        const key = site === null ? undefined : sitePolicyKey(site);
        if (site !== null && key === undefined) throw Errors.invalidParameter("site", `site must be a site identity (Site:<name> or <name>), got ${JSON.stringify(site)}.`);
        const siteKey = memo(sitePolicyKey);
        out = out.filter((u) => siteKey(u.Site) === key);
    }
    const grant = queryValue(ctx, "clientPolicy");
    if (grant !== undefined) {
        const key = grant === null ? undefined : grantPolicyKey(grant);
        if (grant !== null && key === undefined) throw Errors.invalidParameter("clientPolicy", `clientPolicy must be a per-user policy name (Tag:<name> or <name>), got ${JSON.stringify(grant)}.`);
        const grantKey = memo(grantPolicyKey);
        out = out.filter((u) => grantKey(u.ClientPolicy) === key);
    }
    const effective = queryValue(ctx, "effectivePolicy");
    if (effective !== undefined) {
        const id = parsePolicyIdentity(effective);
        if (isIdentityError(id)) throw Errors.invalidParameter("effectivePolicy", `effectivePolicy ${id.error}`);
        const set = policies!;
        const applies = new Map<string, boolean>();
        out = out.filter((u) => {
            const raw = `${u.Site ?? ""}\n${u.ClientPolicy ?? ""}`;
            let yes = applies.get(raw);
            if (yes === undefined) applies.set(raw, (yes = foldIdentity(appliedPolicy(u, set).identity) === id.key));
            return yes;
        });
    }
    return out;
}

/** Counts users by (site, grant) and resolves each group's client policy. */
export function countGroups(users: readonly WireUser[], set: PolicySet): WireUserGroup[] {
    const groups = new Map<string, { Site: string | null; ClientPolicy: string | null; Count: number }>();
    // The folded group key per distinct raw (site, grant) pair: computed once, not once per user.
    const keys = new Map<string, string>();
    for (const u of users) {
        const raw = `${u.Site ?? ""}\n${u.ClientPolicy ?? ""}`;
        let k = keys.get(raw);
        if (k === undefined) keys.set(raw, (k = groupKey(u)));
        const g = groups.get(k);
        if (g) g.Count++;
        else groups.set(k, { Site: siteIdentity(u.Site), ClientPolicy: u.ClientPolicy ?? null, Count: 1 });
    }
    return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => {
        const applied = appliedPolicy(g, set);
        return { ...g, EffectivePolicy: applied.identity, Reason: applied.reason };
    });
}

/** The routes; server/routes.ts appends them to the tenant API. */
export const userRoutes: Route<TenantBackend>[] = [
    route("GET", ROUTE_PATTERNS.users, async (ctx, t): Promise<Reply> => {
        const wantsPolicies = ctx.url.searchParams.has("effectivePolicy");
        const [users, policies] = await Promise.all([usersOf(t), wantsPolicies ? t.listPolicies() : undefined]);
        const list = filtered(ctx, users, policies && policySet(policies));
        return ctx.page(list, (u) => u, (u) => u.Id.toLowerCase());
    }),
    route("GET", ROUTE_PATTERNS.sites, async (ctx, t) => {
        if (!t.listSites) throw Errors.notImplemented("Listing sites on this backend");
        return ctx.page(await t.listSites(), (x) => x, (x) => foldIdentity(x.Identity));
    }),
    route("GET", ROUTE_PATTERNS.userCounts, async (ctx, t) => {
        requireClientPolicy(ctx.params.type);
        const [users, policies] = await Promise.all([usersOf(t), t.listPolicies()]);
        const value = countGroups(users, policySet(policies));
        return { status: 200, body: { value, Total: users.length } };
    }),
];
