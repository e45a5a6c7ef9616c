/**
 * Generates a Just Enough Administration endpoint for the gateway from the cmdlet table (api/powershell/table.ts) and
 * the catalogue: a session configuration (`ClientPolicyGateway.pssc`) and a role capability
 * (`RoleCapabilities/ClientPolicyGateway.psrc`) exposing exactly the table's cmdlets and parameters,
 * New-CsClientPolicyEntry (the host makes PolicyEntry lists with it) and the module's projection functions. Each
 * parameter is constrained with ValidateSet (enum values of the catalogue) or ValidatePattern (policy identities, user
 * identities without wildcards, string lengths, TimeSpans, the one Get-CsUser filter form the host builds), except
 * where the gateway sends `$null`: ValidateSet and ValidatePattern refuse `$null` before looking at the pattern
 * (ValidateEnumeratedArgumentsAttribute.Validate throws ArgumentIsEmpty for null, PowerShell/src/
 * System.Management.Automation/engine/Attributes.cs), so `Grant-CsClientPolicy -PolicyName` (unassign) and every
 * setting of `Set-CsClientPolicy` (clear) are declared by name only. Their values are still checked by the module's
 * binder before the call and by the cmdlets' parameter types (enums, UInt32, TimeSpan). JEA supports only those two
 * validations, so integer ranges are left to the cmdlets' parameter types. Facts: about_Session_Configuration_Files,
 * about_Role_Capabilities (Microsoft Learn).
 *
 * The committed copies (default options) are written by `npm run generate` (checked by test/unit/generated.test.ts);
 * operators write theirs with `clientpolicy gateway jea --out <dir>` and their own group, gMSA and transcript folder.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { SettingDef } from "../api/catalogue";
import { POLICY_NAME_MAX } from "../api/identity";
import { CMDLET_TABLE, RESULT_SIZE_PATTERN, type ParamDef } from "../api/powershell/table";
import { MODULE_VERSION } from "./module";

/** Options of the generated session configuration. */
export interface JeaOptions {
    /** The AD group whose members (the gateway's service account) may connect. */
    group: string;
    /** A group-managed service account to run as; default a virtual account. */
    gmsa?: string;
    /** Where JEA writes session transcripts. */
    transcripts: string;
}

export const JEA_DEFAULTS: JeaOptions = {
    group: "CONTOSO\\ClientPolicyGateway",
    transcripts: "C:\\ProgramData\\ClientPolicyGateway\\Transcripts",
};

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Identities of policies: Global, site:<name>, Tag:<name> (the cmdlets' XdsIdentity string forms). */
const POLICY_IDENTITY = `^(?i)(Global|(site|tag):[^\\r\\n]{1,${POLICY_NAME_MAX}})$`;
/** A user identity: SIP, UPN, DOMAIN\\logon, display name or DN, never a wildcard. */
const USER_IDENTITY = "^[^*\\r\\n]{1,1024}$";
/** PowerShell's single-quote characters as a regex class (api/powershell/table.ts SINGLE_QUOTE_CHARS). */
const QUOTE = "['\\u2018-\\u201B]";
/** The only Get-CsUser filter the host builds: `ClientPolicy -eq '<literal>'`, each quote character inside doubled. */
const USER_FILTER = `^ClientPolicy -eq ${QUOTE}(?:[^'\\u2018-\\u201B]|${QUOTE}{2})*${QUOTE}\\z`;

function settingParameter(d: SettingDef): string {
    switch (d.kind) {
        case "enum": return `@{ Name = ${q(d.name)}; ValidateSet = ${d.values!.map(q).join(", ")} }`;
        case "timespan": return `@{ Name = ${q(d.name)}; ValidatePattern = ${q("^([01]?\\d|2[0-3]):[0-5]\\d:[0-5]\\d$")} }`;
        case "string": return `@{ Name = ${q(d.name)}; ValidatePattern = ${q(`^[^\\r\\n]{0,${d.maxLength}}$`)} }`;
        default: return `@{ Name = ${q(d.name)} }`;
    }
}

/** One parameter of the table as a JEA parameter entry (name only where `$null` must pass: see the file comment). */
function tableParameter(p: ParamDef): string {
    if (p.nullable) return `@{ Name = ${q(p.name)} }`;
    switch (p.role) {
        case "policyIdentity": return `@{ Name = 'Identity'; ValidatePattern = ${q(POLICY_IDENTITY)} }`;
        case "userIdentity": return `@{ Name = 'Identity'; ValidatePattern = ${q(USER_IDENTITY)} }`;
        case "userFilter": return `@{ Name = ${q(p.name)}; ValidatePattern = ${q(USER_FILTER)} }`;
        case "resultSize": return `@{ Name = ${q(p.name)}; ValidatePattern = ${q(RESULT_SIZE_PATTERN)} }`;
        case "setting": return settingParameter(p.setting!);
        default: return `@{ Name = ${q(p.name)} }`;
    }
}

function cmdlet(name: string, params: string[]): string {
    // A cmdlet the table calls without parameters (Get-CsSite, Get-CsPool) is named alone: both only read the topology,
    // whatever their parameters select.
    if (params.length === 0) return `    ${q(name)}`;
    return [`    @{`, `        Name = ${q(name)}`, `        Parameters = @(`, params.map((p) => `            ${p}`).join(",\r\n"), `        )`, `    }`].join("\r\n");
}

/** The role capability file's text. */
export function renderRoleCapability(): string {
    const entry = cmdlet("New-CsClientPolicyEntry", [`@{ Name = 'Name'; ValidatePattern = ${q("^[^\\r\\n]{1,1024}$")} }`, `@{ Name = 'Value'; ValidatePattern = ${q("^[^\\r\\n]{0,1024}$")} }`]);
    const visible = CMDLET_TABLE.map((c) => cmdlet(c.name, c.params.map(tableParameter)));
    // New-CsClientPolicyEntry before Get-CsUser, the order this file has always had.
    visible.splice(CMDLET_TABLE.findIndex((c) => c.name === "Get-CsUser"), 0, entry);
    visible.push("    'Out-Null'");
    return [
        "# ClientPolicyGateway.psrc - generated from api/catalogue.ts by `clientpolicy gateway jea`; do not edit.",
        "@{",
        "GUID = '5c0e4b8e-7a55-4c1f-9f7e-2d3c1a6b9e41'",
        "Author = 'clientpolicy-as-code'",
        `Description = 'Only what the clientpolicy-as-code gateway runs: the CsClientPolicy cmdlets, Get-CsUser, Get-CsSite, Get-CsPool and the projection of module ${MODULE_VERSION}.'`,
        "ModulesToImport = 'SkypeForBusiness', 'ClientPolicyGateway'",
        "VisibleCmdlets = @(",
        visible.join(",\r\n"),
        ")",
        "VisibleFunctions = 'ConvertTo-CpPolicy', 'ConvertTo-CpUser', 'ConvertTo-CpSite', 'ConvertTo-CpPool'",
        "}",
        "",
    ].join("\r\n");
}

/** The session configuration file's text. */
export function renderSessionConfiguration(opts: JeaOptions = JEA_DEFAULTS): string {
    const runAs = opts.gmsa ? `GroupManagedServiceAccount = ${q(opts.gmsa)}` : "RunAsVirtualAccount = $true";
    return [
        "# ClientPolicyGateway.pssc - generated by `clientpolicy gateway jea`; do not edit.",
        "# Register on a Front End server: Register-PSSessionConfiguration -Name ClientPolicyGateway -Path .\\ClientPolicyGateway.pssc",
        "@{",
        "SchemaVersion = '2.0.0.0'",
        "GUID = '0b7f3e2a-9c41-4d6e-8a15-3f2b7c9d1e60'",
        "Author = 'clientpolicy-as-code'",
        "Description = 'JEA endpoint of the clientpolicy-as-code gateway (CsClientPolicy, Get-CsUser and the read-only topology cmdlets only).'",
        "SessionType = 'RestrictedRemoteServer'",
        "# The host passes PolicyEntry as a list modifier hashtable (@{Replace=...}), which NoLanguage refuses.",
        "LanguageMode = 'ConstrainedLanguage'",
        `TranscriptDirectory = ${q(opts.transcripts)}`,
        runAs,
        `RoleDefinitions = @{ ${q(opts.group)} = @{ RoleCapabilities = 'ClientPolicyGateway' } }`,
        "}",
        "",
    ].join("\r\n");
}

/** Writes `<dir>/ClientPolicyGateway.pssc` and `<dir>/RoleCapabilities/ClientPolicyGateway.psrc`; returns the paths. */
export function writeJea(dir: string, opts: JeaOptions = JEA_DEFAULTS): string[] {
    mkdirSync(path.join(dir, "RoleCapabilities"), { recursive: true });
    const pssc = path.join(dir, "ClientPolicyGateway.pssc");
    const psrc = path.join(dir, "RoleCapabilities", "ClientPolicyGateway.psrc");
    writeFileSync(pssc, renderSessionConfiguration(opts));
    writeFileSync(psrc, renderRoleCapability());
    return [pssc, psrc];
}
