/**
 * Values as they pass between the engine and a provider: JSON-like data (deep equality, the copy the engine accepts,
 * a short rendering for messages) and the engine's preview-time unknown.
 */

/** Deep equality of JSON-like values (key order ignored). */
export function sameJson(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === "object") {
        return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
    }
    return v;
}

/**
 * A copy without `undefined` members (array holes become null). The dynamic-provider host converts every result to a
 * protobuf Struct, which throws on `undefined`, so every object handed back to Pulumi goes through this.
 */
export function plainJson<T>(value: T): T {
    return containsUndefined(value) ? stripUndefined(value) : value;
}

function containsUndefined(value: unknown): boolean {
    if (value === undefined) return true;
    if (value === null || typeof value !== "object") return false;
    if (Array.isArray(value)) return value.some(containsUndefined);
    for (const k in value) if (containsUndefined((value as Record<string, unknown>)[k])) return true;
    return false;
}

function stripUndefined<T>(value: T): T {
    if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : stripUndefined(v))) as T;
    if (value && typeof value === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = stripUndefined(v);
        return out as T;
    }
    return value;
}

/** Short human rendering of a value for messages (`true`, `"00:05:00"`, `(unset)`). */
export function show(value: unknown): string {
    if (value === undefined || value === null) return "(unset)";
    const text = JSON.stringify(value);
    return text.length > 60 ? text.slice(0, 57) + "…" : text;
}

/**
 * The sentinel the Pulumi engine passes for a value not known during preview (e.g. `policy.identity` of a policy not
 * created yet). Copied from `@pulumi/pulumi/runtime/rpc` rather than imported, to keep the SDK's runtime out of the
 * provider's load path.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether a value is, or contains, a preview-time unknown: such values are passed through unvalidated. */
export function isUnknown(v: unknown): boolean {
    if (v === UNKNOWN) return true;
    if (Array.isArray(v)) return v.some(isUnknown);
    if (v && typeof v === "object") return Object.values(v).some(isUnknown);
    return false;
}
