/**
 * Generates the PowerShell module the gateway ships (`gateway/module/ClientPolicyGateway.psm1`) from the settings
 * catalogue: the explicit projection of cmdlet objects to the wire form (never PowerShell's default formatting) and the
 * stdin/stdout host loop of the line protocol (gateway/protocol.ts).
 *
 * Projection rules, one per catalogue kind: booleans `[bool]` or `$null` when unset; unsigned integers `[long]`;
 * TimeSpans their invariant `ToString()` (`hh:mm:ss`, `d.hh:mm:ss` past a day — which the catalogue then rejects, and
 * the self-test reports); enums and strings `[string]`; PolicyEntry a list of `{Name, Value}` (`$null` when empty);
 * `Identity` the XdsIdentity's string form (`Global`, `site:X`, `Tag:X`). Users: `Id` (the AD object GUID, else the
 * Identity DN), SIP address, UPN, display name and the granted ClientPolicy name without `Tag:`.
 *
 * Regenerate: `clientpolicy gateway module --out gateway/module` (checked by test/integration/gateway/generated.test.ts).
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { SETTINGS, type SettingKind } from "../api/catalogue";

/** File name of the module. */
export const MODULE_FILE = "ClientPolicyGateway.psm1";
/** The committed copy, next to this file's folder. */
export const MODULE_PATH = path.join(__dirname, "module", MODULE_FILE);
/** Version written into the module and its ready line; bump when the projection or protocol changes. */
export const MODULE_VERSION = "1.0.0";

const CONVERTER: Record<SettingKind, string> = {
    boolean: "ConvertFrom-CpBoolean",
    uint: "ConvertFrom-CpUInt",
    timespan: "ConvertFrom-CpTimeSpan",
    enum: "ConvertFrom-CpString",
    string: "ConvertFrom-CpString",
    policyEntry: "ConvertFrom-CpPolicyEntry",
};

/** The module's text (CRLF line ends, as Windows PowerShell files are usually kept; ASCII only). */
export function renderModule(): string {
    const settingLines = SETTINGS.map((d) => `        $o['${d.name}'] = ${CONVERTER[d.kind]} $p.${d.name}`);
    const lines = [
        "# ClientPolicyGateway.psm1 - generated from api/catalogue.ts by `clientpolicy gateway module`; do not edit.",
        "# The clientpolicy-as-code gateway imports this module into each Skype for Business Management Shell session.",
        `# Module version ${MODULE_VERSION}; ${SETTINGS.length} CsClientPolicy settings.`,
        "",
        `$script:CpModuleVersion = '${MODULE_VERSION}'`,
        "",
        "function ConvertFrom-CpBoolean([object]$Value) { if ($null -eq $Value) { return $null }; return [bool]$Value }",
        "function ConvertFrom-CpUInt([object]$Value) { if ($null -eq $Value) { return $null }; return [long]$Value }",
        "function ConvertFrom-CpString([object]$Value) { if ($null -eq $Value) { return $null }; return [string]$Value }",
        "function ConvertFrom-CpTimeSpan([object]$Value) {",
        "    if ($null -eq $Value) { return $null }",
        "    # The invariant (\"c\") format: hh:mm:ss below a day.",
        "    return ([TimeSpan]$Value).ToString()",
        "}",
        "function ConvertFrom-CpPolicyEntry([object]$Value) {",
        "    if ($null -eq $Value) { return $null }",
        "    $list = @(foreach ($e in $Value) { [ordered]@{ Name = [string]$e.Name; Value = [string]$e.Value } })",
        "    if ($list.Count -eq 0) { return $null }",
        "    # The comma keeps a one-entry list a list.",
        "    return ,$list",
        "}",
        "",
        "<#",
        ".SYNOPSIS",
        "Projects CsClientPolicy objects (Get-CsClientPolicy output) to the tenant API's wire form.",
        "#>",
        "function ConvertTo-CpPolicy {",
        "    [CmdletBinding()]",
        "    param([Parameter(Mandatory = $true, ValueFromPipeline = $true)] [object]$InputObject)",
        "    process {",
        "        $p = $InputObject",
        "        $o = [ordered]@{}",
        "        $o['Identity'] = [string]$p.Identity",
        ...settingLines,
        "        [pscustomobject]$o",
        "    }",
        "}",
        "",
        "<#",
        ".SYNOPSIS",
        "Projects Get-CsUser output to the tenant API's user form.",
        "#>",
        "function ConvertTo-CpUser {",
        "    [CmdletBinding()]",
        "    param([Parameter(Mandatory = $true, ValueFromPipeline = $true)] [object]$InputObject)",
        "    process {",
        "        $u = $InputObject",
        "        $policy = $null",
        "        if ($null -ne $u.ClientPolicy) { $policy = [string]$u.ClientPolicy }",
        "        if ($policy -and $policy -like 'Tag:*') { $policy = $policy.Substring(4) }",
        "        $id = [string]$u.Identity",
        "        if ($u.PSObject.Properties['Guid'] -and $null -ne $u.Guid) { $id = [string]$u.Guid }",
        "        [pscustomobject][ordered]@{",
        "            Id = $id",
        "            SipAddress = [string]$u.SipAddress",
        "            UserPrincipalName = [string]$u.UserPrincipalName",
        "            DisplayName = [string]$u.DisplayName",
        "            ClientPolicy = $policy",
        "        }",
        "    }",
        "}",
        "",
        "<#",
        ".SYNOPSIS",
        "The gateway's line protocol: reads one JSON request per line on stdin, runs its lines, answers one JSON line.",
        ".DESCRIPTION",
        "Each request is {id, lines, stopOnError}. Each line runs with ErrorActionPreference Stop; its result is",
        "{ok: true, output: [...]} or {ok: false, error: {id, category, message}} from the error record",
        "(FullyQualifiedErrorId, CategoryInfo.Category, Exception.Message); with stopOnError the later lines are",
        "{ok: false, skipped: true}. The loop ends when stdin closes.",
        "#>",
        "function Start-CpShellHost {",
        "    [CmdletBinding()]",
        "    param()",
        "    $ErrorActionPreference = 'Stop'",
        "    $utf8 = New-Object System.Text.UTF8Encoding($false)",
        "    [Console]::OutputEncoding = $utf8",
        "    $stdin = New-Object System.IO.StreamReader([Console]::OpenStandardInput(), $utf8)",
        "    $stdout = New-Object System.IO.StreamWriter([Console]::OpenStandardOutput(), $utf8)",
        "    $stdout.AutoFlush = $true",
        "    $stdout.WriteLine((ConvertTo-Json -Compress @{ ready = $true; host = 'powershell'; module = $script:CpModuleVersion }))",
        "    while ($null -ne ($text = $stdin.ReadLine())) {",
        "        $request = ConvertFrom-Json $text",
        "        $results = New-Object System.Collections.ArrayList",
        "        $failed = $false",
        "        foreach ($line in @($request.lines)) {",
        "            if ($failed -and $request.stopOnError) { [void]$results.Add(@{ ok = $false; skipped = $true }); continue }",
        "            try {",
        "                $output = @(Invoke-Expression $line)",
        "                [void]$results.Add(@{ ok = $true; output = $output })",
        "            } catch {",
        "                $failed = $true",
        "                $err = @{ id = [string]$_.FullyQualifiedErrorId; category = [string]$_.CategoryInfo.Category; message = [string]$_.Exception.Message }",
        "                [void]$results.Add(@{ ok = $false; error = $err })",
        "            }",
        "        }",
        "        $stdout.WriteLine((ConvertTo-Json -Compress -Depth 8 @{ id = $request.id; results = $results }))",
        "    }",
        "}",
        "",
        "Export-ModuleMember -Function @('ConvertTo-CpPolicy', 'ConvertTo-CpUser', 'Start-CpShellHost')",
        "",
    ];
    return lines.join("\r\n");
}

/** Writes the module into `dir`; returns the file path. */
export function writeModule(dir: string): string {
    const file = path.join(dir, MODULE_FILE);
    writeFileSync(file, renderModule());
    return file;
}
