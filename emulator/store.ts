/**
 * Persistence of tenants, behind {@link TenantStore}: the domain model (emulator/tenant.ts) keeps each tenant's state
 * in memory and asks the store to make it durable; the store decides how. {@link JsonFileStore} keeps one JSON file per
 * tenant, replaced atomically (temp file + fsync + rename + fsync of the directory) so that a crash at any instant
 * leaves either the old or the new file, never a mix; saves are coalesced per tenant (group commit).
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { WireValue } from "../api/catalogue";

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
    users: UserRecord[];
    /** Keyed by the lower-cased canonical identity; insertion order is the listing order. */
    policies: Record<string, PolicyRecord>;
    operations: BatchOperation[];
}

/**
 * Where tenants are kept. Implementations: {@link JsonFileStore}; a database-backed one fits the same shape (open =
 * create the schema and recover, loadAll = read every tenant, save = one transaction writing the tenant's state).
 */
export interface TenantStore {
    /** Prepares the storage (creates it when missing) and removes leftovers of writes a crash interrupted. */
    open(): Promise<void>;
    /** Every stored tenant, normalised to the current record shapes (data written before a field existed loads). */
    loadAll(): Promise<TenantState[]>;
    /**
     * Makes `state` durable; a tenant not stored yet is created. Resolves once every change made to `state` before the
     * call is durable. Calls for one tenant are coalesced (group commit): one durable write (a file replacement, a
     * transaction) covers every change made before it started, so a burst of N changes costs about two writes, not N.
     */
    save(state: TenantState): Promise<void>;
    /** Resolves when no save is running or queued. */
    close(): Promise<void>;
    /** Where a tenant's data lives (a file path here), for diagnostics and tests. */
    locate(tenantId: string): string;
}

/**
 * Fills fields that older data lacks: owners (absent before owners existed) are null. Every store runs loaded state
 * through this, so the domain model sees one shape.
 */
export function normalizeState(raw: TenantState): TenantState {
    for (const p of Object.values(raw.policies)) p.owner ??= null;
    for (const u of raw.users) u.clientPolicyOwner ??= null;
    for (const o of raw.operations) o.owner ??= null;
    return raw;
}

const FILE_PREFIX = "tenant-";
/** Temp files of {@link writeFileAtomic}: `<file>.<pid>.tmp`. */
const TEMP_RE = /\.\d+\.tmp$/;

/** One JSON file per tenant in a data directory, atomically replaced, saves coalesced per tenant. */
export class JsonFileStore implements TenantStore {
    private readonly committers = new Map<string, GroupCommitter>();

    constructor(readonly dir: string) {}

    /** Creates the data directory if needed and deletes temp files left by a crash in the middle of a write. */
    async open(): Promise<void> {
        await fs.mkdir(this.dir, { recursive: true });
        for (const name of await fs.readdir(this.dir)) {
            // A temp file is never the only copy: the rename that would publish it did not happen.
            if (TEMP_RE.test(name)) await fs.rm(path.join(this.dir, name), { force: true });
        }
    }

    /** Path of a tenant's file; the id is encoded so any tenant id is a safe file name. */
    locate(tenantId: string): string {
        return path.join(this.dir, `${FILE_PREFIX}${encodeURIComponent(tenantId.toLowerCase())}.json`);
    }

    async loadAll(): Promise<TenantState[]> {
        const names = (await fs.readdir(this.dir)).filter((n) => n.startsWith(FILE_PREFIX) && n.endsWith(".json"));
        const out: TenantState[] = [];
        for (const name of names) out.push(normalizeState(JSON.parse(await fs.readFile(path.join(this.dir, name), "utf8")) as TenantState));
        return out;
    }

    save(state: TenantState): Promise<void> {
        const key = state.id.toLowerCase();
        let committer = this.committers.get(key);
        // The snapshot is taken when the write starts, so it holds every change made before save() was called.
        if (!committer) this.committers.set(key, (committer = new GroupCommitter(() => writeFileAtomic(this.locate(state.id), JSON.stringify(state)))));
        return committer.flush();
    }

    async close(): Promise<void> {
        await Promise.all([...this.committers.values()].map((c) => c.idle()));
    }
}

/** Writes `text` to `file` so that readers see the old or the new content only, and the new content survives power loss once this resolves. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
    const tmp = `${file}.${process.pid}.tmp`;
    const handle = await fs.open(tmp, "w");
    try {
        await handle.writeFile(text, "utf8");
        await handle.sync();
    } finally {
        await handle.close();
    }
    await fs.rename(tmp, file);
    // The rename lives in the directory: without syncing it the new name may be lost on power failure.
    const dir = await fs.open(path.dirname(file), "r");
    try {
        await dir.sync();
    } finally {
        await dir.close();
    }
}

/**
 * Serialises and coalesces saves ("group commit"): callers that ask for a
 * flush while one is running share the next one, so a burst of writes costs
 * two file replacements, not one per write. `snapshot` runs when the save
 * starts, so every change made before `flush()` was called is included.
 */
export class GroupCommitter {
    private running?: Promise<void>;
    private queued?: Promise<void>;

    constructor(private readonly save: () => Promise<void>) {}

    /** Resolves once every change made before this call is durable. */
    flush(): Promise<void> {
        if (this.queued) return this.queued;
        if (!this.running) return (this.running = this.run());
        this.queued = this.running.catch(() => undefined).then(() => {
            this.queued = undefined;
            return (this.running = this.run());
        });
        return this.queued;
    }

    /** Resolves when no save is running or queued. */
    async idle(): Promise<void> {
        while (this.running || this.queued) await (this.queued ?? this.running)!.catch(() => undefined);
    }

    private async run(): Promise<void> {
        try {
            await this.save();
        } finally {
            this.running = undefined;
        }
    }
}
