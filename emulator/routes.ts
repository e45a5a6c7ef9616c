/**
 * Handlers: the tenant API (bearer-authenticated, acting on the token's tenant; paths from the contract's
 * `ROUTE_PATTERNS`) and the emulator-only admin surface under `/_emulator`. Domain records are rendered here, through
 * emulator/views.ts.
 */
import { BATCH_MAX_USERS, HEADERS, RESOLVE_MAX_IDENTITIES, ROUTE_PATTERNS, Routes, type ResolveResult } from "../api/contract";
import { ApiError, Errors } from "./errors";
import type { FaultConfig } from "./limits";
import { checkFaults } from "./limits";
import { execute, parseScriptOrFail } from "./powershell";
import type { RequestContext, Reply } from "./http";
import type { PolicyRecord } from "./store";
import { Tenant } from "./tenant";
import { checkTenantSpec, type TenantRegistry } from "./tenants";
import { batchView, policyView, userView } from "./views";

/** A route: literal segments match case-insensitively, `:name` captures one decoded segment. */
export interface Route<C> {
    method: string;
    /** The pattern as written, e.g. `/users/:identity` (a contract `ROUTE_PATTERNS` entry for tenant routes). */
    path: string;
    pattern: string[];
    handle: (ctx: RequestContext, extra: C) => Promise<Reply>;
}

function route<C>(method: string, path: string, handle: Route<C>["handle"]): Route<C> {
    return { method, path, pattern: path.split("/").filter(Boolean), handle };
}

/** Finds the route for a path: `found` when method and path match, `wrongMethod` when only the path does. */
export function match<C>(routes: Route<C>[], method: string, segments: string[]): { route: Route<C>; params: Record<string, string> } | "wrongMethod" | undefined {
    let pathMatched = false;
    for (const r of routes) {
        if (r.pattern.length !== segments.length) continue;
        const params: Record<string, string> = {};
        const ok = r.pattern.every((p, i) => (p.startsWith(":") ? ((params[p.slice(1)] = segments[i]), true) : p.toLowerCase() === segments[i].toLowerCase()));
        if (!ok) continue;
        if (r.method === method) return { route: r, params };
        pathMatched = true;
    }
    return pathMatched ? "wrongMethod" : undefined;
}

/** Only ClientPolicy is modelled; other policy types are real but not emulated. */
function requireClientPolicy(type: string): void {
    if (type.toLowerCase() !== "clientpolicy") throw Errors.notImplemented(`Policy type "${type}"`);
}

const JSON_PATCH_TYPES = ["application/merge-patch+json", "application/json"];

function policyReply(rec: PolicyRecord, status = 200, headers: Record<string, string> = {}): Reply {
    return { status, body: policyView(rec), headers: { ETag: rec.etag, ...headers } };
}

/** An assignment's `Owner` from a grant or batch body (absent: none). */
function ownerOf(body: Record<string, unknown>): string | null {
    return body.Owner === undefined ? null : Tenant.parseOwner(body.Owner, "Owner");
}

/** One identity of a resolution: the user, or the error a single `GET /users/{identity}` would answer. */
function resolution(t: Tenant, identity: string): ResolveResult {
    try {
        const found = t.findUsers(identity);
        if (found.length === 1) return { Identity: identity, User: userView(found[0]) };
        if (found.length === 0) {
            const e = Errors.userNotFound(identity);
            return { Identity: identity, Error: { code: e.code, message: e.message } };
        }
        const e = Errors.ambiguousIdentity(identity, found);
        return { Identity: identity, Error: { code: e.code, message: e.message, matches: found.map((u) => u.sipAddress) } };
    } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        return { Identity: identity, Error: { code: e.code, message: e.message } };
    }
}

/** The tenant API. */
export const tenantRoutes: Route<Tenant>[] = [
    route("GET", ROUTE_PATTERNS.policies, async (ctx, t) => {
        requireClientPolicy(ctx.params.type);
        return ctx.page(t.listPolicies(), policyView, (p) => p.identity.toLowerCase());
    }),
    route("GET", ROUTE_PATTERNS.policy, async (ctx, t) => {
        requireClientPolicy(ctx.params.type);
        return policyReply(t.getPolicy(ctx.params.identity));
    }),
    route("PUT", ROUTE_PATTERNS.policy, async (ctx, t) => {
        requireClientPolicy(ctx.params.type);
        const ifNoneMatch = ctx.header(HEADERS.ifNoneMatch);
        const ifMatch = ctx.header(HEADERS.ifMatch);
        if (ifNoneMatch !== undefined && (ifNoneMatch.trim() !== "*" || ifMatch !== undefined)) {
            throw Errors.invalidParameter("If-None-Match", "If-None-Match supports only * (create) and cannot be combined with If-Match.");
        }
        if (ifNoneMatch === undefined && ifMatch === undefined) throw Errors.preconditionRequired();
        const body = await ctx.json();
        if (ifNoneMatch !== undefined) {
            const rec = await t.createPolicy(ctx.params.identity, body);
            // Relative to the API base URL, like @nextLink: never built from the request's Host header.
            return policyReply(rec, 201, { Location: Routes.policy(rec.identity) });
        }
        return policyReply(await t.updatePolicy(ctx.params.identity, body, "replace", ifMatch));
    }),
    route("PATCH", ROUTE_PATTERNS.policy, async (ctx, t) => {
        requireClientPolicy(ctx.params.type);
        return policyReply(await t.updatePolicy(ctx.params.identity, await ctx.json(JSON_PATCH_TYPES), "patch", ctx.header(HEADERS.ifMatch)));
    }),
    route("DELETE", ROUTE_PATTERNS.policy, async (ctx, t) => {
        requireClientPolicy(ctx.params.type);
        const reset = await t.removePolicy(ctx.params.identity, ctx.flag("force"), ctx.header(HEADERS.ifMatch));
        if (!reset) return { status: 204 };
        return policyReply(reset, 200, { Warning: '299 - "The Global policy cannot be removed; its settings were reset to their defaults."' });
    }),
    route("GET", ROUTE_PATTERNS.assignments, async (ctx, t) => {
        requireClientPolicy(ctx.params.type);
        t.getPolicy(ctx.params.identity);
        return ctx.page(t.assignedUsers(Tenant.parseIdentity(ctx.params.identity)), userView, (u) => u.id.toLowerCase());
    }),
    route("POST", ROUTE_PATTERNS.batchAssignments, async (ctx, t) => {
        const body = await ctx.jsonObject(["PolicyType", "PolicyName", "Users", "Owner"], ["PolicyType", "PolicyName", "Users"]);
        if (typeof body.PolicyType !== "string") throw Errors.invalidParameter("PolicyType", 'PolicyType must be "ClientPolicy".');
        requireClientPolicy(body.PolicyType);
        const users = body.Users;
        if (!Array.isArray(users) || users.length === 0 || users.length > BATCH_MAX_USERS || !users.every((u) => typeof u === "string" && u.trim() !== "")) {
            throw Errors.invalidParameter("Users", `Users must be an array of 1–${BATCH_MAX_USERS} non-empty user identities${Array.isArray(users) ? `, got ${users.length} entries` : ""}.`);
        }
        const op = await t.startBatch(body.PolicyName, users as string[], ownerOf(body));
        return { status: 202, body: { OperationId: op.id }, headers: { Location: Routes.batchAssignment(op.id) } };
    }),
    route("GET", ROUTE_PATTERNS.batchAssignment, async (ctx, t) => ({ status: 200, body: batchView(t.getBatch(ctx.params.id)) })),
    // Read-only: resolves without writing anything (and is not counted as a write).
    route("POST", ROUTE_PATTERNS.userResolutions, async (ctx, t) => {
        const body = await ctx.jsonObject(["Identities"], ["Identities"]);
        const ids = body.Identities;
        if (!Array.isArray(ids) || ids.length === 0 || ids.length > RESOLVE_MAX_IDENTITIES || !ids.every((x) => typeof x === "string")) {
            throw Errors.invalidParameter("Identities", `Identities must be an array of 1–${RESOLVE_MAX_IDENTITIES} user identities (strings)${Array.isArray(ids) ? `, got ${ids.length} entries` : ""}.`);
        }
        return { status: 200, body: { value: (ids as string[]).map((id) => resolution(t, id)) } };
    }),
    route("GET", ROUTE_PATTERNS.user, async (ctx, t) => ({ status: 200, body: userView(t.resolveUser(ctx.params.identity)) })),
    route("PUT", ROUTE_PATTERNS.userAssignment, async (ctx, t) => {
        requireClientPolicy(ctx.params.type);
        const body = await ctx.jsonObject(["PolicyName", "Owner"], ["PolicyName"]);
        return { status: 200, body: userView(await t.grant(ctx.params.identity, body.PolicyName, ownerOf(body))) };
    }),
    route("DELETE", ROUTE_PATTERNS.userAssignment, async (ctx, t) => {
        requireClientPolicy(ctx.params.type);
        await t.grant(ctx.params.identity, null);
        return { status: 204 };
    }),
];

/** What the admin routes act on. */
export interface AdminContext {
    registry: TenantRegistry;
    faults: FaultConfig;
}

function adminTenant(a: AdminContext, id: string): Tenant {
    const t = a.registry.get(id);
    if (!t) throw Errors.tenantNotFound(id);
    return t;
}

/** The emulator-only surface (no authentication: the server listens on loopback only). */
export const adminRoutes: Route<AdminContext>[] = [
    route("GET", "/_emulator/tenants", async (_ctx, a) => ({ status: 200, body: { value: a.registry.all().map((t) => ({ id: t.id, users: t.state.users.length })) } })),
    route("POST", "/_emulator/tenants", async (ctx, a) => {
        const { tenant, script } = await a.registry.provision(checkTenantSpec(await ctx.json()));
        return { status: 201, body: { id: tenant.id, users: tenant.state.users.length, results: script } };
    }),
    route("GET", "/_emulator/faults", async (_ctx, a) => ({ status: 200, body: a.faults })),
    route("PUT", "/_emulator/faults", async (ctx, a) => {
        const checked = checkFaults(await ctx.json());
        if ("error" in checked) throw Errors.invalidParameter(checked.target, `${checked.target} ${checked.error}.`);
        Object.assign(a.faults, checked.ok);
        return { status: 200, body: a.faults };
    }),
    route("GET", "/_emulator/:tenant/stats", async (ctx, a) => ({ status: 200, body: { ...adminTenant(a, ctx.params.tenant).stats } })),
    route("POST", "/_emulator/:tenant/powershell", async (ctx, a) => {
        const tenant = adminTenant(a, ctx.params.tenant);
        const script = await ctx.text(["text/plain"]);
        const results = await execute(tenant, parseScriptOrFail(script));
        return { status: 200, body: { succeeded: results.every((r) => r.status === "Succeeded"), results } };
    }),
];
