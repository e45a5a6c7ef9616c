/**
 * Schema helpers shared by both resources: turning the zod catalogue into resource property names and types, the
 * resource ⇄ wire value forms, and the pieces of check() that are the same everywhere (stripping Pulumi's internal
 * keys, "did you mean" for unknown properties). The settings list itself lives only in `api/catalogue.ts`.
 */
import { CatalogueEntry, SettingDef, ValueForm, WireValue, suggestName, validateSetting } from "../api/catalogue";
import type { CheckFailure } from "@pulumi/pulumi/dynamic";
import { ValidationError } from "./errors";

// ---------------------------------------------------------------- types derived from the catalogue

type UpperChar = "A" | "B" | "C" | "D" | "E" | "F" | "G" | "H" | "I" | "J" | "K" | "L" | "M" | "N" | "O" | "P" | "Q" |
    "R" | "S" | "T" | "U" | "V" | "W" | "X" | "Y" | "Z";
type LowerChar = Lowercase<UpperChar>;
/** Splits `S` into its leading run of capitals and the rest. */
type LeadingCaps<S extends string, Acc extends string = ""> =
    S extends `${infer C}${infer R}` ? (C extends UpperChar ? LeadingCaps<R, `${Acc}${C}`> : [Acc, S]) : [Acc, ""];
type LastChar<S extends string> = S extends `${infer _}${infer R}` ? (R extends "" ? S : LastChar<R>) : "";
type DropLast<S extends string> = S extends `${infer C}${infer R}` ? (R extends "" ? "" : `${C}${DropLast<R>}`) : "";

/**
 * Type-level twin of {@link camelName}: a leading acronym is lowered as one (`IMWarning` → `imWarning`), otherwise
 * only the first letter. A unit test checks both agree on every catalogue entry.
 */
export type CamelName<W extends string> =
    LeadingCaps<W> extends [infer Run extends string, infer Rest extends string]
        ? Rest extends `${LowerChar}${string}`
            ? DropLast<Run> extends "" ? Uncapitalize<W> : `${Lowercase<DropLast<Run>>}${LastChar<Run>}${Rest}`
            : Uncapitalize<W>
        : never;

/** One `PolicyEntry` item in resource form. */
export interface PolicyEntryItem {
    name: string;
    value: string;
}

/**
 * The value type of a catalogue entry in resource form: booleans, enum unions (case-insensitive at run time),
 * integers, durations as `"hh:mm:ss"` or seconds, strings, and `{ name, value }` lists.
 */
export type SettingInput<D> =
    D extends { kind: "boolean" } ? boolean :
    D extends { kind: "enum"; values: readonly (infer V)[] } ? V :
    D extends { kind: "uint" } ? number :
    D extends { kind: "timespan" } ? string | number :
    D extends { kind: "string" } ? string :
    D extends { kind: "policyEntry" } ? PolicyEntryItem[] : never;

/** Canonical (output) form: durations are always `"hh:mm:ss"`. */
export type SettingOutput<D> = D extends { kind: "timespan" } ? string : SettingInput<D>;

/** Every catalogue setting as an optional camelCase property, in input form. */
export type ClientPolicySettings = { [D in CatalogueEntry as CamelName<D["name"]>]?: SettingInput<D> };

/** Every catalogue setting as the tenant reports it (canonical form). */
export type ClientPolicySettingOutputs = { [D in CatalogueEntry as CamelName<D["name"]>]?: SettingOutput<D> };

// ---------------------------------------------------------------- value forms

/** Resource form of a canonical wire value (only PolicyEntry differs: `{Name, Value}` → `{name, value}`). */
export function toResourceValue(def: SettingDef, wire: WireValue): unknown {
    if (def.kind === "policyEntry" && Array.isArray(wire)) return wire.map((x) => ({ name: x.Name, value: x.Value }));
    return wire;
}

/**
 * Canonical wire value for comparison of `value` given in `form` (the caller always knows which: program inputs and
 * the outputs in state are `input` form, tenant answers `wire` form), or `null` for unset. A value that does not
 * validate is returned as is, so it compares unequal to every valid one. Unset (`undefined`, `null`, absent) is *not*
 * equal to a documented default — the tenant reports them differently, so treating them as equal would hide a real
 * difference.
 */
export function canonicalValue(def: SettingDef, value: unknown, form: ValueForm): unknown {
    if (value === undefined || value === null) return null;
    // An empty PolicyEntry list and an unset one both mean "no entries" (`-PolicyEntry $Null` clears the list).
    if (def.kind === "policyEntry" && Array.isArray(value) && value.length === 0) return null;
    const result = validateSetting(def, value, form);
    return result.ok ? result.value : value;
}

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

// ---------------------------------------------------------------- check() helpers

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

/** Pulumi's internal input key carrying the serialized provider. */
export const PROVIDER_KEY = "__provider";

/**
 * The user's inputs without Pulumi's `__provider` key and without `undefined` members (an output property the
 * resource class registers but the user did not set).
 */
export function userInputs(news: Record<string, unknown> | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k in news) {
        const v = news[k];
        if (v !== undefined && k !== PROVIDER_KEY) out[k] = v;
    }
    return out;
}

/** The failure for a property the schema does not know. Typos must never pass silently. */
export function unknownPropertyFailure(name: string, known: Iterable<string>): CheckFailure {
    const guess = suggestName(name, known);
    return { property: name, reason: `unknown property${guess ? `; did you mean "${guess}"?` : ""}` };
}

/** Checks an optional boolean control input (`adopt`, `forceDeleteWhenGranted`). */
export function checkOptionalBoolean(props: Record<string, unknown>, key: string, failures: CheckFailure[]): boolean | undefined {
    const v = props[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") {
        failures.push({ property: key, reason: `must be a boolean (true or false), got ${show(v)}` });
        return undefined;
    }
    return v;
}

/**
 * A resource's parsed inputs for a CRUD method, which canonicalises its own inputs instead of relying on check():
 * any failure (or an input still unknown) is a {@link ValidationError} naming every property, before anything is written.
 */
export function requireValid<T>(resource: string, result: { parsed?: T; failures: CheckFailure[] }): T {
    if (result.failures.length > 0 || !result.parsed) {
        const reasons = result.failures.length > 0
            ? result.failures.map((f) => (f.property ? `${f.property}: ${f.reason}` : f.reason)).join("; ") : "some inputs are not known yet";
        throw new ValidationError(`invalid ${resource} inputs: ${reasons}`, { code: "InvalidInputs" });
    }
    return result.parsed;
}

/**
 * Internal input a resource class sets when the program itself is wrong in a way only the program can see (the same
 * tenant object declared twice, the `import` option): check() reports it as a failure. Reported there rather than
 * thrown from the constructor, it fails `pulumi preview` like any other bad input, without a stack trace, and without
 * an exception in the program (after which in-process Automation API runs of the SDK are unreliable).
 */
export const DECLARATION_PROBLEM = "declarationProblem";

/** What check() reports for a problem only the program sees: the property (or "") and why. */
export interface DeclarationProblem {
    property: string;
    reason: string;
}

/** The check failure a resource class recorded in {@link DECLARATION_PROBLEM}, if any. */
export function declarationFailure(news: Record<string, unknown>): CheckFailure | undefined {
    const v = news[DECLARATION_PROBLEM] as { property?: unknown; reason?: unknown } | undefined;
    if (!v || typeof v !== "object" || typeof v.reason !== "string") return undefined;
    return failureAt(typeof v.property === "string" ? v.property : "", v.reason);
}

/**
 * A check failure at `path`. The engine prints a failure's value by looking its property up as a top-level input key,
 * so a nested path (`users[3]`, `a.b`) would print `value {<nil>}`: such a path goes at the start of the reason
 * instead (`users[3]: "Ghost User": no such user in the tenant`), with no property.
 */
export function failureAt(path: string, reason: string): CheckFailure {
    return path === "" || /^[A-Za-z_$][\w$]*$/.test(path) ? { property: path, reason } : { property: "", reason: `${path}: ${reason}` };
}
