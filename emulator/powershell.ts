/**
 * The out-of-band "PowerShell" endpoint: the five CsClientPolicy cmdlets, parsed with the shared cmdlet grammar
 * (api/cmdlets.ts over api/powershell/tokenizer.ts, which reads typographic quotes and dashes, comments, continuations
 * and here-strings as PowerShell does), executed against a tenant. It exists to cause drift the way an administrator
 * would; it is not a PowerShell implementation (no variables, pipelines or hashtables). Parameters bind against the one
 * cmdlet table (api/powershell/table.ts) that the gateway, its shipped module and the JEA files use.
 */
import { validateSetting } from "../api/catalogue";
import { PsParseError, parseScript, type PsCommand, type PsValue } from "../api/cmdlets";
import { CMDLETS_BY_NAME, paramOf, SCRIPT_BINDINGS, scriptParamOf, type CmdletDef, type ScriptBinding } from "../api/powershell/table";
import { ApiError, Errors } from "../server/errors";
import type { Tenant } from "./tenant";

export { PsParseError, parseScript, type PsCommand, type PsValue };

/**
 * The request media type of `POST /_emulator/{tenant}/powershell`. Not a CORS-safelisted type, so a browser never sends
 * it cross-site without a preflight the emulator does not grant.
 */
export const POWERSHELL_MEDIA_TYPE = "application/x-powershell";

/** {@link parseScript} for request handlers: a parse failure becomes a 400 `ParseError` naming line and column. */
export function parseScriptOrFail(script: string): PsCommand[] {
    try {
        return parseScript(script, { extraCmdlets: [MOVE_USER.name] });
    } catch (e) {
        if (e instanceof PsParseError) throw Errors.parseError(e.line, e.column, e.message);
        throw e;
    }
}

/**
 * The emulator's one cmdlet beyond the CsClientPolicy ones: `Move-CsUser -Identity <user> -Target <pool FQDN>` rehomes a
 * user on another Registrar pool (MicrosoftDocs/office-docs-powershell, skype/skype-ps/skype/Move-CsUser.md: it "moves
 * … to a new Registrar pool"; `-Identity` and `-Target` are positions 1 and 2 there), which can change the site whose
 * client policy applies: drift an administrator causes outside the stack. It is deliberately not in the gateway's
 * table (api/powershell/table.ts): the gateway never moves users. `-ProxyPool`, `-Force`, `-MoveToTeams` and the rest
 * are not modelled.
 */
const MOVE_USER: CmdletDef = {
    name: "Move-CsUser",
    params: [
        { name: "Identity", type: "string", nullable: false, role: "userIdentity" },
        // `role` only matters to the gateway's JEA and module generators, which never see this cmdlet.
        { name: "Target", type: "string", nullable: false, role: "userIdentity" },
    ],
    required: ["Identity", "Target"], outputs: ["user"],
};
const MOVE_USER_BINDING: ScriptBinding = { positional: ["Identity", "Target"], commonSwitches: ["Confirm", "WhatIf"] };

/** Result of one executed line. */
export interface PsResult {
    line: number;
    command: string;
    status: "Succeeded" | "Failed";
    output?: unknown;
    error?: { code: string; message: string; target?: string };
}

/** How PowerShell prints an argument in a binding error. */
function argumentText(v: PsValue): string {
    if (typeof v === "boolean") return v ? "True" : "False";
    return v === null ? "" : String(v);
}

/** A line's parameters bound against the one cmdlet table (api/powershell/table.ts). */
interface BoundLine {
    cmdlet: CmdletDef;
    /** Table parameter name → value, named and positional. */
    values: Map<string, PsValue>;
    /** Common switches given and not `:$false`. */
    switches: Set<"Force" | "Confirm" | "WhatIf">;
}

/**
 * Binds a parsed line as PowerShell does: named parameters by name (case-insensitive), then each positional argument
 * to the next positional parameter not already given by name (the table's {@link SCRIPT_BINDINGS}); an argument left
 * over fails the line (`Set-CsClientPolicy -Identity Global EnableURL $False`, a forgotten dash, must not "succeed" and
 * change nothing), and so does a name the cmdlet does not have.
 */
function bindLine(cmd: PsCommand): BoundLine {
    const moving = cmd.cmdlet === MOVE_USER.name;
    const cmdlet = moving ? MOVE_USER : CMDLETS_BY_NAME.get(cmd.cmdlet);
    const binding = moving ? MOVE_USER_BINDING : SCRIPT_BINDINGS[cmd.cmdlet];
    if (!cmdlet || !binding) throw Errors.notImplemented(cmd.cmdlet);
    const values = new Map<string, PsValue>();
    const switches = new Set<"Force" | "Confirm" | "WhatIf">();
    for (const { name, value } of cmd.named.values()) {
        const p = moving ? moveParamOf(name) : scriptParamOf(cmdlet, name);
        if (!p) throw Errors.invalidParameter(name, `A parameter cannot be found that matches parameter name '${name}'.`);
        if ("common" in p) {
            if (value !== false) switches.add(p.common);
        } else values.set(p.name, value);
    }
    const free = binding.positional.filter((n) => !values.has(n));
    cmd.positional.forEach((arg, i) => {
        if (i >= free.length) throw Errors.positionalParameterNotFound(argumentText(arg.value), cmd.line, arg.column);
        values.set(free[i], arg.value);
    });
    return { cmdlet, values, switches };
}

/** {@link scriptParamOf} for Move-CsUser (not in the shared table). */
function moveParamOf(name: string): ReturnType<typeof scriptParamOf> {
    const lower = name.toLowerCase();
    const p = MOVE_USER.params.find((x) => x.name.toLowerCase() === lower);
    if (p) return p;
    const common = MOVE_USER_BINDING.commonSwitches.find((c) => c.toLowerCase() === lower);
    return common ? { common } : undefined;
}

/** Cmdlet value → wire value, the way PowerShell would coerce it to the parameter's type. */
function coerce(kind: string, v: PsValue): unknown {
    if (kind === "uint" && typeof v === "string" && /^\d+$/.test(v)) return Number(v);
    if ((kind === "string" || kind === "enum") && typeof v === "number") return String(v);
    return v;
}

function identityArg(line: BoundLine, fallback?: string): string {
    const v = line.values.get("Identity") ?? fallback;
    if (typeof v !== "string") throw Errors.invalidParameter("Identity", `${line.cmdlet.name} needs -Identity <string>.`);
    return v;
}

/** The settings of a New/Set line as a wire body. */
function settingsBody(line: BoundLine): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    for (const [name, value] of line.values) {
        const def = paramOf(line.cmdlet, name)?.setting;
        if (!def) continue;
        if (def.kind === "policyEntry" && value !== null) throw Errors.notImplemented(`-${def.name} with a value in the PowerShell endpoint (use the HTTP API)`);
        const result = validateSetting(def, coerce(def.kind, value), "wire");
        if (!result.ok) throw Errors.invalidParameter(def.name, `Cannot bind parameter '${def.name}': ${result.message}.`);
        body[def.name] = result.value;
    }
    return body;
}

/**
 * Runs one line. The cmdlets never touch owners: New creates without one, Set keeps it, Grant records none. With
 * `-WhatIf` the line is checked and bound, then describes what it would do and changes nothing (about_CommonParameters).
 */
async function run(tenant: Tenant, cmd: PsCommand): Promise<unknown> {
    const line = bindLine(cmd);
    const whatIf = (target: string) => `What if: Performing the operation "${line.cmdlet.name}" on target "${target}".`;
    switch (cmd.cmdlet) {
        case "New-CsClientPolicy": {
            const body = settingsBody(line);
            if (line.switches.has("WhatIf")) return whatIf(identityArg(line));
            return (await tenant.service.createPolicy(identityArg(line), body)).policy;
        }
        case "Set-CsClientPolicy": {
            const body = settingsBody(line);
            if (line.switches.has("WhatIf")) return whatIf(identityArg(line, "Global"));
            return (await tenant.service.updatePolicy(identityArg(line, "Global"), body, "patch")).policy;
        }
        case "Get-CsClientPolicy":
            if (!line.values.has("Identity")) return tenant.service.listPolicies();
            return (await tenant.service.getPolicy(identityArg(line))).policy;
        case "Remove-CsClientPolicy": {
            if (line.switches.has("WhatIf")) return whatIf(identityArg(line));
            const reset = await tenant.service.removePolicy(identityArg(line), line.values.get("Force") === true);
            return reset ? reset.policy : null;
        }
        case "Grant-CsClientPolicy": {
            const policy = line.values.get("PolicyName");
            if (policy === undefined) throw Errors.invalidParameter("PolicyName", "Grant-CsClientPolicy needs -PolicyName <name> or $null.");
            if (line.switches.has("WhatIf")) return whatIf(identityArg(line));
            return tenant.service.grant(identityArg(line), policy, null);
        }
        case "Move-CsUser": {
            const target = line.values.get("Target");
            if (line.switches.has("WhatIf")) return whatIf(identityArg(line));
            return tenant.moveUser(identityArg(line), target);
        }
        default:
            throw Errors.notImplemented(cmd.cmdlet);
    }
}

/** Executes parsed lines in order; like PowerShell, a failing line does not stop the next ones. */
export async function execute(tenant: Tenant, commands: PsCommand[]): Promise<PsResult[]> {
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
