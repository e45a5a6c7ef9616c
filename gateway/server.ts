/**
 * The gateway: the shared tenant API layer (server/api.ts) over one Skype for Business Server deployment, reached
 * through a pool of Management Shell processes (gateway/shell.ts), with owners and batches in a SQLite side store,
 * registered clients from the configuration file, optional TLS, and an audit log.
 */
import { promises as fs, readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { ApiServer, answerClientErrors, type RequestRecord } from "../server/api";
import { TokenAuthority } from "../server/auth";
import type { BackendDirectory, ClientCheck, TenantBackend } from "../server/backend";
import type { Reply } from "../server/http";
import { AuditLog } from "./audit";
import { ShellBackend, type GatewayStats } from "./backend";
import { verifySecret, type GatewayConfig } from "./config";
import type { LineResult, ShellRunner } from "./protocol";
import { ShellPool } from "./shell";
import { SideStore } from "./sideStore";

/** Test and embedding hooks that are not part of the configuration file. */
export interface GatewayExtras {
    /** A shell runner to use instead of spawning `config.shell` (tests). */
    shell?: ShellRunner;
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
    /** The tenant's counters (requests, confirmed writes). */
    stats(): GatewayStats;
    /** Runs cmdlet lines in a pooled shell, as an administrator would (drift in tests, the self-test). */
    runShell(lines: string[], stopOnError?: boolean): Promise<LineResult[]>;
    /** Shell processes replaced since start. */
    shellReplacements(): number;
    /** Stops accepting requests, finishes in-flight ones and batch chunks, stops the shells, closes the store. */
    close(): Promise<void>;
}

class SingleTenant implements BackendDirectory {
    constructor(private readonly backend: ShellBackend, private readonly config: GatewayConfig) {}

    tenant(id: string): TenantBackend | undefined {
        return id.toLowerCase() === this.backend.id.toLowerCase() ? this.backend : undefined;
    }

    authenticate(tenantId: string, clientId: string, clientSecret: string): ClientCheck {
        if (!this.tenant(tenantId)) return { ok: false, reason: "noTenant" };
        const c = this.config.clients.find((x) => x.clientId === clientId);
        // Hash even for an unknown client so the answer takes as long either way.
        const ok = verifySecret(clientSecret, c?.secretHash ?? this.config.clients[0].secretHash) && c !== undefined;
        return ok ? { ok: true, tenantId: this.backend.id } : { ok: false, reason: "badClient" };
    }

    countRequest(): void {
        this.backend.stats.requests++;
    }
}

/** Starts a gateway from a validated configuration; resolves once the shells are ready and it listens. */
export async function startGateway(config: GatewayConfig, extras: GatewayExtras = {}): Promise<GatewayHandle> {
    await fs.mkdir(config.dataDir, { recursive: true });
    const log = extras.log ?? ((event, detail) => process.stderr.write(`gateway: ${event} ${JSON.stringify(detail)}\n`));
    let shell: ShellRunner;
    let pool: ShellPool | undefined;
    if (extras.shell) shell = extras.shell;
    else {
        pool = new ShellPool({
            shell: config.shell, size: config.shell.poolSize, commandTimeoutMs: config.shell.commandTimeoutSeconds * 1000, log,
        });
        await pool.start();
        shell = pool;
    }
    const store = SideStore.open(path.join(config.dataDir, "gateway.sqlite"));
    const backend = new ShellBackend(config.tenant, shell, store);
    const auth = await TokenAuthority.open(config.dataDir, "gateway-token-key");
    const audit = config.audit ? new AuditLog(config.audit) : undefined;
    const api = new ApiServer({
        directory: new SingleTenant(backend, config), auth, tokenTtlSeconds: config.tokenTtlSeconds, rate: config.rate,
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
    backend.resumeBatches();
    const port = (server.address() as AddressInfo).port;
    const host = config.listen.host.includes(":") ? `[${config.listen.host}]` : config.listen.host;
    let closing: Promise<void> | undefined;
    return {
        url: `${config.tls ? "https" : "http"}://${host}:${port}`,
        port,
        stats: () => ({ ...backend.stats }),
        runShell: (lines, stopOnError = false) => shell.run(lines, { stopOnError }),
        shellReplacements: () => pool?.replaced ?? 0,
        close: () => (closing ??= (async () => {
            const closed = new Promise<void>((r) => server.close(() => r()));
            server.closeIdleConnections();
            await api.drain();
            server.closeAllConnections();
            await closed;
            await backend.stop();
            await shell.close();
            store.close();
        })()),
    };
}
