/**
 * The gateway's audit log: one JSON line per API request — time, request id, client id, tenant, method and route
 * pattern, the cmdlet lines run for it, the result (status and error code) and the duration. Every change a gateway
 * makes runs as the shell's service account, so this log is what says which client asked. Request bodies, headers and
 * tokens are never logged; the lines pass through {@link redact} anyway, so a bearer token, client secret or
 * credential that ever reached one is masked.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import type { RequestRecord } from "../server/api";

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

/** One audit line. */
export function auditLine(r: RequestRecord, now = new Date()): string {
    return JSON.stringify({
        time: now.toISOString(), requestId: r.requestId, client: r.clientId ?? null, tenant: r.tenantId ?? null,
        method: r.method, route: r.route, commands: r.commands.map(redact), status: r.status ?? null, error: r.error ?? null,
        durationMs: r.durationMs ?? null,
    });
}

/** Appends audit lines to a file (created with its folder; synchronous so a line is on disk when the reply is). */
export class AuditLog {
    constructor(private readonly file: string) {
        mkdirSync(path.dirname(file), { recursive: true });
    }

    write(r: RequestRecord): void {
        appendFileSync(this.file, auditLine(r) + "\n", { mode: 0o600 });
    }
}
