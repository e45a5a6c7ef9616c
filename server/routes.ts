/**
 * The tenant API's routes (paths from the contract's `ROUTE_PATTERNS`), shared by every backend: request shapes,
 * preconditions and paging are checked here; the domain work is the {@link TenantBackend}'s.
 */
import { BATCH_MAX_USERS, HEADERS, RESOLVE_MAX_IDENTITIES, ROUTE_PATTERNS, Routes } from "../api/contract";
import type { PolicyState, TenantBackend } from "./backend";
import { batchRequestHash, parseBatchOperationId, type BatchReplayKey } from "./batch";
import { Errors } from "./errors";
import type { Reply, RequestContext } from "./http";
import { checkUserIdentity, parseOwner } from "./policyBody";
import { route, type Route } from "./router";
import { userRoutes } from "./userRoutes";

/** Only ClientPolicy is modelled; other policy types are real but not served. */
function requireClientPolicy(type: string): void {
    if (type.toLowerCase() !== "clientpolicy") throw Errors.notImplemented(`Policy type "${type}"`);
}

const JSON_PATCH_TYPES = ["application/merge-patch+json", "application/json"];

function policyReply(state: PolicyState, status = 200, headers: Record<string, string> = {}): Reply {
    return { status, body: state.policy, headers: { ETag: state.etag, ...headers } };
}


/** An assignment's `Owner` from a grant or batch body (absent: none). */
function ownerOf(body: Record<string, unknown>): string | null {
    return body.Owner === undefined ? null : parseOwner(body.Owner, "Owner");
}

/** The tenant API over one backend. */
export const tenantRoutes: Route<TenantBackend>[] = [
    route("GET", ROUTE_PATTERNS.policies, async (ctx, t) => {
        requireClientPolicy(ctx.params.type);
        return ctx.page(await t.listPolicies(), (p) => p, (p) => p.Identity.toLowerCase());
    }),
    route("GET", ROUTE_PATTERNS.policy, async (ctx, t) => {
        requireClientPolicy(ctx.params.type);
        return policyReply(await t.getPolicy(ctx.params.identity));
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
            const state = await t.createPolicy(ctx.params.identity, body);
            // Relative to the API base URL, like @nextLink: never built from the request's Host header.
            return policyReply(state, 201, { Location: Routes.policy(state.policy.Identity) });
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
        return ctx.page(await t.assignedUsers(ctx.params.identity), (u) => u, (u) => u.Id.toLowerCase());
    }),
    route("POST", ROUTE_PATTERNS.batchAssignments, async (ctx, t) => {
        const body = await ctx.jsonObject(["PolicyType", "PolicyName", "Users", "Owner", "OperationId"], ["PolicyType", "PolicyName", "Users"]);
        if (typeof body.PolicyType !== "string") throw Errors.invalidParameter("PolicyType", 'PolicyType must be "ClientPolicy".');
        requireClientPolicy(body.PolicyType);
        const users = body.Users;
        if (!Array.isArray(users) || users.length === 0 || users.length > BATCH_MAX_USERS || !users.every((u) => typeof u === "string" && u.trim() !== "")) {
            throw Errors.invalidParameter("Users", `Users must be an array of 1–${BATCH_MAX_USERS} non-empty user identities${Array.isArray(users) ? `, got ${users.length} entries` : ""}.`);
        }
        // The whole batch is refused for one unusable identity: a batch starts only when every user can be looked up.
        users.forEach((u, i) => checkUserIdentity(u, `Users[${i}]`));
        const owner = ownerOf(body);
        const operationId = parseBatchOperationId(body.OperationId);
        const replay: BatchReplayKey | undefined = operationId === undefined ? undefined
            : { operationId, requestHash: batchRequestHash({ policyType: body.PolicyType, policyName: body.PolicyName, users: users as string[], owner }) };
        const id = await t.startBatch(body.PolicyName, users as string[], owner, replay);
        return { status: 202, body: { OperationId: id }, headers: { Location: Routes.batchAssignment(id) } };
    }),
    route("GET", ROUTE_PATTERNS.batchAssignment, async (ctx, t) => ({ status: 200, body: await t.getBatch(ctx.params.id) })),
    // Read-only: resolves without writing anything (and is not counted as a write).
    route("POST", ROUTE_PATTERNS.userResolutions, async (ctx, t) => {
        const body = await ctx.jsonObject(["Identities"], ["Identities"]);
        const ids = body.Identities;
        if (!Array.isArray(ids) || ids.length === 0 || ids.length > RESOLVE_MAX_IDENTITIES || !ids.every((x) => typeof x === "string")) {
            throw Errors.invalidParameter("Identities", `Identities must be an array of 1–${RESOLVE_MAX_IDENTITIES} user identities (strings)${Array.isArray(ids) ? `, got ${ids.length} entries` : ""}.`);
        }
        return { status: 200, body: { value: await t.resolveUsers(ids as string[]) } };
    }),
    route("GET", ROUTE_PATTERNS.user, async (ctx, t) => ({ status: 200, body: await t.getUser(ctx.params.identity) })),
    route("PUT", ROUTE_PATTERNS.userAssignment, async (ctx, t) => {
        requireClientPolicy(ctx.params.type);
        const body = await ctx.jsonObject(["PolicyName", "Owner"], ["PolicyName"]);
        return { status: 200, body: await t.grant(ctx.params.identity, body.PolicyName, ownerOf(body)) };
    }),
    route("DELETE", ROUTE_PATTERNS.userAssignment, async (ctx, t) => {
        requireClientPolicy(ctx.params.type);
        await t.grant(ctx.params.identity, null, null);
        return { status: 204 };
    }),
    ...userRoutes,
];
