/**
 * Engine events → property-level changes. The engine's summary counts steps but, for refresh steps, lists no property
 * paths, so changes are computed from the event stream (`--event-log`, the Automation API's `onEvent`), as verified on
 * the pinned CLI v3.274.1:
 *
 * - refresh (`refresh --preview-only`): a `resOutputsEvent` per resource whose `metadata.op` is `update` when the
 *   tenant differs from state (old = last applied, new = tenant now, both with `inputs` and `outputs`), `delete` when
 *   the object is gone, `same` otherwise;
 * - preview: a `resourcePreEvent` per resource with `op` create / update / delete / replace (or the replacement's
 *   `create-replacement` / `delete-replaced`), `old.inputs` (state) and `new.inputs` (code), `diffs` naming the
 *   top-level properties that differ.
 */
import { foldIdentity } from "../../api/identity";
import { CHECKS_SKIPPED, type SkipReason } from "../../provider/runtime";
import { isKeyedUsers, listedUsers } from "../../provider/resources/grantUsers";
import type { Change, ChangeKind, ChangeOp, PropertyChange } from "../../api/report";

/**
 * Properties that are bookkeeping, not settings: the serialized provider, the preview's `adoptChanges` text (the report
 * shows a take-over property by property: takeOver.ts), the ETag, derived fields, the owner id and
 * its stack instance, and where a TenantPolicies component declared the resource (`declaredIn`, for advice only).
 */
const IGNORED = new Set(["__provider", "adoptChanges", "etag", "onDelete", "policyName", "tenantOwner", "owner", "stackInstance", "declaredIn"]);
/** The engine's placeholder for a value known only after apply. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** How the engine shows a secret in events. */
export const SECRET_TEXT = "[secret]";

interface StepState {
    type?: string;
    /** False for component resources (no provider, no tenant object). */
    custom?: boolean;
    urn?: string;
    id?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
}
interface StepMetadata {
    op: string;
    urn: string;
    type: string;
    old?: StepState;
    new?: StepState;
    diffs?: string[];
}
/** The subset of an engine event used here (`EngineEvent` of @pulumi/pulumi/automation). */
export interface EventLike {
    resourcePreEvent?: { metadata: StepMetadata };
    resOutputsEvent?: { metadata: StepMetadata };
    diagnosticEvent?: { severity: string; message: string; urn?: string };
}

/** `pulumi-nodejs:dynamic/clientpolicy:ClientPolicy` → `ClientPolicy`. */
export function shortType(type: string): string {
    const m = /clientpolicy:(\w+)$/.exec(type);
    return m ? m[1] : type;
}

function nameOf(urn: string): string {
    return urn.split("::").pop() ?? urn;
}

/** Policy identity (ClientPolicy) or granted policy (PolicyGrant) of a step, from whichever state has it. */
function identityOf(m: StepMetadata): string | null {
    for (const s of [m.new, m.old]) {
        for (const bag of [s?.inputs, s?.outputs]) {
            const v = bag?.identity ?? bag?.policyName;
            // A grant may name its policy without the `Tag:` prefix (`OfflineIM`): shown as the policy's identity.
            if (typeof v === "string" && v !== UNKNOWN) return /^(global$|tag:|site:)/i.test(v) ? v : `Tag:${v}`;
        }
    }
    return null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Shows the engine's markers as words: unknowns as "(known after apply)"; secrets stay "[secret]". */
function present(v: unknown): unknown {
    if (v === UNKNOWN) return "(known after apply)";
    if (isPlainObject(v) && "4dabf18193072939515e22adc298d4e7" in v) return SECRET_TEXT;
    return v;
}

/**
 * A grant's `resolvedUsers` (object ids, SIP addresses, display names) as the users a person recognises: the SIP
 * address, else the display name. Object ids differ per tenant, so keeping them would stop identical changes from
 * folding across tenants.
 */
function resolvedNames(v: unknown): string[] | undefined {
    if (!Array.isArray(v)) return undefined;
    return v.map((u) => (isPlainObject(u) ? String(u.sipAddress || u.displayName || u.requestedAs || "?") : String(u)));
}

/**
 * Property differences of two bags (inputs or outputs), top-level keys; arrays of scalars are sets: `before` lists
 * the members removed, `after` those added and `set` is true (a grant's `users` names exactly who loses and who gets
 * the policy, never a positional rewrite of the list); other values whole. `resolvedUsers` is folded into the
 * `users` change: shown only when `users` itself did not change, as the users' names.
 */
export function diffProperties(before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined, kind: ChangeKind, only?: readonly string[]): PropertyChange[] {
    const out: PropertyChange[] = [];
    const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
    for (const key of [...keys].sort()) {
        if (IGNORED.has(key)) continue;
        if (only && only.length > 0 && !only.includes(key) && !(key === "resolvedUsers" && only.includes("users"))) continue;
        // A grant's `users` is stored keyed by user (grantUsers.ts), or as a list by state from before that shape:
        // both are the same set of spellings.
        const members = (v: unknown) => (key === "users" && isKeyedUsers(v) ? listedUsers(v) : v);
        let b = present(members(before?.[key]));
        let a = present(members(after?.[key]));
        let path = key;
        if (key === "resolvedUsers") {
            if (out.some((p) => p.path === "users" || p.path === "user")) continue;
            const [rb, ra] = [resolvedNames(b), resolvedNames(a)];
            if (!rb && !ra) continue; // secret or absent on both sides: nothing a person can read
            [b, a, path] = [rb ?? [], ra ?? [], "users"];
        }
        if (JSON.stringify(b) === JSON.stringify(a)) continue;
        const bList = Array.isArray(b) ? b : b === undefined && Array.isArray(a) ? [] : undefined;
        const aList = Array.isArray(a) ? a : a === undefined && Array.isArray(b) ? [] : undefined;
        if (bList && aList && [...aList, ...bList].every((x) => typeof x !== "object")) {
            const bs = new Set(bList.map((x) => JSON.stringify(x)));
            const as = new Set(aList.map((x) => JSON.stringify(x)));
            const removed = bList.filter((x) => !as.has(JSON.stringify(x)));
            const added = aList.filter((x) => !bs.has(JSON.stringify(x)));
            if (removed.length + added.length > 0) out.push({ path, before: removed, after: added, set: true, kind });
            continue;
        }
        out.push({ path, before: b, after: a, kind });
    }
    // A users change found through `resolvedUsers` and through `users` is one change.
    return out.filter((p, i) => out.findIndex((q) => q.path === p.path) === i);
}

/** A created resource's declared inputs as property changes (nothing before), so a create shows what it sets. */
function declared(inputs: Record<string, unknown> | undefined, kind: ChangeKind): PropertyChange[] {
    return diffProperties(undefined, inputs, kind).filter((p) => p.path !== "identity" && p.path !== "adopt");
}

/** The resource types that are tenant objects: the only rows of the report. */
const TENANT_OBJECT_TYPES: ReadonlySet<string> = new Set(["ClientPolicy", "PolicyGrant"]);

/**
 * Whether a step is not a tenant object, so not a row of the report: a component (`TenantPolicies`; a create step of a
 * new stack's preview does not always say `custom: false`), the stack instance bookkeeping resource (it names the
 * stack instance in owner ids; nothing in the tenant), or any other provider's resource in the program.
 */
function isComponent(m: StepMetadata): boolean {
    return (m.new ?? m.old)?.custom === false || !TENANT_OBJECT_TYPES.has(shortType(m.type));
}

function opOf(op: string): ChangeOp | undefined {
    switch (op) {
        case "create": return "create";
        case "update": return "update";
        case "delete": return "delete";
        case "replace": case "create-replacement": case "delete-replaced": return "replace";
        default: return undefined; // same, read, refresh, import…: no change
    }
}

/** Changes a refresh preview found: the tenant vs the last applied state. The stack resource itself is skipped. */
export function driftChanges(events: readonly EventLike[]): Change[] {
    const out: Change[] = [];
    for (const e of events) {
        const m = e.resOutputsEvent?.metadata;
        if (!m || m.type === "pulumi:pulumi:Stack" || m.type.startsWith("pulumi:providers:") || isComponent(m)) continue;
        const op = opOf(m.op);
        if (!op) continue;
        const properties = op === "update" ? diffProperties(m.old?.outputs, m.new?.outputs, "drift") : [];
        if (op === "update" && properties.length === 0) continue; // only bookkeeping moved (an ETag)
        out.push({ kind: "drift", op, urn: m.urn, type: shortType(m.type), name: nameOf(m.urn), identity: identityOf(m), properties });
    }
    // The engine streams resources as its parallel steps finish: sort for a stable report.
    return out.sort((a, b) => a.urn.localeCompare(b.urn));
}

/** Changes a preview found: the code vs the last applied state (one entry per resource, replacements folded). */
export function pendingChanges(events: readonly EventLike[]): Change[] {
    const byUrn = new Map<string, Change>();
    for (const e of events) {
        const m = e.resourcePreEvent?.metadata;
        if (!m || m.type === "pulumi:pulumi:Stack" || m.type.startsWith("pulumi:providers:") || isComponent(m)) continue;
        const op = opOf(m.op);
        if (!op) continue;
        const prev = byUrn.get(m.urn);
        if (prev && prev.op === "replace") continue;
        const properties = op === "update" || op === "replace" ? diffProperties(m.old?.inputs, m.new?.inputs, "pending", m.diffs)
            : op === "create" ? declared(m.new?.inputs, "pending") : [];
        if (op === "update" && properties.length === 0) continue;
        byUrn.set(m.urn, { kind: "pending", op, urn: m.urn, type: shortType(m.type), name: nameOf(m.urn), identity: identityOf(m), properties });
    }
    return [...byUrn.values()].sort((a, b) => a.urn.localeCompare(b.urn));
}

/**
 * Full mode: drift and pending changes of one tenant joined per resource and property. A property that drifted and
 * that the code also changes is `both` (`before` state, `tenant` the tenant's value, `after` the code's). A policy
 * that drifted and that the code updates is marked `refreshFirst`: the provider writes a policy with the ETag it
 * recorded (`If-Match`), the tenant's ETag moved with the drift, so `pulumi up` stops there with an ETag mismatch
 * until a refresh records the tenant's state. A grant has no ETag and is not marked.
 */
export function joinChanges(drift: readonly Change[], pending: readonly Change[]): Change[] {
    const out = new Map<string, Change>();
    for (const d of drift) out.set(d.urn, { ...d, properties: [...d.properties] });
    for (const p of pending) {
        const d = out.get(p.urn);
        if (!d) {
            out.set(p.urn, p);
            continue;
        }
        const props = new Map(d.properties.map((x) => [x.path, x]));
        for (const pp of p.properties) {
            const dp = props.get(pp.path);
            props.set(pp.path, dp ? { path: pp.path, before: pp.before, after: pp.after, tenant: dp.after, kind: "both" } : pp);
        }
        const op: ChangeOp = d.op === "update" ? p.op : d.op;
        const refreshFirst = d.type === "ClientPolicy" && p.op === "update";
        out.set(p.urn, { ...d, kind: "both", op, properties: [...props.values()].sort((a, b) => a.path.localeCompare(b.path)), ...(refreshFirst ? { refreshFirst } : {}) });
    }
    return [...out.values()].sort((a, b) => a.urn.localeCompare(b.urn));
}

/** The engine's error diagnostics of a run, newest last, without the engine's decoration. */
export function errorMessages(events: readonly EventLike[]): string[] {
    return events
        .filter((e) => e.diagnosticEvent && e.diagnosticEvent.severity === "error")
        .map((e) => e.diagnosticEvent!.message.replace(/\u001b\[[0-9;]*m/g, "").replace(/<\{%reset%\}>/g, "").trim())
        .filter((m) => m.length > 0);
}

/** The provider's warning that a preview could not read the tenant (provider/runtime.ts `skippedWarning`). */
const SKIPPED_WARNING = new RegExp(`${CHECKS_SKIPPED} \\[(${(["not configured", "unreachable", "credentials rejected"] satisfies SkipReason[]).join("|")})\\]: (.*)$`, "s");

/**
 * The provider's "tenant checks skipped" warnings of a run (one per reason): why the preview could not read the
 * tenant and what it said, without the engine's decoration and the advice about strict mode.
 */
export function skippedTenantChecks(events: readonly EventLike[]): Array<{ reason: SkipReason; detail: string }> {
    const out: Array<{ reason: SkipReason; detail: string }> = [];
    for (const e of events) {
        const d = e.diagnosticEvent;
        if (!d || d.severity !== "warning") continue;
        const m = SKIPPED_WARNING.exec(d.message.replace(/\u001b\[[0-9;]*m/g, "").replace(/<\{%reset%\}>/g, "").trim());
        if (m && !out.some((o) => o.reason === m[1])) out.push({ reason: m[1] as SkipReason, detail: m[2].replace(/\. This preview did not check[\s\S]*$/, "") });
    }
    return out;
}

/**
 * The ClientPolicy identities a run saw in state or code (every step, changed or not), lower-cased: the policies this
 * stack manages, for finding the tenant's unmanaged ones.
 */
export function managedIdentities(events: readonly EventLike[]): Set<string> {
    const out = new Set<string>();
    for (const e of events) {
        const m = e.resOutputsEvent?.metadata ?? e.resourcePreEvent?.metadata;
        if (!m || shortType(m.type) !== "ClientPolicy") continue;
        for (const s of [m.new, m.old]) {
            for (const bag of [s?.inputs, s?.outputs]) {
                const v = bag?.identity;
                if (typeof v === "string" && v !== UNKNOWN) out.add(foldIdentity(v.replace(/^Tag:/i, "")));
            }
        }
    }
    return out;
}
