/**
 * The ClientPolicy dynamic provider: check, diff and CRUD against the tenant, with the ownership rules
 * (provider/ownership.ts) for policies. It runs in the provider host, never in the program; the data model it works on
 * (typed inputs and state, wire mapping, diff rules) is clientPolicy.model.ts.
 *
 * This module's whole `module.exports` is the provider object, so when the package is installed in node_modules
 * Pulumi serializes it as a one-line `require()` of this file instead of walking its closure. Its path is public API:
 * every user's state holds `require("clientpolicy-as-code/dist/provider/resources/clientPolicy.provider.js")`. Keep it
 * that way: no module-level state or clients here (the tenant client lives in provider/runtime.ts).
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { PolicyWithEtag, TenantClient } from "../client/tenantClient";
import { ClientPolicyError, ConflictError, NotFoundError } from "../errors";
import { DeclaredIn, claim, conflictAdvice, describeOwner, isMine, parseOwner, sameStack, takenBackReason } from "../ownership";
import { checkWithTenant, tenantClient, tenantClientForCheck } from "../runtime";
import { engineLog, resourceUrn, warn } from "../diagnostics";
import { PROVIDER_KEY } from "../checkInputs";
import { isUnknown, show } from "../values";
import { settingsByProperty } from "../../api/catalogue";
import { unsetKeepsValue } from "../../api/effective";
import {
    ADOPT_CHANGES, ClientPolicyInputProps, ClientPolicyInputs, GLOBAL_ON_DELETE, REPLACE_ON_CHANGE, StoredClientPolicyOutputs, TYPE,
    carriedInputs, changedProperties, changedSettings, inputsFromOutputs, outputsFromWire, parseInputs, parseState, requireInputs, wireBody,
} from "./clientPolicy.model";
import { Checked, TypedProvider, typedProvider } from "./providerObject";

/**
 * Validates and canonicalises inputs. One failure per bad property, naming what was expected; unknown properties fail
 * with a suggestion. When the tenant is configured and the policy is being created, it also reads the policy once so
 * that preview (what a pull request runs) catches what `up` would otherwise fail on half-way: an existing policy
 * without `adopt`, another owner, and the same policy declared twice in one program. An invalid configuration fails
 * here too; a missing one does not (check() works offline).
 */
async function check(olds: ClientPolicyInputProps | undefined, news: ClientPolicyInputProps): Promise<Checked<ClientPolicyInputProps>> {
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
    } else if (partial.adopt === true || partial.identity.scope === "global") {
        // Global is taken over without `adopt` (it always exists): its preview lists what the take-over changes too.
        inputs[ADOPT_CHANGES] = adoptPreview(partial, live, news);
    } else if (live.owner !== null) {
        await warn(`ClientPolicy ${partial.identity.canonical}: ${takenBackReason(live.owner, "policy")}; \`pulumi up\` will take it back`,
            resourceUrn(TYPE, partial.owner, partial.declaredIn));
    }
    return { inputs, failures };
}

/**
 * What `adopt: true` (or the take-over of Global) will change on the existing policy, for the preview. Values of
 * free-text settings are never shown (only their length), and a value not known yet reads "(known after apply)".
 */
function adoptPreview(parsed: ClientPolicyInputs, live: PolicyWithEtag, news: ClientPolicyInputProps): string[] {
    const current: Readonly<Record<string, unknown>> = outputsFromWire(live.policy, live.etag);
    const target: Record<string, unknown> = { ...parsed.settings };
    for (const [key, value] of Object.entries(news)) if (isUnknown(value) && settingsByProperty().has(key)) target[key] = value;
    const render = (key: string, value: unknown) => {
        if (isUnknown(value)) return "(known after apply)";
        const def = settingsByProperty().get(key);
        if (def?.kind === "string" && typeof value === "string") return `(${value.length} characters)`;
        return show(value);
    };
    // A setting left at its documented default and unset by the take-over keeps that default for every user
    // (api/effective.ts rule 2): not listed (a fresh tenant's Global holds several).
    const atDefault = (key: string) => {
        const def = settingsByProperty().get(key)!;
        return target[key] === undefined && unsetKeepsValue(def, live.policy[def.name]);
    };
    const changes = changedSettings(current, target).filter((key) => !atDefault(key))
        .map((key) => `${key}: ${render(key, current[key])} → ${render(key, target[key])}`);
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

// ---------------------------------------------------------------- diff

/** Compares the last known tenant state (outputs) with the new inputs. Works offline; no tenant call. */
async function diff(_id: string, olds: StoredClientPolicyOutputs, news: ClientPolicyInputProps): Promise<dynamic.DiffResult> {
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
            await warn(`ClientPolicy ${identity}: ${takenBackReason(live.owner, "policy")}; this run takes it back and applies the declared settings`,
                resourceUrn(TYPE, inputs.owner, inputs.declaredIn));
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
async function create(raw: ClientPolicyInputProps): Promise<dynamic.CreateResult<StoredClientPolicyOutputs>> {
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
async function read(id: string, props: StoredClientPolicyOutputs = {}): Promise<dynamic.ReadResult<StoredClientPolicyOutputs>> {
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
async function update(id: string, olds: StoredClientPolicyOutputs, news: ClientPolicyInputProps): Promise<dynamic.UpdateResult<StoredClientPolicyOutputs>> {
    const inputs = requireInputs(news);
    const state = parseState(id, olds);
    const ownerChanged = state.tenantOwner !== undefined && inputs.owner !== undefined && state.tenantOwner !== inputs.owner;
    if (!ownerChanged && changedSettings(olds, inputs.settings).length === 0) {
        return { outs: { ...stripProvider(olds), ...carriedInputs(inputs), ...(inputs.owner ? { owner: inputs.owner } : {}) } };
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

/** Stored outputs without Pulumi's `__provider` key. */
function stripProvider(props: StoredClientPolicyOutputs): StoredClientPolicyOutputs {
    const { [PROVIDER_KEY]: _ignored, ...rest } = props;
    return rest;
}

/**
 * Deletes the policy (Global: resets it to documented defaults) — only while this resource still owns it. When another
 * resource or stack has taken it over, the resource leaves state without any write, with a warning naming the new
 * owner. An administrator's edit (owner unchanged) does not stop the delete. A tag policy still granted to users is
 * only removed, together with its grants, when `forceDeleteWhenGranted` is true.
 */
async function remove(id: string, props: StoredClientPolicyOutputs): Promise<void> {
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
        // Stack-level: the state does not record whether the resource sits under a TenantPolicies component.
        await warn(`ClientPolicy ${state.identity} is now owned by ${describeOwner(live.owner!, state.owner)}; this resource ` +
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

/** The provider object: typed, and its module's whole `module.exports`. */
const provider: TypedProvider<ClientPolicyInputProps, StoredClientPolicyOutputs> = typedProvider({ check, diff, create, read, update, delete: remove });
export = provider;
