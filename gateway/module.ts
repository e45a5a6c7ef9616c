/**
 * Generates the PowerShell module the gateway ships (`gateway/module/ClientPolicyGateway.psm1`) from the settings
 * catalogue and the cmdlet table: the explicit projection of cmdlet objects to the wire form (never PowerShell's
 * default formatting) and the stdin/stdout host loop of the line protocol (api/powershell/protocol.ts).
 *
 * The host loop evaluates no text as code. It takes commands as data, runs only the cmdlets of the table written into
 * the module from api/powershell/table.ts (the command to call comes from that table, never from the request),
 * converts each JSON value to the parameter's declared type exactly as api/powershell/binder.ts does (same checks, same
 * order, same error records: its templates are written in here), and calls the cmdlet by splatting (`& $cmd @params`).
 * The one expression it builds, the `Get-CsUser -Filter` string, comes from a typed value through one quoting function
 * (`ConvertTo-CpQuotedLiteral`, the twin of `quoteFilterLiteral`) that doubles each of PowerShell's five single-quote
 * characters; the users it returns are then kept only if their ClientPolicy equals the value (ordinal, ignoring case),
 * so even a filter parser that read the literal differently could not widen the result. Nothing in the module evaluates
 * text as code (test/integration/gateway/generated.test.ts greps the module and these sources for every such call).
 *
 * Projection rules, one per catalogue kind: booleans `[bool]` or `$null` when unset; unsigned integers `[long]`;
 * TimeSpans their invariant `ToString()` (`hh:mm:ss`, `d.hh:mm:ss` past a day — which the catalogue then rejects, and
 * the self-test reports); enums and strings `[string]`; PolicyEntry a list of `{Name, Value}` (`$null` when empty);
 * `Identity` the XdsIdentity's string form (`Global`, `site:X`, `Tag:X`). Users: `Id` (the AD object GUID, else the
 * Identity DN), SIP address, UPN, display name, the granted ClientPolicy name without `Tag:` and the `RegistrarPool`
 * FQDN (`$null` when the user is not homed on a pool; Get-CsUser.md, Get-CsUserPoolInfo.md: `Get-CsUser "Ken Myer" |
 * Select-Object RegistrarPool`). Sites (`Get-CsSite`): `Identity` (`Site:Redmond`), `SiteId`, `DisplayName` and `Pools`
 * (each pool's string form, its FQDN; Get-CsSite.md example 4 expands `Pools`). Pools (`Get-CsPool`): `Identity` and
 * `Fqdn` (the pool's FQDN) and `Site` (the site it belongs to; Get-CsPool.md: `-Site` selects pools "where the Site
 * property is equal to" the site). Every value is cast to `[string]`, so the gateway never sees a .NET object's
 * default formatting. These three projections are verified against the stand-in shell only, not a real server.
 *
 * The committed copy is written by `npm run generate` (checked by test/unit/generated.test.ts); operators write their
 * own with `clientpolicy gateway module --out <dir>`.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { SETTINGS, type SettingKind } from "../api/catalogue";
import { BIND_ERRORS, TYPE_DESCRIPTION } from "../api/powershell/binder";
import { CMDLET_TABLE, quoteFilterLiteral, SINGLE_QUOTE_CHARS, TIMESPAN_PATTERN, UINT_MAX } from "../api/powershell/table";

/** File name of the module. */
export const MODULE_FILE = "ClientPolicyGateway.psm1";
/** The committed copy, next to this file's folder. */
export const MODULE_PATH = path.join(__dirname, "module", MODULE_FILE);
/** Version written into the module and its ready line; bump when the projection or protocol changes. */
export const MODULE_VERSION = "2.1.0";

const CONVERTER: Record<SettingKind, string> = {
    boolean: "ConvertFrom-CpBoolean",
    uint: "ConvertFrom-CpUInt",
    timespan: "ConvertFrom-CpTimeSpan",
    enum: "ConvertFrom-CpString",
    string: "ConvertFrom-CpString",
    policyEntry: "ConvertFrom-CpPolicyEntry",
};

/**
 * A constant of the table as a single-quoted PowerShell literal (the table's names and texts are ASCII; the module is
 * kept ASCII so Windows PowerShell 5.1 reads it right without a byte order mark).
 */
function lit(value: string): string {
    if (!/^[\x20-\x7e]*$/.test(value)) throw new RangeError(`module text must be printable ASCII: ${JSON.stringify(value)}`);
    return quoteFilterLiteral(value);
}

const list = (values: readonly string[]) => `@(${values.map(lit).join(", ")})`;

/** The cmdlet table as PowerShell data: one hashtable per cmdlet, one line per parameter. */
function tableLines(): string[] {
    const out = ["$script:CpTable = @("];
    for (const c of CMDLET_TABLE) {
        out.push(`    @{ Name = ${lit(c.name)}; Outputs = ${list(c.outputs)}; Required = ${list(c.required)}; ExactlyOne = ${list(c.exactlyOne ?? [])}; Params = @(`);
        for (const p of c.params) out.push(`        @{ Name = ${lit(p.name)}; Type = ${lit(p.type)}; Nullable = $${p.nullable} }`);
        out.push("    ) }");
    }
    out.push(")");
    return out;
}

/** The binder's error templates and type descriptions, so the module's error records read as the stand-in's. */
function errorLines(): string[] {
    const out = ["$script:CpErrors = @{"];
    for (const [k, e] of Object.entries(BIND_ERRORS)) out.push(`    ${k} = @{ Id = ${lit(e.id)}; Category = ${lit(e.category)}; Message = ${lit(e.message)} }`);
    out.push("}", "$script:CpTypeDescription = @{");
    for (const [k, d] of Object.entries(TYPE_DESCRIPTION)) out.push(`    ${k} = ${lit(d)}`);
    out.push("}");
    return out;
}

/** The argument kind of each parameter type (binder.ts KIND_OF_TYPE). */
const KIND_LINES = [
    "$script:CpKindOfType = @{ string = 'string'; bool = 'bool'; uint = 'int'; timespan = 'timespan'; policyEntries = 'policyEntries'; switch = 'switch'; clientPolicyFilter = 'clientPolicyFilter' }",
];

/**
 * The lines of one projection function of the module: a pipeline function that binds each input object to
 * `$<variable>`, runs `prelude` (fixed PowerShell lines of this file, never data), and emits one ordered
 * `[pscustomobject]` with `fields` (property name, PowerShell expression; both fixed text of this file).
 */
function projection(name: string, synopsis: string, variable: string, prelude: readonly string[], fields: ReadonlyArray<readonly [string, string]>): string[] {
    return [
        "<#",
        ".SYNOPSIS",
        synopsis,
        "#>",
        `function ${name} {`,
        "    [CmdletBinding()]",
        "    param([Parameter(Mandatory = $true, ValueFromPipeline = $true)] [object]$InputObject)",
        "    process {",
        `        $${variable} = $InputObject`,
        ...prelude.map((l) => `        ${l}`),
        "        [pscustomobject][ordered]@{",
        ...fields.map(([k, v]) => `            ${k} = ${v}`),
        "        }",
        "    }",
        "}",
        "",
    ];
}

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
        ...projection("ConvertTo-CpUser", "Projects Get-CsUser output to the tenant API's user form.", "u", [
            "$policy = $null",
            "if ($null -ne $u.ClientPolicy) { $policy = [string]$u.ClientPolicy }",
            "if ($policy -and $policy -like 'Tag:*') { $policy = $policy.Substring(4) }",
            "$id = [string]$u.Identity",
            "if ($u.PSObject.Properties['Guid'] -and $null -ne $u.Guid) { $id = [string]$u.Guid }",
        ], [
            ["Id", "$id"],
            ["SipAddress", "[string]$u.SipAddress"],
            ["UserPrincipalName", "[string]$u.UserPrincipalName"],
            ["DisplayName", "[string]$u.DisplayName"],
            ["ClientPolicy", "$policy"],
            ["RegistrarPool", "ConvertFrom-CpString $u.RegistrarPool"],
        ]),
        ...projection("ConvertTo-CpSite", "Projects Get-CsSite output: the site's identity, id, display name and the FQDNs of its pools.", "s", [
            "$pools = @(foreach ($p in @($s.Pools)) { if ($null -ne $p) { [string]$p } })",
        ], [
            ["Identity", "[string]$s.Identity"],
            ["SiteId", "ConvertFrom-CpString $s.SiteId"],
            ["DisplayName", "ConvertFrom-CpString $s.DisplayName"],
            ["Pools", "$pools"],
        ]),
        ...projection("ConvertTo-CpPool", "Projects Get-CsPool output: the pool's identity and FQDN and the site it belongs to.", "p", [], [
            ["Identity", "[string]$p.Identity"],
            ["Fqdn", "ConvertFrom-CpString $p.Fqdn"],
            ["Site", "ConvertFrom-CpString $p.Site"],
        ]),
        "# ---- commands as data (api/powershell/table.ts, api/powershell/binder.ts)",
        "",
        ...tableLines(),
        "",
        ...errorLines(),
        ...KIND_LINES,
        `$script:CpTimeSpanPattern = ${lit(TIMESPAN_PATTERN + "\\z")}`,
        `$script:CpUIntMax = ${UINT_MAX}`,
        "# PowerShell's single-quote characters: ' and U+2018..U+201B (CharTraits.cs IsSingleQuote; language spec 2.3.5.2).",
        `$script:CpSingleQuotes = @(0x0027, 0x2018, 0x2019, 0x201A, 0x201B)`,
        "",
        "<#",
        ".SYNOPSIS",
        "The one quoting function: a value as a single-quoted literal with every PowerShell single-quote character doubled.",
        ".DESCRIPTION",
        "Inside a single-quoted string PowerShell reads two single-quote characters in a row as the second one, and a lone",
        "one as the end of the string; it treats ' U+2018 U+2019 U+201A U+201B alike. Doubling each keeps the whole value",
        "one string token. The TypeScript twin is quoteFilterLiteral in api/powershell/table.ts.",
        "#>",
        "function ConvertTo-CpQuotedLiteral([string]$Value) {",
        "    $sb = New-Object System.Text.StringBuilder",
        "    [void]$sb.Append([char]0x27)",
        "    foreach ($c in $Value.ToCharArray()) {",
        "        [void]$sb.Append($c)",
        "        if ($script:CpSingleQuotes -contains [int]$c) { [void]$sb.Append($c) }",
        "    }",
        "    [void]$sb.Append([char]0x27)",
        "    return $sb.ToString()",
        "}",
        "",
        "function Get-CpTagName([string]$Value) { if ($Value.StartsWith('Tag:', [StringComparison]::OrdinalIgnoreCase)) { return $Value.Substring(4) }; return $Value }",
        "",
        "function New-CpError([string]$Which, [object[]]$FormatArgs) {",
        "    $e = $script:CpErrors[$Which]",
        "    return @{ ok = $false; error = @{ id = ($e.Id -f $FormatArgs); category = $e.Category; message = ($e.Message -f $FormatArgs) } }",
        "}",
        "",
        "function Test-CpObject([object]$Value) { return ($null -ne $Value) -and ($Value -is [System.Management.Automation.PSCustomObject]) }",
        "",
        "function Test-CpKeys([object]$Value, [string[]]$Keys) {",
        "    $names = @($Value.PSObject.Properties | ForEach-Object { $_.Name })",
        "    if ($names.Count -ne $Keys.Count) { return $false }",
        "    foreach ($k in $Keys) { if (-not ($names -ccontains $k)) { return $false } }",
        "    return $true",
        "}",
        "",
        "<#",
        ".SYNOPSIS",
        "Converts one JSON argument to its parameter's declared type: @{ ok = $true; value = ... } or an error result.",
        "#>",
        "function ConvertFrom-CpArgument([string]$Cmdlet, [hashtable]$Param, [object]$Arg) {",
        "    $bad = New-CpError 'argument' @($Cmdlet, $Param.Name, ($script:CpTypeDescription[$Param.Type] + $(if ($Param.Nullable) { ' or null' } else { '' })))",
        "    if (-not (Test-CpObject $Arg) -or -not ($Arg.kind -is [string])) { return $bad }",
        "    $kind = [string]$Arg.kind",
        "    if ($kind -ceq 'null') {",
        "        if (-not $Param.Nullable -or -not (Test-CpKeys $Arg @('kind'))) { return $bad }",
        "        return @{ ok = $true; value = $null }",
        "    }",
        "    if ($kind -cne $script:CpKindOfType[$Param.Type]) { return $bad }",
        "    if ($Param.Type -ceq 'switch') { if (Test-CpKeys $Arg @('kind')) { return @{ ok = $true; value = $true } }; return $bad }",
        "    if (-not (Test-CpKeys $Arg @('kind', 'value'))) { return $bad }",
        "    $v = $Arg.value",
        "    switch -CaseSensitive ($Param.Type) {",
        "        'string' { if ($v -is [string]) { return @{ ok = $true; value = [string]$v } }; return $bad }",
        "        'clientPolicyFilter' { if ($v -is [string]) { return @{ ok = $true; value = [string]$v } }; return $bad }",
        "        'bool' { if ($v -is [bool]) { return @{ ok = $true; value = [bool]$v } }; return $bad }",
        "        'uint' {",
        "            if (($v -is [int] -or $v -is [long]) -and $v -ge 0 -and $v -le $script:CpUIntMax) { return @{ ok = $true; value = [long]$v } }",
        "            return $bad",
        "        }",
        "        'timespan' {",
        "            if ($v -is [string] -and [regex]::IsMatch($v, $script:CpTimeSpanPattern)) {",
        "                return @{ ok = $true; value = [TimeSpan]::Parse($v, [System.Globalization.CultureInfo]::InvariantCulture) }",
        "            }",
        "            return $bad",
        "        }",
        "        'policyEntries' {",
        "            $items = @($v)",
        "            if (-not ($v -is [array]) -or $items.Count -eq 0) { return $bad }",
        "            foreach ($e in $items) {",
        "                if (-not (Test-CpObject $e) -or -not (Test-CpKeys $e @('Name', 'Value')) -or -not ($e.Name -is [string]) -or -not ($e.Value -is [string])) { return $bad }",
        "            }",
        "            # @{ Replace = ... }: PSListModifier's Hashtable form that sets the whole list (binder.ts says why).",
        "            $entries = @(foreach ($e in $items) { New-CsClientPolicyEntry -Name ([string]$e.Name) -Value ([string]$e.Value) })",
        "            return @{ ok = $true; value = @{ Replace = $entries } }",
        "        }",
        "    }",
        "    return $bad",
        "}",
        "",
        "<#",
        ".SYNOPSIS",
        "Checks one command against the table and converts its values, in the binder's order: shape, cmdlet, output form,",
        "each parameter as given (name, then value), required parameters, parameter sets.",
        "#>",
        "function ConvertFrom-CpCommand([object]$Command) {",
        "    if (-not (Test-CpObject $Command) -or -not ($Command.cmdlet -is [string]) -or -not (Test-CpObject $Command.params) -or -not ($Command.output -is [string])) {",
        "        return New-CpError 'malformed' @()",
        "    }",
        "    $def = $null",
        "    foreach ($c in $script:CpTable) { if ($c.Name -ceq $Command.cmdlet) { $def = $c } }",
        "    if ($null -eq $def) { return New-CpError 'cmdlet' @([string]$Command.cmdlet) }",
        "    if (-not ($def.Outputs -ccontains $Command.output)) { return New-CpError 'output' @($def.Name, [string]$Command.output) }",
        "    $params = @{}",
        "    $given = New-Object System.Collections.Generic.List[string]",
        "    $filter = $null",
        "    foreach ($prop in $Command.params.PSObject.Properties) {",
        "        $param = $null",
        "        foreach ($p in $def.Params) { if ($p.Name -ceq $prop.Name) { $param = $p } }",
        "        if ($null -eq $param) { return New-CpError 'parameter' @($def.Name, [string]$prop.Name) }",
        "        $r = ConvertFrom-CpArgument $def.Name $param $prop.Value",
        "        if (-not $r.ok) { return $r }",
        "        $given.Add($param.Name)",
        "        if ($param.Type -ceq 'clientPolicyFilter') {",
        "            $filter = $r.value",
        "            $params[$param.Name] = 'ClientPolicy -eq ' + (ConvertTo-CpQuotedLiteral $r.value)",
        "        } else {",
        "            $params[$param.Name] = $r.value",
        "        }",
        "    }",
        "    foreach ($name in $def.Required) { if (-not $given.Contains($name)) { return New-CpError 'missing' @($def.Name, $name) } }",
        "    if ($def.ExactlyOne.Count -gt 0) {",
        "        $n = @($def.ExactlyOne | Where-Object { $given.Contains($_) }).Count",
        "        if ($n -ne 1) { return New-CpError 'exactlyOne' @($def.Name, ($def.ExactlyOne -join ' or -')) }",
        "    }",
        "    return @{ ok = $true; def = $def; params = $params; output = [string]$Command.output; filter = $filter }",
        "}",
        "",
        "<#",
        ".SYNOPSIS",
        "Runs one bound command by splatting; the command comes from the table, never from the request.",
        "#>",
        "function Invoke-CpCommand([hashtable]$Bound) {",
        "    $cmd = Get-Command -Name $Bound.def.Name -CommandType @('Cmdlet', 'Function') -ErrorAction Stop | Select-Object -First 1",
        "    $params = $Bound.params",
        "    $raw = @(& $cmd @params)",
        "    switch -CaseSensitive ($Bound.output) {",
        "        'policy' { return ,@($raw | ConvertTo-CpPolicy) }",
        "        'site' { return ,@($raw | ConvertTo-CpSite) }",
        "        'pool' { return ,@($raw | ConvertTo-CpPool) }",
        "        'user' {",
        "            $users = @($raw | ConvertTo-CpUser)",
        "            if ($null -ne $Bound.filter) {",
        "                # Keep only exact matches: the filter narrows the search, this decides the answer.",
        "                $want = Get-CpTagName $Bound.filter",
        "                $users = @($users | Where-Object { $null -ne $_.ClientPolicy -and [string]::Equals([string]$_.ClientPolicy, $want, [StringComparison]::OrdinalIgnoreCase) })",
        "            }",
        "            return ,$users",
        "        }",
        "    }",
        "    return ,@()",
        "}",
        "",
        "<#",
        ".SYNOPSIS",
        "The gateway's line protocol: reads one JSON request per line on stdin, runs its commands, answers one JSON line.",
        ".DESCRIPTION",
        "Each request is {id, commands, stopOnError}; each command {cmdlet, params, output}. A command the table refuses is",
        "answered with the binder's error record and nothing runs; otherwise it runs with ErrorActionPreference Stop and",
        "its result is {ok: true, output: [...]} or {ok: false, error: {id, category, message}} from the error record",
        "(FullyQualifiedErrorId, CategoryInfo.Category, Exception.Message); with stopOnError the later commands are",
        "{ok: false, skipped: true}. A line that is not JSON is answered with a line outside the protocol, so the gateway",
        "replaces the session. The loop ends when stdin closes.",
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
        "        try { $request = ConvertFrom-Json $text } catch { $stdout.WriteLine('protocol error: the request is not JSON'); continue }",
        "        $results = New-Object System.Collections.ArrayList",
        "        $failed = $false",
        "        foreach ($command in @($request.commands)) {",
        "            if ($failed -and $request.stopOnError) { [void]$results.Add(@{ ok = $false; skipped = $true }); continue }",
        "            $bound = ConvertFrom-CpCommand $command",
        "            if (-not $bound.ok) { $failed = $true; [void]$results.Add($bound); continue }",
        "            try {",
        "                $output = Invoke-CpCommand $bound",
        "                [void]$results.Add(@{ ok = $true; output = @($output) })",
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
        "Export-ModuleMember -Function @('ConvertTo-CpPolicy', 'ConvertTo-CpUser', 'ConvertTo-CpSite', 'ConvertTo-CpPool', 'Start-CpShellHost')",
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
