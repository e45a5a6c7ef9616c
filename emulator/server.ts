/**
 * The emulator's HTTP server and its programmatic API: the shared tenant API layer (server/api.ts) over the
 * emulator's tenants (emulator/backend.ts), plus the `/_emulator` admin routes and fault injection, which is decided
 * before handling so a faulted request has no effect.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promises as fs } from "node:fs";
import { ApiServer, answerClientErrors } from "../server/api";
import { TokenAuthority } from "../server/auth";
import type { BackendDirectory, ClientCheck, TenantBackend } from "../server/backend";
import { Errors } from "../server/errors";
import { checkFaults, faultPreflight, NO_FAULTS, type FaultConfig } from "./faults";
import { execute, parseScriptOrFail, type PsResult } from "./powershell";
import type { Route } from "../server/router";
import { adminRoutes, type AdminContext } from "./routes";
import { openTenantStore } from "./sqliteStore";
import type { Tenant, TenantStats } from "./tenant";
import { checkSeed, defaultSeed, randomSecret, TenantRegistry, type SeedFile } from "./tenants";

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
    /** Data directory (created if missing): the tenants' SQLite database `emulator.sqlite` and the token signing key. */
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

/** The emulator's tenants behind the API layer: each tenant's service, apps checked in constant time. */
class EmulatorTenants implements BackendDirectory {
    constructor(private readonly registry: TenantRegistry) {}

    tenant(id: string): TenantBackend | undefined {
        return this.registry.get(id)?.service;
    }

    authenticate(tenantId: string, clientId: string, clientSecret: string): ClientCheck {
        const t = this.registry.get(tenantId);
        if (!t) return { ok: false, reason: "noTenant" };
        const app = t.state.apps.find((a) => a.clientId === clientId);
        if (!app || !sameSecret(app.clientSecret, clientSecret)) return { ok: false, reason: "badClient" };
        return { ok: true, tenantId: t.id };
    }

    countRequest(tenantId: string): void {
        const t = this.registry.get(tenantId);
        if (t) t.stats.requests++;
    }
}

const DEFAULT_TTL = 3600;
const DEFAULT_RATE = 1000;

function sameSecret(a: string, b: string): boolean {
    const x = createHash("sha256").update(a).digest();
    const y = createHash("sha256").update(b).digest();
    return timingSafeEqual(x, y);
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
    const store = openTenantStore(opts.dataDir);
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
    const admin: AdminContext = { registry, faults };
    const emulator = new ApiServer({
        directory: new EmulatorTenants(registry), auth, tokenTtlSeconds: opts.tokenTtlSeconds ?? DEFAULT_TTL, rate: opts.rate ?? DEFAULT_RATE,
        admin: { root: "_emulator", routes: adminRoutes as Route<unknown>[], context: admin },
        preflight: faultPreflight(faults),
    });
    const server: Server = createServer({ keepAliveTimeout: 5000 }, emulator.listener);
    // Requests Node cannot even parse never reach the listener; answer them in the same error shape, with a request-id.
    answerClientErrors(server);
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
            await emulator.closeServer(server);
            await registry.close();
        })()),
    };
}
