/**
 * Persistence of tenants, behind {@link TenantStore}: the domain model (emulator/tenant.ts) keeps each tenant's state
 * in memory and tells the store, row by row, what a request changed (a {@link ChangeSet}: policies put or deleted,
 * users put, batch operations put or deleted, apps replaced); the store makes exactly those rows durable. The
 * implementation is {@link SqliteStore} (emulator/sqliteStore.ts): one SQLite database per data directory, or a
 * private in-memory database when there is no data directory.
 *
 * This file also keeps the record shapes (the same as the wire-independent JSON of the emulator's former store), the
 * reader of that format (`tenant-<id>.json` files, imported once into the database), and the clean-up of temp files
 * an interrupted atomic write leaves in a data directory.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { WireValue } from "../api/catalogue";
import { isIdentityError, parsePolicyIdentity } from "../api/identity";

/** An app registration allowed to get tokens for a tenant. */
export interface AppRecord {
    clientId: string;
    clientSecret: string;
}

/**
 * A directory user. `clientPolicy` is the granted tag policy's name (without `Tag:`) or null; `clientPolicyOwner` who
 * granted it through the API (null: nobody recorded, e.g. Grant-CsClientPolicy, or no grant).
 */
export interface UserRecord {
    id: string;
    displayName: string;
    sipAddress: string;
    userPrincipalName: string;
    logon: string;
    clientPolicy: string | null;
    clientPolicyOwner: string | null;
    /** FQDN of the user's Registrar pool (Get-CsUser `RegistrarPool`), or null: not homed on a pool. */
    registrarPool: string | null;
    /** `Site:<name>` of the site hosting that pool (from the tenant's {@link SiteRecord}s), or null. */
    site: string | null;
}

/** A site of the tenant's topology (Get-CsSite) and the FQDNs of its Registrar pools (Get-CsPool -Site). */
export interface SiteRecord {
    /** The site's name: its identity is `Site:<name>`, its client policy `site:<name>`. */
    name: string;
    pools: string[];
}

/** A stored client policy; unset settings are absent from `settings`. `owner` is the `@owner` annotation or null. */
export interface PolicyRecord {
    identity: string;
    etag: string;
    owner: string | null;
    settings: Record<string, WireValue>;
}

/** Outcome for one user of a batch assignment. */
export interface BatchResult {
    User: string;
    Status: "Succeeded" | "Failed";
    Id?: string;
    Error?: { code: string; message: string };
}

/** A batch assignment; `pending` holds the users not yet processed so a restart can resume. */
export interface BatchOperation {
    id: string;
    policyType: "ClientPolicy";
    policyName: string | null;
    /** Owner recorded on every assignment the batch makes (null: none). */
    owner: string | null;
    /** Digest of the request that started it (`batchRequestHash`, server/batch.ts) when it came with an `OperationId`; else null. */
    requestHash: string | null;
    status: "NotStarted" | "InProgress" | "Completed";
    createdDateTime: string;
    pending: string[];
    results: BatchResult[];
}

/** Everything the emulator knows about one tenant: what a store keeps. */
export interface TenantState {
    version: 1;
    id: string;
    apps: AppRecord[];
    /** The topology, fixed at provisioning (empty: no sites; every user then has no pool). */
    sites: SiteRecord[];
    users: UserRecord[];
    /** Keyed by the identity's `key` (the canonical identity folded by `foldIdentity`); insertion order is the listing order. */
    policies: Record<string, PolicyRecord>;
    operations: BatchOperation[];
}

/**
 * The rows one commit of one tenant changed. Records are the tenant's live objects: the store writes their values as
 * they are when the transaction runs, which is never earlier than the change that marked them. Marks merge in order
 * ({@link mergeFrom}), so a policy deleted and created again within one set is deleted, then inserted (it moves to the
 * end of the listing order, as in memory).
 */
export class ChangeSet {
    /** The tenant itself is new: its row is inserted (with whatever else the set holds). */
    created = false;
    /** The tenant's app registrations, replaced as a whole (a handful of rows). */
    apps?: AppRecord[];
    /** The topology, written as a whole (at provisioning). */
    sites?: SiteRecord[];
    /** Policies to insert or update, by identity key (`PolicyIdentity.key`). */
    readonly policies = new Map<string, PolicyRecord>();
    /** Policy keys to delete; applied before {@link policies}. */
    readonly deletedPolicies = new Set<string>();
    /** Users to insert or update, by object id. */
    readonly users = new Map<string, UserRecord>();
    /** Batch operations to insert or update, by operation id; only results added since the last write are written. */
    readonly operations = new Map<string, BatchOperation>();
    /** Operation ids to delete (history trimming); applied before {@link operations}. */
    readonly deletedOperations = new Set<string>();

    putPolicy(key: string, rec: PolicyRecord): void {
        this.policies.set(key, rec);
    }

    deletePolicy(key: string): void {
        this.policies.delete(key);
        this.deletedPolicies.add(key);
    }

    putUsers(users: Iterable<UserRecord>): void {
        for (const u of users) this.users.set(u.id, u);
    }

    putOperation(op: BatchOperation): void {
        this.operations.set(op.id, op);
    }

    deleteOperation(id: string): void {
        this.operations.delete(id);
        this.deletedOperations.add(id);
    }

    putApps(apps: AppRecord[]): void {
        this.apps = apps;
    }

    /** Nothing to write. */
    get empty(): boolean {
        return !this.created && this.apps === undefined && this.sites === undefined && this.policies.size === 0 && this.deletedPolicies.size === 0 &&
            this.users.size === 0 && this.operations.size === 0 && this.deletedOperations.size === 0;
    }

    /** Adds the marks of `later` (made after this set's), in order. */
    mergeFrom(later: ChangeSet): void {
        this.created ||= later.created;
        if (later.apps !== undefined) this.apps = later.apps;
        if (later.sites !== undefined) this.sites = later.sites;
        for (const k of later.deletedPolicies) this.deletePolicy(k);
        for (const [k, r] of later.policies) this.putPolicy(k, r);
        this.putUsers(later.users.values());
        for (const id of later.deletedOperations) this.deleteOperation(id);
        for (const op of later.operations.values()) this.putOperation(op);
    }

    /** Every row of a whole tenant, as for a new tenant or an import. */
    static wholeTenant(state: TenantState): ChangeSet {
        const c = new ChangeSet();
        c.created = true;
        c.putApps(state.apps);
        c.sites = state.sites;
        for (const [k, p] of Object.entries(state.policies)) c.putPolicy(k, p);
        c.putUsers(state.users);
        for (const op of state.operations) c.putOperation(op);
        return c;
    }
}

/**
 * Where tenants are kept. The domain model calls {@link write} after each change (it never hands over the whole state),
 * and only answers a request once that promise resolved.
 */
export interface TenantStore {
    /**
     * Prepares the storage (creates or migrates it), removes leftovers of interrupted writes and imports data of older
     * formats once. Throws naming the file when the storage cannot be used.
     */
    open(): Promise<void>;
    /** Every stored tenant, normalised to the current record shapes (data written before a field existed loads). */
    loadAll(): Promise<TenantState[]>;
    /**
     * Makes `changes` of tenant `tenantId` durable, in one transaction with any other writes queued at the same moment
     * (group commit); resolves once they are, rejects with the storage error otherwise (the marks are then kept and
     * retried with the next write, since memory already holds the change). Writes are applied in call order, so the
     * stored state is always the state after some prefix of the calls.
     */
    write(tenantId: string, changes: ChangeSet): Promise<void>;
    /** Waits for queued writes, then releases the storage. */
    close(): Promise<void>;
    /** Where a tenant's data lives (the database file; `:memory:` without a data directory), for diagnostics and tests. */
    locate(tenantId: string): string;
}

/**
 * Fills fields that older data lacks: owners (absent before owners existed) are null. Every store runs loaded state
 * through this, so the domain model sees one shape.
 */
export function normalizeState(raw: TenantState): TenantState {
    for (const p of Object.values(raw.policies)) p.owner ??= null;
    // Policies are keyed by `PolicyIdentity.key`; data written under an older key rule (JavaScript lower-casing) is
    // re-keyed, keeping the listing order.
    const keyed: Record<string, PolicyRecord> = {};
    for (const [k, p] of Object.entries(raw.policies)) {
        const id = parsePolicyIdentity(p.identity);
        keyed[isIdentityError(id) ? k : id.key] = p;
    }
    raw.policies = keyed;
    raw.sites ??= [];
    for (const u of raw.users) {
        u.clientPolicyOwner ??= null;
        u.registrarPool ??= null;
        u.site ??= null;
    }
    for (const o of raw.operations) {
        o.owner ??= null;
        o.requestHash ??= null;
    }
    return raw;
}

/** Files of the emulator's former JSON store: one `tenant-<encoded id>.json` per tenant. */
export const LEGACY_FILE_RE = /^tenant-.+\.json$/;
/** Temp files of an atomic write (write `<file>.<pid>.tmp`, then rename it; e.g. the token signing key, server/auth.ts). */
const TEMP_RE = /\.\d+\.tmp$/;

/** The tenant file name the former JSON store used (tests write data directories in that format). */
export function legacyTenantFile(dir: string, tenantId: string): string {
    return path.join(dir, `tenant-${encodeURIComponent(tenantId.toLowerCase())}.json`);
}

/**
 * Reads one file of the former JSON store. Throws an Error naming the file and what was expected when it is not such a
 * file (so a damaged directory stops the start instead of losing a tenant).
 */
export async function readLegacyTenantFile(file: string): Promise<TenantState> {
    let raw: unknown;
    try {
        raw = JSON.parse(await fs.readFile(file, "utf8"));
    } catch (e) {
        throw new Error(`${file}: not a readable tenant JSON file (${(e as Error).message})`, { cause: e });
    }
    const s = raw as Partial<TenantState> | null;
    const problems: string[] = [];
    if (s === null || typeof s !== "object") problems.push("the file must hold a JSON object");
    else {
        if (typeof s.id !== "string" || s.id === "") problems.push("id must be a non-empty string");
        if (!Array.isArray(s.apps)) problems.push("apps must be an array");
        if (!Array.isArray(s.users)) problems.push("users must be an array");
        if (s.policies === null || typeof s.policies !== "object" || Array.isArray(s.policies)) problems.push("policies must be an object");
        if (!Array.isArray(s.operations)) problems.push("operations must be an array");
    }
    if (problems.length) throw new Error(`${file}: not a tenant file of the former JSON store: ${problems.join("; ")}`);
    return normalizeState({ ...(s as TenantState), version: 1 });
}

/** Deletes temp files an interrupted atomic write left in `dir` (never the only copy of anything). */
export async function removeTempFiles(dir: string): Promise<void> {
    for (const name of await fs.readdir(dir)) {
        if (TEMP_RE.test(name)) await fs.rm(path.join(dir, name), { force: true });
    }
}
