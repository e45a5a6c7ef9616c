/**
 * The ClientPolicy data model, shared by the resource class (program side, clientPolicy.ts) and its provider (provider
 * host, clientPolicy.provider.ts): the type token, the typed inputs, outputs and state with the parsers that build them
 * once, the mapping to and from the tenant's wire form, and the diff rules, declared per property in one table
 * ({@link CONTROL_INPUTS_TABLE}). Nothing here talks to the tenant or needs Pulumi's runtime.
 *
 * State model: the resource id is the canonical identity (`Global`, `site:<name>`, `Tag:<name>`); outputs are what the
 * tenant reports (settings in canonical resource form, unset settings absent), the ETag that guards the next write and
 * the owner recorded on the policy. Unset is not the documented default: a policy whose setting is unset differs from
 * one where it is set to the default value, because the tenant stores and reports them differently.
 */
import type { CheckFailure } from "@pulumi/pulumi/dynamic";
import { SettingDef, WireValue, settingsByProperty, validateSetting } from "../../api/catalogue";
import { PolicyIdentity, isIdentityError, parsePolicyIdentity } from "../../api/identity";
import type { WirePolicy } from "../client/tenantClient";
import { DeclaredIn, ownerName, ownerOf, parseDeclaredIn, parseOwner, withInstance } from "../ownership";
import { ClientPolicySettingOutputs, ClientPolicySettings, canonicalValue, toResourceValue } from "../settings";
import { DECLARATION_PROBLEM, PROVIDER_KEY, checkOptionalBoolean, declarationFailure, requireValid, unknownPropertyFailure } from "../checkInputs";
import { isUnknown, sameJson } from "../values";

/** Dynamic resource module and type: URN type `pulumi-nodejs:dynamic/clientpolicy:ClientPolicy`. Public API. */
export const MODULE = "clientpolicy";
/** Type name of the resource (public API, never rename). */
export const TYPE = "ClientPolicy";

/** Informational input that check() adds when `adopt: true` finds an existing policy; shown in preview only. */
export const ADOPT_CHANGES = "adoptChanges";

/** Output explaining what deleting Global does (it cannot really be deleted). */
export const GLOBAL_ON_DELETE = "reset Global to documented defaults";

// ---------------------------------------------------------------- the attribute table

/**
 * How one input that is not a tenant setting behaves. Tenant settings (every catalogue entry) share one rule: set by
 * the program, sent to the tenant, read back from it, updated in place when their canonical value changes.
 */
export interface InputRule {
    /**
     * Who sets it: the program; the resource class or TenantPolicies (never the program, so never offered as a "did you
     * mean"); or check() itself (informational, for the preview).
     */
    readonly setBy: "program" | "class" | "check";
    /** Kept in state: copied from the inputs into the outputs, and back into inputs after a read. Never sent to the tenant. */
    readonly carried: boolean;
    /** Validated as an optional boolean. */
    readonly boolean: boolean;
    /**
     * What a change of it alone does in diff(): `replace` replaces the resource (compared by identity key: case-insensitive,
     * `Tag:` optional); `stateOnly` is an update that records it in state without writing to the tenant (compared as a
     * flag: false and absent are equal); `owner` is an update when the tenant's owner (as last read) is not this resource's
     * owner id (with `stackInstance`); `none` is no change.
     */
    readonly onChange: "replace" | "stateOnly" | "owner" | "none";
}

/**
 * Every input that is not a tenant setting, with its rule. The one place that says which inputs are carried to state,
 * replace the resource, only touch state, or are internal.
 */
export const CONTROL_INPUTS_TABLE = {
    /** `Global`, `site:<name>`, `Tag:<name>` or a bare name; its canonical form is the resource id. */
    identity: { setBy: "program", carried: false, boolean: false, onChange: "replace" },
    /** This resource's owner id without the instance (`project/stack/resource`). */
    owner: { setBy: "class", carried: false, boolean: false, onChange: "owner" },
    /** The stack instance, part of the owner id recorded in the tenant; compared through `owner`. */
    stackInstance: { setBy: "class", carried: false, boolean: false, onChange: "none" },
    /** The TenantPolicies component that declared it, for advice in messages. */
    declaredIn: { setBy: "class", carried: false, boolean: false, onChange: "none" },
    /** A problem only the program can see, reported by check(). */
    [DECLARATION_PROBLEM]: { setBy: "class", carried: false, boolean: false, onChange: "none" },
    /** Only matters when the policy is created or found owned by someone else. */
    adopt: { setBy: "program", carried: true, boolean: true, onChange: "none" },
    /** Read by delete from state, so a change must reach state. */
    forceDeleteWhenGranted: { setBy: "program", carried: true, boolean: true, onChange: "stateOnly" },
    /** What adopting will change, for the preview. */
    [ADOPT_CHANGES]: { setBy: "check", carried: false, boolean: false, onChange: "none" },
} as const satisfies Record<string, InputRule>;

/** Name of an input that is not a tenant setting. */
export type ControlInput = keyof typeof CONTROL_INPUTS_TABLE;

const CONTROL_RULES: ReadonlyMap<string, InputRule> = new Map(Object.entries(CONTROL_INPUTS_TABLE));

/** Names of the control inputs whose rule satisfies `test`, in table order. */
function controlInputsWhere(test: (rule: InputRule) => boolean): string[] {
    return [...CONTROL_RULES].filter(([, rule]) => test(rule)).map(([key]) => key);
}

/** Names of the control inputs kept in state. */
type CarriedInput = { [K in ControlInput]: (typeof CONTROL_INPUTS_TABLE)[K]["carried"] extends true ? K : never }[ControlInput];
/** Control inputs kept in state (carried between inputs and outputs). */
const CARRIED_INPUTS = controlInputsWhere((r) => r.carried) as CarriedInput[];
/** Control inputs that are optional booleans. */
const BOOLEAN_INPUTS = controlInputsWhere((r) => r.boolean);
/** Properties whose change replaces the resource. */
export const REPLACE_ON_CHANGE: readonly string[] = controlInputsWhere((r) => r.onChange === "replace");
/** Control inputs whose change is recorded by an update without writing to the tenant. */
const STATE_ONLY_INPUTS = controlInputsWhere((r) => r.onChange === "stateOnly");
/** Control inputs a program may set (offered, with the settings, when a property name is unknown). */
const PROGRAM_INPUTS = controlInputsWhere((r) => r.setBy === "program");

// ---------------------------------------------------------------- typed inputs, outputs and state

/**
 * The inputs as the engine hands them to the provider (from the program, from check(), or from state), before parsing:
 * any value may be missing, not known yet (preview) or invalid, and Pulumi adds `__provider`.
 */
export type ClientPolicyInputProps = { readonly [K in ControlInput | keyof ClientPolicySettings]?: unknown } & { readonly [key: string]: unknown };

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

/** The outputs this version writes to state. */
export type ClientPolicyOutputs = ClientPolicySettingOutputs & {
    identity: string;
    policyName: string;
    etag: string;
    /** This resource's owner id with the stack instance. */
    owner?: string;
    /** The owner the tenant recorded when last read or written. */
    tenantOwner?: string;
    /** For Global only: what deleting it does. */
    onDelete?: string;
    adopt?: boolean;
    forceDeleteWhenGranted?: boolean;
};

/**
 * Outputs as found in state: written by this version or an earlier one (before owners existed, say), so any of them
 * may be missing, and Pulumi adds `__provider`. {@link parseState} reads them.
 */
export type StoredClientPolicyOutputs = { readonly [K in keyof ClientPolicyOutputs]?: unknown } & { readonly [key: string]: unknown };

/** What a stored state (outputs) says, parsed once. */
export interface ClientPolicyState {
    readonly identity: string;
    readonly etag?: string;
    /** The owner recorded in the tenant when last read or written (undefined: none, or state from before owners). */
    readonly tenantOwner?: string;
    /** This resource's own owner id (undefined in state written before owners existed). */
    readonly owner?: string;
    readonly forceDeleteWhenGranted: boolean;
}

const text = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** Parses stored outputs; the id stands in for an identity that is missing or unreadable. */
export function parseState(id: string, props: StoredClientPolicyOutputs): ClientPolicyState {
    const parsed = parsePolicyIdentity(props.identity ?? id);
    return {
        identity: isIdentityError(parsed) ? id : parsed.canonical,
        etag: text(props.etag),
        tenantOwner: text(props.tenantOwner),
        owner: text(props.owner),
        forceDeleteWhenGranted: props.forceDeleteWhenGranted === true,
    };
}

/** Result of {@link parseInputs}. */
export interface ParsedInputs {
    /** The inputs in canonical form, for check() to return (values not known yet kept as they are). */
    readonly inputs: Record<string, unknown>;
    /** Everything valid and known. */
    readonly parsed?: ClientPolicyInputs;
    /** Valid, with what the ownership checks need (identity, owner, adopt) known even when some setting is not. */
    readonly partial?: ClientPolicyInputs;
    readonly failures: CheckFailure[];
}

/**
 * Validates and canonicalises raw inputs (from the engine, a program, or state). Used by check() and by every CRUD
 * method on its own inputs, so none relies on check() having run. Unknown values (preview) are kept as they are.
 */
export function parseInputs(news: ClientPolicyInputProps): ParsedInputs {
    const props = news; // read only: Pulumi's `__provider`, our `adoptChanges` and undefined members are skipped below
    const failures: CheckFailure[] = [];
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
    for (const key of BOOLEAN_INPUTS) {
        const v = checkOptionalBoolean(props, key, failures);
        if (v !== undefined) inputs[key] = v;
    }
    let unknown = false;
    for (const key in props) {
        const value = props[key];
        if (value === undefined || key === PROVIDER_KEY || CONTROL_RULES.has(key)) continue;
        const def = settingDefs.get(key);
        if (!def) { failures.push(unknownPropertyFailure(key, [...PROGRAM_INPUTS, ...settingDefs.keys()])); continue; }
        if (isUnknown(value)) { inputs[key] = value; unknown = true; continue; }
        const result = validateSetting(def, value, "input");
        // The engine prints a failure with a property as "property X value {<value>} has a problem": for free text (which
        // may be secret or personal) the failure names the property in its reason instead, so the value is never shown.
        if (!result.ok) failures.push(def.kind === "string" ? { property: "", reason: `${key} ${result.message}` } : { property: key, reason: result.message });
        else if (result.value !== null) settings[key] = inputs[key] = toResourceValue(def, result.value);
    }
    const control = { owner, declaredIn, adopt: inputs.adopt as boolean | undefined, forceDeleteWhenGranted: inputs.forceDeleteWhenGranted as boolean | undefined };
    const parsed = identity && failures.length === 0 && !unknown ? { identity, settings, ...control } : undefined;
    const partial = identity && failures.length === 0 && !isUnknown(props.adopt) ? { identity, settings, ...control } : undefined;
    return { inputs, parsed, partial, failures };
}

/** {@link parseInputs} for a CRUD method: invalid inputs are a {@link ValidationError} before anything is written. */
export function requireInputs(news: ClientPolicyInputProps): ClientPolicyInputs {
    return requireValid("ClientPolicy", parseInputs(news));
}

/** The carried control inputs of canonical inputs, as they go into state. */
export function carriedInputs(inputs: ClientPolicyInputs): Pick<ClientPolicyOutputs, CarriedInput> {
    const carried: Pick<ClientPolicyOutputs, CarriedInput> = {};
    for (const key of CARRIED_INPUTS) carried[key] = inputs[key];
    return carried;
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
 * and this resource's own `owner` id are carried over from `carry` (they never come from the tenant): raw inputs
 * (`owner` and `stackInstance`) or stored outputs (`owner` with its instance).
 */
export function outputsFromWire(policy: WirePolicy, etag: string, carry: Readonly<Record<string, unknown>> = {}, tenantOwner?: string | null): ClientPolicyOutputs {
    const parsed = parsePolicyIdentity(policy.Identity);
    const identity = isIdentityError(parsed) ? String(policy.Identity) : parsed.canonical;
    const out: ClientPolicyOutputs & Record<string, unknown> = {
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
    // Copied as given: validated inputs, or outputs this provider wrote.
    for (const key of CARRIED_INPUTS) if (carry[key] !== undefined) (out as Record<string, unknown>)[key] = carry[key];
    if (identity === "Global") out.onDelete = GLOBAL_ON_DELETE;
    return out;
}

/** A tenant value in canonical resource form; a value outside the catalogue is kept as reported (read is honest). */
function liveValue(def: SettingDef, value: unknown): unknown {
    const result = validateSetting(def, value, "wire");
    return result.ok && result.value !== null ? toResourceValue(def, result.value as WireValue) : value;
}

/** Inputs rebuilt from outputs, so that after a refresh `preview --diff` shows drift (settings and owner) as input changes. */
export function inputsFromOutputs(outs: StoredClientPolicyOutputs): Record<string, unknown> {
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

// ---------------------------------------------------------------- diff rules

/** Settings whose canonical values differ (unset = undefined/null/absent only). Both sides are in input form. */
export function changedSettings(olds: Readonly<Record<string, unknown>>, news: Readonly<Record<string, unknown>>): string[] {
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

/** Whether the tenant's owner as last read (`olds.tenantOwner`) is not the owner id the new inputs record. */
function ownerDrifted(olds: StoredClientPolicyOutputs, news: Readonly<Record<string, unknown>>): boolean {
    return !!text(olds.tenantOwner) && !!text(news.owner) &&
        (isUnknown(news.stackInstance) || olds.tenantOwner !== withInstance(news.owner as string, text(news.stackInstance)));
}

/**
 * Every changed property, by the rules of {@link CONTROL_INPUTS_TABLE} and the settings' rule: replacing inputs first,
 * then settings, state-only inputs, and the owner (a take-over by someone else shows as drift, and the update then
 * fails or adopts). `news` are canonical inputs ({@link parseInputs}), `olds` stored outputs.
 */
export function changedProperties(olds: StoredClientPolicyOutputs, news: Readonly<Record<string, unknown>>): string[] {
    const changed: string[] = [];
    const rules = [...CONTROL_RULES];
    for (const [key, rule] of rules) {
        if (rule.onChange === "replace" && (isUnknown(news[key]) || identityKey(olds[key]) !== identityKey(news[key]))) changed.push(key);
    }
    changed.push(...changedSettings(olds, news));
    for (const key of STATE_ONLY_INPUTS) if (Boolean(olds[key]) !== Boolean(news[key])) changed.push(key);
    for (const [key, rule] of rules) if (rule.onChange === "owner" && ownerDrifted(olds, news)) changed.push(key);
    return changed;
}
