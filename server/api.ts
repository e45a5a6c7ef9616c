/**
 * The tenant API server layer shared by the emulator and the gateway. Request pipeline: request-id → (admin routes) |
 * preflight (the emulator's fault injection) → token endpoint | tenant prefix → authentication → throttling → the
 * route over the token's {@link TenantBackend}. Faults and throttling are decided before handling, so a refused
 * request has no effect. Each request runs inside an {@link AsyncLocalStorage} scope ({@link currentRequest}) so a
 * backend can note the commands it ran for the audit log.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { API_ROOTS, HEADERS, MAX_BODY_BYTES, ROUTE_PATTERNS } from "../api/contract";
import type { TokenAuthority, TokenClaims } from "./auth";
import type { BackendDirectory } from "./backend";
import { ApiError, Errors, OAuthError } from "./errors";
import { errorReply, RequestContext, send, type Reply } from "./http";
import { requestScope, type RequestRecord } from "./requestScope";
import { match, type Route } from "./router";
import { tenantRoutes } from "./routes";
import { Throttle, type AuthLimits } from "./throttle";

export { currentRequest, type RequestRecord } from "./requestScope";

/**
 * Longest text a record takes from the request itself (raw path, client id, tenant id), in UTF-16 code units; the
 * rest is cut and its length noted, so one request cannot write an arbitrarily long audit line.
 */
export const RECORD_FIELD_MAX = 256;

/** `text` cut to {@link RECORD_FIELD_MAX}, with a marker saying how much was cut. */
export function boundedField(text: string): string {
    return text.length <= RECORD_FIELD_MAX ? text : `${text.slice(0, RECORD_FIELD_MAX)}…[+${text.length - RECORD_FIELD_MAX} chars]`;
}

/** Options of {@link ApiServer}. */
export interface ApiServerOptions {
    directory: BackendDirectory;
    auth: TokenAuthority;
    /** Access-token lifetime, seconds. */
    tokenTtlSeconds: number;
    /** Per-tenant request budget per second; 0 disables throttling. Only authenticated API requests spend it. */
    rate: number;
    /** Limits on unauthenticated traffic (per minute; see {@link AuthLimits}); absent: none (the emulator). */
    authLimits?: AuthLimits;
    /** Unauthenticated routes under a reserved first segment (the emulator's `/_emulator`). */
    admin?: { root: string; routes: Route<unknown>[]; context: unknown };
    /** Runs before the token endpoint and tenant routes; a reply (or "reset": socket destroyed) short-circuits. */
    preflight?: (res: ServerResponse) => Promise<Reply | "reset" | undefined>;
    /** Called after every answered request (not for admin routes). */
    onDone?: (record: RequestRecord) => void;
}

/** What {@link ApiServer.dispatch} found out about a request, for accounting after it is answered. */
interface DispatchState {
    /** An admin route (never audited or throttled). */
    admin: boolean;
    /** The token endpoint (its own limits). */
    tokenRoute: boolean;
    /** The request carried an admitted token for an existing tenant. */
    authenticated: boolean;
    /** Refused by a limit on unauthenticated traffic (audited by sampling: see {@link RequestRecord.suppressed}). */
    refused: boolean;
}

const TOKEN_ROUTE = ROUTE_PATTERNS.token.split("/").filter(Boolean);

function decodeSegments(pathname: string): string[] {
    try {
        return pathname.split("/").filter(Boolean).map(decodeURIComponent);
    } catch {
        throw Errors.invalidParameter("path", "The URL path must be valid percent-encoded UTF-8.");
    }
}

/** How much of an oversized body is read (and discarded) before the 413 is sent; beyond it the answer goes at once. */
const MAX_DRAIN_BYTES = 2 * MAX_BODY_BYTES;

/**
 * Resolves once `req`'s body has ended (or failed, or the connection closed), or once more than `limit` bytes of it
 * have arrived after this call. The body must already be flowing (`req.resume()`).
 */
function drained(req: IncomingMessage, limit: number): Promise<void> {
    return new Promise((resolve) => {
        let seen = 0;
        const done = () => {
            req.off("data", count);
            req.off("end", done);
            req.off("error", done);
            req.off("close", done);
            resolve();
        };
        const count = (c: Buffer) => { if ((seen += c.length) > limit) done(); };
        req.on("data", count);
        req.on("end", done);
        req.on("error", done);
        req.on("close", done);
    });
}

/** The request listener and its in-flight tracking; mount {@link listener} on an http or https server. */
export class ApiServer {
    readonly throttle: Throttle;
    private readonly tokenByAddress?: Throttle;
    private readonly tokenFailuresByClient?: Throttle;
    private readonly anonymousByAddress?: Throttle;
    /** Refusals not recorded one by one, by address (see {@link RequestRecord.suppressed}). */
    private readonly suppressed = new Map<string, number>();
    private readonly inFlight = new Set<Promise<void>>();

    constructor(private readonly opts: ApiServerOptions) {
        this.throttle = new Throttle(opts.rate);
        const perMinute = (n: number) => (n > 0 ? new Throttle(n / 60, n) : undefined);
        if (opts.authLimits) {
            this.tokenByAddress = perMinute(opts.authLimits.tokenRequestsPerAddress);
            this.tokenFailuresByClient = perMinute(opts.authLimits.tokenFailuresPerClient);
            this.anonymousByAddress = perMinute(opts.authLimits.unauthenticatedPerAddress);
        }
    }

    /** Node request listener: tracks the request so shutdown can wait for it. */
    listener = (req: IncomingMessage, res: ServerResponse): void => {
        const p = this.handle(req, res).finally(() => this.inFlight.delete(p));
        this.inFlight.add(p);
    };

    /** Resolves when no request is in flight. */
    async drain(): Promise<void> {
        while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    }

    /**
     * Stops `server` (the HTTP server this API's listener serves) gracefully: no new connections, idle keep-alive
     * connections closed at once, requests in flight answered, then every remaining connection closed. Resolves when
     * the server has closed. The backends are the caller's to stop afterwards.
     */
    async closeServer(server: Server): Promise<void> {
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections();
        await this.drain();
        server.closeAllConnections();
        await closed;
    }

    private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const started = performance.now();
        const record: RequestRecord = {
            requestId: randomUUID(), remoteAddress: req.socket.remoteAddress, method: req.method ?? "GET",
            route: boundedField(req.url?.split("?")[0] ?? "/"), commands: [],
        };
        res.setHeader(HEADERS.requestId, record.requestId);
        let reply: Reply;
        const state: DispatchState = { admin: false, tokenRoute: false, authenticated: false, refused: false };
        try {
            const dispatch = () => this.dispatch(req, res, record, state);
            // The scope costs a promise hook on every promise in the process; only a server with onDone reads records.
            const r = await (this.opts.onDone ? requestScope.run(record, dispatch) : dispatch());
            if (r === "reset") return;
            reply = r;
        } catch (e) {
            reply = errorReply(e);
            if (e instanceof ApiError) record.error = e.code;
            else if (e instanceof OAuthError) record.error = e.error;
            else record.error = "InternalServerError";
        }
        // A handler may fail before reading the body; drain it so keep-alive connections stay usable.
        req.resume();
        // An oversized body is refused after it has arrived (up to a bound): answering while the client still sends,
        // then closing, makes clients that write before they read (Node's http, many SDKs) fail with EPIPE and never
        // see the 413.
        if (reply.status === 413 && !req.complete) await drained(req, MAX_DRAIN_BYTES);
        send(res, reply);
        record.status = reply.status;
        record.durationMs = Math.round((performance.now() - started) * 10) / 10;
        if (state.admin) return;
        const address = record.remoteAddress ?? "";
        if (reply.status >= 400 && !state.authenticated && !state.tokenRoute && !state.refused) this.anonymousByAddress?.take(address);
        if (!this.opts.onDone) return;
        const earlier = this.suppressed.get(address);
        if (state.refused) {
            // The first refusal of a run is recorded; the rest are counted onto the address's next record.
            if (earlier !== undefined) {
                this.suppressed.set(address, earlier + 1);
                return;
            }
            if (this.suppressed.size >= 10_000) this.suppressed.clear();
            this.suppressed.set(address, 0);
        } else if (earlier !== undefined) {
            this.suppressed.delete(address);
            if (earlier > 0) record.suppressed = earlier;
        }
        this.opts.onDone(record);
    }

    private async dispatch(req: IncomingMessage, res: ServerResponse, record: RequestRecord, state: DispatchState): Promise<Reply | "reset"> {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const ctx = new RequestContext(req, url);
        const method = req.method ?? "GET";
        let segments = decodeSegments(url.pathname);
        const admin = this.opts.admin;
        if (admin && segments[0]?.toLowerCase() === admin.root.toLowerCase()) {
            state.admin = true;
            return this.run(ctx, admin.routes, method, segments, admin.context, Errors.resourceNotFound, record);
        }

        const early = await this.opts.preflight?.(res);
        if (early !== undefined) return early;

        if (segments.length === TOKEN_ROUTE.length && TOKEN_ROUTE.every((p, i) => p.startsWith(":") || p.toLowerCase() === segments[i].toLowerCase())) {
            record.route = ROUTE_PATTERNS.token;
            state.tokenRoute = true;
            const wait = this.tokenByAddress?.take(record.remoteAddress ?? "") ?? 0;
            if (wait > 0) {
                state.refused = true;
                throw Errors.throttled(wait, "token requests from this address");
            }
            if (method !== "POST") throw Errors.notImplemented(`${method} on the token endpoint`);
            return this.token(ctx, segments[0], record, state);
        }

        // An address whose unauthenticated budget is spent gets 429 for anything that does not carry a good token,
        // before the request is looked at further.
        const anonymousWait = this.anonymousByAddress?.peek(record.remoteAddress ?? "") ?? 0;
        if (anonymousWait > 0 && !this.admits(ctx)) {
            state.refused = true;
            throw Errors.throttled(anonymousWait, "unauthenticated requests from this address");
        }

        let prefix: string | undefined;
        if (segments.length >= 2 && !API_ROOTS.has(segments[0].toLowerCase()) && API_ROOTS.has(segments[1].toLowerCase())) {
            prefix = segments[0];
            segments = segments.slice(1);
        }
        if (segments.length === 0 || !API_ROOTS.has(segments[0].toLowerCase())) throw Errors.resourceNotFound(url.pathname);

        const claims = this.authenticate(ctx);
        record.clientId = claims.appid;
        record.tenantId = claims.tid;
        const tenant = this.opts.directory.tenant(claims.tid);
        if (!tenant) throw Errors.unauthorized(`The token's tenant "${claims.tid}" no longer exists.`);
        state.authenticated = true;
        if (prefix !== undefined && prefix.toLowerCase() !== tenant.id.toLowerCase()) {
            throw Errors.forbidden(`The token was issued for tenant "${tenant.id}" and cannot be used on tenant "${prefix}".`);
        }
        this.opts.directory.countRequest?.(tenant.id);
        this.checkThrottle(tenant.id);
        return this.run(ctx, tenantRoutes, method, segments, tenant, (p) => Errors.notImplemented(`Route ${p}`), record);
    }

    /**
     * The claims of the request's bearer token: signed by this server, unexpired (both checked by the token authority,
     * which caches signatures) and admitted by the directory now (checked on every request, so a client removed from
     * the configuration is refused at once, whatever the cache holds).
     */
    private authenticate(ctx: RequestContext): TokenClaims {
        const claims = this.opts.auth.verify(ctx.header("authorization"));
        const refused = this.opts.directory.admit?.(claims);
        if (refused !== undefined) throw Errors.unauthorized(refused);
        return claims;
    }

    private admits(ctx: RequestContext): boolean {
        try {
            this.authenticate(ctx);
            return true;
        } catch {
            return false;
        }
    }

    private checkThrottle(tenantId: string): void {
        const wait = this.throttle.take(tenantId.toLowerCase());
        if (wait > 0) throw Errors.throttled(wait);
    }

    /**
     * Runs the matching route. Unknown paths answer `unknown(path)`; a known path with another method is
     * unimplemented rather than absent.
     */
    private async run<C>(ctx: RequestContext, routes: Route<C>[], method: string, segments: string[], extra: C, unknown: (path: string) => ApiError, record: RequestRecord): Promise<Reply> {
        const found = match(routes, method, segments);
        const path = "/" + segments.join("/");
        if (found === undefined) throw unknown(path);
        if (found === "wrongMethod") throw Errors.notImplemented(`${method} ${path}`);
        record.route = found.route.path;
        ctx.params = found.params;
        return found.route.handle(ctx, extra);
    }

    /**
     * OAuth2 client-credentials grant. Its limits are its own (per source address, and failures per client id), never
     * the tenant's API budget: a flood of bad secrets must not throttle the tenant's real work.
     */
    private async token(ctx: RequestContext, tenantId: string, record: RequestRecord, state: DispatchState): Promise<Reply> {
        record.tenantId = boundedField(tenantId);
        if (!this.opts.directory.tenant(tenantId)) throw new OAuthError(400, "invalid_request", `AADSTS90002: Tenant '${tenantId}' not found.`);
        if (ctx.mediaType() !== "application/x-www-form-urlencoded") {
            throw new OAuthError(400, "invalid_request", "The request body must be application/x-www-form-urlencoded.");
        }
        const form = new URLSearchParams((await ctx.rawBody()).toString("utf8"));
        if (form.get("grant_type") !== "client_credentials") {
            throw new OAuthError(400, "unsupported_grant_type", "Only grant_type=client_credentials is supported.");
        }
        const scope = form.get("scope");
        if (scope !== null && !scope.endsWith("/.default")) throw new OAuthError(400, "invalid_scope", "The scope must end in /.default.");
        const clientId = form.get("client_id") ?? "";
        record.clientId = clientId ? boundedField(clientId) : undefined;
        const clientKey = clientId.slice(0, RECORD_FIELD_MAX);
        const wait = this.tokenFailuresByClient?.peek(clientKey) ?? 0;
        if (wait > 0) {
            state.refused = true;
            throw Errors.throttled(wait, "failed token requests for this client id");
        }
        const check = await this.opts.directory.authenticate(tenantId, clientId, form.get("client_secret") ?? "");
        if (!check.ok) {
            if (check.reason === "noTenant") throw new OAuthError(400, "invalid_request", `AADSTS90002: Tenant '${tenantId}' not found.`);
            this.tokenFailuresByClient?.take(clientKey);
            throw new OAuthError(401, "invalid_client", "AADSTS7000215: Invalid client id or client secret.");
        }
        const token = this.opts.auth.issue(check.tenantId, clientId, this.opts.tokenTtlSeconds, check.cred);
        return { status: 200, body: { access_token: token, token_type: "Bearer", expires_in: this.opts.tokenTtlSeconds }, headers: { "Cache-Control": "no-store" } };
    }
}

/** Answers requests Node cannot parse in the API's error shape, with a request-id (install on every server). */
export function answerClientErrors(server: Server): void {
    server.on("clientError", (err: Error, socket) => {
        if (!socket.writable) return;
        const body = JSON.stringify(Errors.invalidRequestContent(`Malformed HTTP request: ${err.message}`).toBody());
        socket.end(`HTTP/1.1 400 Bad Request\r\nrequest-id: ${randomUUID()}\r\nContent-Type: application/json; charset=utf-8\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
}
