/** Per-tenant throttling of the tenant API layer, decided before a request is handled (a throttled request has no effect). */

/** Token bucket per tenant: `rate` tokens per second, bursts up to `rate`. */
export class Throttle {
    private readonly buckets = new Map<string, { tokens: number; at: number }>();

    constructor(public rate: number) {}

    /** Takes one token; returns 0 when allowed, else the seconds to wait. */
    take(tenantKey: string, now = Date.now()): number {
        if (!(this.rate > 0)) return 0;
        const burst = Math.max(1, this.rate);
        const b = this.buckets.get(tenantKey) ?? { tokens: burst, at: now };
        b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * this.rate);
        b.at = now;
        this.buckets.set(tenantKey, b);
        if (b.tokens >= 1) {
            b.tokens -= 1;
            return 0;
        }
        return Math.max(1, Math.ceil((1 - b.tokens) / this.rate));
    }
}
