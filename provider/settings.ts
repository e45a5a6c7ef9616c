/**
 * The client policy settings as resource properties: their names and types derived from the settings catalogue
 * (api/catalogue.ts, the only list of settings), and the resource ⇄ wire forms of their values.
 */
import { CatalogueEntry, SettingDef, ValueForm, WireValue, validateSetting } from "../api/catalogue";

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
