/**
 * The out-of-band "PowerShell" endpoint: the five CsClientPolicy cmdlets, parsed with the shared cmdlet grammar
 * (api/cmdlets.ts over api/powershell/tokenizer.ts, which reads typographic quotes and dashes, comments, continuations
 * and here-strings as PowerShell does), executed against a tenant. It exists to cause drift the way an administrator
 * would; it is not a PowerShell implementation (no variables, pipelines or hashtables).
 */
import { settingByWireName, validateSetting } from "../api/catalogue";
import { PsParseError, parseScript, type PsCommand, type PsValue } from "../api/cmdlets";
import { ApiError, Errors } from "../server/errors";
import type { TenantBackend } from "../server/backend";

export { PsParseError, parseScript, type PsCommand, type PsValue };

/**
 * The request media type of `POST /_emulator/{tenant}/powershell`. Not a CORS-safelisted type, so a browser never sends
 * it cross-site without a preflight the emulator does not grant.
 */
export const POWERSHELL_MEDIA_TYPE = "application/x-powershell";

/** {@link parseScript} for request handlers: a parse failure becomes a 400 `ParseError` naming line and column. */
export function parseScriptOrFail(script: string): PsCommand[] {
    try {
        return parseScript(script);
    } catch (e) {
        if (e instanceof PsParseError) throw Errors.parseError(e.line, e.column, e.message);
        throw e;
    }
}

/** Result of one executed line. */
export interface PsResult {
    line: number;
    command: string;
    status: "Succeeded" | "Failed";
    output?: unknown;
    error?: { code: string; message: string; target?: string };
}

// Common cmdlet parameters accepted and ignored by New/Set (Force and the confirmation switches have no effect here).
const CONTROL = new Set(["identity", "force", "confirm", "whatif"]);

/** Positional parameters of each cmdlet, in position order (lower-cased), as the cmdlet reference documents them. */
const POSITIONAL: Record<string, string[]> = {
    "New-CsClientPolicy": ["identity"],
    "Set-CsClientPolicy": ["identity"],
    "Get-CsClientPolicy": ["identity"],
    "Remove-CsClientPolicy": ["identity"],
    "Grant-CsClientPolicy": ["identity", "policyname"],
};

/** How PowerShell prints an argument in a binding error. */
function argumentText(v: PsValue): string {
    if (typeof v === "boolean") return v ? "True" : "False";
    return v === null ? "" : String(v);
}

/**
 * Binds positional arguments the way PowerShell does: each goes to the next positional parameter not already given by
 * name; an argument left over fails the line (`Set-CsClientPolicy -Identity Global EnableURL $False`, a forgotten dash,
 * must not "succeed" and change nothing).
 */
function bindPositional(cmd: PsCommand): Map<string, PsValue> {
    const free = (POSITIONAL[cmd.cmdlet] ?? []).filter((p) => !cmd.named.has(p));
    const bound = new Map<string, PsValue>();
    cmd.positional.forEach((arg, i) => {
        if (i >= free.length) throw Errors.positionalParameterNotFound(argumentText(arg.value), cmd.line, arg.column);
        bound.set(free[i], arg.value);
    });
    return bound;
}

/** Cmdlet value → wire value, the way PowerShell would coerce it to the parameter's type. */
function coerce(kind: string, v: PsValue): unknown {
    if (kind === "uint" && typeof v === "string" && /^\d+$/.test(v)) return Number(v);
    if ((kind === "string" || kind === "enum") && typeof v === "number") return String(v);
    return v;
}

function identityArg(cmd: PsCommand, bound: Map<string, PsValue>, fallback?: string): string {
    const v = cmd.named.get("identity")?.value ?? bound.get("identity") ?? fallback;
    if (typeof v !== "string") throw Errors.invalidParameter("Identity", `${cmd.cmdlet} needs -Identity <string>.`);
    return v;
}

/** The settings of a New/Set line as a wire body. */
function settingsBody(cmd: PsCommand): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    for (const [lower, { name, value }] of cmd.named) {
        if (CONTROL.has(lower)) continue;
        const def = settingByWireName(lower, "caseInsensitive");
        if (!def) throw Errors.invalidParameter(name, `A parameter cannot be found that matches parameter name '${name}'.`);
        if (def.kind === "policyEntry" && value !== null) throw Errors.notImplemented(`-${def.name} with a value in the PowerShell endpoint (use the HTTP API)`);
        const result = validateSetting(def, coerce(def.kind, value), "wire");
        if (!result.ok) throw Errors.invalidParameter(def.name, `Cannot bind parameter '${def.name}': ${result.message}.`);
        body[def.name] = result.value;
    }
    return body;
}

function rejectOthers(cmd: PsCommand, allowed: string[]): void {
    for (const [lower, { name }] of cmd.named) {
        if (!allowed.includes(lower)) throw Errors.invalidParameter(name, `A parameter cannot be found that matches parameter name '${name}'.`);
    }
}

/** Runs one line. The cmdlets never touch owners: New creates without one, Set keeps it, Grant records none. */
async function run(tenant: TenantBackend, cmd: PsCommand): Promise<unknown> {
    const bound = bindPositional(cmd);
    switch (cmd.cmdlet) {
        case "New-CsClientPolicy":
            return (await tenant.createPolicy(identityArg(cmd, bound), settingsBody(cmd))).policy;
        case "Set-CsClientPolicy":
            return (await tenant.updatePolicy(identityArg(cmd, bound, "Global"), settingsBody(cmd), "patch")).policy;
        case "Get-CsClientPolicy":
            rejectOthers(cmd, ["identity"]);
            if (!cmd.named.has("identity") && !bound.has("identity")) return tenant.listPolicies();
            return (await tenant.getPolicy(identityArg(cmd, bound))).policy;
        case "Remove-CsClientPolicy": {
            rejectOthers(cmd, ["identity", "force", "confirm"]);
            const reset = await tenant.removePolicy(identityArg(cmd, bound), cmd.named.get("force")?.value === true);
            return reset ? reset.policy : null;
        }
        case "Grant-CsClientPolicy": {
            rejectOthers(cmd, ["identity", "policyname"]);
            const policy = cmd.named.has("policyname") ? cmd.named.get("policyname")!.value : bound.get("policyname");
            if (policy === undefined) throw Errors.invalidParameter("PolicyName", "Grant-CsClientPolicy needs -PolicyName <name> or $null.");
            return tenant.grant(identityArg(cmd, bound), policy, null);
        }
        default:
            throw Errors.notImplemented(cmd.cmdlet);
    }
}

/** Executes parsed lines in order; like PowerShell, a failing line does not stop the next ones. */
export async function execute(tenant: TenantBackend, commands: PsCommand[]): Promise<PsResult[]> {
    const results: PsResult[] = [];
    for (const cmd of commands) {
        const base = { line: cmd.line, command: cmd.text };
        try {
            results.push({ ...base, status: "Succeeded", output: await run(tenant, cmd) });
        } catch (e) {
            if (!(e instanceof ApiError)) throw e;
            const { code, message, target } = e;
            results.push({ ...base, status: "Failed", error: target === undefined ? { code, message } : { code, message, target } });
        }
    }
    return results;
}
