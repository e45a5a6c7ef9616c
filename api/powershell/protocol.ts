/**
 * The line protocol between the gateway and a Management Shell process (the shipped module's `Start-CpShellHost`
 * loop, or the stand-in shell in tests). One JSON object per line in each direction, UTF-8:
 *
 * - shell → gateway, once at start: `{"ready":true,"host":"<name>","module":"<version>"}`;
 * - gateway → shell: {@link ShellRequest} — commands as data (a cmdlet name from a fixed table and typed parameter
 *   values), run in order in the session. No PowerShell text is ever sent: the host converts each value to the
 *   parameter's declared type and calls the cmdlet by splatting (binder.ts states the rules);
 * - shell → gateway: {@link ShellResponse} — one result per command, each its projected output (an array of JSON
 *   objects made by `ConvertTo-CpPolicy`/`ConvertTo-CpUser`, never PowerShell's default formatting) or the error
 *   record's FullyQualifiedErrorId, category and message.
 *
 * A response is the shell's confirmation: a command is reported done only when its result says `ok`.
 */

/**
 * One typed parameter value. The host converts each kind to one .NET type before binding, so a value is never
 * PowerShell source text:
 * - `string` → `[string]`; `bool` → `[bool]`; `int` → `[long]` (the cmdlets' UInt16/UInt32 parameters convert it);
 * - `timespan` → `[TimeSpan]::Parse(value, InvariantCulture)` (`hh:mm:ss`, or `d.hh:mm:ss` past a day);
 * - `policyEntries` → a list of `New-CsClientPolicyEntry -Name -Value` objects (api/powershell/binder.ts: which list
 *   form replaces the whole list);
 * - `switch` → a switch parameter that is present; `null` → `$null` (unassign, clear a setting);
 * - `clientPolicyFilter` → the `Get-CsUser -Filter` expression `ClientPolicy -eq '<value>'`, built inside the host
 *   by its one quoting function from the typed value.
 */
export type ShellArg =
    | { kind: "string"; value: string }
    | { kind: "bool"; value: boolean }
    | { kind: "int"; value: number }
    | { kind: "timespan"; value: string }
    | { kind: "policyEntries"; value: Array<{ Name: string; Value: string }> }
    | { kind: "switch" }
    | { kind: "null" }
    | { kind: "clientPolicyFilter"; value: string };

/**
 * One cmdlet call: `cmdlet` must be in the host's fixed table (api/powershell/table.ts), `params` keys are parameter
 * names as the table spells them. `output` says what the host does with the cmdlet's output: project it
 * (`ConvertTo-CpPolicy`, `ConvertTo-CpUser`, `ConvertTo-CpSite`, `ConvertTo-CpPool`) or discard it (`Out-Null`).
 */
export interface ShellCommand {
    cmdlet: string;
    params: Record<string, ShellArg>;
    output: "policy" | "user" | "site" | "pool" | "none";
}

/** A request to the shell: `commands` run in order; with `stopOnError` the commands after a failed one are skipped. */
export interface ShellRequest {
    id: number;
    commands: ShellCommand[];
    stopOnError: boolean;
}

/** A PowerShell error record, as the host reports it. */
export interface ShellError {
    /** `$_.FullyQualifiedErrorId`, e.g. `ParameterBindingFailed,Microsoft.Rtc.Management.Internal.SetOcsPolicyCmdlet`. */
    id: string;
    /** `$_.CategoryInfo.Category`, e.g. `ObjectNotFound`, `InvalidArgument`, `ResourceExists`. */
    category: string;
    message: string;
}

/** The outcome of one command. */
export type CommandResult = { ok: true; output: unknown[] } | { ok: false; error: ShellError } | { ok: false; skipped: true };
/** The outcome of one command (the name the backend has used since the protocol carried lines). */
export type LineResult = CommandResult;

/** The shell's answer to one request. */
export interface ShellResponse {
    id: number;
    results: CommandResult[];
}

/**
 * A one-line display form of a command for logs, audit lines and the stand-in's fault matching: the cmdlet, then each
 * parameter as ` -Name <JSON of its value>` (a switch as ` -Name`). It is never run: JSON escapes every control and
 * line-break character, so one command is always one display line.
 */
export function describeCommand(c: ShellCommand): string {
    let out = c.cmdlet;
    for (const [name, arg] of Object.entries(c.params)) {
        out += ` -${name}`;
        if (arg.kind === "switch") continue;
        out += ` ${arg.kind === "null" ? "null" : JSON.stringify(arg.value).replace(/[\u2028\u2029\u0085]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`)}`;
    }
    if (c.output !== "none") out += ` | ${c.output}`;
    return out;
}

/** Parses one protocol line from a shell; undefined when it is not a well-formed message. */
export function parseShellMessage(line: string): ShellResponse | { ready: true; host?: string; module?: string } | undefined {
    let v: unknown;
    try {
        v = JSON.parse(line);
    } catch {
        return undefined;
    }
    if (v === null || typeof v !== "object") return undefined;
    const o = v as Record<string, unknown>;
    if (o.ready === true) return o as { ready: true };
    if (typeof o.id !== "number" || !Array.isArray(o.results)) return undefined;
    for (const r of o.results as unknown[]) {
        if (r === null || typeof r !== "object") return undefined;
        const x = r as Record<string, unknown>;
        if (x.ok === true && !Array.isArray(x.output)) return undefined;
        if (x.ok === false && x.skipped !== true && (typeof x.error !== "object" || x.error === null)) return undefined;
        if (typeof x.ok !== "boolean") return undefined;
    }
    return o as unknown as ShellResponse;
}
