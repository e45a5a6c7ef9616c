/**
 * Retry rules, after octokit's plugin-retry: only 429, 502, 503, 504 and network errors are retried; `Retry-After` is
 * honoured; otherwise exponential backoff with full jitter, capped, for at most `maxAttempts` attempts.
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

/** Statuses worth repeating: throttling and gateway/availability errors. 500 is a bug, not a blip. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

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
