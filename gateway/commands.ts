/**
 * The commands the gateway sends, built only here, as data (api/powershell/protocol.ts): a cmdlet name of the table
 * (api/powershell/table.ts) and typed parameter values. Nothing here writes PowerShell text: the shipped module's host
 * loop converts each value to its declared type and calls the cmdlet by splatting (api/powershell/binder.ts states the
 * conversions), so no value from a request can end a string or start another command. Each command is checked by the
 * binder before it is returned. Settings are sent in their cmdlet types: TimeSpans as `hh:mm:ss` text (the host parses
 * them with the invariant culture), enums and strings as strings, PolicyEntry as the whole list (the host replaces the
 * stored list with it), `null` to clear. Output of a read goes through the module's projection (`ConvertTo-CpPolicy`,
 * `ConvertTo-CpUser`, `ConvertTo-CpSite`, `ConvertTo-CpPool`); writes discard theirs. Sources: the CsClientPolicy
 * cmdlet pages, Get-CsUser, Get-CsSite and Get-CsPool (MicrosoftDocs/office-docs-powershell, skype/skype-ps/skype/).
 */
import { SETTINGS_BY_NAME, type WireValue } from "../api/catalogue";
import { makeCommand } from "../api/powershell/binder";
import { TYPE_OF_KIND } from "../api/powershell/table";
import type { ShellArg, ShellCommand } from "../api/powershell/protocol";

const str = (value: string): ShellArg => ({ kind: "string", value });

/** A setting's value as a typed cmdlet argument (`null` clears it; an empty PolicyEntry list clears it too). */
export function settingArgument(name: string, value: WireValue | null): ShellArg {
    const def = SETTINGS_BY_NAME.get(name);
    if (!def) throw new RangeError(`${name} is not a catalogue setting`);
    if (value === null) return { kind: "null" };
    switch (TYPE_OF_KIND[def.kind]) {
        case "bool": return { kind: "bool", value: value as boolean };
        case "uint": return { kind: "int", value: value as number };
        case "timespan": return { kind: "timespan", value: value as string };
        case "policyEntries": {
            const entries = value as Array<{ Name: string; Value: string }>;
            return entries.length === 0 ? { kind: "null" } : { kind: "policyEntries", value: entries.map((e) => ({ Name: e.Name, Value: e.Value })) };
        }
        default: return str(String(value));
    }
}

function withSettings(identity: string, settings: Record<string, WireValue | null>): Record<string, ShellArg> {
    const params: Record<string, ShellArg> = { Identity: str(identity) };
    for (const [k, v] of Object.entries(settings)) params[k] = settingArgument(k, v);
    return params;
}

/** The policy and user operations (policy identities in their canonical form: `Global`, `site:X`, `Tag:X`). */
export const Ps = {
    getPolicy: (identity: string): ShellCommand => makeCommand("Get-CsClientPolicy", { Identity: str(identity) }, "policy"),
    listPolicies: (): ShellCommand => makeCommand("Get-CsClientPolicy", {}, "policy"),
    newPolicy: (identity: string, settings: Record<string, WireValue | null>): ShellCommand =>
        makeCommand("New-CsClientPolicy", withSettings(identity, settings), "none"),
    setPolicy: (identity: string, settings: Record<string, WireValue | null>): ShellCommand =>
        makeCommand("Set-CsClientPolicy", withSettings(identity, settings), "none"),
    /** `-Force`: a gateway session has no one to answer the confirmation prompt. */
    removePolicy: (identity: string): ShellCommand => makeCommand("Remove-CsClientPolicy", { Identity: str(identity), Force: { kind: "switch" } }, "none"),
    getUser: (identity: string): ShellCommand => makeCommand("Get-CsUser", { Identity: str(identity) }, "user"),
    /** Users granted a tag policy: the host builds the filter expression from the typed value (api/powershell/table.ts). */
    usersWithPolicy: (tagIdentity: string): ShellCommand => makeCommand("Get-CsUser", { Filter: { kind: "clientPolicyFilter", value: tagIdentity } }, "user"),
    /** Every enabled user, at most `resultSize` (Get-CsUser.md: `-ResultSize`, "no way to guarantee which" when capped). */
    listUsers: (resultSize: number): ShellCommand => makeCommand("Get-CsUser", { ResultSize: str(String(resultSize)) }, "user"),
    /** The topology's sites, each with its pools (Get-CsSite.md). */
    listSites: (): ShellCommand => makeCommand("Get-CsSite", {}, "site"),
    /** The topology's pools, each with its site (Get-CsPool.md). */
    listPools: (): ShellCommand => makeCommand("Get-CsPool", {}, "pool"),
    grant: (userIdentity: string, policyName: string | null): ShellCommand =>
        makeCommand("Grant-CsClientPolicy", { Identity: str(userIdentity), PolicyName: policyName === null ? { kind: "null" } : str(policyName) }, "none"),
} as const;
