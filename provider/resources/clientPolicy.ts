/**
 * The `ClientPolicy` resource: class and args, schema (from the catalogue), replacement rules (data), check, diff and
 * CRUD against the tenant, and the ownership rules (provider/ownership.ts) for policies.
 *
 * State model: the resource id is the canonical identity (`Global`, `site:<name>`, `Tag:<name>`); outputs are what the
 * tenant reports (settings in canonical resource form, unset settings absent), the ETag that guards the next write and
 * the owner recorded on the policy. Unset is not the documented default: a policy whose setting is unset differs from
 * one where it is set to the default value, because the tenant stores and reports them differently.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { SettingDef, WireValue, settingsByProperty, validateSetting } from "../../api/catalogue";
import { PolicyIdentity, isIdentityError, parsePolicyIdentity } from "../../api/identity";
import { PolicyWithEtag, TenantClient, WirePolicy } from "../client/tenantClient";
import { ClientPolicyError, ConflictError, NotFoundError, ValidationError } from "../errors";
import {
    DeclaredIn, claim, conflictAdvice, declareInProgram, declaredLater, describeOwner, isMine, ownerId, ownerName, ownerOf, parseDeclaredIn, parseOwner,
    sameStack, takenBackReason, warn, withInstance,
} from "../ownership";
import { stackInstance } from "./stackInstance";
import { checkWithTenant, tenantClient, tenantClientForCheck } from "../runtime";
import { engineLog, resourceUrn } from "../diagnostics";
import {
    ClientPolicySettingOutputs, ClientPolicySettings, DECLARATION_PROBLEM, DeclarationProblem, PROVIDER_KEY, canonicalValue, checkOptionalBoolean,
    declarationFailure, isUnknown, requireValid, sameJson, show, toResourceValue, unknownPropertyFailure,
} from "../schema";

/** Dynamic resource module and type: URN type `pulumi-nodejs:dynamic/clientpolicy:ClientPolicy`. Public API. */
export const MODULE = "clientpolicy";
/** Type name of the resource (public API, never rename). */
export const TYPE = "ClientPolicy";

/** Control inputs that never reach the tenant but are kept in state (carried from inputs to outputs and back). */
const CARRIED_INPUTS = ["adopt", "forceDeleteWhenGranted"] as const;

/** Inputs that are not tenant settings. `owner` is set by the resource class, never by the program. */
export const CONTROL_INPUTS = ["identity", "owner", "stackInstance", "declaredIn", DECLARATION_PROBLEM, ...CARRIED_INPUTS] as const;

/** Control inputs the resource class (or TenantPolicies) sets; a program never does. */
const INTERNAL_INPUTS: ReadonlySet<string> = new Set(["owner", "stackInstance", "declaredIn", DECLARATION_PROBLEM]);

const CONTROL_KEYS: ReadonlySet<string> = new Set(CONTROL_INPUTS);

/** Properties whose change replaces the resource (compared after canonicalisation, case-insensitively). */
export const REPLACE_ON_CHANGE: readonly string[] = ["identity"];

/** Control inputs whose change is recorded by an update without writing to the tenant. */
const STATE_ONLY_INPUTS = ["forceDeleteWhenGranted"] as const;

/** Informational input that check() adds when `adopt: true` finds an existing policy; shown in preview only. */
export const ADOPT_CHANGES = "adoptChanges";

/** Output explaining what deleting Global does (it cannot really be deleted). */
export const GLOBAL_ON_DELETE = "reset Global to documented defaults";

/** Why a flagged setting deserves a warning. */
export const STATUS_REASONS: Readonly<Record<string, string>> = {
    deprecated: "is deprecated for Skype for Business Server and may be ignored by clients",
    reserved: "is reserved for internal Microsoft use",
    noEffect: "is documented as having no effect on the client",
    legacy: "only affects Lync Server 2010 clients",
};

// ---------------------------------------------------------------- class and args

type Inputs<T> = { [K in keyof T]?: pulumi.Input<NonNullable<T[K]>> };

/** Inputs of a {@link ClientPolicy}: the identity, every catalogue setting (camelCase) and two control flags. */
export type ClientPolicyArgs = Inputs<ClientPolicySettings> & {
    /** `Global`, `site:<name>`, `Tag:<name>` or a bare per-user policy name. Changing it (other than case) replaces. */
    identity: pulumi.Input<string>;
    /**
     * Take over a policy that already exists, or that another resource or stack owns (its settings are replaced by the
     * declared ones, and its owner becomes this resource). Without it, creating an existing tag or site policy, or one
     * owned by someone else, fails before any write. `pulumi import` does not work for dynamic resources; this is the
     * way in.
     */
    adopt?: pulumi.Input<boolean>;
    /** Allow deleting this policy while it is still granted to users (their grants are removed too). */
    forceDeleteWhenGranted?: pulumi.Input<boolean>;
};

/** Every setting as an output, `undefined` when unset in the tenant. */
type SettingOutputProperties = { readonly [K in keyof ClientPolicySettingOutputs]-?: pulumi.Output<ClientPolicySettingOutputs[K] | undefined> };

// Declaration merging gives the class one typed output per catalogue setting without listing them twice.
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ClientPolicy extends SettingOutputProperties {}

/**
 * A CsClientPolicy client policy. Creating `Global` takes over the always-existing global policy; deleting it resets
 * Global to its documented defaults. Settings not declared are unset in the tenant. The policy records this resource
 * (`project/stack/name`) as its owner; see docs/ownership.md.
 */
export class ClientPolicy extends pulumi.dynamic.Resource {
    /** Canonical identity as the tenant reports it: `Global`, `site:<name>` or `Tag:<name>`. */
    declare public readonly identity: pulumi.Output<string>;
    /** The name to grant (`OfflineIM` for `Tag:OfflineIM`); the identity for Global and site policies. */
    declare public readonly policyName: pulumi.Output<string>;
    /** ETag of the last write or read; guards the next write. */
    declare public readonly etag: pulumi.Output<string>;
    /** This resource's owner id, `project/stack/resource`, recorded on the policy in the tenant. */
    declare public readonly owner: pulumi.Output<string>;
    /** For Global only: what deleting this resource does. */
    declare public readonly onDelete: pulumi.Output<string | undefined>;
    /** With `adopt: true`, the changes adopting the existing policy will make (shown in preview). */
    declare public readonly adoptChanges: pulumi.Output<string[] | undefined>;
    declare public readonly adopt: pulumi.Output<boolean | undefined>;
    declare public readonly forceDeleteWhenGranted: pulumi.Output<boolean | undefined>;

    constructor(name: string, args: ClientPolicyArgs, opts?: pulumi.CustomResourceOptions) {
        // Problems only the program can see are reported by check() (see DECLARATION_PROBLEM), not thrown here.
        let problem: DeclarationProblem | Promise<DeclarationProblem | undefined> | undefined;
        const identity = typeof args.identity === "string" ? parsePolicyIdentity(args.identity) : undefined;
        if (identity && !isIdentityError(identity)) {
            const key = `policy:${identity.key}`;
            const clash = (a: string, b: string): DeclarationProblem => ({ property: "identity", reason: `ClientPolicy "${a}" and ClientPolicy "${b}" ` +
                `both declare ${identity.canonical}; a tenant object must be declared once (identities are compared case-insensitively, "Tag:" optional)` });
            const other = declareInProgram(key, name);
            problem = other !== undefined ? clash(name, other) : declaredLater([key], name).then((later) => (later ? clash(later.other, name) : undefined));
        }
        if (opts?.import !== undefined) {
            problem = { property: "", reason: `ClientPolicy "${name}": the \`import\` resource option does not work for dynamic resources ` +
                `(pulumi/pulumi#16175). Remove it and set \`adopt: true\` on this ClientPolicy instead: the first \`pulumi up\` ` +
                `takes the existing policy over (the preview lists what changes as adoptChanges).` };
            opts = { ...opts, import: undefined };
        }
        // Only the outputs every policy has, plus the settings the program declares, are registered: each registered
        // property costs Pulumi several promises and a captured stack. Undeclared settings are prototype getters.
        const props: Record<string, unknown> = {
            policyName: undefined, etag: undefined, onDelete: undefined, adoptChanges: undefined,
            ...args, owner: ownerId(pulumi.getProject(), pulumi.getStack(), name), stackInstance: stackInstance(),
            ...(problem ? { [DECLARATION_PROBLEM]: problem } : {}),
        };
        super(require("./clientPolicy.provider"), name, props, opts, MODULE, TYPE);
        // Notices are not attached to `this`: a resource-attached log waits on the resource's URN, and when an
        // Automation API run fails before that URN settles, the SDK's process-wide log chain stays blocked and
        // every later in-process run hangs. The resource name goes into the text instead.
        for (const message of clientPolicyNotices(args)) pulumi.log.warn(`ClientPolicy "${name}": ${message}`);
    }
}

/**
 * Undeclared settings: every write is a full-state PUT, so after this resource is deployed a setting the program does
 * not declare is unset in the tenant. Its output is `undefined`, known once the resource is (it depends on the ETag).
 * A program's own assignment (Pulumi registering a declared setting) replaces the getter with a plain property.
 */
for (const key of settingsByProperty().keys()) {
    Object.defineProperty(ClientPolicy.prototype, key, {
        configurable: true,
        get(this: ClientPolicy) {
            return this.etag.apply(() => undefined);
        },
        set(this: ClientPolicy, value: unknown) {
            Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true });
        },
    });
}

/**
 * Warnings for declared settings that are deprecated, reserved, without effect or legacy-only: accepted and sent as
 * declared, but never silently.
 */
export function clientPolicyNotices(args: Record<string, unknown>): string[] {
    const notices: string[] = [];
    for (const [key, value] of Object.entries(args)) {
        if (value === undefined) continue;
        const def = settingsByProperty().get(key);
        if (def?.status) notices.push(`${key} ${STATUS_REASONS[def.status]}; it is still applied as declared`);
    }
    return notices;
}

// ---------------------------------------------------------------- typed inputs and state

/** Canonical inputs: settings keyed by camelCase name, in canonical resource form. */
export interface ClientPolicyInputs {
    readonly identity: PolicyIdentity;
    readonly settings: Readonly<Record<string, unknown>>;
    /**
     * This resource's owner id with its stack instance (`project/stack@instance/resource`); name-only while the instance
     * is not known (preview of a stack's first `up`); undefined when the provider object is driven without the class.
     */
    readonly owner?: string;
    /** Where the program declared it, when that is a TenantPolicies component (for advice). */
    readonly declaredIn?: DeclaredIn;
    readonly adopt?: boolean;
    readonly forceDeleteWhenGranted?: boolean;
}

/** Outputs stored in state. */
export type ClientPolicyOutputs = Record<string, unknown> & {
    identity: string;
    policyName: string;
    etag: string;
};

/** What a stored state (outputs) says, parsed once. */
interface ClientPolicyState {
    readonly identity: string;
    readonly etag?: string;
    /** The owner recorded in the tenant when last read or written (undefined: none, or state from before owners). */
    readonly tenantOwner?: string;
    /** This resource's own owner id (undefined in state written before owners existed). */
    readonly owner?: string;
    readonly forceDeleteWhenGranted: boolean;
}

const text = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

function parseState(id: string, props: Record<string, unknown>): ClientPolicyState {
    const parsed = parsePolicyIdentity(props.identity ?? id);
    return {
        identity: isIdentityError(parsed) ? id : parsed.canonical,
        etag: text(props.etag),
        tenantOwner: text(props.tenantOwner),
        owner: text(props.owner),
        forceDeleteWhenGranted: props.forceDeleteWhenGranted === true,
    };
}

/**
 * Validates and canonicalises raw inputs (from the engine, a program, or state). Used by check() and by every CRUD
 * method on its own inputs, so none relies on check() having run. Unknown values (preview) are kept as they are.
 */
export function parseInputs(news: Record<string, unknown>): { inputs: Record<string, unknown>; parsed?: ClientPolicyInputs; partial?: ClientPolicyInputs; failures: dynamic.CheckFailure[] } {
    const props = news; // read only: Pulumi's `__provider`, our `adoptChanges` and undefined members are skipped below
    const failures: dynamic.CheckFailure[] = [];
    const inputs: Record<string, unknown> = {};
    const settingDefs = settingsByProperty();
    const settings: Record<string, unknown> = {};

    let identity: PolicyIdentity | undefined;
    if (isUnknown(props.identity)) {
        inputs.identity = props.identity;
    } else if (props.identity === undefined) {
        failures.push({ property: "identity", reason: 'is required: "Global", "site:<name>", "Tag:<name>" or a policy name' });
    } else {
        const parsed = parsePolicyIdentity(props.identity);
        if (isIdentityError(parsed)) failures.push({ property: "identity", reason: parsed.error });
        else { identity = parsed; inputs.identity = parsed.canonical; }
    }
    const owner = ownerOf(props, inputs);
    const declaredIn = parseDeclaredIn(props.declaredIn);
    if (declaredIn) inputs.declaredIn = declaredIn;
    const declared = declarationFailure(props);
    if (declared) failures.push(declared);
    for (const key of CARRIED_INPUTS) {
        const v = checkOptionalBoolean(props, key, failures);
        if (v !== undefined) inputs[key] = v;
    }
    let unknown = false;
    for (const key in props) {
        const value = props[key];
        if (value === undefined || key === PROVIDER_KEY || key === ADOPT_CHANGES || CONTROL_KEYS.has(key)) continue;
        const def = settingDefs.get(key);
        if (!def) { failures.push(unknownPropertyFailure(key, [...CONTROL_INPUTS.filter((k) => !INTERNAL_INPUTS.has(k)), ...settingDefs.keys()])); continue; }
        if (isUnknown(value)) { inputs[key] = value; unknown = true; continue; }
        const result = validateSetting(def, value, "input");
        // The engine prints a failure with a property as "property X value {<value>} has a problem": for free text (which
        // may be secret or personal) the failure names the property in its reason instead, so the value is never shown.
        if (!result.ok) failures.push(def.kind === "string" ? { property: "", reason: `${key} ${result.message}` } : { property: key, reason: result.message });
        else if (result.value !== null) settings[key] = inputs[key] = toResourceValue(def, result.value);
    }
    const control = { owner, declaredIn, adopt: inputs.adopt as boolean | undefined, forceDeleteWhenGranted: inputs.forceDeleteWhenGranted as boolean | undefined };
    const parsed = identity && failures.length === 0 && !unknown ? { identity, settings, ...control } : undefined;
    // What the ownership checks need (identity, owner, adopt) is known even when some setting is not.
    const partial = identity && failures.length === 0 && !isUnknown(props.adopt) ? { identity, settings, ...control } : undefined;
    return { inputs, parsed, partial, failures };
}


/** {@link parseInputs} for a CRUD method: invalid inputs are a {@link ValidationError} before anything is written. */
function requireInputs(news: Record<string, unknown>): ClientPolicyInputs {
    return requireValid("ClientPolicy", parseInputs(news));
}

// ---------------------------------------------------------------- check

/**
 * Validates and canonicalises inputs. One failure per bad property, naming what was expected; unknown properties fail
 * with a suggestion. When the tenant is configured and the policy is being created, it also reads the policy once so
 * that preview (what a pull request runs) catches what `up` would otherwise fail on half-way: an existing policy
 * without `adopt`, another owner, and the same policy declared twice in one program. An invalid configuration fails
 * here too; a missing one does not (check() works offline).
 */
export async function check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult> {
    const { inputs, partial, failures } = parseInputs(news);
    tenantClientForCheck(failures);
    // Settings not known yet (outputs of other resources) never skip these checks: they need only the identity.
    if (!partial) return { inputs, failures };
    const other = claim(partial.identity.key, partial.owner);
    if (other !== undefined) {
        failures.push({ property: "identity", reason: `${partial.identity.canonical} is also declared by ${describeOwner(other, partial.owner)}; declare each policy once` });
        return { inputs, failures };
    }
    const creating = !olds || olds.identity === undefined;
    if (!creating) return { inputs, failures };
    if (partial.identity.scope === "global") {
        // Once, at the take-over (the preview and the `up` that create the resource), under the resource.
        await engineLog("info", `Global always exists: this resource takes it over (settings not declared here become unset); ` +
            `destroying it will ${GLOBAL_ON_DELETE}`, resourceUrn(TYPE, news.owner, news.declaredIn));
    }
    const read = await checkWithTenant(failures, async (c) => {
        try {
            return { client: c, live: await c.getPolicy(partial.identity.canonical) as PolicyWithEtag | undefined };
        } catch (err) {
            if (!(err instanceof NotFoundError)) throw err;
            return { client: c, live: undefined };
        }
    });
    if (!read?.live) return { inputs, failures };
    const { client, live } = read;
    const ours = isMine(live.owner, partial.owner);
    if (!ours && partial.adopt !== true) {
        failures.push({ property: "identity", reason: ownedElsewhere(partial.identity.canonical, live.owner!, partial.owner, partial.declaredIn) });
    } else if (partial.identity.scope !== "global" && live.owner === null && partial.adopt !== true) {
        failures.push({ property: "identity", reason: alreadyExists(partial.identity.canonical, client.tenantId, partial.declaredIn) });
    } else if (partial.adopt === true) {
        inputs[ADOPT_CHANGES] = adoptPreview(partial, live, news);
    } else if (live.owner !== null && partial.identity.scope !== "global") {
        warn(`ClientPolicy ${partial.identity.canonical}: ${takenBackReason(live.owner, "policy")}; \`pulumi up\` will take it back`);
    }
    return { inputs, failures };
}

/**
 * What `adopt: true` will change on the existing policy, for the preview. Values of free-text settings are never
 * shown (only their length), and a value not known yet reads "(known after apply)".
 */
function adoptPreview(parsed: ClientPolicyInputs, live: PolicyWithEtag, news: Record<string, unknown>): string[] {
    const current = outputsFromWire(live.policy, live.etag);
    const target: Record<string, unknown> = { ...parsed.settings };
    for (const [key, value] of Object.entries(news)) if (isUnknown(value) && settingsByProperty().has(key)) target[key] = value;
    const render = (key: string, value: unknown) => {
        if (isUnknown(value)) return "(known after apply)";
        const def = settingsByProperty().get(key);
        if (def?.kind === "string" && typeof value === "string") return `(${value.length} characters)`;
        return show(value);
    };
    const changes = changedSettings(current, target).map((key) => `${key}: ${render(key, current[key])} → ${render(key, target[key])}`);
    if (live.owner && live.owner !== parsed.owner) {
        const to = parsed.owner === undefined ? "(this resource)" : parseOwner(parsed.owner)?.instance ? parsed.owner : `${parsed.owner} (stack instance known after apply)`;
        changes.unshift(`owner: ${live.owner} → ${to}`);
    }
    return changes.length > 0 ? changes : [`${parsed.identity.canonical} already matches this program: nothing to change`];
}

function ownedElsewhere(identity: string, owner: string, me: string | undefined, declaredIn?: DeclaredIn): string {
    return `${identity} is owned by ${describeOwner(owner, me)}, so this resource must not write it. ${conflictAdvice(owner, me, "policy", declaredIn)}`;
}

function alreadyExists(identity: string, tenantId: string, declaredIn?: DeclaredIn): string {
    const where = declaredIn
        ? `Add \`${declaredIn.kind}: { ${JSON.stringify(declaredIn.key)}: { adopt: true } }\` to the \`options\` of TenantPolicies "${declaredIn.component}" (or \`adopt: true\` to the policy in its declaration)`
        : "Set `adopt: true` on this ClientPolicy";
    return `${identity} already exists in tenant ${tenantId}. ${where} to take it over ` +
        `(its settings are replaced by the ones declared here; the preview lists the changes as adoptChanges)`;
}

// ---------------------------------------------------------------- wire mapping

/** Request body for a full-state PUT: every declared setting; undeclared ones are left out and so become unset. */
export function wireBody(identity: string, settings: Readonly<Record<string, unknown>>): WirePolicy {
    const body: Record<string, unknown> = { Identity: identity };
    for (const [key, def] of settingsByProperty()) {
        const wire = canonicalValue(def, settings[key], "input");
        if (wire !== null) body[def.name] = wire;
    }
    return body as WirePolicy;
}

/**
 * Outputs from the tenant's answer: settings, ETag, and `tenantOwner` (the owner the tenant records). Control inputs
 * and this resource's own `owner` id are carried over from `carry` (they never come from the tenant).
 */
export function outputsFromWire(policy: WirePolicy, etag: string, carry: Record<string, unknown> = {}, tenantOwner?: string | null): ClientPolicyOutputs {
    const parsed = parsePolicyIdentity(policy.Identity);
    const identity = isIdentityError(parsed) ? String(policy.Identity) : parsed.canonical;
    const out: ClientPolicyOutputs = {
        identity,
        policyName: !isIdentityError(parsed) && parsed.scope === "tag" ? parsed.name : identity,
        etag,
    };
    // `owner` in outputs is the full id (with the stack instance), which update() compares the tenant's owner with.
    if (text(carry.owner)) out.owner = withInstance(carry.owner as string, isUnknown(carry.stackInstance) ? undefined : text(carry.stackInstance));
    if (typeof tenantOwner === "string" && tenantOwner !== "") out.tenantOwner = tenantOwner;
    for (const [key, def] of settingsByProperty()) {
        const value = policy[def.name];
        if (value === undefined || value === null) continue;
        out[key] = liveValue(def, value);
    }
    for (const key of CARRIED_INPUTS) if (carry[key] !== undefined) out[key] = carry[key];
    if (identity === "Global") out.onDelete = GLOBAL_ON_DELETE;
    return out;
}

/** A tenant value in canonical resource form; a value outside the catalogue is kept as reported (read is honest). */
function liveValue(def: SettingDef, value: unknown): unknown {
    const result = validateSetting(def, value, "wire");
    return result.ok && result.value !== null ? toResourceValue(def, result.value as WireValue) : value;
}

/** Inputs rebuilt from outputs, so that after a refresh `preview --diff` shows drift (settings and owner) as input changes. */
export function inputsFromOutputs(outs: Record<string, unknown>): Record<string, unknown> {
    const inputs: Record<string, unknown> = { identity: outs.identity };
    // The owner in the program's form (`owner` without the instance, and `stackInstance`), so `preview --diff` shows
    // only what really differs.
    const owner = text(outs.tenantOwner) ?? text(outs.owner);
    if (owner !== undefined) {
        inputs.owner = ownerName(owner);
        const instance = parseOwner(owner)?.instance;
        if (instance !== undefined) inputs.stackInstance = instance;
    }
    for (const key of settingsByProperty().keys()) if (outs[key] !== undefined) inputs[key] = outs[key];
    for (const key of CARRIED_INPUTS) if (outs[key] !== undefined) inputs[key] = outs[key];
    return inputs;
}

// ---------------------------------------------------------------- diff

/** Settings whose canonical values differ (unset = undefined/null/absent only). Both sides are in input form. */
export function changedSettings(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
    const changed: string[] = [];
    for (const [key, def] of settingsByProperty()) {
        const a = olds[key];
        const b = news[key];
        if (a === b) continue;
        if (isUnknown(b) || !sameJson(canonicalValue(def, a, "input"), canonicalValue(def, b, "input"))) changed.push(key);
    }
    return changed;
}

/** Identity key: names are case-insensitive and the `Tag:` prefix optional. */
function identityKey(v: unknown): string {
    const parsed = parsePolicyIdentity(v);
    return isIdentityError(parsed) ? String(v) : parsed.key;
}

/**
 * Every changed property: identity, settings, state-only control inputs, and the owner when the tenant's owner (as
 * last read) is not this resource (a take-over by someone else shows as drift, and the update then fails or adopts).
 */
export function changedProperties(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
    const changed: string[] = [];
    if (isUnknown(news.identity) || identityKey(olds.identity) !== identityKey(news.identity)) changed.push("identity");
    changed.push(...changedSettings(olds, news));
    for (const key of STATE_ONLY_INPUTS) if (Boolean(olds[key]) !== Boolean(news[key])) changed.push(key);
    if (text(olds.tenantOwner) && text(news.owner) && (isUnknown(news.stackInstance) || olds.tenantOwner !== withInstance(news.owner as string, text(news.stackInstance)))) {
        changed.push("owner");
    }
    return changed;
}

/** Compares the last known tenant state (outputs) with the new inputs. Works offline; no tenant call. */
export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.DiffResult> {
    const changed = changedProperties(olds, parseInputs(news).inputs);
    return {
        changes: changed.length > 0,
        replaces: changed.filter((k) => REPLACE_ON_CHANGE.includes(k)),
        deleteBeforeReplace: false,
    };
}

// ---------------------------------------------------------------- CRUD

/** The user-facing error for a 412: an administrator changed the policy since our last read. */
function staleEtag(identity: string, err: ClientPolicyError): ConflictError {
    return new ConflictError(
        `${identity} was changed outside this stack since it was last read (ETag mismatch); ` +
        `run \`pulumi refresh\` to load the current settings, then \`pulumi up\` again`,
        { status: err.status, code: "PreconditionFailed", target: identity, requestId: err.requestId, cause: err });
}

function ownershipConflict(identity: string, owner: string, me: string | undefined, declaredIn?: DeclaredIn): ConflictError {
    return new ConflictError(`${ownedElsewhere(identity, owner, me, declaredIn)}. Nothing was written.`, { status: 409, code: "OwnedElsewhere", target: "identity" });
}

function isStatus(err: unknown, status: number): err is ClientPolicyError {
    return err instanceof ClientPolicyError && err.status === status;
}

/** Whether the tenant's policy already holds exactly the declared settings. */
function holds(live: PolicyWithEtag, settings: Readonly<Record<string, unknown>>): boolean {
    return changedSettings(outputsFromWire(live.policy, live.etag), settings).length === 0;
}

/**
 * GET, then replace: how Global (always present), adopted policies and interrupted creates are taken over. Refuses
 * (before writing) a policy another owner holds unless `adopt`. A write landing between the GET and the PUT is retried
 * once with the fresh ETag: nothing in state is stale yet, so "run pulumi refresh" would not help.
 */
async function takeOver(client: TenantClient, inputs: ClientPolicyInputs, alreadyRead?: PolicyWithEtag): Promise<PolicyWithEtag> {
    const identity = inputs.identity.canonical;
    for (let attempt = 1; ; attempt++) {
        const live = attempt === 1 && alreadyRead ? alreadyRead : await client.getPolicy(identity);
        if (!isMine(live.owner, inputs.owner) && inputs.adopt !== true) throw ownershipConflict(identity, live.owner!, inputs.owner, inputs.declaredIn);
        if (live.owner !== null && isMine(live.owner, inputs.owner) && inputs.adopt !== true && inputs.identity.scope !== "global") {
            warn(`ClientPolicy ${identity}: ${takenBackReason(live.owner, "policy")}; this run takes it back and applies the declared settings`);
        }
        try {
            return await client.putPolicy(identity, wireBody(identity, inputs.settings), { ifMatch: live.etag }, inputs.owner);
        } catch (err) {
            if (!isStatus(err, 412)) throw err;
            if (attempt >= 2) throw staleEtag(identity, err);
        }
    }
}

/**
 * Creates the policy. Global always exists and is taken over (settings absent from the program become unset); a tag
 * or site policy is created with `If-None-Match: *`. An existing one is taken back when this resource already owns it
 * (an interrupted create), taken over with `adopt: true`, and otherwise refused before any write.
 */
export async function create(raw: Record<string, unknown>): Promise<dynamic.CreateResult> {
    const inputs = requireInputs(raw);
    const client = tenantClient();
    const identity = inputs.identity.canonical;
    let written: PolicyWithEtag;
    if (inputs.identity.scope === "global") {
        written = await takeOver(client, inputs);
    } else {
        try {
            written = await client.putPolicy(identity, wireBody(identity, inputs.settings), { ifNoneMatch: "*" }, inputs.owner);
        } catch (err) {
            if (!isStatus(err, 409)) throw err;
            const live = await client.getPolicy(identity);
            const mine = live.owner !== null && isMine(live.owner, inputs.owner);
            if (!mine && inputs.adopt !== true) {
                if (live.owner !== null && live.owner !== inputs.owner) throw ownershipConflict(identity, live.owner, inputs.owner, inputs.declaredIn);
                throw new ConflictError(alreadyExists(identity, client.tenantId),
                    { status: 409, code: "PolicyAlreadyExists", target: "identity", requestId: err.requestId, cause: err });
            }
            written = await takeOver(client, inputs, live);
        }
    }
    const outs = outputsFromWire(written.policy, written.etag, raw, written.owner);
    return { id: outs.identity, outs };
}

/** Reads live state (settings, ETag, owner); a vanished policy returns an empty id so `refresh` records the deletion. */
export async function read(id: string, props: Record<string, unknown> = {}): Promise<dynamic.ReadResult> {
    const state = parseState(id, props);
    try {
        const live = await tenantClient().getPolicy(state.identity);
        const outs = outputsFromWire(live.policy, live.etag, props, live.owner);
        return { id: outs.identity, props: outs, inputs: inputsFromOutputs(outs) };
    } catch (err) {
        if (err instanceof NotFoundError) return { id: "" };
        throw err;
    }
}

/**
 * Writes the full desired state over the stored ETag; control-input-only changes do not touch the tenant. On a 412 the
 * policy is read again: another owner → refused naming it (unless `adopt`); already holding the declared settings (an
 * interrupted update whose write landed) → completed without a write; otherwise an administrator's edit → refresh advice.
 */
export async function update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.UpdateResult> {
    const inputs = requireInputs(news);
    const state = parseState(id, olds);
    const ownerChanged = state.tenantOwner !== undefined && inputs.owner !== undefined && state.tenantOwner !== inputs.owner;
    if (!ownerChanged && changedSettings(olds, inputs.settings).length === 0) {
        return { outs: { ...stripProvider(olds), ...controlInputs(news), ...(inputs.owner ? { owner: inputs.owner } : {}) } };
    }
    const client = tenantClient();
    const identity = inputs.identity.canonical;
    // Ours: nobody's, this resource's id, or its own former id (renamed with `aliases`; the write records the new id).
    // After a stack or project rename, a `state move` or an `aliases` rename the new id differs from the one in state:
    // the write re-stamps the owner, guarded by the tenant's owner still being the one in state (and by the ETag).
    const ours = (owner: string | null | undefined) => isMine(owner, inputs.owner) || (!!owner && owner === state.owner);
    if (!ours(state.tenantOwner) && inputs.adopt !== true) throw ownershipConflict(identity, state.tenantOwner!, inputs.owner, inputs.declaredIn);
    let written: PolicyWithEtag;
    try {
        written = await client.putPolicy(identity, wireBody(identity, inputs.settings), { ifMatch: state.etag ?? "*" }, inputs.owner);
    } catch (err) {
        if (!isStatus(err, 412)) throw err;
        const live = await client.getPolicy(identity);
        if (!ours(live.owner) && inputs.adopt !== true) throw ownershipConflict(identity, live.owner!, inputs.owner, inputs.declaredIn);
        if (holds(live, inputs.settings) && (live.owner === inputs.owner || inputs.owner === undefined)) {
            written = live;
        } else if (!ours(live.owner)) {
            written = await takeOver(client, inputs, live);
        } else {
            throw staleEtag(identity, err);
        }
    }
    return { outs: outputsFromWire(written.policy, written.etag, news, written.owner) };
}

function controlInputs(inputs: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(CARRIED_INPUTS.map((key) => [key, inputs[key]]));
}

function stripProvider(props: Record<string, unknown>): Record<string, unknown> {
    const { [PROVIDER_KEY]: _ignored, ...rest } = props;
    return rest;
}

/**
 * Deletes the policy (Global: resets it to documented defaults) — only while this resource still owns it. When another
 * resource or stack has taken it over, the resource leaves state without any write, with a warning naming the new
 * owner. An administrator's edit (owner unchanged) does not stop the delete. A tag policy still granted to users is
 * only removed, together with its grants, when `forceDeleteWhenGranted` is true.
 */
export async function remove(id: string, props: Record<string, unknown>): Promise<void> {
    const state = parseState(id, props);
    const client = tenantClient();
    let live: PolicyWithEtag;
    try {
        live = await client.getPolicy(state.identity);
    } catch (err) {
        if (err instanceof NotFoundError) return; // already gone: the goal of delete is met
        throw err;
    }
    if (!isMine(live.owner, state.owner)) {
        warn(`ClientPolicy ${state.identity} is now owned by ${describeOwner(live.owner!, state.owner)}; this resource ` +
            `leaves the stack without ${state.identity === "Global" ? "resetting" : "deleting"} it.` +
            (sameStack(live.owner!, state.owner) ? ` (A rename inside one stack keeps the policy with \`aliases\`.)` : ""));
        return;
    }
    try {
        await client.deletePolicy(state.identity, { ifMatch: live.etag, force: state.forceDeleteWhenGranted });
    } catch (err) {
        if (err instanceof NotFoundError) return;
        if (isStatus(err, 412)) throw staleEtag(state.identity, err);
        if (isStatus(err, 409)) {
            const granted = await client.listAssignments(state.identity).then((users) => String(users.length), () => "some");
            throw new ConflictError(
                `${state.identity} is still granted to ${granted} user(s), so it was not deleted. Remove or retarget the PolicyGrant ` +
                `resources first, or set \`forceDeleteWhenGranted: true\` on this ClientPolicy (run \`pulumi up\` so the ` +
                `setting is recorded) to delete the policy together with its grants`,
                { status: 409, code: err.code ?? "PolicyInUse", target: state.identity, requestId: err.requestId, cause: err });
        }
        throw err;
    }
}
