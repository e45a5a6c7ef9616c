/**
 * Throttling of the tenant API layer, decided before a request is handled (a throttled request has no effect): the
 * per-tenant API budget, and the limits that keep unauthenticated traffic (the token endpoint, requests without a
 * valid token) from spending that budget or the server's CPU.
 */

/**
 * Token buckets by key: `rate` tokens per second, bursts up to `burst` (default `rate`, at least 1). At most
 * `maxKeys` buckets are kept: a key whose bucket has refilled is the same as an absent one, so those are dropped first,
 * then the oldest, which keeps a flood of made-up keys (client ids, addresses) from growing the map without bound.
 */
export class Throttle {
    private readonly buckets = new Map<string, { tokens: number; at: number }>();

    constructor(public rate: number, private readonly burst?: number, private readonly maxKeys = 10_000) {}

    private capacity(): number {
        return Math.max(1, this.burst ?? this.rate);
    }

    private refill(key: string, now: number): { tokens: number; at: number } {
        const cap = this.capacity();
        const b = this.buckets.get(key) ?? { tokens: cap, at: now };
        b.tokens = Math.min(cap, b.tokens + ((now - b.at) / 1000) * this.rate);
        b.at = now;
        return b;
    }

    private store(key: string, b: { tokens: number; at: number }, now: number): void {
        if (!this.buckets.has(key) && this.buckets.size >= this.maxKeys) this.prune(now);
        this.buckets.set(key, b);
    }

    private prune(now: number): void {
        const cap = this.capacity();
        for (const [k, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * this.rate >= cap) this.buckets.delete(k);
        for (const k of this.buckets.keys()) {
            if (this.buckets.size < this.maxKeys) break;
            this.buckets.delete(k);
        }
    }

    /** Takes one token; returns 0 when allowed, else the seconds to wait. */
    take(key: string, now = Date.now()): number {
        if (!(this.rate > 0)) return 0;
        const b = this.refill(key, now);
        this.store(key, b, now);
        if (b.tokens >= 1) {
            b.tokens -= 1;
            return 0;
        }
        return this.waitFor(b);
    }

    /** Like {@link take} but takes nothing: 0 when a token is available, else the seconds to wait. */
    peek(key: string, now = Date.now()): number {
        if (!(this.rate > 0)) return 0;
        const b = this.buckets.get(key);
        if (!b) return 0;
        const tokens = Math.min(this.capacity(), b.tokens + ((now - b.at) / 1000) * this.rate);
        return tokens >= 1 ? 0 : this.waitFor({ tokens });
    }

    private waitFor(b: { tokens: number }): number {
        return Math.max(1, Math.ceil((1 - b.tokens) / this.rate));
    }

    /** Buckets currently kept (tests). */
    get size(): number {
        return this.buckets.size;
    }
}

/**
 * Limits on requests that are not (yet) authenticated, each a budget per minute that refills evenly (a burst of the
 * whole minute's budget is allowed). 0 disables a limit.
 */
export interface AuthLimits {
    /** Token requests from one source address, successful or not. */
    tokenRequestsPerAddress: number;
    /** Failed token requests naming one client id, from any address. */
    tokenFailuresPerClient: number;
    /** Requests without a valid token (401, or 404 for an unknown path before authentication) from one source address. */
    unauthenticatedPerAddress: number;
}

/** Runs at most `concurrency` tasks at once, queueing at most `queueMax` more; {@link run} rejects with `full()` beyond. */
export class Limiter {
    private running = 0;
    private readonly queue: Array<() => void> = [];

    constructor(readonly concurrency: number, readonly queueMax: number, private readonly full: () => Error) {}

    /** Tasks running or queued (tests and stats). */
    get pending(): number {
        return this.running + this.queue.length;
    }

    /** Tasks running now. */
    get active(): number {
        return this.running;
    }

    async run<T>(task: () => Promise<T>): Promise<T> {
        if (this.running >= this.concurrency) {
            if (this.queue.length >= this.queueMax) throw this.full();
            await new Promise<void>((resolve) => this.queue.push(resolve));
        } else {
            this.running++;
        }
        try {
            return await task();
        } finally {
            const next = this.queue.shift();
            if (next) next();
            else this.running--;
        }
    }
}
