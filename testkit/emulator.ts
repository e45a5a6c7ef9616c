/**
 * Test helper: starts a tenant emulator on a free port with its own temp data
 * directory, in-process through the emulator's public start API (default, fast)
 * or as a child process running `emulator/main.ts` (for crash tests and the CLI contract).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { FAULT_CLI_FLAGS, startEmulator, type EmulatorHandle, type FaultConfig, type SeedFile } from "../emulator";
import { readStoredTenants, SqliteStore } from "../emulator/sqliteStore";
import type { TenantState } from "../emulator/store";
import { Routes } from "../api/contract";
import { recordedFetch } from "./recorder";

/** Repository root (this file is testkit/emulator.ts). */
export const REPO_ROOT = path.resolve(__dirname, "..");
/** Client secret of `demo-client` in the emulators this helper starts. */
export const TEST_CLIENT_SECRET = "test-secret-0123456789";

/** A running emulator seen from one tenant (default `contoso.example`). */
export interface TestTenant {
    /** `http://127.0.0.1:<port>` */
    url: string;
    tenantId: string;
    clientId: string;
    clientSecret: string;
    dataDir: string;
    /** The file holding the tenant's data in `dataDir` (the emulator's SQLite database). */
    tenantFile: string;
    /**
     * The tenant's state as stored on disk (read through a connection of its own, not over HTTP); undefined when the
     * tenant is not stored.
     */
    stored(tenantId?: string): TenantState | undefined;
    /** A fresh access token for `tenantId`. */
    token(): Promise<string>;
    /** A fresh access token for another demo tenant (same client id and secret). */
    tokenFor(tenantId: string): Promise<string>;
    /** Runs cmdlet lines through `POST /_emulator/{tenantId}/powershell`; throws on a non-200 answer. */
    powershell(script: string, tenantId?: string): Promise<any>;
    /** Request and write counters of the tenant (or of `tenantId`). */
    stats(tenantId?: string): Promise<{ requests: number; writes: number }>;
    /** Changes fault injection at run time (`PUT /_emulator/faults`). */
    setFaults(faults: Partial<FaultConfig>): Promise<void>;
    /** The child process (child-process mode only). */
    child?: ChildProcess;
    /** In-process handle (in-process mode only). */
    handle?: EmulatorHandle;
    /** Stops the emulator; removes the data directory unless `keepData` was set. */
    stop(): Promise<void>;
}

/** Options of {@link startTestEmulator}. */
export interface TestEmulatorOptions {
    /** Generated users in contoso.example. Default 50 (keep tests fast). */
    users?: number;
    tokenTtlSeconds?: number;
    faults?: Partial<FaultConfig>;
    /** Requests per second per tenant; default 0 = no throttling. */
    rate?: number;
    /** Default true; false spawns `emulator/main.ts` as a child process. */
    inProcess?: boolean;
    /** Reuse this data directory (e.g. to restart on the same state); default a new temp dir. */
    dataDir?: string;
    /** Keep the data directory on stop (default: keep only when `dataDir` was given). */
    keepData?: boolean;
    /** Seed file path or object instead of the demo tenants (format: README.md "The tenant emulator"). */
    seed?: string | SeedFile;
    /** Tenant the helper's token()/powershell()/stats() act on. Default contoso.example. */
    tenantId?: string;
    clientSecret?: string;
}

/** The CLI flags equivalent to `opts` (child-process mode). */
export function cliArgs(opts: TestEmulatorOptions, dataDir: string, seedPath?: string): string[] {
    const args = ["--port", "0", "--data", dataDir, "--client-secret", opts.clientSecret ?? TEST_CLIENT_SECRET, "--users", String(opts.users ?? 50), "--rate", String(opts.rate ?? 0)];
    if (opts.tokenTtlSeconds !== undefined) args.push("--token-ttl", String(opts.tokenTtlSeconds));
    if (seedPath) args.push("--seed", seedPath);
    for (const [k, v] of Object.entries(opts.faults ?? {})) args.push(FAULT_CLI_FLAGS[k as keyof FaultConfig], String(v));
    return args;
}

/** Spawns `emulator/main.ts` and resolves with the URL from its first stdout line. */
export async function spawnEmulator(args: string[]): Promise<{ child: ChildProcess; url: string; lines: string[] }> {
    const node = process.execPath;
    const child = spawn(node, ["-r", "ts-node/register/transpile-only", path.join(REPO_ROOT, "emulator", "main.ts"), ...args], {
        cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    const url = await new Promise<string>((resolve, reject) => {
        const rl = createInterface({ input: child.stdout! });
        rl.on("line", (line) => {
            lines.push(line);
            const m = /^emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
            if (lines.length === 1) m ? resolve(m[1]) : reject(new Error(`unexpected first line: ${line}`));
        });
        child.once("exit", (code) => reject(new Error(`emulator exited with ${code}: ${stderr}`)));
    });
    return { child, url, lines };
}

function expectOk({ res, text }: { res: Response; text: string }, what: string): any {
    if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
}

/** Starts an emulator for a test. Always call `stop()` (e.g. in `after`). */
export async function startTestEmulator(opts: TestEmulatorOptions = {}): Promise<TestTenant> {
    const ownDir = opts.dataDir === undefined;
    const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "cpac-emu-"));
    const keep = opts.keepData ?? !ownDir;
    const clientSecret = opts.clientSecret ?? TEST_CLIENT_SECRET;
    let url: string;
    let shutdown: () => Promise<void>;
    let child: ChildProcess | undefined;
    let handle: EmulatorHandle | undefined;
    if (opts.inProcess ?? true) {
        handle = await startEmulator({
            dataDir, port: 0, clientSecret, users: opts.users ?? 50, tokenTtlSeconds: opts.tokenTtlSeconds,
            rate: opts.rate ?? 0, faults: opts.faults, seed: opts.seed,
        });
        url = handle.url;
        shutdown = () => handle!.close();
    } else {
        let seedPath: string | undefined;
        if (typeof opts.seed === "string") seedPath = opts.seed;
        else if (opts.seed) {
            seedPath = path.join(dataDir, "seed.json");
            writeFileSync(seedPath, JSON.stringify(opts.seed));
        }
        const spawned = await spawnEmulator(cliArgs(opts, dataDir, seedPath));
        child = spawned.child;
        url = spawned.url;
        shutdown = () => new Promise<void>((resolve) => {
            if (child!.exitCode !== null || child!.signalCode !== null) return resolve();
            child!.once("exit", () => resolve());
            child!.kill("SIGTERM");
        });
    }
    const tenantId = opts.tenantId ?? "contoso.example";
    const tokenFor = async (tid: string) => {
        const res = await recordedFetch(url, "POST", Routes.token(tid), {
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ grant_type: "client_credentials", client_id: "demo-client", client_secret: clientSecret, scope: "api://skype/.default" }).toString(),
        });
        return expectOk(res, `token for ${tid}`).access_token as string;
    };
    // Out-of-band calls go through the handle in-process, over the emulator-only HTTP routes otherwise.
    const admin = (method: string, p: string, body?: string, type = "application/json") =>
        recordedFetch(url, method, p, body === undefined ? {} : { headers: { "content-type": type }, body });
    return {
        url, tenantId, clientId: "demo-client", clientSecret, dataDir, child, handle,
        tenantFile: new SqliteStore(dataDir).locate(tenantId),
        stored: (tid = tenantId) => readStoredTenants(dataDir).find((s) => s.id.toLowerCase() === tid.toLowerCase()),
        token: () => tokenFor(tenantId),
        tokenFor,
        powershell: async (script, tid = tenantId) => handle
            ? handle.powershell(tid, script)
            : expectOk(await admin("POST", `/_emulator/${encodeURIComponent(tid)}/powershell`, script, "application/x-powershell"), "powershell"),
        stats: async (tid = tenantId) => handle ? handle.stats(tid) : expectOk(await admin("GET", `/_emulator/${encodeURIComponent(tid)}/stats`), "stats"),
        setFaults: async (faults) => {
            if (handle) handle.setFaults(faults);
            else expectOk(await admin("PUT", "/_emulator/faults", JSON.stringify(faults)), "faults");
        },
        stop: async () => {
            await shutdown();
            if (!keep) rmSync(dataDir, { recursive: true, force: true });
        },
    };
}
