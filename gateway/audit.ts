/**
 * The gateway's audit log, JSON lines of two kinds:
 *
 * - `"kind":"cmdlet"` — one line per command the Management Shell was asked to run, batch items included: who (client
 *   id, source address), for what (tenant, operation id, request id, method and route), what (the cmdlet and every
 *   parameter with its value, enough to rebuild each write), the result (`ok`, `error` with the error record's id and
 *   category, `skipped` after an earlier failure, `unknown` when the shell died or hung before answering: the command
 *   may have run) and the duration of the shell call it was part of (`call.index` of `call.of` commands; the shell
 *   answers a call at once, so a command's own time is not measurable from outside);
 * - `"kind":"request"` — one line per API request: time, request id, client, source address, tenant, method, route,
 *   status, error code, duration and the number of commands it ran (a flood of refused unauthenticated requests is
 *   sampled by server/api.ts: the next line of that address carries the count in `suppressed`).
 *
 * Every change a gateway makes runs as the shell's service account, so this log is what says which client asked.
 * Request bodies, headers and tokens are never logged. Values of parameters whose names look secret ({@link
 * SECRET_NAME}, one rule for cmdlet parameters and PolicyEntry names) are masked, and every text passes through {@link
 * redact}, so a bearer token, client secret or credential that ever reached one is masked too. A line is bounded:
 * each value at {@link MAX_VALUE_CHARS} characters, each list at {@link MAX_LIST_ITEMS} items, the whole line at
 * {@link MAX_LINE_BYTES} bytes; whatever was cut is named in the line's `truncated` list.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import type { RequestRecord } from "../server/api";
import type { CommandResult, ShellArg, ShellCommand } from "../api/powershell/protocol";

const PATTERNS: Array<[RegExp, string]> = [
    [/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, "$1[redacted]"],
    [/\bemu1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, "[redacted-token]"],
    [/(client_secret=)[^&\s]+/gi, "$1[redacted]"],
    [/(-(?:Credential|Password|ClientSecret)\s+)('[^']*'|"[^"]*"|\S+)/gi, "$1[redacted]"],
];

/** Masks tokens, client secrets and credentials in a text. */
export function redact(text: string): string {
    return PATTERNS.reduce((t, [re, by]) => t.replace(re, by), text);
}

/**
 * The one rule for names whose values are secret: a cmdlet parameter (`-Credential`, `-Password`, …) or a PolicyEntry
 * name matching it is logged as `[redacted]`. No CsClientPolicy setting matches it, so every write stays rebuildable.
 */
export const SECRET_NAME = /secret|passw|pwd|credential|token|apikey|api_key|privatekey|private_key|signingkey|connectionstring/i;

/** Longest logged value (characters); policy identities (at most 256 characters) always fit. */
export const MAX_VALUE_CHARS = 512;
/** Most items of a list value logged (PolicyEntry). */
export const MAX_LIST_ITEMS = 64;
/** Longest audit line (UTF-8 bytes, without the line break). */
export const MAX_LINE_BYTES = 16 * 1024;

const MASK = "[redacted]";

/** Who asked for a command and in which operation (a request, or the batch it started). */
export interface AuditContext {
    /** The API request that asked (for a batch item: the POST that started the batch); null outside any request. */
    requestId: string | null;
    /** The operation the command belongs to: the batch's OperationId for batch items, else the request id. */
    operationId: string | null;
    clientId: string | null;
    remoteAddress: string | null;
    tenantId: string;
    method: string | null;
    route: string | null;
}

/** One command the shell was asked to run, with its outcome. */
export interface CommandAudit {
    context: AuditContext;
    command: ShellCommand;
    /** The shell's result, or the fault that left the outcome unknown (the shell died or hung). */
    result: CommandResult | { unknown: { id: string; category: string } };
    /** The whole shell call's duration, milliseconds. */
    durationMs: number;
    /** Position in the shell call (0-based) and the call's number of commands. */
    index: number;
    of: number;
}

/** Where the backend sends the command audits of one shell call. */
export type CommandAuditSink = (entries: CommandAudit[]) => void;

class Bounder {
    readonly truncated: string[] = [];

    text(where: string, s: string): string {
        const clean = redact(s);
        if (clean.length <= MAX_VALUE_CHARS) return clean;
        this.truncated.push(where);
        return `${clean.slice(0, MAX_VALUE_CHARS)}…[${clean.length - MAX_VALUE_CHARS} more characters]`;
    }
}

/** A parameter's value as logged (JSON), masked when its name is secret-like, bounded. */
function argValue(name: string, arg: ShellArg, b: Bounder): unknown {
    if (SECRET_NAME.test(name)) return arg.kind === "null" ? null : MASK;
    switch (arg.kind) {
        case "switch": return true;
        case "null": return null;
        case "bool":
        case "int": return arg.value;
        case "policyEntries": {
            const items = arg.value.slice(0, MAX_LIST_ITEMS).map((e, i) => ({
                Name: b.text(`${name}[${i}].Name`, e.Name),
                Value: SECRET_NAME.test(e.Name) ? MASK : b.text(`${name}[${i}].Value`, e.Value),
            }));
            if (arg.value.length > MAX_LIST_ITEMS) b.truncated.push(`${name}: ${arg.value.length - MAX_LIST_ITEMS} more entries`);
            return items;
        }
        default: return b.text(name, arg.value);
    }
}

/** The line's byte length once serialised. */
const bytes = (o: unknown): number => Buffer.byteLength(JSON.stringify(o), "utf8");

/**
 * Drops parameter values, largest first, until the line fits {@link MAX_LINE_BYTES}; each dropped value becomes
 * `[omitted: N bytes]` and is named in `truncated`.
 */
function fit(line: Record<string, unknown>, params: Record<string, unknown>, b: Bounder): void {
    const order = Object.keys(params).sort((x, y) => bytes(params[y]) - bytes(params[x]));
    for (const name of order) {
        if (bytes(line) <= MAX_LINE_BYTES) return;
        const size = bytes(params[name]);
        params[name] = `[omitted: ${size} bytes]`;
        b.truncated.push(`${name}: value omitted`);
        line.truncated = b.truncated;
    }
}

/** One `cmdlet` audit line. */
export function commandAuditLine(e: CommandAudit, now = new Date()): string {
    const b = new Bounder();
    const c = e.context;
    const params: Record<string, unknown> = {};
    for (const [name, arg] of Object.entries(e.command.params)) params[b.text("parameter name", name)] = argValue(name, arg, b);
    const r = e.result;
    const outcome = "unknown" in r ? { result: "unknown", error: r.unknown }
        : r.ok ? { result: "ok", error: null }
        : "skipped" in r ? { result: "skipped", error: null }
        : { result: "error", error: { id: b.text("error.id", r.error.id), category: b.text("error.category", r.error.category) } };
    const line: Record<string, unknown> = {
        time: now.toISOString(), kind: "cmdlet", requestId: c.requestId, operationId: c.operationId, client: c.clientId === null ? null : b.text("client", c.clientId),
        remoteAddress: c.remoteAddress, tenant: c.tenantId, method: c.method, route: c.route === null ? null : b.text("route", c.route),
        cmdlet: b.text("cmdlet", e.command.cmdlet), params, output: e.command.output, ...outcome, durationMs: e.durationMs, call: { index: e.index, of: e.of },
    };
    if (b.truncated.length > 0) line.truncated = b.truncated;
    fit(line, params, b);
    return JSON.stringify(line);
}

/** One `request` audit line. */
export function auditLine(r: RequestRecord, now = new Date()): string {
    const b = new Bounder();
    const line: Record<string, unknown> = {
        time: now.toISOString(), kind: "request", requestId: r.requestId, client: r.clientId === undefined ? null : b.text("client", r.clientId),
        remoteAddress: r.remoteAddress ?? null, tenant: r.tenantId === undefined ? null : b.text("tenant", r.tenantId),
        method: b.text("method", r.method), route: b.text("route", r.route), commandCount: r.commands.length,
        // The display form of the commands (api/powershell/protocol.ts describeCommand); each command also has its own line.
        commands: r.commands.slice(0, 20).map((x, i) => b.text(`commands[${i}]`, x)),
        status: r.status ?? null, error: r.error === undefined ? null : b.text("error", r.error), durationMs: r.durationMs ?? null,
    };
    // Refusals of the same address not recorded one by one (server/api.ts samples a flood of unauthenticated requests).
    if (r.suppressed) line.suppressed = r.suppressed;
    if (r.commands.length > 20) b.truncated.push(`commands: ${r.commands.length - 20} more (each has its cmdlet line)`);
    if (b.truncated.length > 0) line.truncated = b.truncated;
    while (bytes(line) > MAX_LINE_BYTES && (line.commands as string[]).length > 0) {
        (line.commands as string[]).pop();
        line.truncated = [...b.truncated, "commands: cut to fit the line"];
    }
    return JSON.stringify(line);
}

/** Appends audit lines to a file (created with its folder; synchronous so a line is on disk when the reply is). */
export class AuditLog {
    constructor(private readonly file: string) {
        mkdirSync(path.dirname(file), { recursive: true });
    }

    write(r: RequestRecord): void {
        appendFileSync(this.file, auditLine(r) + "\n", { mode: 0o600 });
    }

    /** Appends the lines of one shell call's commands at once. */
    writeCommands(entries: CommandAudit[]): void {
        if (entries.length === 0) return;
        const now = new Date();
        appendFileSync(this.file, entries.map((e) => commandAuditLine(e, now) + "\n").join(""), { mode: 0o600 });
    }
}
