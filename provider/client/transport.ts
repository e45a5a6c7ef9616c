/**
 * The one seam between the tenant client and the network. Production uses {@link fetchTransport}; unit tests pass an
 * in-process function, so retry, token and error rules are tested without sockets.
 */

/** One HTTP request, fully formed (absolute URL, final headers). */
export interface HttpRequest {
    readonly method: string;
    readonly url: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly body?: string;
}

/** One HTTP response; header names are lower-case. */
export interface HttpResponse {
    readonly status: number;
    readonly headers: Readonly<Record<string, string>>;
    readonly body: string;
}

/**
 * Sends one request. Resolves with any HTTP answer (including 4xx/5xx); rejects only when no answer arrived
 * (connection refused or reset, DNS failure, timeout) — the retry layer treats every rejection as a network error.
 */
export type Transport = (req: HttpRequest) => Promise<HttpResponse>;

/** Per-request time limit: a hung connection must become a retryable network error, not a hung `pulumi up`. */
export const REQUEST_TIMEOUT_MS = 60_000;

/** Transport over Node's global fetch (undici, keep-alive). */
export const fetchTransport: Transport = async (req) => {
    const res = await fetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => { headers[name.toLowerCase()] = value; });
    return { status: res.status, headers, body: await res.text() };
};

/** The low-level code of a network failure (`ECONNRESET`, `ECONNREFUSED`, …), looking through fetch's `cause`. */
export function networkErrorCode(err: unknown): string {
    let e: unknown = err;
    for (let depth = 0; depth < 4 && e && typeof e === "object"; depth++) {
        const code = (e as { code?: unknown }).code;
        if (typeof code === "string") return code;
        if ((e as { name?: unknown }).name === "TimeoutError") return "ETIMEDOUT";
        e = (e as { cause?: unknown }).cause;
    }
    return "ENETWORK";
}
