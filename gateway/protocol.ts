/**
 * The line protocol between the gateway and a Management Shell process (the shipped module's `Start-CpShellHost`
 * loop, or the stand-in shell in tests). One JSON object per line in each direction, UTF-8:
 *
 * - shell → gateway, once at start: `{"ready":true,"host":"<name>","module":"<version>"}`;
 * - gateway → shell: {@link ShellRequest} — cmdlet lines, run in order in the session;
 * - shell → gateway: {@link ShellResponse} — one result per line run, each its projected output (an array of JSON
 *   objects made by `ConvertTo-CpPolicy`/`ConvertTo-CpUser`, never PowerShell's default formatting) or the error
 *   record's FullyQualifiedErrorId, category and message.
 *
 * A response is the shell's confirmation: a line is reported done only when its result says `ok`.
 */

/** A script for the shell: `lines` run in order; with `stopOnError` the lines after a failed one are skipped. */
export interface ShellRequest {
    id: number;
    lines: string[];
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

/** The outcome of one line. */
export type LineResult = { ok: true; output: unknown[] } | { ok: false; error: ShellError } | { ok: false; skipped: true };

/** The shell's answer to one request. */
export interface ShellResponse {
    id: number;
    results: LineResult[];
}

/** What the gateway needs from a shell: run lines and get confirmed results. */
export interface ShellRunner {
    /**
     * Runs `lines`; resolves with one result per line. Rejects with an `ApiError`: ServiceUnavailable (503) when the
     * shell died or broke the protocol (it is replaced), GatewayTimeout (504) when it did not answer in time.
     */
    run(lines: string[], opts?: { stopOnError?: boolean }): Promise<LineResult[]>;
    /** Stops every shell process. */
    close(): Promise<void>;
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
