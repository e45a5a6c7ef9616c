/**
 * Routing for the tenant API (served by the emulator and the gateway, server/api.ts) and the emulator's admin surface:
 * a route is a method, a path pattern and a handler; {@link match} finds a request's route in a table.
 */
import type { Reply, RequestContext } from "./http";

/** A route: literal segments match case-insensitively, `:name` captures one decoded segment. */
export interface Route<C> {
    method: string;
    /** The pattern as written, e.g. `/users/:identity` (a contract `ROUTE_PATTERNS` entry for tenant routes). */
    path: string;
    pattern: string[];
    handle: (ctx: RequestContext, extra: C) => Promise<Reply>;
}

/** Builds a route. */
export function route<C>(method: string, path: string, handle: Route<C>["handle"]): Route<C> {
    return { method, path, pattern: path.split("/").filter(Boolean), handle };
}

/** Finds the route for a path: `found` when method and path match, `wrongMethod` when only the path does. */
export function match<C>(routes: Route<C>[], method: string, segments: string[]): { route: Route<C>; params: Record<string, string> } | "wrongMethod" | undefined {
    let pathMatched = false;
    for (const r of routes) {
        if (r.pattern.length !== segments.length) continue;
        const params: Record<string, string> = {};
        const ok = r.pattern.every((p, i) => (p.startsWith(":") ? ((params[p.slice(1)] = segments[i]), true) : p.toLowerCase() === segments[i].toLowerCase()));
        if (!ok) continue;
        if (r.method === method) return { route: r, params };
        pathMatched = true;
    }
    return pathMatched ? "wrongMethod" : undefined;
}
