/**
 * The `PolicyGrant` resource: grants one per-user (tag) client policy to one user or to a list of users.
 *
 * State model: outputs hold the canonical `policyName`, the requested spellings that are actually granted
 * (`user` or `users`) and `resolvedUsers` (id, SIP address, display name and the spelling each came from). A user
 * that could not be granted, or that was unassigned outside Pulumi (seen by refresh), is missing from both, so the
 * next diff shows a change and the next `up` grants exactly the missing users. Nothing is ever replaced: changing the
 * policy re-grants in place, because create-before-delete would leave users unassigned in between.
 */
import { randomUUID } from "node:crypto";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { isIdentityError, parsePolicyIdentity } from "../../api/identity";
import { BatchUserResult, TenantClient, WireUser } from "../client/tenantClient";
import { ClientPolicyError, ConflictError, NotFoundError, PartialFailureError, ValidationError } from "../errors";
import { tenantClient } from "../runtime";
import { PROVIDER_KEY, isUnknown, plainJson, show, unknownPropertyFailure, userInputs } from "../schema";

/** Dynamic resource module and type: URN type `pulumi-nodejs:dynamic/clientpolicy:PolicyGrant`. Public API. */
export const MODULE = "clientpolicy";
/** Type name of the resource (public API, never rename). */
export const TYPE = "PolicyGrant";

/** Every input property. */
export const INPUTS = ["policyName", "user", "users"] as const;

/** No input replaces a grant: all changes are applied in place (see the module comment). */
export const REPLACE_ON_CHANGE: readonly string[] = [];

/** Parallel user look-ups: enough to hide latency, few enough not to trip the tenant's throttling. */
const RESOLVE_CONCURRENCY = 16;

/** A granted user as recorded in outputs. */
export interface ResolvedUser {
    id: string;
    sipAddress: string;
    displayName: string;
    /** The spelling in the program that resolved to this user. */
    requestedAs: string;
}

// ---------------------------------------------------------------- check

/** Lower-cased, trimmed spelling: the tenant matches every identity form case-insensitively. */
function spellingKey(s: string): string {
    return s.trim().toLowerCase();
}

/** Validates `policyName` and exactly one of `user`/`users`; canonicalises the policy name (no `Tag:`). */
export async function check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult> {
    const props = userInputs(news);
    const failures: dynamic.CheckFailure[] = [];
    const inputs: Record<string, unknown> = {};
    for (const key of Object.keys(props)) {
        if (!(INPUTS as readonly string[]).includes(key)) failures.push(unknownPropertyFailure(key, INPUTS));
    }

    const policyName = props.policyName;
    if (isUnknown(policyName)) inputs.policyName = policyName;
    else if (policyName === undefined) failures.push({ property: "policyName", reason: "is required: the per-user policy to grant, e.g. \"Tag:OfflineIM\" or \"OfflineIM\"" });
    else {
        const parsed = parsePolicyIdentity(policyName);
        if (isIdentityError(parsed)) failures.push({ property: "policyName", reason: parsed.error });
        else if (parsed.scope !== "tag") {
            failures.push({
                property: "policyName",
                reason: `${parsed.canonical} applies by scope and cannot be granted to users; grant a per-user policy ("Tag:<name>")`,
            });
        } else inputs.policyName = parsed.name;
    }

    const hasUser = props.user !== undefined && props.user !== null;
    const hasUsers = props.users !== undefined && props.users !== null;
    if (hasUser === hasUsers) {
        failures.push({
            property: hasUser ? "users" : "user",
            reason: hasUser ? "give either user or users, not both" : "one of user (a single identity) or users (a list) is required",
        });
    } else if (hasUser) {
        const reason = isUnknown(props.user) ? undefined : identityProblem(props.user);
        if (reason) failures.push({ property: "user", reason });
        else inputs.user = isUnknown(props.user) ? props.user : (props.user as string).trim();
    } else if (isUnknown(props.users) || !Array.isArray(props.users)) {
        if (isUnknown(props.users)) inputs.users = props.users;
        else failures.push({ property: "users", reason: `must be a list of user identities, got ${show(props.users)}` });
    } else {
        const seen = new Map<string, number>();
        const list: unknown[] = [];
        props.users.forEach((u, i) => {
            if (isUnknown(u)) { list.push(u); return; }
            const reason = identityProblem(u);
            if (reason) { failures.push({ property: `users[${i}]`, reason }); return; }
            const spelling = (u as string).trim();
            const first = seen.get(spellingKey(spelling));
            if (first !== undefined) {
                failures.push({ property: `users[${i}]`, reason: `duplicates users[${first}] (${show(props.users![first as never])}); list each user once` });
                return;
            }
            seen.set(spellingKey(spelling), i);
            list.push(spelling);
        });
        inputs.users = list;
    }
    return { inputs, failures };
}

/** Why a value is not an acceptable user identity, or undefined when it is. */
function identityProblem(v: unknown): string | undefined {
    if (typeof v !== "string" || v.trim() === "") {
        return `must be a user identity (SIP address, UPN, DOMAIN\\logon, display name or object id), got ${show(v)}`;
    }
    if (v.includes("*")) return `wildcards are not accepted (got ${show(v)}): list the users explicitly`;
    return undefined;
}

// ---------------------------------------------------------------- diff

/** The requested spellings of a grant (outputs or inputs), in order. */
export function requested(props: Record<string, unknown>): string[] {
    if (typeof props.user === "string") return [props.user];
    return Array.isArray(props.users) ? props.users.filter((u): u is string => typeof u === "string") : [];
}

function spellingSet(props: Record<string, unknown>): Set<string> {
    return new Set(requested(props).map(spellingKey));
}

/**
 * Changed properties. Outputs list only the users actually granted, so a failed or drifted user shows up here as a
 * difference in `user`/`users` and the next update retries it.
 */
export function changedProperties(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
    const changed: string[] = [];
    if (isUnknown(news.policyName) || spellingKey(String(olds.policyName ?? "")) !== spellingKey(String(news.policyName ?? ""))) {
        changed.push("policyName");
    }
    const mode = modeOf(news);
    const a = spellingSet(olds);
    const b = spellingSet(news);
    if (isUnknown(news[mode]) || a.size !== b.size || [...a].some((k) => !b.has(k)) || (olds.user !== undefined) !== (news.user !== undefined)) {
        changed.push(mode);
    }
    return changed;
}

/** Compares the last known grant (outputs) with the new inputs; never replaces. */
export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.DiffResult> {
    const changed = changedProperties(olds, userInputs(news));
    return { changes: changed.length > 0, replaces: changed.filter((k) => REPLACE_ON_CHANGE.includes(k)), deleteBeforeReplace: false };
}

// ---------------------------------------------------------------- resolution

/** Runs `fn` over `items` with at most `limit` in flight, keeping order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const out = new Array<R>(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            out[i] = await fn(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return out;
}

/**
 * Resolves spellings to users, reusing earlier resolutions (so a diff of 100 users costs 100 look-ups, not 10,000).
 * Unknown and ambiguous identities are collected and reported together, and two spellings of the same user are an
 * error naming both — all before anything is written.
 */
export async function resolveUsers(client: TenantClient, spellings: readonly string[], known: ReadonlyMap<string, ResolvedUser>): Promise<ResolvedUser[]> {
    const problems: string[] = [];
    const resolved = await mapLimit(spellings, RESOLVE_CONCURRENCY, async (spelling): Promise<ResolvedUser | undefined> => {
        const cached = known.get(spellingKey(spelling));
        if (cached) return { ...cached, requestedAs: spelling };
        try {
            return fromWireUser(await client.getUser(spelling), spelling);
        } catch (err) {
            if (err instanceof NotFoundError) { problems.push(`"${spelling}": no such user`); return undefined; }
            if (err instanceof ConflictError) {
                problems.push(`"${spelling}" is ambiguous (${err.tenantMessage ?? err.code}); use the SIP address or UPN`);
                return undefined;
            }
            if (err instanceof ClientPolicyError && err.status === 400) {
                problems.push(`"${spelling}": ${err.tenantMessage ?? err.message}`);
                return undefined;
            }
            throw err;
        }
    });
    const byId = new Map<string, string>();
    for (const user of resolved) {
        if (!user) continue;
        const other = byId.get(user.id);
        if (other !== undefined) problems.push(`"${other}" and "${user.requestedAs}" are the same user (${user.sipAddress}); list each user once`);
        else byId.set(user.id, user.requestedAs);
    }
    if (problems.length > 0) {
        throw new ValidationError(`${problems.length} user identit${problems.length === 1 ? "y" : "ies"} could not be granted, nothing was changed:\n  ` +
            problems.join("\n  "), { code: "UserResolution", target: "users" });
    }
    return resolved as ResolvedUser[];
}

function fromWireUser(u: WireUser, requestedAs: string): ResolvedUser {
    return { id: u.Id, sipAddress: u.SipAddress, displayName: u.DisplayName, requestedAs };
}

// ---------------------------------------------------------------- writes

/**
 * Assigns `policyName` (or unassigns, `null`) for `users`: one PUT for a single user, the batch API otherwise.
 * Returns the users that failed, with the tenant's reason.
 */
async function assign(client: TenantClient, policyName: string | null, users: readonly ResolvedUser[]): Promise<Map<string, string>> {
    const failed = new Map<string, string>();
    if (users.length === 0) return failed;
    if (users.length === 1) {
        await client.assignUser(users[0].id, policyName);
        return failed;
    }
    const results = await client.batchAssign(policyName, users.map((u) => u.id));
    const byUser = new Map<string, BatchUserResult>(results.map((r) => [String(r.User).toLowerCase(), r]));
    for (const u of users) {
        const r = byUser.get(u.id.toLowerCase());
        if (!r) failed.set(u.id, "no result reported by the batch operation");
        else if (r.Status !== "Succeeded") failed.set(u.id, describeBatchError(r.Error));
    }
    return failed;
}

function describeBatchError(e: unknown): string {
    if (e && typeof e === "object") {
        const o = e as Record<string, unknown>;
        return [o.code, o.message].filter((x) => typeof x === "string").join(": ") || JSON.stringify(e);
    }
    return typeof e === "string" ? e : "failed";
}

/** Outputs for the granted users; `mode` keeps the `user` / `users` shape the program used. */
function outputs(policyName: string, mode: "user" | "users", granted: ResolvedUser[]): Record<string, unknown> {
    const outs: Record<string, unknown> = { policyName, resolvedUsers: granted };
    if (mode === "user") { if (granted.length > 0) outs.user = granted[0].requestedAs; } else outs.users = granted.map((u) => u.requestedAs);
    return outs;
}

function modeOf(props: Record<string, unknown>): "user" | "users" {
    return props.user !== undefined ? "user" : "users";
}

/** The policy's route identity from a grant's policy name. */
function tagIdentity(policyName: string): string {
    return `Tag:${policyName}`;
}

/** Throws a partial failure (outputs with only the granted users go to state) when some users failed. */
function finish(id: string, props: Record<string, unknown>, outs: Record<string, unknown>, failed: Map<string, string>, wanted: ResolvedUser[]) {
    if (failed.size === 0) return;
    const reasons = wanted.filter((u) => failed.has(u.id)).map((u) => `"${u.requestedAs}" (${u.sipAddress}): ${failed.get(u.id)}`);
    throw new PartialFailureError(
        `${failed.size} of ${wanted.length} user(s) could not be granted ${outs.policyName}; the others were. ` +
        `Run \`pulumi up\` again to retry the failed ones:\n  ${reasons.join("\n  ")}`,
        id, plainJson({ ...outs, [PROVIDER_KEY]: props[PROVIDER_KEY] }), reasons);
}

/** Grants the policy to every requested user. */
export async function create(inputs: Record<string, unknown>): Promise<dynamic.CreateResult> {
    const client = tenantClient();
    const policyName = String(inputs.policyName);
    const wanted = await resolveUsers(client, requested(inputs), new Map());
    const failed = await assign(client, policyName, wanted);
    const outs = outputs(policyName, modeOf(inputs), wanted.filter((u) => !failed.has(u.id)));
    const id = `${policyName}/${randomUUID()}`;
    finish(id, inputs, outs, failed, wanted);
    return { id, outs };
}

/**
 * Writes only the difference: new users (or everyone, when the policy changed) are granted; users no longer listed
 * are unassigned if — and only if — their current assignment is still this grant's policy.
 */
export async function update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.UpdateResult> {
    const client = tenantClient();
    const inputs = userInputs(news);
    const oldPolicy = String(olds.policyName);
    const policyName = String(inputs.policyName);
    const policyChanged = spellingKey(oldPolicy) !== spellingKey(policyName);
    const previous = (Array.isArray(olds.resolvedUsers) ? olds.resolvedUsers : []) as ResolvedUser[];
    const known = new Map(previous.map((u) => [spellingKey(u.requestedAs), u]));
    const wanted = await resolveUsers(client, requested(inputs), known);

    const wantedIds = new Set(wanted.map((u) => u.id));
    const previousIds = new Set(previous.map((u) => u.id));
    const toGrant = policyChanged ? wanted : wanted.filter((u) => !previousIds.has(u.id));
    const failed = await assign(client, policyName, toGrant);
    const dropped = previous.filter((u) => !wantedIds.has(u.id));
    await unassignIfStillOurs(client, oldPolicy, dropped);

    const outs = outputs(policyName, modeOf(inputs), wanted.filter((u) => !failed.has(u.id)));
    finish(id, news, outs, failed, toGrant);
    return { outs };
}

/** Unassigns users whose current assignment is still `policyName`; someone else's later grant is left alone. */
async function unassignIfStillOurs(client: TenantClient, policyName: string, users: readonly ResolvedUser[]): Promise<void> {
    if (users.length === 0) return;
    let assigned: Set<string>;
    try {
        assigned = new Set((await client.listAssignments(tagIdentity(policyName))).map((u) => u.Id));
    } catch (err) {
        if (err instanceof NotFoundError) return; // the policy is gone, and its grants with it
        throw err;
    }
    const ours = users.filter((u) => assigned.has(u.id));
    const failed = await assign(client, null, ours);
    if (failed.size > 0) {
        const reasons = ours.filter((u) => failed.has(u.id)).map((u) => `"${u.requestedAs}": ${failed.get(u.id)}`);
        throw new ClientPolicyError(`${failed.size} user(s) could not be unassigned from ${policyName}:\n  ${reasons.join("\n  ")}`,
            { code: "PartialFailure" });
    }
}

/** Live state: the granted users still assigned this policy. A deleted policy means the grant is gone. */
export async function read(id: string, props: Record<string, unknown> = {}): Promise<dynamic.ReadResult> {
    const policyName = String(props.policyName);
    let live: WireUser[];
    try {
        live = await tenantClient().listAssignments(tagIdentity(policyName));
    } catch (err) {
        if (err instanceof NotFoundError) return { id: "" };
        throw err;
    }
    const liveById = new Map(live.map((u) => [u.Id, u]));
    const previous = (Array.isArray(props.resolvedUsers) ? props.resolvedUsers : []) as ResolvedUser[];
    const still = previous.filter((u) => liveById.has(u.id)).map((u) => fromWireUser(liveById.get(u.id)!, u.requestedAs));
    const outs = outputs(policyName, modeOf(props), still);
    const inputs: Record<string, unknown> = { policyName };
    if (outs.user !== undefined) inputs.user = outs.user;
    if (outs.users !== undefined) inputs.users = outs.users;
    return { id, props: outs, inputs };
}

/** Unassigns the grant's users (only those still assigned this policy). */
export async function remove(_id: string, props: Record<string, unknown>): Promise<void> {
    const users = (Array.isArray(props.resolvedUsers) ? props.resolvedUsers : []) as ResolvedUser[];
    await unassignIfStillOurs(tenantClient(), String(props.policyName), users);
}
