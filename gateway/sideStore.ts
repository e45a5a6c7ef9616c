/**
 * What Skype for Business Server cannot hold for the gateway, in SQLite beside it (`gateway.sqlite` in the data
 * directory, via server/sqlite.ts: WAL, synchronous=FULL, so an acknowledged write survives a crash): the owner
 * annotation of each policy, the owner of each user assignment the gateway made, and batch operations with their
 * pending users, results, replay digest and origin (so a restart resumes them, a retried POST finds its batch, and the
 * audit lines of a resumed batch still name who asked). Identity keys are folded with the one rule of api/identity.ts
 * ({@link foldIdentity}: the server's ordinal ignore-case comparison), so the store matches what the server matches.
 *
 * A policy owner is recorded before New-CsClientPolicy runs and marked `pending` until the create is confirmed: an
 * interrupted create (the shell died or hung) must not leave an owner for a policy that was never made, so a pending
 * owner is dropped by the first read that finds no such policy, and confirmed by one that finds it.
 */
import type { BatchStatus } from "../api/contract";
import { foldIdentity } from "../api/identity";
import type { BatchOrigin, BatchRecord } from "../server/directory";
import { openDatabase, transaction, type Database } from "../server/sqlite";

/** A stored batch operation, with its tenant (ids are unique across the store) and origin (null: stored before origins were). */
export interface StoredBatch extends BatchRecord {
    tenantId: string;
    origin: BatchOrigin | null;
}

const key = (s: string): string => foldIdentity(s);

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
            }, {
                version: 2,
                up: (d) => {
                    d.exec(`
                        ALTER TABLE policy_owner ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
                        ALTER TABLE batch ADD COLUMN request_hash TEXT;
                        ALTER TABLE batch ADD COLUMN origin TEXT;
                    `);
                    // Version 1 keys were lower-cased with JavaScript's rule; re-key them with the folding rule.
                    for (const r of d.prepare("SELECT tenant, policy FROM policy_owner").all() as Array<{ tenant: string; policy: string }>) {
                        d.prepare("UPDATE OR REPLACE policy_owner SET tenant = ?, policy = ? WHERE tenant = ? AND policy = ?").run(key(r.tenant), key(r.policy), r.tenant, r.policy);
                    }
                    for (const r of d.prepare("SELECT tenant, user_id, policy FROM assignment_owner").all() as Array<{ tenant: string; user_id: string; policy: string }>) {
                        d.prepare("UPDATE OR REPLACE assignment_owner SET tenant = ?, user_id = ?, policy = ? WHERE tenant = ? AND user_id = ?").run(key(r.tenant), key(r.user_id), key(r.policy), r.tenant, r.user_id);
                    }
                    for (const r of d.prepare("SELECT id, tenant FROM batch").all() as Array<{ id: string; tenant: string }>) {
                        d.prepare("UPDATE batch SET tenant = ? WHERE id = ?").run(key(r.tenant), r.id);
                    }
                },
            }],
        });
        return new SideStore(db);
    }

    close(): void {
        this.db.close();
    }

    /** The owner annotation of a policy (by canonical identity or its key), or null; `pending` tells an unconfirmed create's. */
    policyOwnerRecord(tenant: string, policy: string): { owner: string; pending: boolean } | undefined {
        const row = this.db.prepare("SELECT owner, pending FROM policy_owner WHERE tenant = ? AND policy = ?").get(key(tenant), key(policy)) as { owner: string; pending: number } | undefined;
        return row && { owner: row.owner, pending: row.pending !== 0 };
    }

    /** The owner annotation of a policy (by canonical identity or its key), or null. */
    policyOwner(tenant: string, policy: string): string | null {
        return this.policyOwnerRecord(tenant, policy)?.owner ?? null;
    }

    /**
     * Records (or with null clears) a policy's owner; `pending` marks the owner of a create not yet confirmed by the
     * shell ({@link confirmPolicyOwner}, or dropped by {@link dropPendingPolicyOwner}).
     */
    setPolicyOwner(tenant: string, policy: string, owner: string | null, pending = false): void {
        if (owner === null) this.db.prepare("DELETE FROM policy_owner WHERE tenant = ? AND policy = ?").run(key(tenant), key(policy));
        else this.db.prepare("INSERT INTO policy_owner (tenant, policy, owner, pending) VALUES (?, ?, ?, ?) ON CONFLICT (tenant, policy) DO UPDATE SET owner = excluded.owner, pending = excluded.pending")
            .run(key(tenant), key(policy), owner, pending ? 1 : 0);
    }

    /** The policy exists: a pending owner becomes its owner. */
    confirmPolicyOwner(tenant: string, policy: string): void {
        this.db.prepare("UPDATE policy_owner SET pending = 0 WHERE tenant = ? AND policy = ? AND pending <> 0").run(key(tenant), key(policy));
    }

    /** The policy does not exist: a pending owner (of a create that never happened) is dropped; returns whether one was. */
    dropPendingPolicyOwner(tenant: string, policy: string): boolean {
        return Number(this.db.prepare("DELETE FROM policy_owner WHERE tenant = ? AND policy = ? AND pending <> 0").run(key(tenant), key(policy)).changes) > 0;
    }

    /** Every policy owner of a tenant, by folded policy key (pending ones too: the list shows policies that exist). */
    policyOwners(tenant: string): Map<string, string> {
        const rows = this.db.prepare("SELECT policy, owner FROM policy_owner WHERE tenant = ?").all(key(tenant)) as Array<{ policy: string; owner: string }>;
        return new Map(rows.map((r) => [r.policy, r.owner]));
    }

    /**
     * The owner of a user's assignment, valid only while the user still holds the policy it was recorded for (an
     * administrator's Grant-CsClientPolicy in the shell makes it stale: then null).
     */
    assignmentOwner(tenant: string, userId: string, currentPolicy: string | null): string | null {
        if (currentPolicy === null) return null;
        const row = this.db.prepare("SELECT policy, owner FROM assignment_owner WHERE tenant = ? AND user_id = ?").get(key(tenant), key(userId)) as { policy: string; owner: string } | undefined;
        return row && row.policy === key(currentPolicy) ? row.owner : null;
    }

    /** Records the owner of assignments just confirmed by the shell (owner null or policy null: cleared). */
    setAssignmentOwners(tenant: string, entries: Array<{ userId: string; policy: string | null; owner: string | null }>): void {
        const del = this.db.prepare("DELETE FROM assignment_owner WHERE tenant = ? AND user_id = ?");
        const put = this.db.prepare("INSERT INTO assignment_owner (tenant, user_id, policy, owner) VALUES (?, ?, ?, ?) ON CONFLICT (tenant, user_id) DO UPDATE SET policy = excluded.policy, owner = excluded.owner");
        transaction(this.db, () => {
            for (const e of entries) {
                if (e.policy === null || e.owner === null) del.run(key(tenant), key(e.userId));
                else put.run(key(tenant), key(e.userId), key(e.policy), e.owner);
            }
        });
    }

    /** Records a new batch and drops the oldest completed ones beyond `keepCompleted`. */
    addBatch(b: StoredBatch, keepCompleted: number): void {
        transaction(this.db, () => {
            const seq = (this.db.prepare("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM batch").get() as { n: number }).n;
            this.db.prepare("INSERT INTO batch (id, tenant, policy, owner, status, created, pending, results, seq, request_hash, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .run(b.id, key(b.tenantId), b.policyName, b.owner, b.status, b.createdDateTime, JSON.stringify(b.pending), JSON.stringify(b.results), seq,
                    b.requestHash, b.origin === null ? null : JSON.stringify(b.origin));
            this.db.prepare(`DELETE FROM batch WHERE tenant = ? AND status = 'Completed' AND id NOT IN
                (SELECT id FROM batch WHERE tenant = ? AND status = 'Completed' ORDER BY seq DESC LIMIT ?)`).run(key(b.tenantId), key(b.tenantId), keepCompleted);
        });
    }

    /** Saves a batch's progress (one chunk: its status, what is still pending and the results so far). */
    saveBatch(b: BatchRecord): void {
        this.db.prepare("UPDATE batch SET status = ?, pending = ?, results = ? WHERE id = ?").run(b.status, JSON.stringify(b.pending), JSON.stringify(b.results), b.id);
    }

    /** A batch of a tenant by id (operation ids are letters, digits and hyphens, compared case-insensitively), or undefined. */
    batch(tenant: string, id: string): StoredBatch | undefined {
        const row = this.db.prepare("SELECT * FROM batch WHERE tenant = ? AND lower(id) = ?").get(key(tenant), id.toLowerCase()) as Record<string, string> | undefined;
        return row && this.toBatch(row);
    }

    /** A batch by id in any tenant (ids are unique across the store), or undefined. */
    batchAnyTenant(id: string): StoredBatch | undefined {
        const row = this.db.prepare("SELECT * FROM batch WHERE lower(id) = ?").get(id.toLowerCase()) as Record<string, string> | undefined;
        return row && this.toBatch(row);
    }

    /** Unfinished batches of a tenant, oldest first (resumed at start). */
    unfinished(tenant: string): StoredBatch[] {
        const rows = this.db.prepare("SELECT * FROM batch WHERE tenant = ? AND status <> 'Completed' ORDER BY seq").all(key(tenant)) as Array<Record<string, string>>;
        return rows.map((r) => this.toBatch(r));
    }

    private toBatch(r: Record<string, string>): StoredBatch {
        return {
            id: r.id, tenantId: r.tenant, policyName: r.policy ?? null, owner: r.owner ?? null, status: r.status as BatchStatus,
            createdDateTime: r.created, pending: JSON.parse(r.pending), results: JSON.parse(r.results),
            requestHash: r.request_hash ?? null, origin: r.origin ? JSON.parse(r.origin) as BatchOrigin : null,
        };
    }
}
