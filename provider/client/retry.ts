/**
 * Retry timing. Our rule (applied in `TenantClient.send`): an error is repeated when its `retryable` flag is set —
 * 429, 502, 503, 504 and network failures, never 500 (a server bug does not heal by asking again) — waiting for
 * `Retry-After` when the tenant sends one (it knows its own load), otherwise an exponential backoff with full jitter
 * (so many clients do not retry in step), for at most `maxAttempts` attempts.
 */

/** Tunables; the defaults suit a real tenant, tests shrink the delays. */
export interface RetryOptions {
    /** Attempts including the first. */
    readonly maxAttempts: number;
    /** First backoff ceiling in ms; doubles per attempt. */
    readonly baseDelayMs: number;
    /** Ceiling of any single backoff in ms. */
    readonly maxDelayMs: number;
    /** Longest `Retry-After` we obey; a larger value fails fast instead of stalling the deployment. */
    readonly maxRetryAfterMs: number;
    /** Random source in [0, 1), injectable for deterministic tests. */
    readonly random: () => number;
    /** Sleep, injectable so tests do not wait. */
    readonly sleep: (ms: number) => Promise<void>;
}

/** Defaults for a real tenant: 250 ms doubling, capped at 20 s, 8 attempts, Retry-After obeyed up to 2 minutes. */
export const DEFAULT_RETRY: RetryOptions = {
    maxAttempts: 8,
    baseDelayMs: 250,
    maxDelayMs: 20_000,
    maxRetryAfterMs: 120_000,
    random: Math.random,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};


/**
 * Parses `Retry-After` (delta-seconds or an HTTP date) into ms; undefined when absent or malformed.
 * `now` is injectable for tests.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
    if (value === undefined || value.trim() === "") return undefined;
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
    const date = Date.parse(text);
    return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Full-jitter backoff for retry number `retry` (0-based): uniform in [0, min(cap, base·2^retry)). */
export function backoffDelay(retry: number, opts: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs" | "random">): number {
    const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** retry);
    return Math.floor(opts.random() * ceiling);
}
