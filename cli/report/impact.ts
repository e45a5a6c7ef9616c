/**
 * True impact of a change: the exact number of users whose *effective* client settings change, read from the tenant
 * with the stack's own provider configuration (the same keys and validation as the provider: provider/config.ts) and
 * decided by the one resolver (api/effective.ts: per-user grant, else the site of the user's Registrar pool, else
 * Global; no merging across scopes).
 *
 * How it is counted, without loading every user into the CLI:
 * - One `GET …/ClientPolicy/userCounts` answers how many users share each (site, grant) pair. Those two facts and the
 *   set of policies decide a user's client policy, so every user of a group is affected alike.
 * - Each change is applied alone to the tenant's policies as they are (pending: live → live with the code's values;
 *   drift: the last applied state → the tenant now). A group counts when its users' effective settings differ
 *   between the two policy sets (a Global change does not reach users covered by a site or per-user policy; creating
 *   or deleting a site policy moves that site's users between policies).
 * - A grant change touches only the users it names (resolved in one `userResolutions` call): each counts when being
 *   granted or unassigned changes what applies to that user.
 * - The users themselves (first {@link SAMPLE_SIZE} SIP addresses) come from paged `GET /users?site=…&clientPolicy=…`
 *   lists of the affected groups, for the JSON report.
 * A backend that cannot list users or sites (501) gives "not counted", never a guess.
 */
import { settingsByProperty, documentedDefaults } from "../../api/catalogue";
import { Routes, type WirePage, type WirePolicy, type WireUser, type WireUserCounts, type WireUserGroup } from "../../api/contract";
import { appliedPolicy, changedSettings, groupChanges, policySet, resolveEffective, type PolicySet } from "../../api/effective";
import { isIdentityError, parsePolicyIdentity, samePolicy } from "../../api/identity";
import { resolveConfig } from "../../provider/config";
import { canonicalValue } from "../../provider/settings";
import { TenantClient } from "../../provider/client/tenantClient";
import { publicText } from "./text";
import type { Change, Impact, PropertyChange } from "../../api/report";

/** Users listed per change in the JSON report; the rest are counted. */
export const SAMPLE_SIZE = 100;

/** The tenant client of a stack's configuration (throws the provider's ConfigError naming missing or bad keys). */
export function clientOf(config: Record<string, string>): TenantClient {
    const cfg = resolveConfig({ get: (k) => config[k] }, {});
    return TenantClient.fromConfig(cfg);
}

/** Every policy of the tenant in wire form (every page). */
export async function readPolicies(client: TenantClient): Promise<WirePolicy[]> {
    return client.listPolicies();
}

/** A policy's settings with some properties (camelCase paths, as the report names them) set to `side`'s values. */
function withProperties(base: WirePolicy | undefined, identity: string, props: readonly PropertyChange[], side: "before" | "after"): WirePolicy {
    const out: Record<string, unknown> = { ...(base ?? {}), Identity: base?.Identity ?? identity };
    const byProp = settingsByProperty();
    for (const p of props) {
        const def = byProp.get(p.path);
        if (!def) continue;
        const v = canonicalValue(def, p[side], "input");
        if (v === null) delete out[def.name];
        else out[def.name] = v;
    }
    return out as WirePolicy;
}

/** Whether the change's values are all known (a secret or a value known only after apply cannot be counted). */
function knowable(props: readonly PropertyChange[]): boolean {
    return props.every((p) => p.after !== "(known after apply)" && p.after !== "[secret]" && p.before !== "[secret]");
}

/** The tenant's policies before and after one ClientPolicy change, or why they cannot be known. */
function policySets(c: Change, live: PolicySet): { before: PolicySet; after: PolicySet } | string {
    const id = parsePolicyIdentity(c.identity);
    if (isIdentityError(id)) return "the policy's identity is known only after apply";
    if (!knowable(c.properties)) return "a changed value is secret or known only after apply";
    const current = live.get(id.key);
    const set = (m: PolicySet, p: WirePolicy | undefined) => {
        const next = new Map(m);
        if (p) next.set(id.key, p);
        else next.delete(id.key);
        return next;
    };
    const reset = (): WirePolicy => ({ Identity: "Global", ...documentedDefaults() });
    const fromState = c.kind === "drift";
    if (c.op === "delete") {
        // Pending: the code removes what the tenant holds. Drift: the object was removed in the tenant (its last
        // applied values are the properties' `before`).
        if (fromState) return { before: set(live, withProperties(undefined, id.canonical, c.properties, "before")), after: live };
        return { before: live, after: set(live, id.scope === "global" ? reset() : undefined) };
    }
    if (c.op === "create") {
        // Pending: a new policy from the declared values. Drift (an unmanaged policy found in the tenant): it exists now.
        if (fromState) return { before: set(live, undefined), after: live };
        return { before: live, after: set(live, withProperties(undefined, id.canonical, c.properties, "after")) };
    }
    if (fromState) return { before: set(live, withProperties(current, id.canonical, c.properties, "before")), after: live };
    return { before: live, after: set(live, withProperties(current, id.canonical, c.properties, "after")) };
}

/** Up to {@link SAMPLE_SIZE} users of the given groups (paged `GET /users` with the group's site and grant). */
async function sampleUsers(client: TenantClient, groups: readonly WireUserGroup[]): Promise<string[]> {
    const out: string[] = [];
    for (const g of groups) {
        for await (const page of client.pages<WireUser>(Routes.users({ site: g.Site, clientPolicy: g.ClientPolicy, top: Math.min(SAMPLE_SIZE, 1000) }))) {
            for (const u of page) if (out.length < SAMPLE_SIZE) out.push(u.SipAddress);
            if (out.length >= SAMPLE_SIZE) break;
        }
        if (out.length >= SAMPLE_SIZE) break;
    }
    return out;
}

function plural(n: number, word: string): string {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** "site:Redmond → Global: 20" for each pair of applying policies that users move between. */
function movesText(moves: Map<string, number>): string {
    return [...moves.entries()].map(([k, n]) => `${k}: ${n}`).join(", ");
}

/** One tenant's reading, shared by its changes. */
interface TenantView {
    client: TenantClient;
    live: PolicySet;
    groups: WireUserGroup[];
    total: number;
}

async function policyImpact(c: Change, view: TenantView): Promise<Impact> {
    const scope = scopeOf(c);
    // A per-user policy being created reaches nobody until it is granted (its grant is a change of its own).
    if (c.op === "create" && c.kind !== "drift" && scope === "tag") return { scope, users: 0, text: "new policy" };
    const sets = policySets(c, view.live);
    if (typeof sets === "string") return { scope, users: null, text: `not counted: ${sets}` };
    let n = 0;
    const reached: WireUserGroup[] = [];
    const moves = new Map<string, number>();
    for (const g of view.groups) {
        const r = groupChanges(g, sets.before, sets.after);
        if (r.changes.length === 0) continue;
        n += g.Count;
        reached.push(g);
        if (r.before.identity !== r.after.identity) {
            const k = `${r.before.identity} → ${r.after.identity}`;
            moves.set(k, (moves.get(k) ?? 0) + g.Count);
        }
    }
    const sample = n > 0 ? await sampleUsers(view.client, reached) : [];
    const applying = view.groups.filter((g) => samePolicy(appliedPolicy(g, sets.before).identity, c.identity) || samePolicy(appliedPolicy(g, sets.after).identity, c.identity))
        .reduce((s, g) => s + g.Count, 0);
    let text = `${plural(n, "user")} of ${view.total} whose effective settings change`;
    if (moves.size > 0) text += ` (moving ${movesText(moves)})`;
    else if (n === 0 && applying > 0) text += ` (${c.identity} applies to ${plural(applying, "user")}, but no client setting they get changes)`;
    else if (n === 0) text += ` (${c.identity} applies to nobody)`;
    return { scope, users: n, text, sample, more: Math.max(0, n - sample.length) };
}

async function grantImpact(c: Change, view: TenantView): Promise<Impact> {
    const id = parsePolicyIdentity(c.identity);
    if (isIdentityError(id) || id.scope !== "tag") return { scope: "grant", users: null, text: "not counted: the granted policy is known only after apply" };
    const usersProp = c.properties.find((p) => p.path === "users" || p.path === "user");
    let granted: string[] = [];
    let unassigned: string[] = [];
    if (c.op === "delete") {
        unassigned = (await view.client.listAssignments(id.name)).map((u) => u.SipAddress);
    } else if (usersProp?.set) {
        granted = (usersProp.after as unknown[] ?? []).map(String);
        unassigned = (usersProp.before as unknown[] ?? []).map(String);
    } else if (usersProp) {
        granted = [usersProp.after].flat().filter((x): x is string => typeof x === "string");
        unassigned = [usersProp.before].flat().filter((x): x is string => typeof x === "string");
    }
    if ([...granted, ...unassigned].some((u) => u === "(known after apply)" || u === "[secret]")) {
        return { scope: "grant", users: null, text: "not counted: the users are secret or known only after apply" };
    }
    // Drift: the tenant already holds the change (granted users have the policy now); pending: it is to come.
    const drift = c.kind === "drift";
    const named = [...new Set([...granted, ...unassigned])];
    const resolved = named.length > 0 ? await view.client.resolveUsers(named) : [];
    const byIdentity = new Map(resolved.map((r) => [r.Identity, r.User]));
    const seen = new Set<string>();
    const reached: string[] = [];
    for (const [list, target] of [[granted, id.name], [unassigned, null]] as Array<[string[], string | null]>) {
        for (const identity of list) {
            const u = byIdentity.get(identity);
            if (!u || seen.has(u.Id)) continue;
            seen.add(u.Id);
            const before = drift ? { ClientPolicy: target === null ? id.name : null, Site: u.Site } : u;
            const after = drift ? u : { ClientPolicy: target, Site: u.Site };
            const b = resolveEffective(before, view.live);
            const a = resolveEffective(after, view.live);
            if (changedSettings(b.settings, a.settings).length > 0) reached.push(u.SipAddress);
        }
    }
    const n = reached.length;
    const unresolved = named.filter((x) => !byIdentity.get(x)).length;
    const sample = reached.slice(0, SAMPLE_SIZE);
    return {
        scope: "grant", users: n,
        text: `${plural(n, "user")} whose effective settings change${unresolved > 0 ? ` (${unresolved} named user(s) not found in the tenant)` : ""}`,
        sample, more: n - sample.length,
    };
}

function scopeOf(c: Change): Impact["scope"] {
    if (c.type === "PolicyGrant") return "grant";
    const id = parsePolicyIdentity(c.identity);
    if (isIdentityError(id)) return "tag";
    return id.scope;
}

/**
 * Adds `impact` to the changes of one tenant that touch a client policy or a grant; reads nothing when none do. Reads:
 * the policies and the user counts once per tenant, then per reached change at most a few user pages (for the
 * sample) or one resolution (a grant's users).
 */
export async function addImpact(changes: Change[], config: Record<string, string>): Promise<Change[]> {
    const wanted = changes.filter((c) => (c.type === "ClientPolicy" || c.type === "PolicyGrant") && !c.impact);
    if (wanted.length === 0) return changes;
    const client = clientOf(config);
    let view: TenantView | string;
    try {
        const [policies, counts] = await Promise.all([readPolicies(client), client.send("GET", Routes.userCounts()) as Promise<{ json: WireUserCounts }>]);
        view = { client, live: policySet(policies), groups: [...counts.json.value], total: counts.json.Total };
    } catch (e) {
        view = publicText(e instanceof Error ? e.message.split("\n")[0] : String(e));
    }
    const out: Change[] = [];
    for (const c of changes) {
        if (!wanted.includes(c)) {
            out.push(c);
            continue;
        }
        let impact: Impact;
        try {
            if (typeof view === "string") throw new Error(view);
            impact = c.type === "PolicyGrant" ? await grantImpact(c, view) : await policyImpact(c, view);
        } catch (e) {
            const why = publicText(e instanceof Error ? e.message.split("\n")[0] : String(e));
            impact = { scope: scopeOf(c), users: null, text: `not counted: ${why}` };
        }
        out.push({ ...c, impact });
    }
    return out;
}
