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

/** Most redirects followed for one request (all on the request's own origin). */
export const MAX_REDIRECTS = 5;

/**
 * Transport over Node's global fetch (undici, keep-alive). Redirects are followed here, not by fetch: only to the
 * request's own origin (same scheme, host and port), at most {@link MAX_REDIRECTS}, repeating method and body for
 * 307/308 only (RFC 9110 §15.4). A redirect to another origin is answered as it came (the client reports it): the
 * `Authorization` header and a client secret in the body never reach another origin.
 */
export const fetchTransport: Transport = async (req) => {
    let current = req;
    for (let hop = 0; ; hop++) {
        const res = await fetchOnce(current);
        const location = res.status >= 300 && res.status < 400 ? res.headers.location : undefined;
        if (location === undefined || hop >= MAX_REDIRECTS) return res;
        let next: URL;
        try {
            next = new URL(location, current.url);
        } catch {
            return res;
        }
        if (next.origin !== new URL(current.url).origin) return res;
        const keepBody = res.status === 307 || res.status === 308;
        current = keepBody ? { ...current, url: next.href } : { method: "GET", url: next.href, headers: current.headers };
    }
};

async function fetchOnce(req: HttpRequest): Promise<HttpResponse> {
    const res = await fetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        redirect: "manual",
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => { headers[name.toLowerCase()] = value; });
    return { status: res.status, headers, body: await res.text() };
}

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
