/**
 * The tenant API server layer shared by the emulator and the gateway. Request pipeline: request-id → (admin routes) |
 * preflight (the emulator's fault injection) → token endpoint | tenant prefix → authentication → throttling → the
 * route over the token's {@link TenantBackend}. Faults and throttling are decided before handling, so a refused
 * request has no effect. Each request runs inside an {@link AsyncLocalStorage} scope ({@link currentRequest}) so a
 * backend can note the commands it ran for the audit log.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { API_ROOTS, HEADERS, ROUTE_PATTERNS } from "../api/contract";
import type { TokenAuthority } from "./auth";
import type { BackendDirectory } from "./backend";
import { ApiError, Errors, OAuthError } from "./errors";
import { errorReply, RequestContext, send, type Reply } from "./http";
import { match, tenantRoutes, type Route } from "./routes";
import { Throttle } from "./throttle";

/** What one request did, for an audit log: filled in as the request runs, final when {@link ApiServerOptions.onDone} sees it. */
export interface RequestRecord {
    requestId: string;
    /** The client's network address as the socket saw it (no proxy headers are trusted); undefined once the socket is gone. */
    remoteAddress?: string;
    method: string;
    /** The matched route pattern (e.g. `/users/:identity`), or the raw path when none matched. */
    route: string;
    tenantId?: string;
    clientId?: string;
    /** Commands the backend ran for this request (the gateway's cmdlet lines), in order. */
    commands: string[];
    status?: number;
    /** Error code of a failed request. */
    error?: string;
    durationMs?: number;
}

const requestScope = new AsyncLocalStorage<RequestRecord>();

/**
 * The record of the request being handled: undefined outside a request (e.g. in a batch worker) and on a server
 * without {@link ApiServerOptions.onDone}, where nothing would read it.
 */
export function currentRequest(): RequestRecord | undefined {
    return requestScope.getStore();
}

/** Options of {@link ApiServer}. */
export interface ApiServerOptions {
    directory: BackendDirectory;
    auth: TokenAuthority;
    /** Access-token lifetime, seconds. */
    tokenTtlSeconds: number;
    /** Per-tenant request budget per second; 0 disables throttling. */
    rate: number;
    /** Unauthenticated routes under a reserved first segment (the emulator's `/_emulator`). */
    admin?: { root: string; routes: Route<unknown>[]; context: unknown };
    /** Runs before the token endpoint and tenant routes; a reply (or "reset": socket destroyed) short-circuits. */
    preflight?: (res: ServerResponse) => Promise<Reply | "reset" | undefined>;
    /** Called after every answered request (not for admin routes). */
    onDone?: (record: RequestRecord) => void;
}

const TOKEN_ROUTE = ROUTE_PATTERNS.token.split("/").filter(Boolean);

function decodeSegments(pathname: string): string[] {
    try {
        return pathname.split("/").filter(Boolean).map(decodeURIComponent);
    } catch {
        throw Errors.invalidParameter("path", "The URL path must be valid percent-encoded UTF-8.");
    }
}

/** The request listener and its in-flight tracking; mount {@link listener} on an http or https server. */
export class ApiServer {
    readonly throttle: Throttle;
    private readonly inFlight = new Set<Promise<void>>();

    constructor(private readonly opts: ApiServerOptions) {
        this.throttle = new Throttle(opts.rate);
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
            requestId: randomUUID(), remoteAddress: req.socket.remoteAddress, method: req.method ?? "GET", route: req.url?.split("?")[0] ?? "/", commands: [],
        };
        res.setHeader(HEADERS.requestId, record.requestId);
        let reply: Reply;
        let admin = false;
        try {
            const dispatch = () => this.dispatch(req, res, record, () => (admin = true));
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
        send(res, reply);
        record.status = reply.status;
        record.durationMs = Math.round((performance.now() - started) * 10) / 10;
        if (!admin) this.opts.onDone?.(record);
    }

    private async dispatch(req: IncomingMessage, res: ServerResponse, record: RequestRecord, markAdmin: () => void): Promise<Reply | "reset"> {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const ctx = new RequestContext(req, url);
        const method = req.method ?? "GET";
        let segments = decodeSegments(url.pathname);
        const admin = this.opts.admin;
        if (admin && segments[0]?.toLowerCase() === admin.root.toLowerCase()) {
            markAdmin();
            return this.run(ctx, admin.routes, method, segments, admin.context, Errors.resourceNotFound, record);
        }

        const early = await this.opts.preflight?.(res);
        if (early !== undefined) return early;

        if (segments.length === TOKEN_ROUTE.length && TOKEN_ROUTE.every((p, i) => p.startsWith(":") || p.toLowerCase() === segments[i].toLowerCase())) {
            record.route = ROUTE_PATTERNS.token;
            if (method !== "POST") throw Errors.notImplemented(`${method} on the token endpoint`);
            return this.token(ctx, segments[0], record);
        }

        let prefix: string | undefined;
        if (segments.length >= 2 && !API_ROOTS.has(segments[0].toLowerCase()) && API_ROOTS.has(segments[1].toLowerCase())) {
            prefix = segments[0];
            segments = segments.slice(1);
        }
        if (segments.length === 0 || !API_ROOTS.has(segments[0].toLowerCase())) throw Errors.resourceNotFound(url.pathname);

        const claims = this.opts.auth.verify(ctx.header("authorization"));
        record.clientId = claims.appid;
        record.tenantId = claims.tid;
        const tenant = this.opts.directory.tenant(claims.tid);
        if (!tenant) throw Errors.unauthorized(`The token's tenant "${claims.tid}" no longer exists.`);
        if (prefix !== undefined && prefix.toLowerCase() !== tenant.id.toLowerCase()) {
            throw Errors.forbidden(`The token was issued for tenant "${tenant.id}" and cannot be used on tenant "${prefix}".`);
        }
        this.opts.directory.countRequest?.(tenant.id);
        this.checkThrottle(tenant.id);
        return this.run(ctx, tenantRoutes, method, segments, tenant, (p) => Errors.notImplemented(`Route ${p}`), record);
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

    /** OAuth2 client-credentials grant. */
    private async token(ctx: RequestContext, tenantId: string, record: RequestRecord): Promise<Reply> {
        record.tenantId = tenantId;
        if (!this.opts.directory.tenant(tenantId)) throw new OAuthError(400, "invalid_request", `AADSTS90002: Tenant '${tenantId}' not found.`);
        if (ctx.mediaType() !== "application/x-www-form-urlencoded") {
            throw new OAuthError(400, "invalid_request", "The request body must be application/x-www-form-urlencoded.");
        }
        const form = new URLSearchParams((await ctx.rawBody()).toString("utf8"));
        this.checkThrottle(tenantId);
        if (form.get("grant_type") !== "client_credentials") {
            throw new OAuthError(400, "unsupported_grant_type", "Only grant_type=client_credentials is supported.");
        }
        const scope = form.get("scope");
        if (scope !== null && !scope.endsWith("/.default")) throw new OAuthError(400, "invalid_scope", "The scope must end in /.default.");
        const clientId = form.get("client_id") ?? "";
        record.clientId = clientId || undefined;
        const check = await this.opts.directory.authenticate(tenantId, clientId, form.get("client_secret") ?? "");
        if (!check.ok) {
            if (check.reason === "noTenant") throw new OAuthError(400, "invalid_request", `AADSTS90002: Tenant '${tenantId}' not found.`);
            throw new OAuthError(401, "invalid_client", "AADSTS7000215: Invalid client id or client secret.");
        }
        const token = this.opts.auth.issue(check.tenantId, clientId, this.opts.tokenTtlSeconds);
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
