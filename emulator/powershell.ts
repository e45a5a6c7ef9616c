/**
 * The out-of-band "PowerShell" endpoint: a small parser for the cmdlet syntax
 * used in the seed article and an executor of the five CsClientPolicy
 * cmdlets against a tenant. It exists to cause drift the way an administrator
 * would; it is not a PowerShell implementation (no variables, pipelines or
 * hashtables).
 */
import { settingByWireName, validateSetting } from "../api/catalogue";
import { ApiError, Errors } from "./errors";
import type { Tenant } from "./tenant";
import { policyView, userView } from "./views";

/** A cmdlet argument value. `true` also stands for a switch given without a value. */
export type PsValue = string | number | boolean | null;

/** One parsed cmdlet line. */
export interface PsCommand {
    line: number;
    text: string;
    cmdlet: string;
    /** Keyed by lower-cased parameter name. */
    named: Map<string, { name: string; value: PsValue; column: number }>;
    positional: Array<{ value: PsValue; column: number }>;
}

/** A line that cannot be parsed; answered 400 with line and column. */
export class PsParseError extends Error {
    constructor(readonly line: number, readonly column: number, message: string) {
        super(`line ${line}, column ${column}: ${message}`);
        this.name = "PsParseError";
    }
}

/** The cmdlets the emulator knows, by lower-cased name → canonical name. */
const CMDLETS = new Map(["New", "Set", "Get", "Remove", "Grant"].map((v) => [`${v.toLowerCase()}-csclientpolicy`, `${v}-CsClientPolicy`]));
const VARIABLES: Record<string, PsValue> = { true: true, false: false, null: null };
const NUMBER_RE = /^-?\d+(\.\d+)?$/;

/** Parses a script; throws {@link PsParseError} for the first line that does not parse. */
export function parseScript(script: string): PsCommand[] {
    const out: PsCommand[] = [];
    script.split(/\r?\n/).forEach((raw, i) => {
        const cmd = parseLine(raw, i + 1);
        if (cmd) out.push(cmd);
    });
    return out;
}

/** {@link parseScript} for request handlers: a parse failure becomes a 400 `ParseError` naming line and column. */
export function parseScriptOrFail(script: string): PsCommand[] {
    try {
        return parseScript(script);
    } catch (e) {
        if (e instanceof PsParseError) throw Errors.parseError(e.line, e.column, e.message);
        throw e;
    }
}

function parseLine(text: string, line: number): PsCommand | undefined {
    let pos = 0;
    const fail = (message: string, at = pos): never => {
        throw new PsParseError(line, at + 1, message);
    };
    const skipSpace = () => {
        while (pos < text.length && /\s/.test(text[pos])) pos++;
    };
    const atEnd = () => pos >= text.length || text[pos] === "#";
    // As in PowerShell's argument mode, `#` starts a comment only at the start of a token: `Sales#1` is one word.
    const bareWord = () => {
        const start = pos;
        while (pos < text.length && !/[\s'"]/.test(text[pos])) pos++;
        return text.slice(start, pos);
    };
    const quoted = (q: string): string => {
        const start = pos++;
        let value = "";
        for (;;) {
            if (pos >= text.length) fail(`unterminated ${q === "'" ? "single" : "double"}-quoted string`, start);
            const c = text[pos++];
            if (c === q && text[pos] === q) { value += q; pos++; }
            else if (c === q) return value;
            else if (q === '"' && c === "`" && pos < text.length) value += text[pos++];
            else if (q === '"' && c === "$") fail("variables are not supported inside double-quoted strings", pos - 1);
            else value += c;
        }
    };
    const value = (): PsValue => {
        const c = text[pos];
        if (c === "'" || c === '"') return quoted(c);
        const start = pos;
        if (c === "$") {
            pos++;
            const name = bareWord();
            if (!(name.toLowerCase() in VARIABLES)) fail(`unsupported variable $${name}; only $True, $False and $null`, start);
            return VARIABLES[name.toLowerCase()];
        }
        const word = bareWord();
        if (word === "") fail(`unexpected character ${JSON.stringify(c)}`, start);
        // `@` only opens a hashtable or array at the start (`@{…}`, `@(…)`); inside a word it is a character (`Sales@EU`).
        if (/^@|[(){};|,]/.test(word)) fail(`unsupported syntax in ${JSON.stringify(word)} (no expressions, hashtables, arrays or pipelines)`, start);
        return NUMBER_RE.test(word) ? Number(word) : word;
    };

    skipSpace();
    if (atEnd()) return undefined;
    const cmdStart = pos;
    const cmdlet = CMDLETS.get(bareWord().toLowerCase());
    if (!cmdlet) fail(`unknown command ${JSON.stringify(text.slice(cmdStart, pos))}; expected New/Set/Get/Remove/Grant-CsClientPolicy`, cmdStart);
    const cmd: PsCommand = { line, text: text.trim(), cmdlet: cmdlet!, named: new Map(), positional: [] };
    for (;;) {
        skipSpace();
        if (atEnd()) return cmd;
        const start = pos;
        if (text[pos] === "-" && /[A-Za-z]/.test(text[pos + 1] ?? "")) {
            pos++;
            const m = /^[A-Za-z][A-Za-z0-9]*/.exec(text.slice(pos))!;
            pos += m[0].length;
            let v: PsValue = true;
            if (text[pos] === ":") {
                pos++;
                v = value();
            } else if (pos < text.length && !/\s/.test(text[pos])) {
                fail(`unexpected character ${JSON.stringify(text[pos])} after parameter -${m[0]}`);
            } else {
                skipSpace();
                if (!atEnd() && !(text[pos] === "-" && /[A-Za-z]/.test(text[pos + 1] ?? ""))) v = value();
            }
            if (cmd.named.has(m[0].toLowerCase())) fail(`parameter -${m[0]} given twice`, start);
            cmd.named.set(m[0].toLowerCase(), { name: m[0], value: v, column: start + 1 });
        } else {
            cmd.positional.push({ value: value(), column: start + 1 });
        }
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
async function run(tenant: Tenant, cmd: PsCommand): Promise<unknown> {
    const bound = bindPositional(cmd);
    switch (cmd.cmdlet) {
        case "New-CsClientPolicy":
            return policyView(await tenant.createPolicy(identityArg(cmd, bound), settingsBody(cmd)));
        case "Set-CsClientPolicy":
            return policyView(await tenant.updatePolicy(identityArg(cmd, bound, "Global"), settingsBody(cmd), "patch"));
        case "Get-CsClientPolicy":
            rejectOthers(cmd, ["identity"]);
            if (!cmd.named.has("identity") && !bound.has("identity")) return tenant.listPolicies().map(policyView);
            return policyView(tenant.getPolicy(identityArg(cmd, bound)));
        case "Remove-CsClientPolicy": {
            rejectOthers(cmd, ["identity", "force", "confirm"]);
            const reset = await tenant.removePolicy(identityArg(cmd, bound), cmd.named.get("force")?.value === true);
            return reset ? policyView(reset) : null;
        }
        case "Grant-CsClientPolicy": {
            rejectOthers(cmd, ["identity", "policyname"]);
            const policy = cmd.named.has("policyname") ? cmd.named.get("policyname")!.value : bound.get("policyname");
            if (policy === undefined) throw Errors.invalidParameter("PolicyName", "Grant-CsClientPolicy needs -PolicyName <name> or $null.");
            return userView(await tenant.grant(identityArg(cmd, bound), policy, null));
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
