/**
 * The emulator's HTTP server and its programmatic API. Request pipeline:
 * request-id → (admin routes) | fault injection → token endpoint | tenant
 * prefix → authentication → throttling → handler. Faults and throttling are
 * decided before handling, so a failed request has no effect.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { promises as fs } from "node:fs";
import { API_ROOTS, HEADERS, ROUTE_PATTERNS } from "../api/contract";
import { TokenAuthority } from "./auth";
import { ApiError, Errors, OAuthError } from "./errors";
import { errorReply, RequestContext, send, type Reply } from "./http";
import { checkFaults, NO_FAULTS, pickFault, Throttle, type FaultConfig } from "./limits";
import { execute, parseScriptOrFail, type PsResult } from "./powershell";
import { adminRoutes, match, tenantRoutes, type AdminContext, type Route } from "./routes";
import { JsonFileStore } from "./store";
import type { Tenant, TenantStats } from "./tenant";
import { checkSeed, defaultSeed, randomSecret, TenantRegistry, type SeedFile } from "./tenants";

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
    /** Data directory (created if missing); one `tenant-<id>.json` per tenant. */
    dataDir: string;
    /** TCP port; 0 (default) picks a free one. The server binds 127.0.0.1 only. */
    port?: number;
    /** Seed (object or path to a JSON file). Without it the demo tenants are provisioned. */
    seed?: SeedFile | string;
    /** Secret of `demo-client` in the demo tenants; random when absent. */
    clientSecret?: string;
    /** Generated users `User 00001`… in contoso.example (demo tenants only). Default 5000. */
    users?: number;
    /** Access-token lifetime in seconds. Default 3600. */
    tokenTtlSeconds?: number;
    /** Per-tenant request budget per second (token bucket); 0 disables throttling. Default 1000. */
    rate?: number;
    /** Initial fault injection. */
    faults?: Partial<FaultConfig>;
}

/** The app credentials of a hosted tenant, as a client configures them. */
export interface TenantCredentials {
    tenantId: string;
    clientId: string;
    clientSecret: string;
}

/** Outcome of {@link EmulatorHandle.powershell}, as `POST /_emulator/{tenantId}/powershell` answers it. */
export interface PowerShellOutcome {
    succeeded: boolean;
    results: PsResult[];
}

/** A running emulator. */
export interface EmulatorHandle {
    /** `http://127.0.0.1:<port>`: the API base URL. */
    url: string;
    port: number;
    dataDir: string;
    /** Secret of `demo-client` in the demo tenants (undefined when seeded from a file). */
    clientSecret?: string;
    /** Live fault configuration (mutable, same object as `PUT /_emulator/faults`). */
    faults: FaultConfig;
    /** Hosted tenants. */
    registry: TenantRegistry;
    /** The first app registration of a tenant (default `contoso.example`); throws when the tenant or app is missing. */
    credentials(tenantId?: string): TenantCredentials;
    /** Authenticated requests and state-changing writes of a tenant since start (a copy). */
    stats(tenantId: string): TenantStats;
    /** Runs cmdlet lines against a tenant, as the PowerShell endpoint does; throws ApiError (ParseError, TenantNotFound). */
    powershell(tenantId: string, script: string): Promise<PowerShellOutcome>;
    /** Changes fault injection (partial); throws on a bad value. */
    setFaults(faults: Partial<FaultConfig>): void;
    /** Path of a tenant's JSON file. */
    tenantFile(tenantId: string): string;
    /** Stops accepting connections, finishes in-flight requests and saves, then resolves. */
    close(): Promise<void>;
}

const TOKEN_ROUTE = ROUTE_PATTERNS.token.split("/").filter(Boolean);
const DEFAULT_TTL = 3600;
const DEFAULT_RATE = 1000;

function decodeSegments(pathname: string): string[] {
    try {
        return pathname.split("/").filter(Boolean).map(decodeURIComponent);
    } catch {
        throw Errors.invalidParameter("path", "The URL path must be valid percent-encoded UTF-8.");
    }
}

class Emulator {
    readonly faults: FaultConfig;
    readonly throttle: Throttle;
    private readonly inFlight = new Set<Promise<void>>();

    constructor(readonly registry: TenantRegistry, readonly auth: TokenAuthority, readonly ttl: number, rate: number, faults: FaultConfig) {
        this.faults = faults;
        this.throttle = new Throttle(rate);
    }

    /** Node request listener: tracks the request so shutdown can wait for it. */
    listener = (req: IncomingMessage, res: ServerResponse): void => {
        const p = this.handle(req, res).finally(() => this.inFlight.delete(p));
        this.inFlight.add(p);
    };

    async drain(): Promise<void> {
        while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    }

    private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        res.setHeader(HEADERS.requestId, randomUUID());
        let reply: Reply;
        try {
            const r = await this.dispatch(req, res);
            if (r === "reset") return;
            reply = r;
        } catch (e) {
            reply = errorReply(e);
        }
        // A handler may fail before reading the body; drain it so keep-alive connections stay usable.
        req.resume();
        send(res, reply);
    }

    private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<Reply | "reset"> {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const ctx = new RequestContext(req, url);
        const method = req.method ?? "GET";
        let segments = decodeSegments(url.pathname);

        if (segments[0]?.toLowerCase() === "_emulator") {
            const admin: AdminContext = { registry: this.registry, faults: this.faults };
            return this.run(ctx, adminRoutes, method, segments, admin, Errors.resourceNotFound);
        }

        if (this.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
        switch (pickFault(this.faults)) {
            case "429": return errorReply(Errors.throttled(1));
            case "500": return errorReply(Errors.internal("Injected fault."));
            case "503": return errorReply(Errors.serviceUnavailable());
            case "reset":
                res.socket?.destroy();
                return "reset";
        }

        if (segments.length === TOKEN_ROUTE.length && TOKEN_ROUTE.every((p, i) => p.startsWith(":") || p.toLowerCase() === segments[i].toLowerCase())) {
            if (method !== "POST") throw Errors.notImplemented(`${method} on the token endpoint`);
            return this.token(ctx, segments[0]);
        }

        let prefix: string | undefined;
        if (segments.length >= 2 && !API_ROOTS.has(segments[0].toLowerCase()) && API_ROOTS.has(segments[1].toLowerCase())) {
            prefix = segments[0];
            segments = segments.slice(1);
        }
        if (segments.length === 0 || !API_ROOTS.has(segments[0].toLowerCase())) throw Errors.resourceNotFound(url.pathname);

        const claims = this.auth.verify(ctx.header("authorization"));
        const tenant = this.registry.get(claims.tid);
        if (!tenant) throw Errors.unauthorized(`The token's tenant "${claims.tid}" no longer exists.`);
        if (prefix !== undefined && prefix.toLowerCase() !== tenant.id.toLowerCase()) {
            throw Errors.forbidden(`The token was issued for tenant "${tenant.id}" and cannot be used on tenant "${prefix}".`);
        }
        tenant.stats.requests++;
        this.checkThrottle(tenant);
        return this.run(ctx, tenantRoutes, method, segments, tenant, (p) => Errors.notImplemented(`Route ${p}`));
    }

    private checkThrottle(tenant: Tenant): void {
        const wait = this.throttle.take(tenant.id.toLowerCase());
        if (wait > 0) throw Errors.throttled(wait);
    }

    /**
     * Runs the matching route. Unknown paths answer `unknown(path)`; a known
     * path with another method is unimplemented rather than absent.
     */
    private async run<C>(ctx: RequestContext, routes: Route<C>[], method: string, segments: string[], extra: C, unknown: (path: string) => ApiError): Promise<Reply> {
        const found = match(routes, method, segments);
        const path = "/" + segments.join("/");
        if (found === undefined) throw unknown(path);
        if (found === "wrongMethod") throw Errors.notImplemented(`${method} ${path}`);
        ctx.params = found.params;
        return found.route.handle(ctx, extra);
    }

    /** OAuth2 client-credentials grant. */
    private async token(ctx: RequestContext, tenantId: string): Promise<Reply> {
        const tenant = this.registry.get(tenantId);
        if (!tenant) throw new OAuthError(400, "invalid_request", `AADSTS90002: Tenant '${tenantId}' not found.`);
        if (ctx.mediaType() !== "application/x-www-form-urlencoded") {
            throw new OAuthError(400, "invalid_request", "The request body must be application/x-www-form-urlencoded.");
        }
        const form = new URLSearchParams((await ctx.rawBody()).toString("utf8"));
        this.checkThrottle(tenant);
        if (form.get("grant_type") !== "client_credentials") {
            throw new OAuthError(400, "unsupported_grant_type", "Only grant_type=client_credentials is supported.");
        }
        const scope = form.get("scope");
        if (scope !== null && !scope.endsWith("/.default")) throw new OAuthError(400, "invalid_scope", "The scope must end in /.default.");
        const app = tenant.state.apps.find((a) => a.clientId === form.get("client_id"));
        if (!app || app.clientSecret !== form.get("client_secret")) {
            throw new OAuthError(401, "invalid_client", "AADSTS7000215: Invalid client id or client secret.");
        }
        const token = this.auth.issue(tenant.id, app.clientId, this.ttl);
        return { status: 200, body: { access_token: token, token_type: "Bearer", expires_in: this.ttl }, headers: { "Cache-Control": "no-store" } };
    }
}

async function loadSeed(seed: SeedFile | string): Promise<SeedFile> {
    if (typeof seed !== "string") return checkSeed(seed);
    return checkSeed(JSON.parse(await fs.readFile(seed, "utf8")));
}

function tenantOf(registry: TenantRegistry, tenantId: string): Tenant {
    const tenant = registry.get(tenantId);
    if (!tenant) throw Errors.tenantNotFound(tenantId);
    return tenant;
}

/** Starts an emulator; resolves once it listens. */
export async function startEmulator(opts: EmulatorOptions): Promise<EmulatorHandle> {
    const store = new JsonFileStore(opts.dataDir);
    const registry = new TenantRegistry(store);
    await registry.load();
    const auth = await TokenAuthority.open(opts.dataDir);
    let clientSecret: string | undefined;
    if (opts.seed !== undefined) {
        await registry.ensure(await loadSeed(opts.seed));
    } else {
        const fresh = !registry.get("contoso.example");
        await registry.ensure(defaultSeed(opts.clientSecret ?? randomSecret(), opts.users ?? 5000));
        if (opts.clientSecret !== undefined && !fresh) {
            for (const t of registry.all()) await registry.setSecret(t.id, "demo-client", opts.clientSecret);
        }
        clientSecret = registry.get("contoso.example")?.state.apps.find((a) => a.clientId === "demo-client")?.clientSecret;
    }
    const faults: FaultConfig = { ...NO_FAULTS, ...opts.faults };
    const emulator = new Emulator(registry, auth, opts.tokenTtlSeconds ?? DEFAULT_TTL, opts.rate ?? DEFAULT_RATE, faults);
    const server: Server = createServer({ keepAliveTimeout: 5000 }, emulator.listener);
    // Requests Node cannot even parse never reach the listener; answer them in the same error shape, with a request-id.
    server.on("clientError", (err: Error, socket) => {
        if (!socket.writable) return;
        const body = JSON.stringify(Errors.invalidRequestContent(`Malformed HTTP request: ${err.message}`).toBody());
        socket.end(`HTTP/1.1 400 Bad Request\r\nrequest-id: ${randomUUID()}\r\nContent-Type: application/json; charset=utf-8\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    let closing: Promise<void> | undefined;
    return {
        url: `http://127.0.0.1:${port}`,
        port,
        dataDir: opts.dataDir,
        clientSecret,
        faults,
        registry,
        credentials: (tenantId = "contoso.example") => {
            const app = tenantOf(registry, tenantId).state.apps[0];
            if (!app) throw new Error(`tenant ${tenantId} has no app registration`);
            return { tenantId, clientId: app.clientId, clientSecret: app.clientSecret };
        },
        stats: (tenantId) => ({ ...tenantOf(registry, tenantId).stats }),
        powershell: async (tenantId, script) => {
            const results = await execute(tenantOf(registry, tenantId), parseScriptOrFail(script));
            return { succeeded: results.every((r) => r.status === "Succeeded"), results };
        },
        setFaults: (partial) => {
            const checked = checkFaults(partial);
            if ("error" in checked) throw new Error(`${checked.target} ${checked.error}`);
            Object.assign(faults, checked.ok);
        },
        tenantFile: (id) => store.locate(id),
        close: () => (closing ??= (async () => {
            const closed = new Promise<void>((r) => server.close(() => r()));
            server.closeIdleConnections();
            await emulator.drain();
            server.closeAllConnections();
            await closed;
            await registry.close();
        })()),
    };
}
