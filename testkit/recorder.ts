/**
 * Requests to a tenant API recorded for the contract check (testkit/openapiValidator.ts): every exchange made through
 * {@link recordedFetch} or {@link fetchRecorded} in this process, checked against the OpenAPI document at the end.
 */

/** One request and its response, as the contract check sees it. */
export interface Exchange {
    method: string;
    /** Path and query as sent (relative to the emulator's URL). */
    path: string;
    status: number;
    /** Response headers, lower-case names. */
    headers: Record<string, string>;
    /** Raw response body. */
    text: string;
    offContract?: boolean;
}

const exchanges: Exchange[] = [];

/** Every exchange recorded so far in this process. */
export function recordedExchanges(): readonly Exchange[] {
    return exchanges;
}

/** `fetch` that records the exchange for the contract check; returns the response and its body text. */
export async function recordedFetch(baseUrl: string, method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}, offContract = false): Promise<{ res: Response; text: string }> {
    const res = await fetch(baseUrl + path, { method, headers: init.headers, body: init.body });
    const text = await res.text();
    exchanges.push({ method, path, status: res.status, headers: Object.fromEntries(res.headers), text, offContract });
    return { res, text };
}

/** Drop-in `fetch` for tests that build requests by hand: the exchange is recorded for the contract check. */
export async function fetchRecorded(url: string, init: RequestInit = {}): Promise<Response> {
    const u = new URL(url);
    const headers = Object.fromEntries(new Headers(init.headers));
    const body = init.body instanceof URLSearchParams ? init.body.toString() : (init.body as string | undefined);
    const { res, text } = await recordedFetch(u.origin, init.method ?? "GET", u.pathname + u.search, { headers, body });
    // The body was consumed for the record; hand back an equivalent response.
    return new Response(text === "" ? null : text, { status: res.status, statusText: res.statusText, headers: res.headers });
}
