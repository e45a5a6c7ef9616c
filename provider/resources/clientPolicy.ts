/**
 * The `ClientPolicy` resource: schema (from the catalogue), replacement rules (data) and CRUD against the tenant.
 *
 * State model: the resource id is the canonical identity (`Global`, `site:<name>`, `Tag:<name>`); outputs are what the
 * tenant reports (settings in canonical resource form, unset settings absent) plus the ETag that guards the next
 * write. Unset is not the documented default: a policy whose setting is unset differs from one where it is set to
 * the default value, because the tenant stores and reports them differently.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { SettingDef, WireValue, validateSetting } from "../../api/catalogue";
import { PolicyIdentity, isIdentityError, parsePolicyIdentity } from "../../api/identity";
import { TenantClient, WirePolicy } from "../client/tenantClient";
import { ClientPolicyError, ConflictError, NotFoundError } from "../errors";
import { tenantClient, tenantClientIfConfigured } from "../runtime";
import {
    PROVIDER_KEY, canonicalValue, isUnknown, checkOptionalBoolean, sameJson, settingsByProperty, show, toResourceValue,
    unknownPropertyFailure, userInputs,
} from "../schema";

/** Dynamic resource module and type: URN type `pulumi-nodejs:dynamic/clientpolicy:ClientPolicy`. Public API. */
export const MODULE = "clientpolicy";
/** Type name of the resource (public API, never rename). */
export const TYPE = "ClientPolicy";

/** Control inputs that never reach the tenant but are kept in state (carried from inputs to outputs and back). */
const CARRIED_INPUTS = ["adopt", "forceDeleteWhenGranted"] as const;

/** Inputs that are not tenant settings. */
export const CONTROL_INPUTS = ["identity", ...CARRIED_INPUTS] as const;

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

/** Canonical inputs after check(). Settings are keyed by camelCase name, in canonical resource form. */
export type ClientPolicyInputs = Record<string, unknown> & {
    identity: string;
    adopt?: boolean;
    forceDeleteWhenGranted?: boolean;
};

/** Outputs stored in state. */
export type ClientPolicyOutputs = Record<string, unknown> & {
    identity: string;
    policyName: string;
    etag: string;
};

// ---------------------------------------------------------------- check

/**
 * Validates and canonicalises inputs without touching the network (except the optional adopt preview). One failure
 * per bad property, naming what was expected; unknown properties fail with a suggestion.
 */
export async function check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult> {
    const props = userInputs(news);
    delete props[ADOPT_CHANGES]; // ours, recomputed below
    const failures: dynamic.CheckFailure[] = [];
    const inputs: Record<string, unknown> = {};
    const settings = settingsByProperty();

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
    for (const key of CARRIED_INPUTS) {
        const v = checkOptionalBoolean(props, key, failures);
        if (v !== undefined) inputs[key] = v;
    }
    const known = [...CONTROL_INPUTS, ...settings.keys()];
    for (const [key, value] of Object.entries(props)) {
        if ((CONTROL_INPUTS as readonly string[]).includes(key)) continue;
        const def = settings.get(key);
        if (!def) { failures.push(unknownPropertyFailure(key, known)); continue; }
        if (isUnknown(value)) { inputs[key] = value; continue; }
        const result = validateSetting(def, value, "input");
        if (!result.ok) failures.push({ property: key, reason: result.message });
        else if (result.value !== null) inputs[key] = toResourceValue(def, result.value);
    }
    const creating = !olds || olds.identity === undefined;
    if (failures.length === 0 && identity && inputs.adopt === true && creating) {
        const preview = await adoptPreview(identity, inputs);
        if (preview) inputs[ADOPT_CHANGES] = preview;
    }
    return { inputs, failures };
}

/**
 * What `adopt: true` will change on an existing policy, for the preview. Best effort: without configuration or
 * when the tenant cannot be read, there is simply no preview (check() must not fail for network reasons).
 */
async function adoptPreview(identity: PolicyIdentity, inputs: Record<string, unknown>): Promise<string[] | undefined> {
    const client = tenantClientIfConfigured();
    if (!client) return undefined;
    try {
        const { policy } = await client.getPolicy(identity.canonical);
        const live = outputsFromWire(policy, "");
        const changes = changedSettings(live, inputs).map((key) => `${key}: ${show(live[key])} → ${show(inputs[key])}`);
        return changes.length > 0 ? changes : [`${identity.canonical} already matches this program: nothing to change`];
    } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        return [`could not read the existing ${identity.canonical} to preview adoption: ${(err as Error).message}`];
    }
}

// ---------------------------------------------------------------- wire mapping

/** Request body for a full-state PUT: every declared setting; undeclared ones are left out and so become unset. */
export function wireBody(identity: string, inputs: Record<string, unknown>): WirePolicy {
    const body: Record<string, unknown> = { Identity: identity };
    for (const [key, def] of settingsByProperty()) {
        const wire = canonicalValue(def, inputs[key]);
        if (wire !== null) body[def.name] = wire;
    }
    return body as WirePolicy;
}

/** Outputs from the tenant's answer; control inputs are carried over from `carry` (they never reach the tenant). */
export function outputsFromWire(policy: WirePolicy, etag: string, carry: Record<string, unknown> = {}): ClientPolicyOutputs {
    const parsed = parsePolicyIdentity(policy.Identity);
    const identity = isIdentityError(parsed) ? String(policy.Identity) : parsed.canonical;
    const out: ClientPolicyOutputs = {
        identity,
        policyName: !isIdentityError(parsed) && parsed.scope === "tag" ? parsed.name : identity,
        etag,
    };
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

/** Inputs rebuilt from outputs, so that after a refresh `preview --diff` shows drift as input changes. */
export function inputsFromOutputs(outs: Record<string, unknown>): Record<string, unknown> {
    const inputs: Record<string, unknown> = { identity: outs.identity };
    for (const key of settingsByProperty().keys()) if (outs[key] !== undefined) inputs[key] = outs[key];
    for (const key of CARRIED_INPUTS) if (outs[key] !== undefined) inputs[key] = outs[key];
    return inputs;
}

// ---------------------------------------------------------------- diff

/** Settings whose canonical values differ (unset = undefined/null/absent only). */
export function changedSettings(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
    const changed: string[] = [];
    for (const [key, def] of settingsByProperty()) {
        if (!sameJson(canonicalValue(def, olds[key]), canonicalValue(def, news[key]))) changed.push(key);
    }
    return changed;
}

/** Identity key: names are case-insensitive and the `Tag:` prefix optional. */
function identityKey(v: unknown): string {
    const parsed = parsePolicyIdentity(v);
    return isIdentityError(parsed) ? String(v) : parsed.key;
}

/** Every changed property: identity, settings, and state-only control inputs. */
export function changedProperties(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
    const changed: string[] = [];
    if (identityKey(olds.identity) !== identityKey(news.identity)) changed.push("identity");
    changed.push(...changedSettings(olds, news));
    for (const key of STATE_ONLY_INPUTS) if (Boolean(olds[key]) !== Boolean(news[key])) changed.push(key);
    return changed;
}

/** Compares the last known tenant state (outputs) with the new inputs. */
export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.DiffResult> {
    const changed = changedProperties(olds, userInputs(news));
    return {
        changes: changed.length > 0,
        replaces: changed.filter((k) => REPLACE_ON_CHANGE.includes(k)),
        deleteBeforeReplace: false,
    };
}

// ---------------------------------------------------------------- CRUD

/** The user-facing error for a 412: someone else wrote the policy since our last read. */
function staleEtag(identity: string, err: ClientPolicyError): ConflictError {
    return new ConflictError(
        `${identity} was changed outside this stack since it was last read (ETag mismatch); ` +
        `run \`pulumi refresh\` to load the current settings, then \`pulumi up\` again`,
        { status: err.status, code: "PreconditionFailed", target: identity, requestId: err.requestId });
}

function isStatus(err: unknown, status: number): err is ClientPolicyError {
    return err instanceof ClientPolicyError && err.status === status;
}

/** Full-state PUT over an existing policy guarded by `etag`, mapping a 412 to the refresh advice. */
async function replaceSettings(client: TenantClient, identity: string, inputs: Record<string, unknown>, etag: string) {
    try {
        return await client.putPolicy(identity, wireBody(identity, inputs), { ifMatch: etag });
    } catch (err) {
        if (isStatus(err, 412)) throw staleEtag(identity, err);
        throw err;
    }
}

/**
 * GET, then replace: how Global (always present) and adopted policies are taken over. A write landing between the
 * two is retried once with the fresh ETag: nothing in state is stale yet, so "run pulumi refresh" would not help.
 */
async function takeOver(client: TenantClient, identity: string, inputs: Record<string, unknown>) {
    for (let attempt = 1; ; attempt++) {
        const { etag } = await client.getPolicy(identity);
        try {
            return await client.putPolicy(identity, wireBody(identity, inputs), { ifMatch: etag });
        } catch (err) {
            if (!isStatus(err, 412)) throw err;
            if (attempt >= 2) throw staleEtag(identity, err);
        }
    }
}

/**
 * Creates the policy. Global always exists and is taken over (settings absent from the program become unset); a
 * tag or site policy is created with `If-None-Match: *` and an existing one is only taken over with `adopt: true`.
 */
export async function create(inputs: Record<string, unknown>): Promise<dynamic.CreateResult> {
    const client = tenantClient();
    const identity = String(inputs.identity);
    let written;
    if (identity === "Global") {
        written = await takeOver(client, identity, inputs);
    } else {
        try {
            written = await client.putPolicy(identity, wireBody(identity, inputs), { ifNoneMatch: "*" });
        } catch (err) {
            if (!isStatus(err, 409)) throw err;
            if (inputs.adopt !== true) {
                throw new ConflictError(
                    `${identity} already exists in tenant ${client.tenantId}. Set \`adopt: true\` on this ClientPolicy to take it ` +
                    `over (its settings are replaced by the ones declared here; the preview lists the changes as adoptChanges)`,
                    { status: 409, code: "PolicyAlreadyExists", target: "identity", requestId: err.requestId });
            }
            written = await takeOver(client, identity, inputs);
        }
    }
    const outs = outputsFromWire(written.policy, written.etag, inputs);
    return { id: outs.identity, outs };
}

/** Reads live state; a vanished policy returns an empty id so `refresh` records the deletion. */
export async function read(id: string, props: Record<string, unknown> = {}): Promise<dynamic.ReadResult> {
    try {
        const { policy, etag } = await tenantClient().getPolicy(id);
        const outs = outputsFromWire(policy, etag, props);
        return { id: outs.identity, props: outs, inputs: inputsFromOutputs(outs) };
    } catch (err) {
        if (err instanceof NotFoundError) return { id: "" };
        throw err;
    }
}

/** Writes the full desired state over the stored ETag; control-input-only changes do not touch the tenant. */
export async function update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.UpdateResult> {
    const inputs = userInputs(news);
    if (changedSettings(olds, inputs).length === 0) {
        return { outs: { ...stripProvider(olds), ...controlInputs(inputs) } };
    }
    const written = await replaceSettings(tenantClient(), id, inputs, String(olds.etag ?? ""));
    return { outs: outputsFromWire(written.policy, written.etag, inputs) };
}

function controlInputs(inputs: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(CARRIED_INPUTS.map((key) => [key, inputs[key]]));
}

function stripProvider(props: Record<string, unknown>): Record<string, unknown> {
    const { [PROVIDER_KEY]: _ignored, ...rest } = props;
    return rest;
}

/**
 * Deletes the policy (Global: resets it to documented defaults). A tag policy still granted to users is only
 * removed, together with its grants, when `forceDeleteWhenGranted` is true.
 */
export async function remove(id: string, props: Record<string, unknown>): Promise<void> {
    const client = tenantClient();
    const force = props.forceDeleteWhenGranted === true;
    try {
        await client.deletePolicy(id, { ifMatch: typeof props.etag === "string" && props.etag ? props.etag : undefined, force });
    } catch (err) {
        if (err instanceof NotFoundError) return; // already gone: the goal of delete is met
        if (isStatus(err, 412)) throw staleEtag(id, err);
        if (isStatus(err, 409)) {
            const granted = await client.listAssignments(id).then((users) => String(users.length), () => "some");
            throw new ConflictError(
                `${id} is still granted to ${granted} user(s), so it was not deleted. Remove or retarget the PolicyGrant ` +
                `resources first, or set \`forceDeleteWhenGranted: true\` on this ClientPolicy (run \`pulumi up\` so the ` +
                `setting is recorded) to delete the policy together with its grants`,
                { status: 409, code: err.code ?? "PolicyInUse", target: id, requestId: err.requestId });
        }
        throw err;
    }
}
