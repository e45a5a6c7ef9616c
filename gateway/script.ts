/**
 * The PowerShell lines the gateway sends, built only here. Every value goes through `quotePsString`/`renderPsValue`
 * (api/cmdlets.ts: bare words, single quotes with `'` doubled, `$null`/`$True`/`$False`), so no value from a request
 * can end a string or start another command. Settings are written in their cmdlet form: TimeSpans as `'hh:mm:ss'`
 * strings (PowerShell converts them with TimeSpan.Parse when binding), enums and strings quoted, PolicyEntry as an
 * `@{Replace=@(New-CsClientPolicyEntry …)}` list modifier. Output of a read goes through the shipped module's
 * projection (`ConvertTo-CpPolicy`, `ConvertTo-CpUser`); writes pipe to `Out-Null` so a line outputs nothing but its
 * projection. Sources: the CsClientPolicy cmdlet pages and Get-CsUser (MicrosoftDocs/office-docs-powershell).
 */
import { SETTINGS_BY_NAME, type WireValue } from "../api/catalogue";
import { quotePsString, renderPsValue } from "../api/cmdlets";

/** The projection functions of the shipped module (gateway/module). */
export const PROJECT_POLICY = "ConvertTo-CpPolicy";
export const PROJECT_USER = "ConvertTo-CpUser";

/** A setting's value as a cmdlet argument. */
export function settingArgument(name: string, value: WireValue | null): string {
    const def = SETTINGS_BY_NAME.get(name);
    if (!def) throw new RangeError(`${name} is not a catalogue setting`);
    if (value === null) return "$null";
    if (def.kind === "policyEntry") {
        const entries = value as Array<{ Name: string; Value: string }>;
        if (entries.length === 0) return "$null";
        const items = entries.map((e) => `(New-CsClientPolicyEntry -Name ${quotePsString(e.Name)} -Value ${quotePsString(e.Value)})`);
        return `@{Replace=@(${items.join(",")})}`;
    }
    if (def.kind === "timespan" || def.kind === "string" || def.kind === "enum") return quotePsString(String(value));
    return renderPsValue(value as boolean | number);
}

function settingParams(settings: Record<string, WireValue | null>): string {
    return Object.entries(settings).map(([k, v]) => ` -${k} ${settingArgument(k, v)}`).join("");
}

/** PowerShell for the policy operations (identities in their canonical form: `Global`, `site:X`, `Tag:X`). */
export const Ps = {
    getPolicy: (identity: string) => `Get-CsClientPolicy -Identity ${quotePsString(identity)} | ${PROJECT_POLICY}`,
    listPolicies: () => `Get-CsClientPolicy | ${PROJECT_POLICY}`,
    newPolicy: (identity: string, settings: Record<string, WireValue | null>) =>
        `New-CsClientPolicy -Identity ${quotePsString(identity)}${settingParams(settings)} | Out-Null`,
    setPolicy: (identity: string, settings: Record<string, WireValue | null>) =>
        `Set-CsClientPolicy -Identity ${quotePsString(identity)}${settingParams(settings)} | Out-Null`,
    /** `-Force`: a gateway session has no one to answer the confirmation prompt. */
    removePolicy: (identity: string) => `Remove-CsClientPolicy -Identity ${quotePsString(identity)} -Force | Out-Null`,
    getUser: (identity: string) => `Get-CsUser -Identity ${quotePsString(identity)} | ${PROJECT_USER}`,
    /** Users granted a tag policy; the filter is a script block with the identity single-quoted inside. */
    usersWithPolicy: (tagIdentity: string) => `Get-CsUser -Filter {ClientPolicy -eq ${quotePsString(tagIdentity).startsWith("'") ? quotePsString(tagIdentity) : `'${tagIdentity}'`}} | ${PROJECT_USER}`,
    grant: (userIdentity: string, policyName: string | null) =>
        `Grant-CsClientPolicy -Identity ${quotePsString(userIdentity)} -PolicyName ${policyName === null ? "$null" : quotePsString(policyName)} | Out-Null`,
} as const;
