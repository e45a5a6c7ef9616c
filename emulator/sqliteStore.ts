/**
 * The emulator's {@link TenantStore} on SQLite (Node's built-in `node:sqlite`, through server/sqlite.ts): one database
 * `emulator.sqlite` per data directory (or a private in-memory database without one), WAL journal.
 *
 * Writes are row-level — a policy row, the user rows a grant touched, an operation row and the per-user rows a batch
 * chunk finished, a tenant's app rows — never the whole tenant. Every {@link SqliteStore.write} queued while the event
 * loop is busy goes into one transaction, committed from a `setImmediate` callback (group commit): with 32 clients
 * writing, one fsync acknowledges up to 32 requests. Transactions run in call order, so a database opened after a
 * crash holds the state after a prefix of the writes.
 *
 * Durability: the connection runs `synchronous=NORMAL`, so COMMIT appends the transaction to the WAL file without
 * waiting for the disk, and the store itself then fsyncs the WAL file (its own descriptor; fsync acts on the file, not
 * the descriptor) on libuv's thread pool; a write's promise resolves only after an fsync that started after its
 * COMMIT completed. That is what `synchronous=FULL` guarantees (the WAL synced before the write is reported done), but
 * the event loop keeps parsing and applying requests during the fsync, and one fsync covers every transaction
 * committed before it started. SQLite's own rules cover the rest: with NORMAL it syncs the WAL before each checkpoint
 * and the database file after it, so a WAL reset never drops a committed transaction (sqlite.org/pragma.html#pragma_synchronous).
 * A process crash (kill -9) loses nothing COMMIT wrote, synced or not; only power loss needs the fsync.
 *
 * Schema (version 4, `PRAGMA user_version`): `tenants`, `apps`, `policies` (settings as a JSON object), `users`,
 * `operations` (with the request digest of batches started with an `OperationId`, added in version 2) and
 * `operation_users` (one row per user of a batch, with its result once processed). `seq` columns keep insertion order,
 * which is the API's listing order. Version 3 re-keyed policies by the identity folding rule; version 4 added the
 * topology (sites and pools, JSON on the tenant row) and each user's Registrar pool and site.
 *
 * A data directory of the former JSON store (`tenant-<id>.json` files) is imported once at open, in one transaction;
 * each imported file is then renamed `<file>.imported` (kept as a backup, never read again).
 */
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import { isIdentityError, parsePolicyIdentity } from "../api/identity";
import { openDatabase, transaction, type Database, type Migration, type Statement } from "../server/sqlite";
import {
    ChangeSet, LEGACY_FILE_RE, normalizeState, readLegacyTenantFile, removeTempFiles,
    type AppRecord, type BatchOperation, type BatchResult, type PolicyRecord, type TenantState, type TenantStore, type UserRecord,
} from "./store";

/** The database's file name inside a data directory. */
export const DATABASE_FILE = "emulator.sqlite";
/** Suffix given to a former JSON store's tenant file once imported. */
export const IMPORTED_SUFFIX = ".imported";

/** The schema steps of the database, in order (exported for tests that build a database of an older version). */
export const MIGRATIONS: Migration[] = [{
    version: 1,
    up: (db) => db.exec(`
        CREATE TABLE tenants (
            seq INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,          -- lower-cased id
            id TEXT NOT NULL                   -- as provisioned
        );
        CREATE TABLE apps (
            tenant INTEGER NOT NULL REFERENCES tenants(seq) ON DELETE CASCADE,
            ord INTEGER NOT NULL,
            client_id TEXT NOT NULL,
            client_secret TEXT NOT NULL,
            PRIMARY KEY (tenant, ord)
        ) WITHOUT ROWID;
        CREATE TABLE policies (
            seq INTEGER PRIMARY KEY,
            tenant INTEGER NOT NULL REFERENCES tenants(seq) ON DELETE CASCADE,
            key TEXT NOT NULL,                 -- PolicyIdentity.key (re-keyed by version 3)
            identity TEXT NOT NULL,
            etag TEXT NOT NULL,
            owner TEXT,
            settings TEXT NOT NULL,            -- JSON object of the set settings
            UNIQUE (tenant, key)
        );
        CREATE TABLE users (
            seq INTEGER PRIMARY KEY,
            tenant INTEGER NOT NULL REFERENCES tenants(seq) ON DELETE CASCADE,
            id TEXT NOT NULL,
            display_name TEXT NOT NULL,
            sip_address TEXT NOT NULL,
            user_principal_name TEXT NOT NULL,
            logon TEXT NOT NULL,
            client_policy TEXT,
            client_policy_owner TEXT,
            UNIQUE (tenant, id)
        );
        CREATE TABLE operations (
            seq INTEGER PRIMARY KEY,
            tenant INTEGER NOT NULL REFERENCES tenants(seq) ON DELETE CASCADE,
            id TEXT NOT NULL,
            policy_type TEXT NOT NULL,
            policy_name TEXT,
            owner TEXT,
            status TEXT NOT NULL,
            created TEXT NOT NULL,
            UNIQUE (tenant, id)
        );
        CREATE TABLE operation_users (
            operation INTEGER NOT NULL REFERENCES operations(seq) ON DELETE CASCADE,
            idx INTEGER NOT NULL,              -- position in the request's Users list
            user TEXT NOT NULL,
            result TEXT,                       -- JSON BatchResult; NULL while pending
            PRIMARY KEY (operation, idx)
        ) WITHOUT ROWID;
    `),
}, {
    // The digest of a batch request that carried an OperationId (server/batch.ts), to recognise a retried POST.
    version: 2,
    up: (db) => db.exec("ALTER TABLE operations ADD COLUMN request_hash TEXT"),
}, {
    // Policy keys follow the one identity folding rule (`foldIdentity`, api/identity.ts) instead of JavaScript
    // lower-casing. Two policies that only the new rule makes one (e.g. "Tag:σ" and "Tag:ς") cannot both stay: the
    // start stops naming them, and one has to be removed with the previous version.
    version: 3,
    up: (db) => {
        const rows = db.prepare("SELECT seq, tenant, key, identity FROM policies").all() as Array<{ seq: number; tenant: number; key: string; identity: string }>;
        const update = db.prepare("UPDATE policies SET key = ? WHERE seq = ?");
        const taken = new Map<string, string>();
        const moves: Array<[string, number]> = [];
        for (const r of rows) {
            const id = parsePolicyIdentity(r.identity);
            const key = isIdentityError(id) ? r.key : id.key;
            const other = taken.get(`${r.tenant}\n${key}`);
            if (other !== undefined) throw new Error(`policies "${other}" and "${r.identity}" are one policy under the identity folding rule; remove one with the previous version first`);
            taken.set(`${r.tenant}\n${key}`, r.identity);
            moves.push([key, r.seq]);
        }
        // Through a temporary key first: a new key may equal another row's old key.
        for (const [, seq] of moves) update.run(`\u0000${seq}`, seq);
        for (const [key, seq] of moves) update.run(key, seq);
    },
}, {
    // Sites and pools: the tenant's topology (JSON, fixed at provisioning) and each user's Registrar pool and its site.
    version: 4,
    up: (db) => db.exec(`
        ALTER TABLE tenants ADD COLUMN topology TEXT;
        ALTER TABLE users ADD COLUMN registrar_pool TEXT;
        ALTER TABLE users ADD COLUMN site TEXT;
    `),
}];

const TENANT = "(SELECT seq FROM tenants WHERE key = :tenant)";

/** Prepared statements, made once per connection. */
class Statements {
    readonly insertTenant: Statement;
    readonly setTopology: Statement;
    readonly tenantExists: Statement;
    readonly deleteApps: Statement;
    readonly insertApp: Statement;
    readonly upsertPolicy: Statement;
    readonly deletePolicy: Statement;
    readonly upsertUser: Statement;
    readonly upsertOperation: Statement;
    readonly deleteOperation: Statement;
    readonly insertOperationUser: Statement;
    readonly setOperationResult: Statement;

    constructor(db: Database) {
        this.insertTenant = db.prepare("INSERT INTO tenants (key, id) VALUES (:tenant, :id) ON CONFLICT (key) DO NOTHING");
        this.setTopology = db.prepare("UPDATE tenants SET topology = :topology WHERE key = :tenant");
        this.tenantExists = db.prepare("SELECT 1 AS found FROM tenants WHERE key = :tenant");
        this.deleteApps = db.prepare(`DELETE FROM apps WHERE tenant = ${TENANT}`);
        this.insertApp = db.prepare(`INSERT INTO apps (tenant, ord, client_id, client_secret) VALUES (${TENANT}, :ord, :clientId, :clientSecret)`);
        this.upsertPolicy = db.prepare(`INSERT INTO policies (tenant, key, identity, etag, owner, settings) VALUES (${TENANT}, :key, :identity, :etag, :owner, :settings)
            ON CONFLICT (tenant, key) DO UPDATE SET identity = excluded.identity, etag = excluded.etag, owner = excluded.owner, settings = excluded.settings`);
        this.deletePolicy = db.prepare(`DELETE FROM policies WHERE tenant = ${TENANT} AND key = :key`);
        this.upsertUser = db.prepare(`INSERT INTO users (tenant, id, display_name, sip_address, user_principal_name, logon, client_policy, client_policy_owner, registrar_pool, site)
            VALUES (${TENANT}, :id, :displayName, :sipAddress, :userPrincipalName, :logon, :clientPolicy, :clientPolicyOwner, :registrarPool, :site)
            ON CONFLICT (tenant, id) DO UPDATE SET display_name = excluded.display_name, sip_address = excluded.sip_address,
                user_principal_name = excluded.user_principal_name, logon = excluded.logon, client_policy = excluded.client_policy,
                client_policy_owner = excluded.client_policy_owner, registrar_pool = excluded.registrar_pool, site = excluded.site`);
        this.upsertOperation = db.prepare(`INSERT INTO operations (tenant, id, policy_type, policy_name, owner, status, created, request_hash)
            VALUES (${TENANT}, :id, :policyType, :policyName, :owner, :status, :created, :requestHash)
            ON CONFLICT (tenant, id) DO UPDATE SET status = excluded.status RETURNING seq`);
        this.deleteOperation = db.prepare(`DELETE FROM operations WHERE tenant = ${TENANT} AND id = :id`);
        this.insertOperationUser = db.prepare("INSERT INTO operation_users (operation, idx, user, result) VALUES (:op, :idx, :user, :result)");
        this.setOperationResult = db.prepare("UPDATE operation_users SET result = :result WHERE operation = :op AND idx = :idx");
    }
}

/** One tenant's queued marks. */
interface Queued {
    id: string;
    changes: ChangeSet;
}

/** SQLite-backed {@link TenantStore}; see the file header. */
export class SqliteStore implements TenantStore {
    /** The database file, or `:memory:`. */
    readonly file: string;
    private db?: Database;
    private stmts?: Statements;
    private queue = new Map<string, Queued>();
    private waiters: Array<{ resolve(): void; reject(e: unknown): void }> = [];
    private scheduled = false;
    /** The WAL file, fsynced before writes are acknowledged (file databases only). */
    private wal?: fs.FileHandle;
    /** Writes committed but not yet covered by an fsync of the WAL. */
    private unsynced: Array<{ resolve(): void; reject(e: unknown): void }> = [];
    private syncing?: Promise<void>;
    /** Rows inserted, updated or deleted by this store's transactions since it opened (SQLite's `total_changes()`). */
    rowsWritten = 0;
    /** Transactions committed since the store opened. */
    transactions = 0;
    private totalChanges?: Statement;
    /** Per operation (`<tenant key>\n<op id>`): how many of its users have a stored result; absent: no rows yet. */
    private readonly savedResults = new Map<string, number>();

    /** `dataDir` undefined: a private in-memory database (nothing survives the process). */
    constructor(readonly dataDir?: string) {
        this.file = dataDir === undefined ? ":memory:" : path.join(dataDir, DATABASE_FILE);
    }

    async open(): Promise<void> {
        if (this.db) return;
        if (this.dataDir !== undefined) {
            await fs.mkdir(this.dataDir, { recursive: true });
            await removeTempFiles(this.dataDir);
        }
        const memory = this.dataDir === undefined;
        const db = openDatabase(this.file, { migrations: MIGRATIONS, synchronous: memory ? "FULL" : "NORMAL" });
        try {
            // Deleted rows (a removed policy's text, an old secret) are overwritten, not left in free pages.
            db.exec("PRAGMA secure_delete = ON");
            this.db = db;
            this.stmts = new Statements(db);
            this.totalChanges = db.prepare("SELECT total_changes() AS n");
            if (this.dataDir !== undefined) {
                await this.importLegacy(this.dataDir);
                // The WAL exists once the schema is written (journal_mode=WAL, then the migration or import).
                this.wal = await fs.open(`${this.file}-wal`, "r");
                await this.wal.sync();
            }
        } catch (e) {
            this.db = undefined;
            this.stmts = undefined;
            await this.wal?.close();
            this.wal = undefined;
            db.close();
            throw e;
        }
    }

    locate(_tenantId: string): string {
        return this.file;
    }

    async loadAll(): Promise<TenantState[]> {
        const db = this.database();
        const states = loadTenants(db);
        for (const s of states) for (const op of s.operations) this.savedResults.set(opKey(s.id, op.id), op.results.length);
        return states;
    }

    write(tenantId: string, changes: ChangeSet): Promise<void> {
        this.database();
        const key = tenantId.toLowerCase();
        const queued = this.queue.get(key);
        if (queued) queued.changes.mergeFrom(changes);
        else this.queue.set(key, { id: tenantId, changes });
        return new Promise<void>((resolve, reject) => {
            this.waiters.push({ resolve, reject });
            if (!this.scheduled) {
                this.scheduled = true;
                setImmediate(() => this.flush());
            }
        });
    }

    async close(): Promise<void> {
        if (!this.db) return;
        if (this.scheduled || this.queue.size > 0) this.flush();
        while (this.syncing) await this.syncing;
        await this.wal?.close();
        this.wal = undefined;
        try {
            // Fold the WAL into the database so a closed data directory is one self-contained file.
            if (this.dataDir !== undefined) this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
        } finally {
            this.db.close();
            this.db = undefined;
            this.stmts = undefined;
        }
    }

    private database(): Database {
        if (!this.db) throw new Error(`tenant store ${this.file} is not open`);
        return this.db;
    }

    /** Commits everything queued in one transaction and settles the waiting writes. */
    private flush(): void {
        this.scheduled = false;
        const batch = this.queue;
        const waiters = this.waiters;
        this.queue = new Map();
        this.waiters = [];
        if (waiters.length === 0 && batch.size === 0) return;
        const saved = new Map<string, number | undefined>();
        try {
            const before = (this.totalChanges!.get() as { n: number }).n;
            transaction(this.database(), () => {
                for (const [key, q] of batch) this.apply(key, q.id, q.changes, saved);
            });
            this.rowsWritten += (this.totalChanges!.get() as { n: number }).n - before;
            this.transactions++;
        } catch (e) {
            // Memory already holds these changes: keep the marks ahead of newer ones so the next write retries them.
            for (const [key, q] of this.queue) {
                const older = batch.get(key);
                if (older) older.changes.mergeFrom(q.changes);
                else batch.set(key, q);
            }
            this.queue = batch;
            const err = new Error(`tenant store ${this.file}: the write failed: ${(e as Error).message}`, { cause: e });
            for (const w of waiters) w.reject(err);
            return;
        }
        for (const [k, n] of saved) {
            if (n === undefined) this.savedResults.delete(k);
            else this.savedResults.set(k, n);
        }
        if (!this.wal) {
            for (const w of waiters) w.resolve();
            return;
        }
        this.unsynced.push(...waiters);
        this.syncing ??= this.syncLoop();
    }

    /** Fsyncs the WAL until no committed write waits for it; each fsync acknowledges the writes committed before it. */
    private async syncLoop(): Promise<void> {
        try {
            while (this.unsynced.length > 0) {
                const batch = this.unsynced;
                this.unsynced = [];
                try {
                    await this.wal!.sync();
                } catch (e) {
                    const err = new Error(`tenant store ${this.file}: syncing the WAL failed: ${(e as Error).message}`, { cause: e });
                    for (const w of batch) w.reject(err);
                    continue;
                }
                for (const w of batch) w.resolve();
            }
        } finally {
            this.syncing = undefined;
        }
    }

    /** Writes one tenant's marked rows (inside the flush's transaction). */
    private apply(tenant: string, tenantId: string, c: ChangeSet, saved: Map<string, number | undefined>): void {
        const s = this.stmts!;
        if (c.created) s.insertTenant.run({ tenant, id: tenantId });
        if (c.sites !== undefined) s.setTopology.run({ tenant, topology: JSON.stringify(c.sites) });
        if (!s.tenantExists.get({ tenant })) throw new Error(`tenant ${tenantId} is not stored (changes before its creation)`);
        if (c.apps !== undefined) {
            s.deleteApps.run({ tenant });
            c.apps.forEach((a: AppRecord, ord) => s.insertApp.run({ tenant, ord, clientId: a.clientId, clientSecret: a.clientSecret }));
        }
        for (const key of c.deletedPolicies) s.deletePolicy.run({ tenant, key });
        for (const [key, p] of c.policies) {
            s.upsertPolicy.run({ tenant, key, identity: p.identity, etag: p.etag, owner: p.owner, settings: JSON.stringify(p.settings) });
        }
        for (const u of c.users.values()) {
            s.upsertUser.run({
                tenant, id: u.id, displayName: u.displayName, sipAddress: u.sipAddress, userPrincipalName: u.userPrincipalName,
                logon: u.logon, clientPolicy: u.clientPolicy, clientPolicyOwner: u.clientPolicyOwner, registrarPool: u.registrarPool ?? null, site: u.site ?? null,
            });
        }
        for (const id of c.deletedOperations) {
            s.deleteOperation.run({ tenant, id });
            saved.set(opKey(tenant, id), undefined);
        }
        for (const op of c.operations.values()) this.writeOperation(tenant, op, saved);
    }

    /** The operation row, then only the per-user rows that changed since the last write of this operation. */
    private writeOperation(tenant: string, op: BatchOperation, saved: Map<string, number | undefined>): void {
        const s = this.stmts!;
        const k = opKey(tenant, op.id);
        const row = s.upsertOperation.get({
            tenant, id: op.id, policyType: op.policyType, policyName: op.policyName, owner: op.owner, status: op.status, created: op.createdDateTime,
            requestHash: op.requestHash ?? null,
        }) as { seq: number };
        const done = saved.has(k) ? saved.get(k) : this.savedResults.get(k);
        if (done === undefined) {
            // New operation: one row per user, processed ones with their result.
            op.results.forEach((r, idx) => s.insertOperationUser.run({ op: row.seq, idx, user: r.User, result: JSON.stringify(r) }));
            op.pending.forEach((user, i) => s.insertOperationUser.run({ op: row.seq, idx: op.results.length + i, user, result: null }));
        } else {
            // Users are processed in order (pending is consumed from the front), so result i belongs to row i.
            for (let idx = done; idx < op.results.length; idx++) s.setOperationResult.run({ op: row.seq, idx, result: JSON.stringify(op.results[idx]) });
        }
        saved.set(k, op.results.length);
    }

    /** Imports `tenant-*.json` files of the former JSON store once; see the file header. */
    private async importLegacy(dir: string): Promise<void> {
        const files = (await fs.readdir(dir)).filter((n) => LEGACY_FILE_RE.test(n)).sort().map((n) => path.join(dir, n));
        if (files.length === 0) return;
        const states: TenantState[] = [];
        for (const f of files) states.push(await readLegacyTenantFile(f));
        const saved = new Map<string, number | undefined>();
        transaction(this.database(), () => {
            for (const state of states) {
                const key = state.id.toLowerCase();
                // Already there: a crash came between the import's commit and the renames below.
                if (this.stmts!.tenantExists.get({ tenant: key })) continue;
                this.apply(key, state.id, ChangeSet.wholeTenant(state), saved);
            }
        });
        for (const f of files) await fs.rename(f, f + IMPORTED_SUFFIX);
    }
}

function opKey(tenant: string, opId: string): string {
    return `${tenant.toLowerCase()}\n${opId}`;
}

/** Reads every tenant of an open database, in provisioning order. */
export function loadTenants(db: Database): TenantState[] {
    const out: TenantState[] = [];
    const tenants = db.prepare("SELECT seq, id, topology FROM tenants ORDER BY seq").all() as Array<{ seq: number; id: string; topology: string | null }>;
    const apps = db.prepare("SELECT client_id, client_secret FROM apps WHERE tenant = ? ORDER BY ord");
    const users = db.prepare("SELECT * FROM users WHERE tenant = ? ORDER BY seq");
    const policies = db.prepare("SELECT key, identity, etag, owner, settings FROM policies WHERE tenant = ? ORDER BY seq");
    const operations = db.prepare("SELECT * FROM operations WHERE tenant = ? ORDER BY seq");
    const items = db.prepare("SELECT user, result FROM operation_users WHERE operation = ? ORDER BY idx");
    for (const t of tenants) {
        const state: TenantState = { version: 1, id: t.id, apps: [], sites: t.topology ? JSON.parse(t.topology) : [], users: [], policies: {}, operations: [] };
        for (const a of apps.all(t.seq) as Array<Record<string, string>>) state.apps.push({ clientId: a.client_id, clientSecret: a.client_secret });
        for (const u of users.all(t.seq) as Array<Record<string, string | null>>) {
            const rec: UserRecord = {
                id: u.id!, displayName: u.display_name!, sipAddress: u.sip_address!, userPrincipalName: u.user_principal_name!, logon: u.logon!,
                clientPolicy: u.client_policy, clientPolicyOwner: u.client_policy_owner, registrarPool: u.registrar_pool ?? null, site: u.site ?? null,
            };
            state.users.push(rec);
        }
        for (const p of policies.all(t.seq) as Array<Record<string, string | null>>) {
            const rec: PolicyRecord = { identity: p.identity!, etag: p.etag!, owner: p.owner, settings: JSON.parse(p.settings!) };
            state.policies[p.key!] = rec;
        }
        for (const o of operations.all(t.seq) as Array<Record<string, string | number | null>>) {
            const op: BatchOperation = {
                id: o.id as string, policyType: o.policy_type as "ClientPolicy", policyName: o.policy_name as string | null, owner: o.owner as string | null,
                status: o.status as BatchOperation["status"], createdDateTime: o.created as string, pending: [], results: [],
                requestHash: (o.request_hash as string | null) ?? null,
            };
            for (const it of items.all(o.seq as number) as Array<{ user: string; result: string | null }>) {
                if (it.result === null) op.pending.push(it.user);
                else op.results.push(JSON.parse(it.result) as BatchResult);
            }
            state.operations.push(op);
        }
        out.push(normalizeState(state));
    }
    return out;
}

/** The store for a data directory (`undefined`: in memory only, nothing persists). */
export function openTenantStore(dataDir?: string): TenantStore {
    return new SqliteStore(dataDir);
}

/**
 * Every tenant stored in a data directory's database, read through a connection of its own (for tests and tools; the
 * emulator may be running or may have been killed — opening replays the WAL's committed transactions). Empty when the
 * directory has no database.
 */
export function readStoredTenants(dataDir: string): TenantState[] {
    const file = path.join(dataDir, DATABASE_FILE);
    if (!existsSync(file)) return [];
    const db = openDatabase(file, { migrations: MIGRATIONS });
    try {
        return loadTenants(db);
    } finally {
        db.close();
    }
}
