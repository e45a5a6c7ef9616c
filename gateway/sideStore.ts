/**
 * What Skype for Business Server cannot hold for the gateway, in SQLite beside it (`gateway.sqlite` in the data
 * directory, via server/sqlite.ts: WAL, synchronous=FULL, so an acknowledged write survives a crash): the owner
 * annotation of each policy, the owner of each user assignment the gateway made, and batch operations with their
 * pending users and results (so a restart resumes them). Keys are lower-cased (identities are case-insensitive).
 */
import type { BatchOperationView, BatchStatus, BatchUserResult } from "../api/contract";
import { openDatabase, transaction, type Database } from "../server/sqlite";

/** A stored batch operation. */
export interface StoredBatch {
    id: string;
    tenantId: string;
    policyName: string | null;
    owner: string | null;
    status: BatchStatus;
    createdDateTime: string;
    pending: string[];
    results: BatchUserResult[];
}

/** Completed batch operations kept per tenant for polling. */
const BATCH_HISTORY = 20;

/** The side store. Synchronous (node:sqlite is), each write one transaction. */
export class SideStore {
    private constructor(private readonly db: Database) {}

    /** Opens (creating) the store at `file`. */
    static open(file: string): SideStore {
        const db = openDatabase(file, {
            migrations: [{
                version: 1,
                up: (d) => d.exec(`
                    CREATE TABLE policy_owner (tenant TEXT NOT NULL, policy TEXT NOT NULL, owner TEXT NOT NULL, PRIMARY KEY (tenant, policy));
                    CREATE TABLE assignment_owner (tenant TEXT NOT NULL, user_id TEXT NOT NULL, policy TEXT NOT NULL, owner TEXT NOT NULL, PRIMARY KEY (tenant, user_id));
                    CREATE TABLE batch (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, policy TEXT, owner TEXT, status TEXT NOT NULL,
                        created TEXT NOT NULL, pending TEXT NOT NULL, results TEXT NOT NULL, seq INTEGER NOT NULL);
                `),
            }],
        });
        return new SideStore(db);
    }

    close(): void {
        this.db.close();
    }

    /** The owner annotation of a policy (key: lower-cased canonical identity), or null. */
    policyOwner(tenant: string, policyKey: string): string | null {
        const row = this.db.prepare("SELECT owner FROM policy_owner WHERE tenant = ? AND policy = ?").get(tenant.toLowerCase(), policyKey) as { owner: string } | undefined;
        return row?.owner ?? null;
    }

    /** Records (or with null clears) a policy's owner. */
    setPolicyOwner(tenant: string, policyKey: string, owner: string | null): void {
        if (owner === null) this.db.prepare("DELETE FROM policy_owner WHERE tenant = ? AND policy = ?").run(tenant.toLowerCase(), policyKey);
        else this.db.prepare("INSERT INTO policy_owner (tenant, policy, owner) VALUES (?, ?, ?) ON CONFLICT (tenant, policy) DO UPDATE SET owner = excluded.owner").run(tenant.toLowerCase(), policyKey, owner);
    }

    /** Every policy owner of a tenant, by policy key. */
    policyOwners(tenant: string): Map<string, string> {
        const rows = this.db.prepare("SELECT policy, owner FROM policy_owner WHERE tenant = ?").all(tenant.toLowerCase()) as Array<{ policy: string; owner: string }>;
        return new Map(rows.map((r) => [r.policy, r.owner]));
    }

    /**
     * The owner of a user's assignment, valid only while the user still holds the policy it was recorded for (an
     * administrator's Grant-CsClientPolicy in the shell makes it stale: then null).
     */
    assignmentOwner(tenant: string, userId: string, currentPolicy: string | null): string | null {
        if (currentPolicy === null) return null;
        const row = this.db.prepare("SELECT policy, owner FROM assignment_owner WHERE tenant = ? AND user_id = ?").get(tenant.toLowerCase(), userId.toLowerCase()) as { policy: string; owner: string } | undefined;
        return row && row.policy === currentPolicy.toLowerCase() ? row.owner : null;
    }

    /** Records the owner of assignments just confirmed by the shell (owner null or policy null: cleared). */
    setAssignmentOwners(tenant: string, entries: Array<{ userId: string; policy: string | null; owner: string | null }>): void {
        const del = this.db.prepare("DELETE FROM assignment_owner WHERE tenant = ? AND user_id = ?");
        const put = this.db.prepare("INSERT INTO assignment_owner (tenant, user_id, policy, owner) VALUES (?, ?, ?, ?) ON CONFLICT (tenant, user_id) DO UPDATE SET policy = excluded.policy, owner = excluded.owner");
        transaction(this.db, () => {
            for (const e of entries) {
                if (e.policy === null || e.owner === null) del.run(tenant.toLowerCase(), e.userId.toLowerCase());
                else put.run(tenant.toLowerCase(), e.userId.toLowerCase(), e.policy.toLowerCase(), e.owner);
            }
        });
    }

    /** Records a new batch and drops the oldest completed ones beyond the history limit. */
    addBatch(b: StoredBatch): void {
        transaction(this.db, () => {
            const seq = (this.db.prepare("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM batch").get() as { n: number }).n;
            this.db.prepare("INSERT INTO batch (id, tenant, policy, owner, status, created, pending, results, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .run(b.id, b.tenantId.toLowerCase(), b.policyName, b.owner, b.status, b.createdDateTime, JSON.stringify(b.pending), JSON.stringify(b.results), seq);
            this.db.prepare(`DELETE FROM batch WHERE tenant = ? AND status = 'Completed' AND id NOT IN
                (SELECT id FROM batch WHERE tenant = ? AND status = 'Completed' ORDER BY seq DESC LIMIT ${BATCH_HISTORY})`).run(b.tenantId.toLowerCase(), b.tenantId.toLowerCase());
        });
    }

    /** Saves a batch's progress (one chunk: its status, what is still pending and the results so far). */
    saveBatch(b: StoredBatch): void {
        this.db.prepare("UPDATE batch SET status = ?, pending = ?, results = ? WHERE id = ?").run(b.status, JSON.stringify(b.pending), JSON.stringify(b.results), b.id);
    }

    /** A batch of a tenant by id (case-insensitive), or undefined. */
    batch(tenant: string, id: string): StoredBatch | undefined {
        const row = this.db.prepare("SELECT * FROM batch WHERE tenant = ? AND lower(id) = ?").get(tenant.toLowerCase(), id.toLowerCase()) as Record<string, string> | undefined;
        return row && this.toBatch(row);
    }

    /** Unfinished batches of a tenant, oldest first (resumed at start). */
    unfinished(tenant: string): StoredBatch[] {
        const rows = this.db.prepare("SELECT * FROM batch WHERE tenant = ? AND status <> 'Completed' ORDER BY seq").all(tenant.toLowerCase()) as Array<Record<string, string>>;
        return rows.map((r) => this.toBatch(r));
    }

    private toBatch(r: Record<string, string>): StoredBatch {
        return {
            id: r.id, tenantId: r.tenant, policyName: r.policy ?? null, owner: r.owner ?? null, status: r.status as BatchStatus,
            createdDateTime: r.created, pending: JSON.parse(r.pending), results: JSON.parse(r.results),
        };
    }
}

/** A stored batch in wire form. */
export function batchWire(b: StoredBatch): BatchOperationView {
    return { OperationId: b.id, PolicyType: "ClientPolicy", PolicyName: b.policyName, Status: b.status, CreatedDateTime: b.createdDateTime, Results: b.results };
}
