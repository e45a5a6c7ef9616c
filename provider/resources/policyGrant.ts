/**
 * The `PolicyGrant` resource: grants one per-user (tag) client policy to one user or to a list of users. Class and
 * args, schema, replacement rules (none), check, diff and CRUD, and the ownership rules (provider/ownership.ts) for
 * user assignments.
 *
 * State model: outputs hold the canonical `policyName`, the requested spellings that are actually granted (`user` or
 * `users`) and `resolvedUsers` (id, SIP address, display name and the spelling each came from). A user that could not
 * be granted, or that was unassigned or re-granted outside this resource (seen by refresh), is missing from both, so
 * the next diff shows a change and the next `up` grants exactly the missing users. Nothing is ever replaced: changing
 * the policy re-grants in place, because create-before-delete would leave users unassigned in between.
 *
 * Inputs hold `users` keyed by user (provider/resources/grantUsers.ts), so `preview --diff` names the users added and
 * removed; outputs keep the list the class documents.
 */
import { randomUUID } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { PolicyIdentity, controlCharacterProblem, foldIdentity, isIdentityError, parseGrantPolicyName, samePolicy } from "../../api/identity";
import { BatchUserResult, ResolveResult, TenantClient, WireUser } from "../client/tenantClient";
import { NotFoundError, PartialFailureError, ValidationError } from "../errors";
import {
    DeclaredIn, claim, conflictAdvice, declareInProgram, declaredLater, describeOwner, isMine, ownerId, ownerName, ownerOf, parseDeclaredIn, parseOwner,
    takenBackReason, warn, withInstance,
} from "../ownership";
import { stackInstance } from "./stackInstance";
import { SECRET_SIG, keyedUsers, listedUsers, userEntries, userKey } from "./grantUsers";
import { checkWithTenant, tenantClient, tenantClientForCheck } from "../runtime";
import { engineLog, resourceUrn } from "../diagnostics";
import {
    DECLARATION_PROBLEM, DeclarationProblem, PROVIDER_KEY, checkOptionalBoolean, declarationFailure, failureAt, isUnknown, plainJson, requireValid, show,
    unknownPropertyFailure, userInputs,
} from "../schema";

/** Dynamic resource module and type: URN type `pulumi-nodejs:dynamic/clientpolicy:PolicyGrant`. Public API. */
export const MODULE = "clientpolicy";
/** Type name of the resource (public API, never rename). */
export const TYPE = "PolicyGrant";

/** Every input property a program may set (`owner` is set by the resource class). */
export const INPUTS = ["policyName", "user", "users", "adopt"] as const;

/** No input replaces a grant: all changes are applied in place (see the module comment). */
export const REPLACE_ON_CHANGE: readonly string[] = [];

/** A granted user as recorded in outputs. */
export interface ResolvedUser {
    id: string;
    sipAddress: string;
    displayName: string;
    /** The spelling in the program that resolved to this user. */
    requestedAs: string;
}

// ---------------------------------------------------------------- class and args

/** Inputs of a {@link PolicyGrant}: the policy and exactly one of `user` / `users`. */
export interface PolicyGrantArgs {
    /** A per-user policy: `Tag:OfflineIM` or `OfflineIM` (typically `policy.identity`). Changing it re-grants in place. */
    policyName: pulumi.Input<string>;
    /** One user: SIP address, UPN, `DOMAIN\logon`, display name or object id. No wildcards. */
    user?: pulumi.Input<string>;
    /** Many users (any identity forms, thousands are fine: the batch API is used, 5,000 per call). */
    users?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Take over users whose current assignment another PolicyGrant (of this or another stack) made. Without it, such
     * users fail the preview, naming the other owner.
     */
    adopt?: pulumi.Input<boolean>;
}

/**
 * Grants a per-user client policy to users. Adding or removing users assigns or unassigns only the difference;
 * destroying it unassigns the users whose assignment is still this grant's. Each assignment records this resource
 * (`project/stack/name`) as its owner.
 */
export class PolicyGrant extends pulumi.dynamic.Resource {
    /** Canonical policy name (without `Tag:`). */
    declare public readonly policyName: pulumi.Output<string>;
    /** The requested user, once granted. */
    declare public readonly user: pulumi.Output<string | undefined>;
    /** The requested users that are granted. */
    declare public readonly users: pulumi.Output<string[] | undefined>;
    /**
     * The granted users as the tenant resolved them (names and SIP addresses: personal data). Secret whenever the
     * users are given as outputs (which may be secret), so a `pulumi.secret([...])` list never reaches state in clear.
     */
    declare public readonly resolvedUsers: pulumi.Output<ResolvedUser[]>;
    /** This resource's owner id, recorded on every assignment it makes. */
    declare public readonly owner: pulumi.Output<string>;

    constructor(name: string, args: PolicyGrantArgs, opts?: pulumi.CustomResourceOptions) {
        // Problems only the program can see are reported by check() (see DECLARATION_PROBLEM), not thrown here.
        let problem: DeclarationProblem | Promise<DeclarationProblem | undefined> | undefined;
        const spellings = typeof args.user === "string" ? [args.user]
            : Array.isArray(args.users) ? args.users.filter((u): u is string => typeof u === "string") : [];
        const propertyOf = (spelling: string) => (typeof args.user === "string" ? "user" : `users[${(args.users as unknown[]).indexOf(spelling)}]`);
        const clash = (spelling: string, a: string, b: string): DeclarationProblem => ({
            property: propertyOf(spelling),
            reason: `PolicyGrant "${a}" and PolicyGrant "${b}" both grant "${spelling}"; a user can hold one client policy, so list each user in one grant`,
        });
        const keys = new Map<string, string>();
        for (const spelling of spellings) {
            const key = `user:${userKey(spelling)}`;
            keys.set(key, spelling);
            const other = declareInProgram(key, name);
            if (other !== undefined && !problem) problem = clash(spelling, name, other);
        }
        if (!problem && keys.size > 0) {
            problem = declaredLater([...keys.keys()], name).then((later) => (later ? clash(keys.get(later.key)!, later.other, name) : undefined));
        }
        if (opts?.import !== undefined) {
            problem = { property: "", reason: `PolicyGrant "${name}": the \`import\` resource option does not work for dynamic resources ` +
                `(pulumi/pulumi#16175). Remove it; to take over users another grant assigned, set \`adopt: true\`.` };
            opts = { ...opts, import: undefined };
        }
        const fromOutputs = pulumi.Output.isInstance(args.users) || pulumi.Output.isInstance(args.user) ||
            (Array.isArray(args.users) && args.users.some((u) => pulumi.Output.isInstance(u)));
        const props: Record<string, unknown> = {
            user: undefined, users: undefined, resolvedUsers: undefined, ...args, owner: ownerId(pulumi.getProject(), pulumi.getStack(), name),
            stackInstance: stackInstance(),
            ...(problem ? { [DECLARATION_PROBLEM]: problem } : {}),
        };
        const secretOpts = fromOutputs
            ? { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "resolvedUsers"] }
            : opts;
        super(require("./policyGrant.provider"), name, props, secretOpts, MODULE, TYPE);
    }
}

// ---------------------------------------------------------------- typed inputs and state

/** Canonical inputs of a grant. */
export interface PolicyGrantInputs {
    /** The tag policy (`Tag:<name>`). */
    readonly policy: PolicyIdentity;
    readonly mode: "user" | "users";
    /** Trimmed spellings: in program order from a list, in key order from the stored keyed shape. */
    readonly spellings: readonly string[];
    /** The property each spelling came from, for errors: `user`, `users[3]`, or `users["SIP:A@…"]` from the keyed shape. */
    readonly fields: readonly string[];
    /** The owner id to record (with the stack instance; see provider/ownership.ts). */
    readonly owner?: string;
    readonly adopt?: boolean;
    /** Where the program declared it, when that is a TenantPolicies component (for advice). */
    readonly declaredIn?: DeclaredIn;
    /**
     * The list is empty because the tenant's state says so (a refresh found every user unassigned, and the program
     * keeps the state's list with `ignoreChanges`): drift to report, not a program error.
     */
    readonly emptyFromTenant?: boolean;
}

/** Internal inputs the resource class (or TenantPolicies) sets; a program never does. */
const INTERNAL_INPUTS: ReadonlySet<string> = new Set(["owner", "stackInstance", "declaredIn", DECLARATION_PROBLEM]);

/** A stored state (outputs), parsed once. */
interface PolicyGrantState {
    readonly policy?: PolicyIdentity;
    readonly mode: "user" | "users";
    readonly resolved: readonly ResolvedUser[];
    readonly owner?: string;
}

function parseState(props: Record<string, unknown>): PolicyGrantState {
    const policy = parseGrantPolicyName(props.policyName);
    const resolved = (Array.isArray(props.resolvedUsers) ? props.resolvedUsers : []).filter((u): u is ResolvedUser =>
        !!u && typeof u === "object" && typeof (u as ResolvedUser).id === "string" && typeof (u as ResolvedUser).requestedAs === "string");
    return {
        policy: isIdentityError(policy) ? undefined : policy,
        mode: props.user !== undefined ? "user" : "users",
        resolved,
        owner: typeof props.owner === "string" && props.owner !== "" ? props.owner : undefined,
    };
}

/** Why a value is not an acceptable user identity, or undefined when it is. */
function identityProblem(v: unknown): string | undefined {
    if (typeof v !== "string" || v.trim() === "") {
        return `must be a user identity (SIP address, UPN, DOMAIN\\logon, display name or object id), got ${show(v)}`;
    }
    if (v.includes("*")) return `wildcards are not accepted (got ${show(v)}): list the users explicitly`;
    // Users are stored as object keys (grantUsers.ts), and an object with this key is a secret to the engine.
    if (v.trim() === SECRET_SIG) return `${show(v)} is Pulumi's marker of a secret value and cannot name a user`;
    // The tenant refuses the same (api/identity.ts); found here, the preview already says so.
    return controlCharacterProblem(v);
}

/**
 * Validates and canonicalises raw inputs (policy name without `Tag:`, trimmed spellings, duplicates by spelling).
 * Used by check() and by every CRUD method on its own inputs.
 */
export function parseInputs(news: Record<string, unknown>, olds: Record<string, unknown> = {}): {
    inputs: Record<string, unknown>; parsed?: PolicyGrantInputs; partial?: PolicyGrantInputs; failures: dynamic.CheckFailure[];
} {
    const props = userInputs(news);
    const failures: dynamic.CheckFailure[] = [];
    const inputs: Record<string, unknown> = {};
    for (const key of Object.keys(props)) {
        if (!INTERNAL_INPUTS.has(key) && !(INPUTS as readonly string[]).includes(key)) failures.push(unknownPropertyFailure(key, INPUTS));
    }
    const declared = declarationFailure(props);
    if (declared) failures.push(declared);
    const owner = ownerOf(props, inputs);
    const declaredIn = parseDeclaredIn(props.declaredIn);
    if (declaredIn) inputs.declaredIn = declaredIn;
    // An empty set that the previous inputs hold too came from the tenant (a refresh recorded that every user was
    // unassigned; `ignoreChanges: ["users"]` then keeps it), not from the program. Either shape (see grantUsers.ts).
    const emptyInState = listedUsers(olds.users)?.length === 0;
    const noUsers = (props.users === undefined || props.users === null) && (props.user === undefined || props.user === null);
    if (emptyInState && noUsers) props.users = [];
    const emptyFromTenant = emptyInState && listedUsers(props.users)?.length === 0;
    const adopt = checkOptionalBoolean(props, "adopt", failures);
    if (adopt !== undefined) inputs.adopt = adopt;

    let policy: PolicyIdentity | undefined;
    const policyName = props.policyName;
    if (isUnknown(policyName)) inputs.policyName = policyName;
    else if (policyName === undefined) failures.push({ property: "policyName", reason: "is required: the per-user policy to grant, e.g. \"Tag:OfflineIM\" or \"OfflineIM\"" });
    else {
        const parsed = parseGrantPolicyName(policyName);
        if (isIdentityError(parsed)) failures.push({ property: "policyName", reason: parsed.error });
        else { policy = parsed; inputs.policyName = parsed.name; }
    }

    let spellings: string[] | undefined;
    let fields: string[] = [];
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
        else if (isUnknown(props.user)) inputs.user = props.user;
        else { spellings = [(inputs.user = (props.user as string).trim()) as string]; fields = ["user"]; }
    } else if (isUnknown(props.users)) {
        inputs.users = props.users;
    } else {
        // The program's list, or the keyed shape stored by an earlier check() (see grantUsers.ts).
        const entries = userEntries(props.users);
        if (!entries) {
            failures.push({ property: "users", reason: `must be a list of user identities, got ${show(props.users)}` });
        } else if (entries.length === 0 && !emptyFromTenant) {
            failures.push({ property: "users", reason: "must list at least one user (an empty grant grants nobody); remove the PolicyGrant instead" });
        } else {
            const seen = new Map<string, [string, unknown]>();
            const list: unknown[] = [];
            let unknown = false;
            for (const [field, u] of entries) {
                if (isUnknown(u)) { list.push(u); unknown = true; continue; }
                const reason = identityProblem(u);
                if (reason) { failures.push(failureAt(field, reason)); continue; }
                const spelling = (u as string).trim();
                const first = seen.get(userKey(spelling));
                if (first !== undefined) {
                    failures.push(failureAt(field, `duplicates ${first[0]} (${show(first[1])}); list each user once`));
                    continue;
                }
                seen.set(userKey(spelling), [field, u]);
                list.push(spelling);
                fields.push(field);
            }
            // Keyed by user, so the engine's diff of stored and new inputs names users, not positions. A value known
            // only after apply has no key yet: the list stays a list until it is known.
            inputs.users = unknown ? list : keyedUsers(list as string[]);
            if (!unknown) spellings = list as string[];
        }
    }
    const mode = hasUser ? "user" as const : "users" as const;
    const control = { owner, adopt, declaredIn, ...(emptyFromTenant ? { emptyFromTenant } : {}) };
    const parsed = policy && spellings && failures.length === 0 ? { policy, mode, spellings, fields, ...control } : undefined;
    // The ownership checks need the users, not the policy: a policy name not known yet (an output) never skips them.
    const partial = spellings && !isUnknown(props.adopt) ? { policy: policy ?? UNKNOWN_POLICY, mode, spellings, fields, ...control } : undefined;
    return { inputs, parsed, partial, failures };
}

/** Stands for a policy name not known yet (preview), in checks that do not depend on it. */
const UNKNOWN_POLICY: PolicyIdentity = { scope: "tag", name: "(known after apply)", canonical: "Tag:(known after apply)", key: "tag:\u0000unknown" } as PolicyIdentity;

function requireInputs(news: Record<string, unknown>, olds: Record<string, unknown> = {}): PolicyGrantInputs {
    return requireValid("PolicyGrant", parseInputs(news, olds));
}

// ---------------------------------------------------------------- check

/**
 * Validates inputs offline, then — when the tenant is configured and the users are known — resolves every user not
 * declared in the previous inputs with the batch resolution route (one call per 5,000), so preview fails, naming
 * `users[i]`, for users that do not exist, are ambiguous, name one person twice, are granted by another resource of
 * this program, or hold an assignment another owner made (without `adopt`). An unchanged grant costs no call.
 */
export async function check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult> {
    const { inputs, partial: parsed, failures } = parseInputs(news, olds ?? {});
    if (parsed?.emptyFromTenant) {
        warn(`PolicyGrant: the tenant no longer assigns ${parsed.policy.canonical} to any user of this grant (an administrator ` +
            `unassigned them, seen by \`pulumi refresh\`), and the program keeps the state's empty list (\`ignoreChanges\`). ` +
            `Nothing is granted or unassigned; remove \`ignoreChanges\` so \`pulumi up\` grants the program's users again, ` +
            `or remove the PolicyGrant`);
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
        warn(takenBackWarning(parsed.policy, parsed.owner, resolution.alreadyMine.map((k) => positions[k][0]), "`pulumi up` will take them back"));
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

// ---------------------------------------------------------------- diff

/** The requested spellings of a grant (outputs, or inputs of either shape). */
export function requested(props: Record<string, unknown>): string[] {
    if (typeof props.user === "string") return [props.user];
    return (listedUsers(props.users) ?? []).filter((u): u is string => typeof u === "string");
}

function spellingSet(props: Record<string, unknown>): Set<string> {
    return new Set(requested(props).map(userKey));
}

/**
 * Changed properties. Outputs list only the users actually granted, so a failed or drifted user shows up here as a
 * difference in `user`/`users` and the next update retries it.
 */
export function changedProperties(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
    const changed: string[] = [];
    if (isUnknown(news.policyName) || !samePolicy(olds.policyName, news.policyName)) changed.push("policyName");
    const mode = news.user !== undefined ? "user" : "users";
    const a = spellingSet(olds);
    const b = spellingSet(news);
    if (isUnknown(news[mode]) || a.size !== b.size || [...a].some((k) => !b.has(k)) || (olds.user !== undefined) !== (news.user !== undefined)) {
        changed.push(mode);
    }
    // The owner id recorded on every assignment: after a stack or project rename, a `state move` or an `aliases` rename
    // the program's id differs from the one in state, and the update re-stamps each assignment (no other write).
    if (typeof olds.owner === "string" && typeof news.owner === "string" &&
        (isUnknown(news.stackInstance) || olds.owner !== withInstance(news.owner, typeof news.stackInstance === "string" ? news.stackInstance : undefined))) {
        changed.push("owner");
    }
    return changed;
}

/** Compares the last known grant (outputs) with the new inputs; never replaces. Works offline. */
export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.DiffResult> {
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
        warn(takenBackWarning(inputs.policy, inputs.owner!, alreadyMine.map((i) => inputs.spellings[i]), "this run takes them back"));
    }
    if (problems.length > 0) {
        const where = (i: number) => inputs.fields[i];
        throw new ValidationError(`${problems.length} user identit${problems.length === 1 ? "y" : "ies"} could not be granted, nothing was changed:\n  ` +
            problems.map((p) => `${where(p.index)}: ${p.reason}`).join("\n  "), { code: "UserResolution", target: "users" });
    }
    return users as ResolvedUser[];
}

function fromWireUser(u: WireUser, requestedAs: string): ResolvedUser {
    return { id: u.Id, sipAddress: u.SipAddress, displayName: u.DisplayName, requestedAs };
}

// ---------------------------------------------------------------- writes

/** How often, at most, a long batch logs its progress. */
export const PROGRESS_EVERY_MS = 5_000;

/**
 * A progress callback for a batch of `total` users that calls `log` with `granted 2,000/10,000` (or the given verb) at
 * most once every `everyMs` of `now()`'s clock, never at the start and never for the finished batch (the resource's
 * own result says that). `now` is injectable so a test checks the throttle without waiting.
 */
export function progressLogger(verb: string, log: (message: string) => void, now: () => number = Date.now,
    everyMs = PROGRESS_EVERY_MS): (done: number, total: number) => void {
    let last = now();
    const n = (x: number) => x.toLocaleString("en-US");
    return (done, total) => {
        const t = now();
        if (done >= total || t - last < everyMs) return;
        last = t;
        log(`${verb} ${n(done)}/${n(total)}`);
    };
}

/** Test hook: the clock progress logging reads. */
let progressClock: () => number = Date.now;
/** Test hook: replaces the clock of {@link progressLogger} in create/update (`undefined` restores `Date.now`). */
export function setProgressClockForTesting(now: (() => number) | undefined): void {
    progressClock = now ?? Date.now;
}

/**
 * Logs a grant's batch progress under the resource (its URN rebuilt from the owner id; see provider/diagnostics.ts),
 * e.g. `PolicyGrant Tag:OfflineIM: granted 2,000/10,000 users`.
 */
function grantProgress(inputs: PolicyGrantInputs, raw: Record<string, unknown>, verb: string): (done: number, total: number) => void {
    const urn = resourceUrn(TYPE, raw.owner, raw.declaredIn);
    return progressLogger(verb, (m) => void engineLog("info", `PolicyGrant ${inputs.policy.canonical}: ${m} users`, urn), progressClock);
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

/** Outputs for the granted users; `mode` keeps the `user` / `users` shape the program used. */
function outputs(policyName: string, mode: "user" | "users", granted: ResolvedUser[], owner: string | undefined, adopt?: unknown): Record<string, unknown> {
    const outs: Record<string, unknown> = { policyName, resolvedUsers: granted };
    if (owner !== undefined) outs.owner = owner;
    if (typeof adopt === "boolean") outs.adopt = adopt;
    if (mode === "user") { if (granted.length > 0) outs.user = granted[0].requestedAs; } else outs.users = granted.map((u) => u.requestedAs);
    return outs;
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
export async function create(raw: Record<string, unknown>): Promise<dynamic.CreateResult> {
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
export async function update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.UpdateResult> {
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
            warn(`PolicyGrant ${inputs.policy.canonical}: ${restamp.lost.length} user(s) no longer hold this grant's assignment, so their ` +
                `owner was not re-stamped: ${restamp.lost.map((l) => `"${l.user.requestedAs}" (${l.now})`).join(", ")}. ` +
                `They leave this grant's outputs; the next \`pulumi up\` grants them again if nobody else holds them`);
        }
    }
    const failed = await assign(client, inputs.policy.name, toGrant, inputs.owner, grantProgress(inputs, news, "granted"));
    const dropped = state.resolved.filter((u) => !wantedIds.has(u.id));
    if (state.policy) await unassignIfStillOurs(client, state.policy, dropped, state.owner);

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
async function unassignIfStillOurs(client: TenantClient, policy: PolicyIdentity, users: readonly ResolvedUser[], owner: string | undefined): Promise<void> {
    if (users.length === 0) return;
    const ours = await stillOurs(client, policy, users, owner);
    if (!ours) return;
    const failed = await assign(client, null, ours, undefined);
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
export async function read(id: string, props: Record<string, unknown> = {}): Promise<dynamic.ReadResult> {
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
export async function remove(_id: string, props: Record<string, unknown>): Promise<void> {
    const state = parseState(props);
    if (!state.policy) return;
    await unassignIfStillOurs(tenantClient(), state.policy, state.resolved, state.owner);
}
