/**
 * The binder of the gateway's commands-as-data protocol (protocol.ts): checks one {@link ShellCommand} against
 * the cmdlet table (api/powershell/table.ts) and converts each value to its declared type. The gateway runs it before
 * sending; the stand-in shell runs it on what it receives; the shipped module's host loop (generated in
 * gateway/module.ts) implements the same checks in the same order with the same error texts (the templates below are
 * written into the module), so a command the stand-in refuses is refused on a server in the same words.
 *
 * Conversions, one per parameter type:
 * - `string` → `[string]`; `bool` → `[bool]`; `uint` → `[long]` within 0–4294967295 (the cmdlets' UInt32/UInt16
 *   parameters then convert it; a narrower catalogue range is the API's check, not the binder's);
 * - `timespan` → `[TimeSpan]::Parse(text, [CultureInfo]::InvariantCulture)` of `hh:mm:ss` or `d.hh:mm:ss`
 *   ({@link TIMESPAN_PATTERN}); TimeSpan.Parse alone would also take `5` (five days) or `1:2`, so the pattern comes
 *   first. The one TimeSpan coercion: here it yields total seconds;
 * - `policyEntries` → `@{ Replace = <entries> }` where each entry is made by `New-CsClientPolicyEntry -Name -Value`.
 *   `-PolicyEntry` is a `PSListModifier[ClientPolicyEntry]`: a hashtable with `Add`/`Remove` changes the stored list
 *   (the form Set-CsClientPolicy's examples show), one with `Replace` sets the whole list (PSListModifier's Hashtable
 *   constructor, PowerShell/src/System.Management.Automation/engine/hostifaces/ListModifier.cs). The API's PolicyEntry
 *   is the whole list in order, so the gateway replaces; an empty list is sent as `null` (clears it);
 * - `switch` → present; `null` → `$null`, only where the table says the parameter is nullable;
 * - `clientPolicyFilter` → the string `ClientPolicy -eq '<value>'` built by {@link clientPolicyFilter} (the module's
 *   twin doubles the same five single-quote characters).
 */
import type { ShellArg, ShellCommand } from "./protocol";
import {
    CMDLETS_BY_NAME, clientPolicyFilter, paramOf, TIMESPAN_PATTERN, UINT_MAX,
    type CmdletDef, type OutputForm, type ParamDef, type ParamType,
} from "./table";

/** The error templates (`{0}` the cmdlet, `{1}` the parameter, `{2}` what it takes), shared with the module. */
export const BIND_ERRORS = {
    malformed: { id: "CpMalformedCommand", category: "InvalidArgument", message: "A command is an object with a cmdlet name, params and an output form." },
    cmdlet: { id: "CpCommandNotInTable", category: "ObjectNotFound", message: "The gateway module does not run '{0}'." },
    output: { id: "CpOutputNotAllowed,{0}", category: "InvalidArgument", message: "The output of {0} cannot be '{1}'." },
    parameter: { id: "CpParameterNotInTable,{0}", category: "InvalidArgument", message: "{0} has no parameter '{1}' in the gateway module's table." },
    argument: { id: "CpArgumentType,{0}", category: "InvalidArgument", message: "-{1} of {0} takes {2}." },
    missing: { id: "CpMissingParameter,{0}", category: "InvalidArgument", message: "{0} needs -{1}." },
    exactlyOne: { id: "CpParameterSet,{0}", category: "InvalidArgument", message: "{0} needs exactly one of -{1}." },
} as const;

/** What a value of each parameter type is, in error messages (also written into the module). */
export const TYPE_DESCRIPTION: Readonly<Record<ParamType, string>> = {
    string: "a string",
    bool: "a boolean",
    uint: `an integer 0-${UINT_MAX}`,
    timespan: "a TimeSpan hh:mm:ss or d.hh:mm:ss",
    policyEntries: "a non-empty list of {Name, Value} strings",
    switch: "no value (a switch)",
    clientPolicyFilter: "a string (the ClientPolicy to filter on)",
};

/** The argument kind each parameter type takes (besides `null` where nullable). */
export const KIND_OF_TYPE: Readonly<Record<ParamType, ShellArg["kind"]>> = {
    string: "string",
    bool: "bool",
    uint: "int",
    timespan: "timespan",
    policyEntries: "policyEntries",
    switch: "switch",
    clientPolicyFilter: "clientPolicyFilter",
};

/** What a parameter takes, as the error message says it (`… or null` where nullable). */
export function describeParam(p: ParamDef): string {
    return TYPE_DESCRIPTION[p.type] + (p.nullable ? " or null" : "");
}

/** A refused command, with the error record the shell reports for it. */
export class BindError extends Error {
    constructor(readonly id: string, readonly category: string, message: string) {
        super(message);
        this.name = "BindError";
    }
}

const format = (t: string, args: readonly string[]) => t.replace(/\{(\d)\}/g, (_, i: string) => args[Number(i)] ?? "");

function fail(which: keyof typeof BIND_ERRORS, ...args: string[]): never {
    const e = BIND_ERRORS[which];
    throw new BindError(format(e.id, args), e.category, format(e.message, args));
}

/** One bound value, typed by its parameter. */
export type BoundValue =
    | { type: "string" | "clientPolicyFilter"; value: string }
    | { type: "bool"; value: boolean }
    | { type: "uint"; value: number }
    | { type: "timespan"; seconds: number; text: string }
    | { type: "policyEntries"; value: Array<{ Name: string; Value: string }> }
    | { type: "switch" }
    | { type: "null" };

/** A command checked against the table, its values converted. */
export interface BoundCommand {
    cmdlet: CmdletDef;
    output: OutputForm;
    /** Parameter name → its definition and value, in the order given. */
    args: Map<string, { param: ParamDef; value: BoundValue }>;
    /** For `Get-CsUser -Filter`: the filter expression the host passes (built by {@link clientPolicyFilter}). */
    filterExpression?: string;
}

const TIMESPAN_RE = new RegExp(`${TIMESPAN_PATTERN}$`);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const keysAre = (o: Record<string, unknown>, keys: string[]) => {
    const k = Object.keys(o);
    return k.length === keys.length && keys.every((x) => k.includes(x));
};

function bindValue(c: CmdletDef, p: ParamDef, raw: unknown): BoundValue {
    const bad = () => fail("argument", c.name, p.name, describeParam(p));
    if (!isObject(raw) || typeof raw.kind !== "string") return bad();
    if (raw.kind === "null") {
        if (!p.nullable || !keysAre(raw, ["kind"])) return bad();
        return { type: "null" };
    }
    if (raw.kind !== KIND_OF_TYPE[p.type]) return bad();
    if (p.type === "switch") return keysAre(raw, ["kind"]) ? { type: "switch" } : bad();
    if (!keysAre(raw, ["kind", "value"])) return bad();
    const v = raw.value;
    switch (p.type) {
        case "string":
        case "clientPolicyFilter":
            return typeof v === "string" ? { type: p.type, value: v } : bad();
        case "bool":
            return typeof v === "boolean" ? { type: "bool", value: v } : bad();
        case "uint":
            return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= UINT_MAX ? { type: "uint", value: v } : bad();
        case "timespan": {
            const m = typeof v === "string" ? TIMESPAN_RE.exec(v) : null;
            if (!m) return bad();
            const seconds = Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
            return { type: "timespan", seconds, text: v as string };
        }
        case "policyEntries": {
            if (!Array.isArray(v) || v.length === 0) return bad();
            const entries: Array<{ Name: string; Value: string }> = [];
            for (const e of v) {
                if (!isObject(e) || !keysAre(e, ["Name", "Value"]) || typeof e.Name !== "string" || typeof e.Value !== "string") return bad();
                entries.push({ Name: e.Name, Value: e.Value });
            }
            return { type: "policyEntries", value: entries };
        }
    }
    return bad();
}

/**
 * Checks a command (as parsed from JSON, so of unknown shape) against the table and converts its values; throws a
 * {@link BindError} for the first problem, in this order: shape, cmdlet, output form, each parameter in the order
 * given (name, then value), required parameters, parameter sets.
 */
export function bindCommand(raw: unknown): BoundCommand {
    if (!isObject(raw) || typeof raw.cmdlet !== "string" || !isObject(raw.params) || typeof raw.output !== "string") return fail("malformed");
    const c = CMDLETS_BY_NAME.get(raw.cmdlet);
    if (!c) return fail("cmdlet", raw.cmdlet);
    const output = raw.output as OutputForm;
    if (!c.outputs.includes(output)) return fail("output", c.name, raw.output);
    const args = new Map<string, { param: ParamDef; value: BoundValue }>();
    for (const [name, value] of Object.entries(raw.params)) {
        const p = paramOf(c, name);
        if (!p) return fail("parameter", c.name, name);
        args.set(name, { param: p, value: bindValue(c, p, value) });
    }
    for (const r of c.required) if (!args.has(r)) fail("missing", c.name, r);
    if (c.exactlyOne && c.exactlyOne.filter((n) => args.has(n)).length !== 1) fail("exactlyOne", c.name, c.exactlyOne.join(" or -"));
    const bound: BoundCommand = { cmdlet: c, output, args };
    const filter = args.get("Filter")?.value;
    if (filter?.type === "clientPolicyFilter") bound.filterExpression = clientPolicyFilter(filter.value);
    return bound;
}

/**
 * Builds a command from typed values, checked by {@link bindCommand} before it is returned (so the gateway never sends
 * what the host would refuse). `params` values: a {@link ShellArg} as is.
 */
export function makeCommand(cmdlet: string, params: Record<string, ShellArg>, output: OutputForm): ShellCommand {
    const cmd: ShellCommand = { cmdlet, params, output };
    bindCommand(cmd);
    return cmd;
}
