/**
 * The gateway: the shared tenant API layer (server/api.ts) over one Skype for Business Server deployment, reached
 * through a pool of Management Shell processes (gateway/shell.ts), with owners and batches in a SQLite side store,
 * registered clients from the configuration file, optional TLS, and an audit log.
 */
import { createHash } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { ApiServer, answerClientErrors, type RequestRecord } from "../server/api";
import { TokenAuthority, type TokenClaims } from "../server/auth";
import type { BackendDirectory, ClientCheck, TenantBackend } from "../server/backend";
import { Errors } from "../server/errors";
import { Limiter } from "../server/throttle";
import type { Reply } from "../server/http";
import { AuditLog, type CommandAudit } from "./audit";
import { ShellTenant, type GatewayStats } from "./backend";
import { verifySecret, type GatewayConfig } from "./config";
import type { LineResult, ShellCommand } from "../api/powershell/protocol";
import type { ShellRunner } from "./shell";
import { ShellPool } from "./shell";
import { SideStore } from "./sideStore";

/** Test and embedding hooks that are not part of the configuration file. */
export interface GatewayExtras {
    /** Shell runners to use instead of spawning each tenant's `shell` (tests), by tenant id. */
    shells?: Record<string, ShellRunner>;
    /** Runs before each API request (tests inject faults here); a reply short-circuits. */
    preflight?: (res: ServerResponse) => Promise<Reply | "reset" | undefined>;
    /** Operational events (shell replaced, shell stderr). Default: stderr lines. */
    log?: (event: string, detail: Record<string, unknown>) => void;
}

/** A running gateway. */
export interface GatewayHandle {
    /** `http(s)://host:port` */
    url: string;
    port: number;
    /** A tenant's counters (requests, confirmed writes); default the first tenant. */
    stats(tenantId?: string): GatewayStats;
    /** Runs commands in a pooled shell of a tenant (default the first), as an administrator would (drift in tests, the self-test). */
    runShell(commands: ShellCommand[], stopOnError?: boolean, tenantId?: string): Promise<LineResult[]>;
    /** Shell processes replaced since start. */
    shellReplacements(): number;
    /**
     * Takes the `clients` of a re-read configuration: from now on, tokens of removed clients, of clients no longer
     * allowed a tenant and of clients whose secret changed are refused (`gateway serve` calls it on SIGHUP). The rest
     * of the configuration needs a restart.
     */
    reloadClients(clients: GatewayConfig["clients"]): void;
    /** Secret checks running or queued at the token endpoint. */
    pendingSecretChecks(): number;
    /** Secret checks running now (at most `limits.scryptConcurrency`). */
    runningSecretChecks(): number;
    /** Resolves when every pool is full again (no replacement still starting). */
    shellsReady(): Promise<void>;
    /** Stops accepting requests, finishes in-flight ones and batch chunks, stops the shells, closes the store. */
    close(): Promise<void>;
}

/**
 * The credential stamp a token carries: a digest of the client's stored secret hash, so replacing the hash (a new
 * secret) ends the tokens issued under the old one. The hash itself never leaves the configuration.
 */
function credentialStamp(secretHash: string): string {
    return createHash("sha256").update(`clientpolicy-gateway-credential\0${secretHash}`).digest("base64url").slice(0, 16);
}

class Tenants implements BackendDirectory {
    private clients: GatewayConfig["clients"];
    /** Secret checks (scrypt, ~60 ms of CPU each) at once; a bounded queue beyond, then 429. */
    readonly secretChecks: Limiter;

    constructor(private readonly backends: Map<string, ShellTenant>, private readonly config: GatewayConfig) {
        this.clients = config.clients;
        this.secretChecks = new Limiter(config.limits.scryptConcurrency, 64, () => Errors.throttled(1, "token requests in progress"));
    }

    reloadClients(clients: GatewayConfig["clients"]): void {
        this.clients = clients;
    }

    tenant(id: string): TenantBackend | undefined {
        return this.deployment(id)?.service;
    }

    /** The deployment behind a tenant id (case-insensitive), or undefined. */
    deployment(id: string): ShellTenant | undefined {
        return this.backends.get(id.toLowerCase());
    }

    async authenticate(tenantId: string, clientId: string, clientSecret: string): Promise<ClientCheck> {
        const backend = this.deployment(tenantId);
        if (!backend) return { ok: false, reason: "noTenant" };
        const c = this.clients.find((x) => x.clientId === clientId);
        // Hash even for an unknown client so the answer takes as long either way.
        const stored = c?.secretHash ?? this.clients[0].secretHash;
        const matches = await this.secretChecks.run(() => verifySecret(clientSecret, stored));
        const allowed = c !== undefined && (c.tenants === undefined || c.tenants.includes(backend.id.toLowerCase()));
        return matches && allowed ? { ok: true, tenantId: backend.id, cred: credentialStamp(c.secretHash) } : { ok: false, reason: "badClient" };
    }

    /** Every request: the token's client is still configured, still allowed the tenant, with the same secret, and the token lives no longer than the configured lifetime. */
    admit(claims: TokenClaims): string | undefined {
        const c = this.clients.find((x) => x.clientId === claims.appid);
        if (!c) return "The token's client is no longer registered with this gateway; request a new token with current credentials.";
        if (c.tenants !== undefined && !c.tenants.includes(claims.tid.toLowerCase())) return "The token's client may no longer use this tenant.";
        if (claims.cred !== credentialStamp(c.secretHash)) return "The token was issued under a client secret that has since been replaced; request a new token.";
        // One second of slack: issue() rounds the expiry up.
        if (claims.exp - Date.now() / 1000 > this.config.tokenTtlSeconds + 1) return "The token outlives this gateway's token lifetime; request a new one.";
        return undefined;
    }

    countRequest(tenantId: string): void {
        const b = this.deployment(tenantId);
        if (b) b.stats.requests++;
    }
}

/** Starts a gateway from a validated configuration; resolves once the shells are ready and it listens. */
export async function startGateway(config: GatewayConfig, extras: GatewayExtras = {}): Promise<GatewayHandle> {
    await fs.mkdir(config.dataDir, { recursive: true });
    // First, so an unusable signing key stops start-up before any shell is started.
    const auth = await TokenAuthority.open(config.dataDir, "gateway-token-key");
    const log = extras.log ?? ((event, detail) => process.stderr.write(`gateway: ${event} ${JSON.stringify(detail)}\n`));
    const shells = new Map<string, ShellRunner>();
    const pools: ShellPool[] = [];
    try {
        await Promise.all(config.tenants.map(async (t) => {
            const given = extras.shells?.[t.id];
            if (given) { shells.set(t.id.toLowerCase(), given); return; }
            const pool = new ShellPool({ shell: t.shell, size: t.shell.poolSize, commandTimeoutMs: t.shell.commandTimeoutSeconds * 1000, log });
            pools.push(pool);
            await pool.start();
            shells.set(t.id.toLowerCase(), pool);
        }));
    } catch (e) {
        await Promise.all(pools.map((p) => p.close()));
        throw e;
    }
    const store = SideStore.open(path.join(config.dataDir, "gateway.sqlite"));
    const audit = config.audit ? new AuditLog(config.audit) : undefined;
    const auditCommands = audit ? (entries: CommandAudit[]) => audit.writeCommands(entries) : undefined;
    const backends = new Map(config.tenants.map((t) => [t.id.toLowerCase(), new ShellTenant(t.id, shells.get(t.id.toLowerCase())!, store, auditCommands)]));
    const first = config.tenants[0].id.toLowerCase();
    const directory = new Tenants(backends, config);
    const backendOf = (tenantId = first): ShellTenant => {
        const b = directory.deployment(tenantId);
        if (!b) throw new Error(`the gateway does not serve tenant ${tenantId}`);
        return b;
    };
    const api = new ApiServer({
        directory, auth, tokenTtlSeconds: config.tokenTtlSeconds, rate: config.rate, authLimits: config.limits,
        preflight: extras.preflight, onDone: audit ? (r: RequestRecord) => audit.write(r) : undefined,
    });
    const server: Server = config.tls
        ? createHttpsServer({ cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key), keepAliveTimeout: 5000 }, api.listener)
        : createHttpServer({ keepAliveTimeout: 5000 }, api.listener);
    answerClientErrors(server);
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.listen.port, config.listen.host, () => resolve());
    });
    for (const b of backends.values()) b.service.batches.resume();
    const port = (server.address() as AddressInfo).port;
    const host = config.listen.host.includes(":") ? `[${config.listen.host}]` : config.listen.host;
    let closing: Promise<void> | undefined;
    return {
        url: `${config.tls ? "https" : "http"}://${host}:${port}`,
        port,
        stats: (tenantId) => ({ ...backendOf(tenantId).stats }),
        runShell: (commands, stopOnError = false, tenantId = first) => {
            backendOf(tenantId);
            return shells.get(tenantId.toLowerCase())!.run(commands, { stopOnError });
        },
        shellReplacements: () => pools.reduce((n, p) => n + p.replaced, 0),
        reloadClients: (clients) => directory.reloadClients(clients),
        pendingSecretChecks: () => directory.secretChecks.pending,
        runningSecretChecks: () => directory.secretChecks.active,
        shellsReady: async () => { await Promise.all(pools.map((p) => p.whenFull())); },
        close: () => (closing ??= (async () => {
            await api.closeServer(server);
            await Promise.all([...backends.values()].map((b) => b.service.batches.stop()));
            await Promise.all([...shells.values()].map((s) => s.close()));
            store.close();
        })()),
    };
}
