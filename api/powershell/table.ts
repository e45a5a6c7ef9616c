/**
 * The one table of the cmdlets the gateway may run in a Management Shell, with each parameter's declared type. It is
 * data, generated from the settings catalogue (api/catalogue.ts) plus the identity, name, filter and switch
 * parameters of the six cmdlets, and read by:
 * - the binder (api/powershell/binder.ts), which checks a command against it and converts values (the gateway before
 *   sending, the stand-in shell when running);
 * - the module generator (gateway/module.ts), which writes it into the shipped module, so the host loop runs only
 *   these cmdlets with only these parameters;
 * - the JEA generator (gateway/jea.ts), which exposes exactly these cmdlets and parameters.
 *
 * Parameter types follow the cmdlet reference (MicrosoftDocs/office-docs-powershell, skype/skype-ps/skype/
 * New-CsClientPolicy.md, Set-CsClientPolicy.md, Get-CsClientPolicy.md, Remove-CsClientPolicy.md,
 * Grant-CsClientPolicy.md, Get-CsUser.md, Get-CsSite.md, Get-CsPool.md): settings are `Boolean`, `UInt32`/`UInt16`,
 * `TimeSpan`, `String`, an enum (a `String` here: the cmdlet converts and refuses an unknown name) or `PSListModifier`
 * of `ClientPolicyEntry`; `-Identity` is an XdsIdentity (policies) or UserIdParameter (users), both converted from a
 * string; `-PolicyName` is a string or `$null` (unassign); `Get-CsUser -Filter` is a string holding a filter
 * expression; `Get-CsUser -ResultSize` is an `Unlimited<UInt32>` (0–2147483647 per Get-CsUser.md), sent as its decimal
 * text, which PowerShell converts through the type's `Parse(string)` (a `[long]` has no conversion to that type that
 * the documentation promises). Get-CsSite and Get-CsPool are called without parameters: they list the topology.
 */
import { SETTINGS, type SettingDef, type SettingKind } from "../catalogue";

/** A parameter's declared type as the binder and the module's host loop convert it. */
export type ParamType = "string" | "bool" | "uint" | "timespan" | "policyEntries" | "switch" | "clientPolicyFilter";

/** What the host does with a cmdlet's output: project it to the wire form, or discard it. */
export type OutputForm = "policy" | "user" | "site" | "pool" | "none";

/** What a parameter's value is (for messages, validation patterns in JEA, and tests). */
export type ParamRole = "policyIdentity" | "userIdentity" | "policyName" | "setting" | "switch" | "userFilter" | "resultSize";

/** One parameter of a {@link CmdletDef}. */
export interface ParamDef {
    /** The parameter name exactly as the cmdlet reference spells it (the protocol matches names case-sensitively). */
    readonly name: string;
    readonly type: ParamType;
    /** The gateway may send `$null` (unassign a user, clear a setting). */
    readonly nullable: boolean;
    readonly role: ParamRole;
    /** The catalogue entry, for settings. */
    readonly setting?: SettingDef;
}

/** One cmdlet the gateway may run. */
export interface CmdletDef {
    readonly name: string;
    readonly params: readonly ParamDef[];
    /** Parameters a call must give. */
    readonly required: readonly string[];
    /** Exactly one of these must be given (Get-CsUser: -Identity, -Filter or -ResultSize, so every call is bounded). */
    readonly exactlyOne?: readonly string[];
    /** The output forms allowed (reads are projected, writes discarded). */
    readonly outputs: readonly OutputForm[];
}

/** The wire type of each catalogue kind. */
export const TYPE_OF_KIND: Readonly<Record<SettingKind, ParamType>> = {
    boolean: "bool",
    uint: "uint",
    timespan: "timespan",
    enum: "string",
    string: "string",
    policyEntry: "policyEntries",
};

/** The largest value of a `uint` parameter (UInt32, the widest unsigned type of the CsClientPolicy cmdlets). */
export const UINT_MAX = 4294967295;

const policyIdentity: ParamDef = { name: "Identity", type: "string", nullable: false, role: "policyIdentity" };
const userIdentity: ParamDef = { name: "Identity", type: "string", nullable: false, role: "userIdentity" };

/**
 * The settings as parameters. `nullable` on Set-CsClientPolicy, where `$null` clears a setting; New-CsClientPolicy
 * gets only the settings a create gives (the gateway leaves unset settings out).
 */
function settingParams(nullable: boolean): ParamDef[] {
    return SETTINGS.map((d) => ({ name: d.name, type: TYPE_OF_KIND[d.kind], nullable, role: "setting" as const, setting: d }));
}

/** The cmdlets, in the order the module and the JEA role capability list them. */
export const CMDLET_TABLE: readonly CmdletDef[] = [
    { name: "Get-CsClientPolicy", params: [policyIdentity], required: [], outputs: ["policy"] },
    { name: "New-CsClientPolicy", params: [policyIdentity, ...settingParams(false)], required: ["Identity"], outputs: ["none"] },
    { name: "Set-CsClientPolicy", params: [policyIdentity, ...settingParams(true)], required: ["Identity"], outputs: ["none"] },
    {
        name: "Remove-CsClientPolicy",
        // -Force: a gateway session has no one to answer the confirmation prompt for a policy users hold.
        params: [policyIdentity, { name: "Force", type: "switch", nullable: false, role: "switch" }],
        required: ["Identity"], outputs: ["none"],
    },
    {
        name: "Grant-CsClientPolicy",
        params: [userIdentity, { name: "PolicyName", type: "string", nullable: true, role: "policyName" }],
        required: ["Identity", "PolicyName"], outputs: ["none"],
    },
    {
        name: "Get-CsUser",
        // -ResultSize alone lists every enabled user, at most that many (the gateway asks for one more than it accepts).
        params: [userIdentity, { name: "Filter", type: "clientPolicyFilter", nullable: false, role: "userFilter" }, { name: "ResultSize", type: "string", nullable: false, role: "resultSize" }],
        required: [], exactlyOne: ["Identity", "Filter", "ResultSize"], outputs: ["user"],
    },
    // The topology, read-only: each site with its pools (Get-CsSite `Identity` `Site:Redmond`, `SiteId`, `Pools`), each
    // pool with its site (Get-CsPool `Identity`/`Fqdn`, `Site`). Users' sites come from their RegistrarPool through these.
    { name: "Get-CsSite", params: [], required: [], outputs: ["site"] },
    { name: "Get-CsPool", params: [], required: [], outputs: ["pool"] },
];

/** The `-ResultSize` text form: decimal digits, no sign (Get-CsUser.md: a whole number 0–2147483647). */
export const RESULT_SIZE_PATTERN = "^[0-9]{1,10}$";

/**
 * How an administrator's script may call the five CsClientPolicy cmdlets beyond what the gateway sends: the parameters
 * that bind by position (in position order) and the common switches the emulator's PowerShell endpoint accepts. From
 * the cmdlet reference's syntax blocks (`[-Identity] <XdsIdentity>` on New/Set/Get/Remove-CsClientPolicy; Grant's
 * examples pass `-Identity` and `-PolicyName` by name, and the older Lync help lists both as positions 1 and 2) and
 * PowerShell's common parameters (about_CommonParameters: `-WhatIf` describes the change and makes none; `-Confirm`
 * asks first; a script run unattended answers nothing, so `-Confirm` changes nothing here).
 */
export interface ScriptBinding {
    /** Parameter names of the table, in position order. */
    readonly positional: readonly string[];
    /** Switches accepted besides the table's parameters (`-Force` on Remove is in the table). */
    readonly commonSwitches: readonly ("Force" | "Confirm" | "WhatIf")[];
}

/** The {@link ScriptBinding} of each CsClientPolicy cmdlet (Get-CsUser is not part of the scripts this reads). */
export const SCRIPT_BINDINGS: Readonly<Record<string, ScriptBinding>> = {
    "New-CsClientPolicy": { positional: ["Identity"], commonSwitches: ["Force", "Confirm", "WhatIf"] },
    "Set-CsClientPolicy": { positional: ["Identity"], commonSwitches: ["Force", "Confirm", "WhatIf"] },
    "Get-CsClientPolicy": { positional: ["Identity"], commonSwitches: [] },
    "Remove-CsClientPolicy": { positional: ["Identity"], commonSwitches: ["Confirm", "WhatIf"] },
    "Grant-CsClientPolicy": { positional: ["Identity", "PolicyName"], commonSwitches: ["Confirm", "WhatIf"] },
};

/**
 * A parameter of a cmdlet as a script names it: PowerShell matches parameter names case-insensitively (ordinal,
 * ASCII names here). Returns the table's parameter, `"common"` for an accepted common switch, or undefined.
 * PowerShell also binds an unambiguous prefix (`-Ident`); scripts read here must spell names out (the emulator
 * documents this difference).
 */
export function scriptParamOf(cmdlet: CmdletDef, name: string): ParamDef | { common: "Force" | "Confirm" | "WhatIf" } | undefined {
    const lower = name.toLowerCase();
    const p = cmdlet.params.find((x) => x.name.toLowerCase() === lower);
    if (p) return p;
    const common = SCRIPT_BINDINGS[cmdlet.name]?.commonSwitches.find((c) => c.toLowerCase() === lower);
    return common ? { common } : undefined;
}

/** Cmdlet name (exact spelling) → definition. */
export const CMDLETS_BY_NAME: ReadonlyMap<string, CmdletDef> = new Map(CMDLET_TABLE.map((c) => [c.name, c]));

/** A parameter of a cmdlet by its exact name. */
export function paramOf(cmdlet: CmdletDef, name: string): ParamDef | undefined {
    return cmdlet.params.find((p) => p.name === name);
}

/**
 * The single-quote characters of PowerShell: `'` and U+2018–U+201B, which its tokenizer treats alike
 * (PowerShell/src/System.Management.Automation/engine/parser/CharTraits.cs, `IsSingleQuote`; the language
 * specification, §2.3.5.2 "single-quote-character"). Inside a single-quoted string two of them in a row stand for
 * the second one, so doubling each keeps it literal.
 */
export const SINGLE_QUOTE_CHARS: readonly string[] = ["'", "\u2018", "\u2019", "\u201a", "\u201b"];

/**
 * The one quoting function for a literal inside a filter expression: the value single-quoted with every PowerShell
 * single-quote character doubled. The shipped module has its PowerShell twin (`ConvertTo-CpQuotedLiteral`, same
 * algorithm, generated in gateway/module.ts); the stand-in shell uses this one.
 */
export function quoteFilterLiteral(value: string): string {
    let out = "'";
    for (const ch of value) out += SINGLE_QUOTE_CHARS.includes(ch) ? ch + ch : ch;
    return out + "'";
}

/** The `Get-CsUser -Filter` expression for users granted a client policy: `ClientPolicy -eq '<value>'`. */
export function clientPolicyFilter(value: string): string {
    return `ClientPolicy -eq ${quoteFilterLiteral(value)}`;
}

/**
 * The TimeSpan text form the protocol carries: `hh:mm:ss`, or `d.hh:mm:ss` past a day (the "c" format of
 * TimeSpan.ToString, which `[TimeSpan]::Parse` with the invariant culture reads back). ASCII digits only and anchored
 * at both ends: the module tests the same pattern with .NET's `\z` (its `$` also matches before a final line feed).
 */
export const TIMESPAN_PATTERN = "^(?:([0-9]{1,7})\\.)?([01]?[0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])";

/**
 * Reads back a filter built by {@link clientPolicyFilter} as PowerShell's tokenizer reads a single-quoted string: any
 * single-quote character followed by another one stands for the second, a lone one ends the string. Returns the value,
 * or undefined when the text is not exactly `ClientPolicy -eq '<literal>'` (something after the closing quote, no
 * closing quote). The stand-in shell evaluates the filter with this, so its tests see what the expression says.
 */
export function readClientPolicyFilter(expression: string): string | undefined {
    const prefix = "ClientPolicy -eq ";
    if (!expression.startsWith(prefix) || !SINGLE_QUOTE_CHARS.includes(expression[prefix.length] ?? "")) return undefined;
    const chars = [...expression.slice(prefix.length + 1)];
    let value = "";
    for (let i = 0; i < chars.length; i++) {
        if (!SINGLE_QUOTE_CHARS.includes(chars[i])) { value += chars[i]; continue; }
        if (SINGLE_QUOTE_CHARS.includes(chars[i + 1] ?? "")) { value += chars[i + 1]; i++; continue; }
        return i === chars.length - 1 ? value : undefined;
    }
    return undefined;
}
