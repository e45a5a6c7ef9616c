/**
 * The `PolicyGrant` model: its public names (type token, inputs), input parsing and canonicalisation (both stored
 * shapes of `users`, see grantUsers.ts), the state it keeps, the mapping of tenant users to outputs, and the diff
 * rules. No tenant calls and no Pulumi runtime: the resource class (policyGrant.ts) and the provider
 * (policyGrant.provider.ts) both build on it.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { PolicyIdentity, controlCharacterProblem, isIdentityError, parseGrantPolicyName, samePolicy } from "../../api/identity";
import type { WireUser } from "../client/tenantClient";
import { DeclaredIn, ownerOf, parseDeclaredIn, withInstance } from "../ownership";
import { SECRET_SIG, keyedUsers, listedUsers, userEntries, userKey } from "./grantUsers";
import { DECLARATION_PROBLEM, checkOptionalBoolean, declarationFailure, failureAt, requireValid, unknownPropertyFailure, userInputs } from "../checkInputs";
import { isUnknown, show } from "../values";

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
export interface PolicyGrantState {
    readonly policy?: PolicyIdentity;
    readonly mode: "user" | "users";
    readonly resolved: readonly ResolvedUser[];
    readonly owner?: string;
}

export function parseState(props: Record<string, unknown>): PolicyGrantState {
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
export const UNKNOWN_POLICY: PolicyIdentity = { scope: "tag", name: "(known after apply)", canonical: "Tag:(known after apply)", key: "tag:\u0000unknown" } as PolicyIdentity;

export function requireInputs(news: Record<string, unknown>, olds: Record<string, unknown> = {}): PolicyGrantInputs {
    return requireValid("PolicyGrant", parseInputs(news, olds));
}

// ---------------------------------------------------------------- outputs

export function fromWireUser(u: WireUser, requestedAs: string): ResolvedUser {
    return { id: u.Id, sipAddress: u.SipAddress, displayName: u.DisplayName, requestedAs };
}

/** Outputs for the granted users; `mode` keeps the `user` / `users` shape the program used. */
export function outputs(policyName: string, mode: "user" | "users", granted: ResolvedUser[], owner: string | undefined, adopt?: unknown): Record<string, unknown> {
    const outs: Record<string, unknown> = { policyName, resolvedUsers: granted };
    if (owner !== undefined) outs.owner = owner;
    if (typeof adopt === "boolean") outs.adopt = adopt;
    if (mode === "user") { if (granted.length > 0) outs.user = granted[0].requestedAs; } else outs.users = granted.map((u) => u.requestedAs);
    return outs;
}

// ---------------------------------------------------------------- diff rules

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
