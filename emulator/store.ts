/**
 * Persistence: one JSON file per tenant in the data directory, replaced
 * atomically (temp file + fsync + rename + fsync of the directory) so that a
 * crash at any instant leaves either the old or the new file, never a mix.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { WireValue } from "../api/catalogue";

/** An app registration allowed to get tokens for a tenant. */
export interface AppRecord {
    clientId: string;
    clientSecret: string;
}

/** A directory user. `clientPolicy` is the granted tag policy's name (without `Tag:`) or null. */
export interface UserRecord {
    id: string;
    displayName: string;
    sipAddress: string;
    userPrincipalName: string;
    logon: string;
    clientPolicy: string | null;
}

/** A stored client policy; unset settings are absent from `settings`. */
export interface PolicyRecord {
    identity: string;
    etag: string;
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
    status: "NotStarted" | "InProgress" | "Completed";
    createdDateTime: string;
    pending: string[];
    results: BatchResult[];
}

/** Everything the emulator knows about one tenant: the file's content. */
export interface TenantState {
    version: 1;
    id: string;
    apps: AppRecord[];
    users: UserRecord[];
    /** Keyed by the lower-cased canonical identity; insertion order is the listing order. */
    policies: Record<string, PolicyRecord>;
    operations: BatchOperation[];
}

const FILE_PREFIX = "tenant-";

/** Reads and atomically writes tenant files in one data directory. */
export class TenantStore {
    constructor(readonly dir: string) {}

    /** Creates the data directory if needed. */
    async init(): Promise<void> {
        await fs.mkdir(this.dir, { recursive: true });
    }

    /** Path of a tenant's file; the id is encoded so any tenant id is a safe file name. */
    filePath(tenantId: string): string {
        return path.join(this.dir, `${FILE_PREFIX}${encodeURIComponent(tenantId.toLowerCase())}.json`);
    }

    /** Every stored tenant. */
    async loadAll(): Promise<TenantState[]> {
        const names = (await fs.readdir(this.dir)).filter((n) => n.startsWith(FILE_PREFIX) && n.endsWith(".json"));
        const out: TenantState[] = [];
        for (const name of names) out.push(JSON.parse(await fs.readFile(path.join(this.dir, name), "utf8")) as TenantState);
        return out;
    }

    /** Durably replaces a tenant's file with `text`. */
    async write(tenantId: string, text: string): Promise<void> {
        await writeFileAtomic(this.filePath(tenantId), text);
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
