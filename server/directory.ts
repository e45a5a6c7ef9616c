/**
 * The directory port: what a backend must provide so that the tenant domain service (server/tenant.ts) can run a
 * tenant on it. A directory stores and fetches: policies with their owner and version tag, users with their direct
 * assignment and its owner, batch operations. It decides nothing about the API: which identities are valid, who owns
 * what, when a write happens, what If-Match means, how a batch runs and how long it is kept are the service's rules.
 *
 * Adapters: the emulator's SQLite-backed tenant (emulator/tenant.ts) and the gateway over the Skype for Business
 * Management Shell plus its side store (gateway/backend.ts). A directory answers "not found" with `undefined` or an
 * empty list, and throws an `ApiError` (server/errors.ts) only for what it alone can know (a cmdlet's refusal, an
 * unavailable shell, a policy that already exists when the server says so).
 */
import type { WireValue } from "../api/catalogue";
import type { BatchStatus, BatchUserResult, WireSite, WireUser } from "../api/contract";
import type { PolicyIdentity } from "../api/identity";
import type { ApiError } from "./errors";

/**
 * A stored policy. `identity` as the directory spells it, `settings` only the set ones (under their catalogue names),
 * `owner` the `@owner` annotation or null, `etag` the quoted entity tag of this version: it changes whenever the
 * settings or the owner change.
 */
export interface DirectoryPolicy {
    identity: string;
    etag: string;
    owner: string | null;
    settings: Record<string, WireValue>;
}

/** A write of one policy: the settings to change (a value sets, null unsets) and the owner after the write. */
export interface PolicyWrite {
    /** New-CsClientPolicy (the policy does not exist yet) rather than Set-CsClientPolicy. */
    create: boolean;
    settings: Record<string, WireValue | null>;
    owner: string | null;
}

/** A change of one user's direct assignment: `user` as last read, the tag policy's stored name (null: none), its owner. */
export interface AssignmentWrite {
    user: WireUser;
    policy: string | null;
    owner: string | null;
}

/** Who started a batch, kept so that work done later in the background can still be attributed (audit lines). */
export interface BatchOrigin {
    requestId: string;
    clientId: string | null;
    remoteAddress: string | null;
    method: string;
    route: string;
}

/** A batch assignment: `pending` holds the users not yet processed, so a restart resumes where it stopped. */
export interface BatchRecord {
    id: string;
    /** The tag policy's stored name (without `Tag:`), null to unassign. */
    policyName: string | null;
    /** Owner recorded on every assignment the batch makes (null: none). */
    owner: string | null;
    status: BatchStatus;
    createdDateTime: string;
    pending: string[];
    results: BatchUserResult[];
    /** Digest of the POST that named an `OperationId` (server/batch.ts), else null. */
    requestHash: string | null;
    /** Null when the directory does not keep origins or the batch was stored before it did. */
    origin?: BatchOrigin | null;
    /** The tenant that holds the batch, when the directory's ids are unique across tenants (see {@link BatchLog.find}). */
    tenantId?: string;
}

/** Where a tenant's batch operations are kept between requests and across restarts. */
export interface BatchLog {
    /** Records a new batch and drops the oldest completed ones beyond `keepCompleted`. */
    add(batch: BatchRecord, keepCompleted: number): Promise<void>;
    /** Makes a batch's progress durable (status, pending users, results so far). */
    save(batch: BatchRecord): Promise<void>;
    /**
     * A batch by id (compared case-insensitively). With `anyTenant`, a directory whose ids are unique across the
     * tenants it hosts also answers another tenant's batch (with `tenantId` set), so that its id is not reused.
     */
    find(id: string, anyTenant?: boolean): Promise<BatchRecord | undefined>;
    /** The oldest batch not yet completed. */
    nextUnfinished(): Promise<BatchRecord | undefined>;
}

/** One tenant's storage, as the domain service sees it. */
export interface TenantDirectory {
    /** Tenant id as provisioned. */
    readonly id: string;
    /** Users a batch resolves and grants per step (each step made durable before the next). */
    readonly batchChunk: number;
    readonly batches: BatchLog;
    /** Every policy, in listing order. */
    listPolicies(): Promise<DirectoryPolicy[]>;
    readPolicy(id: PolicyIdentity): Promise<DirectoryPolicy | undefined>;
    /** Creates or changes a policy; answers the policy as stored afterwards. */
    writePolicy(id: PolicyIdentity, write: PolicyWrite): Promise<DirectoryPolicy>;
    /**
     * Remove-CsClientPolicy of an existing policy, clearing its owner. The server keeps Global and resets its settings
     * to the documented defaults: Global is answered as reset; a removed policy answers undefined.
     */
    deletePolicy(id: PolicyIdentity, current: DirectoryPolicy): Promise<DirectoryPolicy | undefined>;
    /**
     * For each identity (already checked by the identity rule and trimmed), every user it names: none, one or several
     * (display names are not unique), or the error that kept the directory from looking.
     */
    findUsers(identities: readonly string[]): Promise<Array<WireUser[] | ApiError>>;
    /** Every user, when the directory can list them (`GET /users` answers 501 otherwise). */
    listUsers?(): Promise<WireUser[]>;
    /** The topology's sites, when the directory knows them (`GET /sites` answers 501 otherwise). */
    listSites?(): Promise<WireSite[]>;
    /** The users directly granted a tag policy (by its stored identity). */
    usersWithPolicy(identity: string): Promise<WireUser[]>;
    /**
     * Applies assignment changes. Per entry: the user afterwards (read again with `readBack`, for a single grant's
     * reply; else `user` with the write applied), or the error that kept it from being done.
     */
    setAssignments(writes: readonly AssignmentWrite[], readBack?: boolean): Promise<Array<WireUser | ApiError>>;
}
