/**
 * The PolicyGrant dynamic provider: check, diff and the CRUD methods against the tenant (resolution of users,
 * ownership checks, batch writes, partial failures). Input parsing, outputs and diff rules are in
 * policyGrant.model.ts.
 *
 * This module's whole `module.exports` is the provider object, so when the package is installed in node_modules Pulumi
 * serializes it as a one-line `require()` of this file (a path stored in users' state: never move or rename it)
 * instead of walking its closure.
 */
import { randomUUID } from "node:crypto";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { PolicyIdentity, foldIdentity, samePolicy } from "../../api/identity";
import { BatchUserResult, ResolveResult, TenantClient, WireUser } from "../client/tenantClient";
import { NotFoundError, PartialFailureError, ValidationError } from "../errors";
import { DeclaredIn, claim, conflictAdvice, describeOwner, isMine, ownerName, parseOwner, takenBackReason } from "../ownership";
import { checkWithTenant, tenantClient, tenantClientForCheck } from "../runtime";
import { engineLog, progressLogger, progressNow, resourceUrn, warn } from "../diagnostics";
import { PROVIDER_KEY, failureAt } from "../checkInputs";
import { plainJson } from "../values";
import { keyedUsers, userKey } from "./grantUsers";
import {
    PolicyGrantInputs, REPLACE_ON_CHANGE, ResolvedUser, TYPE, UNKNOWN_POLICY, changedProperties, fromWireUser, outputs, parseInputs, parseState,
    requested, requireInputs,
} from "./policyGrant.model";
import { providerFor } from "./providerObject";

// ---------------------------------------------------------------- check

/**
 * Validates inputs offline, then — when the tenant is configured and the users are known — resolves every user not
 * declared in the previous inputs with the batch resolution route (one call per 5,000), so preview fails, naming
 * `users[i]`, for users that do not exist, are ambiguous, name one person twice, are granted by another resource of
 * this program, or hold an assignment another owner made (without `adopt`). An unchanged grant costs no call.
 */
async function check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult> {
    const { inputs, partial: parsed, failures } = parseInputs(news, olds ?? {});
    if (parsed?.emptyFromTenant) {
        await warn(`PolicyGrant: the tenant no longer assigns ${parsed.policy.canonical} to any user of this grant (an administrator ` +
            `unassigned them, seen by \`pulumi refresh\`), and the program keeps the state's empty list (\`ignoreChanges\`). ` +
            `Nothing is granted or unassigned; remove \`ignoreChanges\` so \`pulumi up\` grants the program's users again, ` +
            `or remove the PolicyGrant`,
            resourceUrn(TYPE, parsed.owner, parsed.declaredIn));
    }
    tenantClientForCheck(failures);
    if (!parsed || failures.length > 0) return { inputs, failures };
    const property = (i: number) => parsed.fields[i];
    // The engine passes the previous *inputs* as olds: users already declared there were checked by an earlier
    // deployment, so an unchanged grant costs no call (update() still resolves whatever it writes).
    const declaredBefore = new Set(requested(olds ?? {}).map(userKey));
    const positions = parsed.spellings.map((s, i) => [s, i] as const).filter(([s]) => !declaredBefore.has(userKey(s)));
    if (positions.length === 0) return { inputs, failures };
    const resolution = await checkWithTenant(failures, (client) =>
        resolve(client, positions.map(([s]) => s), new Map(), parsed.policy, parsed.owner, parsed.adopt === true, parsed.declaredIn));
    if (!resolution) return { inputs, failures };
    if (resolution.alreadyMine.length > 0 && parsed.owner !== undefined) {
        await warn(takenBackWarning(parsed.policy, parsed.owner, resolution.alreadyMine.map((k) => positions[k][0]), "`pulumi up` will take them back"),
            resourceUrn(TYPE, parsed.owner, parsed.declaredIn));
    }
    for (const problem of resolution.problems) failures.push(failureAt(property(positions[problem.index][1]), problem.reason));
    resolution.users.forEach((user, k) => {
        if (!user) return;
        const other = claim(`user:${foldIdentity(user.id)}`, parsed.owner);
        if (other !== undefined) {
            failures.push(failureAt(property(positions[k][1]), `"${user.requestedAs}" (${user.sipAddress}) is also granted by ${describeOwner(other, parsed.owner)}; a user holds one client policy, so list each user in one grant`));
        }
    });
    return { inputs, failures };
}

/** Compares the last known grant (outputs) with the new inputs; never replaces. Works offline. */
async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.DiffResult> {
    const changed = changedProperties(olds, parseInputs(news, olds).inputs);
    return { changes: changed.length > 0, replaces: changed.filter((k) => REPLACE_ON_CHANGE.includes(k)), deleteBeforeReplace: false };
}

// ---------------------------------------------------------------- resolution

/** One problem with one requested user. */
interface UserProblem {
    readonly index: number;
    readonly reason: string;
}

/** Resolved users (undefined where a problem was found) and the problems, by position in `spellings`. */
interface Resolution {
    readonly users: Array<ResolvedUser | undefined>;
    readonly problems: UserProblem[];
    /** Positions of users whose assignment already carries this grant's owner id (see {@link takenBackReason}). */
    readonly alreadyMine: number[];
}

/**
 * Resolves spellings to users, reusing earlier resolutions (so adding 1 user to 10,000 costs one call) and asking the
 * tenant for the rest with the batch resolution route. Unknown and ambiguous identities, two spellings of one person,
 * and (without `adopt`) users whose assignment another owner made are reported together, by position.
 */
async function resolve(client: TenantClient, spellings: readonly string[], known: ReadonlyMap<string, ResolvedUser>,
    policy: PolicyIdentity, owner: string | undefined, adopt: boolean, declaredIn?: DeclaredIn): Promise<Resolution> {
    const users: Array<ResolvedUser | undefined> = spellings.map((s) => {
        const cached = known.get(userKey(s));
        return cached ? { ...cached, requestedAs: s } : undefined;
    });
    const missing = spellings.map((s, i) => [s, i] as const).filter(([, i]) => !users[i]);
    const problems: UserProblem[] = [];
    const alreadyMine: number[] = [];
    if (missing.length > 0) {
        const answers = await client.resolveUsers(missing.map(([s]) => s));
        answers.forEach((answer: ResolveResult, k) => {
            const [spelling, index] = missing[k];
            if (answer.User) {
                const problem = ownershipProblem(answer.User, policy, owner, adopt, declaredIn);
                if (problem) problems.push({ index, reason: problem });
                else users[index] = fromWireUser(answer.User, spelling);
                if (!problem && owner !== undefined && answer.User.ClientPolicy !== null && answer.User.ClientPolicyOwner === owner) alreadyMine.push(index);
                return;
            }
            const e = answer.Error;
            if (e?.code === "UserNotFound") problems.push({ index, reason: `"${spelling}": no such user in the tenant` });
            else if (e?.code === "AmbiguousIdentity") {
                problems.push({ index, reason: `"${spelling}" matches ${e.matches?.length ?? "several"} users${e.matches ? ` (${e.matches.join(", ")})` : ""}; use the SIP address or UPN` });
            } else problems.push({ index, reason: `"${spelling}": ${e?.message ?? "could not be resolved"}` });
        });
    }
    const byId = new Map<string, number>();
    users.forEach((user, i) => {
        if (!user) return;
        const first = byId.get(user.id);
        if (first !== undefined) {
            problems.push({ index: i, reason: `"${spellings[first]}" and "${spellings[i]}" are the same user (${user.sipAddress}); list each user once` });
            users[i] = undefined;
        } else byId.set(user.id, i);
    });
    problems.sort((a, b) => a.index - b.index);
    return { users, problems, alreadyMine };
}

/** The warning for users a new grant finds already assigned under its own owner id (they are not in this stack's state). */
function takenBackWarning(policy: PolicyIdentity, owner: string, spellings: readonly string[], verb: string): string {
    const shown = spellings.slice(0, 5).map((s) => JSON.stringify(s)).join(", ") + (spellings.length > 5 ? ` and ${spellings.length - 5} more` : "");
    return `PolicyGrant ${policy.canonical}: the assignment of ${spellings.length} user(s) (${shown}) ${takenBackReason(owner, "assignment")}; ${verb}`;
}

/** Why this grant must not take `user` (another owner's assignment), or undefined. */
function ownershipProblem(user: WireUser, policy: PolicyIdentity, owner: string | undefined, adopt: boolean, declaredIn?: DeclaredIn): string | undefined {
    if (adopt || user.ClientPolicy === null || isMine(user.ClientPolicyOwner, owner)) return undefined;
    const replaces = policy === UNKNOWN_POLICY || samePolicy(user.ClientPolicy, policy.canonical) ? "" : ` (this grant would replace it with ${policy.canonical})`;
    return `${user.SipAddress} holds Tag:${user.ClientPolicy}, granted by ${describeOwner(user.ClientPolicyOwner!, owner)}${replaces}. ` +
        conflictAdvice(user.ClientPolicyOwner!, owner, "assignment", declaredIn);
}

/** {@link resolve} for a write: any problem is a {@link ValidationError} naming every user, before anything is written. */
async function resolveForWrite(client: TenantClient, inputs: PolicyGrantInputs, known: ReadonlyMap<string, ResolvedUser>): Promise<ResolvedUser[]> {
    const { users, problems, alreadyMine } = await resolve(client, inputs.spellings, known, inputs.policy, inputs.owner, inputs.adopt === true, inputs.declaredIn);
    if (alreadyMine.length > 0 && problems.length === 0) {
        await warn(takenBackWarning(inputs.policy, inputs.owner!, alreadyMine.map((i) => inputs.spellings[i]), "this run takes them back"),
            resourceUrn(TYPE, inputs.owner, inputs.declaredIn));
    }
    if (problems.length > 0) {
        const where = (i: number) => inputs.fields[i];
        throw new ValidationError(`${problems.length} user identit${problems.length === 1 ? "y" : "ies"} could not be granted, nothing was changed:\n  ` +
            problems.map((p) => `${where(p.index)}: ${p.reason}`).join("\n  "), { code: "UserResolution", target: "users" });
    }
    return users as ResolvedUser[];
}

// ---------------------------------------------------------------- writes

/**
 * Logs a batch's progress at most every few seconds, e.g. `PolicyGrant Tag:OfflineIM: unassigned 2,000/10,000 users`,
 * under the resource `urn` names (stack-level when empty).
 */
function batchProgress(policy: PolicyIdentity, urn: string, verb: "granted" | "unassigned"): (done: number, total: number) => void {
    return progressLogger(verb, (m) => void engineLog("info", `PolicyGrant ${policy.canonical}: ${m} users`, urn), progressNow);
}

/** {@link batchProgress} under the grant's own resource (its URN rebuilt from the owner id; see provider/diagnostics.ts). */
function grantProgress(inputs: PolicyGrantInputs, raw: Record<string, unknown>, verb: "granted" | "unassigned"): (done: number, total: number) => void {
    return batchProgress(inputs.policy, resourceUrn(TYPE, raw.owner, raw.declaredIn), verb);
}

/**
 * Assigns `policyName` (or unassigns, `null`) for `users`, recording `owner`: one PUT for a single user, the batch API
 * otherwise. Returns the users that failed, with the tenant's reason.
 */
async function assign(client: TenantClient, policyName: string | null, users: readonly ResolvedUser[], owner: string | undefined,
    onProgress?: (done: number, total: number) => void): Promise<Map<string, string>> {
    const failed = new Map<string, string>();
    if (users.length === 0) return failed;
    if (users.length === 1) {
        await client.assignUser(users[0].id, policyName, owner);
        return failed;
    }
    const results = await client.batchAssign(policyName, users.map((u) => u.id), owner, onProgress);
    const byUser = new Map<string, BatchUserResult>(results.map((r) => [foldIdentity(String(r.User)), r]));
    for (const u of users) {
        const r = byUser.get(foldIdentity(u.id));
        if (!r) failed.set(u.id, "no result reported by the batch operation");
        else if (r.Status !== "Succeeded") failed.set(u.id, r.Error ? [r.Error.code, r.Error.message].filter(Boolean).join(": ") : "failed");
    }
    return failed;
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

/** Grants the policy to every requested user (resolution and ownership checked for all of them first). */
async function create(raw: Record<string, unknown>): Promise<dynamic.CreateResult> {
    const inputs = requireInputs(raw);
    const client = tenantClient();
    const wanted = await resolveForWrite(client, inputs, new Map());
    const failed = await assign(client, inputs.policy.name, wanted, inputs.owner, grantProgress(inputs, raw, "granted"));
    const outs = outputs(inputs.policy.name, inputs.mode, wanted.filter((u) => !failed.has(u.id)), inputs.owner, inputs.adopt);
    const id = `${inputs.policy.name}/${randomUUID()}`;
    finish(id, raw, outs, failed, wanted);
    return { id, outs };
}

/**
 * Writes only the difference: new users (or everyone, when the policy changed) are granted; users no longer listed
 * are unassigned if — and only if — their current assignment is still this grant's.
 */
async function update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.UpdateResult> {
    const inputs = requireInputs(news, olds);
    const state = parseState(olds);
    const client = tenantClient();
    const policyChanged = !state.policy || state.policy.key !== inputs.policy.key;
    // A new owner id (a stack or project rename, a `state move`, an `aliases` rename, or state from before owners or
    // stack instances): every kept assignment is re-stamped under it, or a later unassign (which only touches this
    // owner's assignments) would skip them, and a later stack reusing the old name could take them.
    const ownerChanged = inputs.owner !== undefined && state.owner !== inputs.owner;
    const known = new Map(state.resolved.map((u) => [userKey(u.requestedAs), u]));
    const wanted = await resolveForWrite(client, inputs, known);

    const wantedIds = new Set(wanted.map((u) => u.id));
    const previousIds = new Set(state.resolved.map((u) => u.id));
    let toGrant = wanted.filter((u) => !previousIds.has(u.id));
    let lost = new Set<string>();
    if (policyChanged || (ownerChanged && inputs.adopt === true)) {
        toGrant = wanted;
    } else if (ownerChanged) {
        const restamp = await restampable(client, state.policy!, wanted.filter((u) => previousIds.has(u.id)), state.owner, inputs.owner);
        toGrant = [...toGrant, ...restamp.ours];
        lost = new Set(restamp.lost.map((l) => l.user.id));
        if (restamp.lost.length > 0) {
            await warn(`PolicyGrant ${inputs.policy.canonical}: ${restamp.lost.length} user(s) no longer hold this grant's assignment, so their ` +
                `owner was not re-stamped: ${restamp.lost.map((l) => `"${l.user.requestedAs}" (${l.now})`).join(", ")}. ` +
                `They leave this grant's outputs; the next \`pulumi up\` grants them again if nobody else holds them`,
                resourceUrn(TYPE, inputs.owner, inputs.declaredIn));
        }
    }
    const failed = await assign(client, inputs.policy.name, toGrant, inputs.owner, grantProgress(inputs, news, "granted"));
    const dropped = state.resolved.filter((u) => !wantedIds.has(u.id));
    if (state.policy) await unassignIfStillOurs(client, state.policy, dropped, state.owner, grantProgress(inputs, news, "unassigned"));

    const outs = outputs(inputs.policy.name, inputs.mode, wanted.filter((u) => !failed.has(u.id) && !lost.has(u.id)), inputs.owner, inputs.adopt);
    finish(id, news, outs, failed, toGrant);
    return { outs };
}

/**
 * For a re-stamp: which of `users` still hold `policy` from this grant (its id in state, its new id, or nobody) — the
 * guard that the tenant's owner is the one in state — and, for the others, what the tenant says now.
 */
async function restampable(client: TenantClient, policy: PolicyIdentity, users: readonly ResolvedUser[], stateOwner: string | undefined,
    newOwner: string | undefined): Promise<{ ours: ResolvedUser[]; lost: Array<{ user: ResolvedUser; now: string }> }> {
    if (users.length === 0) return { ours: [], lost: [] };
    let assigned: Map<string, WireUser>;
    try {
        assigned = new Map((await client.listAssignments(policy.canonical)).map((u) => [u.Id, u]));
    } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        assigned = new Map();
    }
    const ours: ResolvedUser[] = [];
    const lost: Array<{ user: ResolvedUser; now: string }> = [];
    for (const u of users) {
        const live = assigned.get(u.id);
        const owner = live?.ClientPolicyOwner;
        if (live && (isMine(owner, stateOwner) || (!!owner && owner === newOwner))) ours.push(u);
        else lost.push({ user: u, now: live ? `granted by ${describeOwner(owner!, newOwner)}` : `no longer assigned ${policy.canonical}` });
    }
    return { ours, lost };
}

/** Users among `users` whose current assignment is `policy` and was made by `owner` (or nobody). */
async function stillOurs(client: TenantClient, policy: PolicyIdentity, users: readonly ResolvedUser[], owner: string | undefined): Promise<ResolvedUser[] | undefined> {
    let assigned: Map<string, WireUser>;
    try {
        assigned = new Map((await client.listAssignments(policy.canonical)).map((u) => [u.Id, u]));
    } catch (err) {
        if (err instanceof NotFoundError) return undefined; // the policy is gone, and its grants with it
        throw err;
    }
    return users.filter((u) => assigned.has(u.id) && isMine(assigned.get(u.id)!.ClientPolicyOwner, owner));
}

/** Unassigns users whose current assignment is still this grant's; someone else's later grant is left alone. */
async function unassignIfStillOurs(client: TenantClient, policy: PolicyIdentity, users: readonly ResolvedUser[], owner: string | undefined,
    onProgress: (done: number, total: number) => void): Promise<void> {
    if (users.length === 0) return;
    const ours = await stillOurs(client, policy, users, owner);
    if (!ours) return;
    const failed = await assign(client, null, ours, undefined, onProgress);
    if (failed.size > 0) {
        const reasons = ours.filter((u) => failed.has(u.id)).map((u) => `"${u.requestedAs}": ${failed.get(u.id)}`);
        throw new PartialFailureError(`${failed.size} user(s) could not be unassigned from ${policy.canonical}:\n  ${reasons.join("\n  ")}`,
            "", {}, reasons);
    }
}

/**
 * Live state: the granted users whose assignment is still this grant's (this policy, made by this resource or nobody).
 * A deleted policy means the grant is gone.
 */
async function read(id: string, props: Record<string, unknown> = {}): Promise<dynamic.ReadResult> {
    const state = parseState(props);
    if (!state.policy) return { id: "" };
    let live: WireUser[];
    try {
        live = await tenantClient().listAssignments(state.policy.canonical);
    } catch (err) {
        if (err instanceof NotFoundError) return { id: "" };
        throw err;
    }
    const liveById = new Map(live.map((u) => [u.Id, u]));
    const still = state.resolved
        .filter((u) => liveById.has(u.id) && isMine(liveById.get(u.id)!.ClientPolicyOwner, state.owner))
        .map((u) => fromWireUser(liveById.get(u.id)!, u.requestedAs));
    const outs = outputs(state.policy.name, state.mode, still, state.owner, props.adopt);
    const inputs: Record<string, unknown> = { policyName: state.policy.name };
    // The owner in the program's form (`owner` without the instance, and `stackInstance`).
    if (state.owner !== undefined) {
        inputs.owner = ownerName(state.owner);
        const instance = parseOwner(state.owner)?.instance;
        if (instance !== undefined) inputs.stackInstance = instance;
    }
    if (typeof props.adopt === "boolean") inputs.adopt = props.adopt;
    if (outs.user !== undefined) inputs.user = outs.user;
    // Keyed, as check() stores it (so a refresh also brings state from before the keyed shape to it). Nobody left: an
    // empty set, which check() recognises as the tenant's (drift) rather than the program's.
    else inputs.users = keyedUsers((outs.users as string[] | undefined) ?? []);
    return { id, props: outs, inputs };
}

/** Unassigns the grant's users (only those whose assignment is still this grant's). */
async function remove(_id: string, props: Record<string, unknown>): Promise<void> {
    const state = parseState(props);
    if (!state.policy) return;
    // Stack-level progress: the state does not record whether the grant sits under a TenantPolicies component.
    await unassignIfStillOurs(tenantClient(), state.policy, state.resolved, state.owner, batchProgress(state.policy, "", "unassigned"));
}


export = providerFor({ check, diff, create, read, update, remove });
