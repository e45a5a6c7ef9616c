/**
 * Batch assignments: the replay rule of `OperationId` and the batch engine ({@link BatchEngine}) of the tenant domain
 * service (server/tenant.ts), over a directory's {@link BatchLog} (server/directory.ts).
 *
 * `POST /Skype.Policy/batchAssignments` is not idempotent, yet clients retry it (a lost reply, a 503 from a proxy):
 * without a rule a retry starts a second batch. A client therefore names each logical batch with an `OperationId`
 * (`BatchRequest` in api/contract.ts) and repeats it unchanged on every retry. A backend keeps, per tenant, each batch's
 * id with a digest of the request ({@link batchRequestHash}) for as long as it keeps the batch for polling, and decides
 * with {@link replayedBatch}: same id and same request → the original batch is answered (202, nothing new starts);
 * same id, different request → 409 `OperationIdConflict`; unknown id → a new batch under that id.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash, randomUUID } from "node:crypto";
import { isOperationId, OPERATION_ID_MAX_LENGTH, type BatchOperationView, type BatchUserResult, type WireUser } from "../api/contract";
import { foldIdentity } from "../api/identity";
import type { AssignmentWrite, BatchRecord, TenantDirectory } from "./directory";
import { ApiError, Errors } from "./errors";
import { KeyedLock } from "./keyedLock";
import { currentRequest } from "./requestScope";

/** What identifies a batch POST for replay: the client's id and the digest of what the request asks for. */
export interface BatchReplayKey {
    readonly operationId: string;
    readonly requestHash: string;
}

/** The parts of a batch request that decide what it does (as received, after the route's shape checks). */
export interface BatchRequestParts {
    readonly policyType: string;
    readonly policyName: unknown;
    readonly users: readonly string[];
    readonly owner: string | null;
}

/** A batch a backend already knows, as far as the replay rule needs it (`requestHash` null: stored without one). */
export interface KnownBatch {
    readonly id: string;
    readonly requestHash: string | null;
}

/**
 * The `OperationId` of a batch body: undefined when absent, the id when well-formed, 400 `InvalidParameter` naming
 * `OperationId` otherwise.
 */
export function parseBatchOperationId(value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (isOperationId(value)) return value;
    const got = typeof value === "string" ? JSON.stringify(value.slice(0, 80)) : value === null ? "null" : typeof value;
    throw Errors.invalidParameter("OperationId",
        `OperationId must be 1–${OPERATION_ID_MAX_LENGTH} letters, digits or hyphens (a UUID, the same on every retry of one batch), got ${got}.`);
}

/**
 * SHA-256 (hex) of the request's meaning: policy type (case-insensitive, as routes match it), policy name, users in
 * order, owner. A retry sends the same body, so it hashes the same; any change to what the batch would do does not.
 */
export function batchRequestHash(req: BatchRequestParts): string {
    const canonical = JSON.stringify([req.policyType.toLowerCase(), req.policyName ?? null, req.users, req.owner]);
    return createHash("sha256").update(canonical).digest("hex");
}

/** Operation ids are compared case-insensitively (a UUID's hex digits may come in either case). */
export function sameOperationId(a: string, b: string): boolean {
    return a.toLowerCase() === b.toLowerCase();
}

/**
 * The replay rule. `known` is the tenant's batch with the key's id (any case), if any. Returns the id of the batch to
 * answer with when the POST repeats it (the caller starts nothing), undefined when the id is new (the caller starts a
 * batch under `key.operationId`), and throws 409 `OperationIdConflict` when the id is taken by a different request
 * (or by a batch stored without a request digest, which cannot be shown to be the same).
 */
export function replayedBatch(known: KnownBatch | undefined, key: BatchReplayKey): string | undefined {
    if (known === undefined) return undefined;
    if (!sameOperationId(known.id, key.operationId)) throw new Error("replayedBatch: the known batch has another id");
    if (known.requestHash !== null && known.requestHash === key.requestHash) return known.id;
    throw Errors.operationIdConflict(key.operationId);
}

/** Completed batch operations kept per tenant, for polling and for recognising a retried POST; older ones are dropped. */
export const BATCH_HISTORY = 20;

const batchScope = new AsyncLocalStorage<BatchRecord>();

/**
 * The batch whose step is running: the engine runs each step inside this scope, outside any request, so a directory can
 * attribute the step's work to the batch (the gateway's audit lines name the request that started it).
 */
export function currentBatch(): BatchRecord | undefined {
    return batchScope.getStore();
}

/** What the engine needs of the tenant's rules. */
export interface BatchRules {
    /** The stored name of the tag policy a `PolicyName` grants (null: unassign), or the ApiError a grant would answer. */
    grantTarget(policyName: unknown): Promise<string | null>;
    /** Per identity, the one user it names or the error `GET /users/{identity}` would answer. */
    lookUp(identities: readonly string[]): Promise<Array<WireUser | ApiError>>;
}

/** Whether a failure means "try again later" (an unavailable or hung shell) rather than a failed batch. */
function transient(e: unknown): boolean {
    return e instanceof ApiError && (e.status === 503 || e.status === 504);
}

/** Pause before a step that failed transiently is tried again. */
const RETRY_PAUSE_MS = 500;

/**
 * The batch engine of one tenant. A batch is validated and recorded at once; a background worker then processes the
 * tenant's unfinished batches one after another, oldest first, in steps of the directory's `batchChunk` users, each
 * step durable (results and pending users saved) before the next, so progress is observable as `InProgress` and a
 * restart resumes at the last saved step. Each step re-checks the policy (it may have been removed since the batch was
 * accepted) and writes only the assignments that change.
 */
export class BatchEngine {
    private readonly locks = new KeyedLock();
    private worker?: Promise<void>;
    private stopping = false;

    constructor(private readonly directory: TenantDirectory, private readonly rules: BatchRules) {}

    /**
     * Validates and records a batch; returns its id. With `replay` (the POST named an `OperationId`) the replay rule
     * decides first, under a lock per id so two concurrent retries cannot both start it. An id a directory knows in
     * another tenant is a conflict too, without telling whose.
     */
    async start(policyName: unknown, users: readonly string[], owner: string | null, replay?: BatchReplayKey): Promise<string> {
        const start = async (): Promise<string> => {
            if (replay) {
                const known = await this.directory.batches.find(replay.operationId, true);
                if (known?.tenantId !== undefined && foldIdentity(known.tenantId) !== foldIdentity(this.directory.id)) {
                    throw Errors.operationIdConflict(replay.operationId);
                }
                const again = replayedBatch(known, replay);
                if (again !== undefined) return again;
            }
            const target = await this.rules.grantTarget(policyName);
            const r = currentRequest();
            const batch: BatchRecord = {
                id: replay?.operationId ?? randomUUID(), policyName: target, owner: target === null ? null : owner, status: "NotStarted",
                createdDateTime: new Date().toISOString(), pending: [...users], results: [], requestHash: replay?.requestHash ?? null,
                origin: r ? { requestId: r.requestId, clientId: r.clientId ?? null, remoteAddress: r.remoteAddress ?? null, method: r.method, route: r.route } : null,
            };
            await this.directory.batches.add(batch, BATCH_HISTORY);
            this.resume();
            return batch.id;
        };
        return replay ? this.locks.run(replay.operationId.toLowerCase(), start) : start();
    }

    /** A batch's status and results; 404 `OperationNotFound`. */
    async view(id: string): Promise<BatchOperationView> {
        const b = await this.directory.batches.find(id);
        if (!b) throw Errors.operationNotFound(id);
        return { OperationId: b.id, PolicyType: "ClientPolicy", PolicyName: b.policyName, Status: b.status, CreatedDateTime: b.createdDateTime, Results: b.results };
    }

    /** Starts the worker if unfinished batches exist (after an accepted batch, and at start after a restart). */
    resume(): void {
        if (this.worker || this.stopping) return;
        this.worker = this.run().finally(() => {
            this.worker = undefined;
        });
    }

    /** Stops after the current step and waits for its save; unfinished batches resume at the next start. */
    async stop(): Promise<void> {
        this.stopping = true;
        await this.worker;
    }

    private async run(): Promise<void> {
        for (;;) {
            const batch = await this.directory.batches.nextUnfinished();
            if (!batch || this.stopping) return;
            // Yield so requests (status polls among them) interleave with steps.
            await new Promise((r) => setTimeout(r, 0));
            try {
                await batchScope.run(batch, () => this.step(batch));
            } catch (e) {
                // Unavailable: nothing of this step is recorded as done; it is tried again after a pause.
                if (transient(e)) {
                    await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
                    continue;
                }
                for (const user of batch.pending.splice(0)) batch.results.push({ User: user, Status: "Failed", Error: { code: "InternalServerError", message: (e as Error).message } });
                batch.status = "Completed";
                await this.directory.batches.save(batch);
            }
        }
    }

    /** Resolves and grants one step of a batch, then saves its results. */
    private async step(batch: BatchRecord): Promise<void> {
        batch.status = "InProgress";
        const chunk = batch.pending.slice(0, this.directory.batchChunk);
        const results: BatchUserResult[] = [];
        let target: string | null = null;
        let policyError: ApiError | undefined;
        try {
            target = batch.policyName === null ? null : await this.rules.grantTarget(`Tag:${batch.policyName}`);
        } catch (e) {
            if (!(e instanceof ApiError) || transient(e)) throw e;
            policyError = e;
        }
        const failed = (user: string, e: ApiError): BatchUserResult => ({ User: user, Status: "Failed", Error: { code: e.code, message: e.message } });
        const found = policyError ? [] : await this.rules.lookUp(chunk);
        const writes: AssignmentWrite[] = [];
        const at: number[] = [];
        const owner = target === null ? null : batch.owner;
        chunk.forEach((user, i) => {
            if (policyError) return void (results[i] = failed(user, policyError));
            const u = found[i];
            if (u instanceof ApiError) return void (results[i] = failed(user, u));
            if (isAssignedTo(u, target) && u.ClientPolicyOwner === owner) results[i] = { User: user, Status: "Succeeded", Id: u.Id };
            else {
                writes.push({ user: u, policy: target, owner });
                at.push(i);
            }
        });
        const done = await this.directory.setAssignments(writes);
        done.forEach((r, k) => {
            const user = chunk[at[k]];
            results[at[k]] = r instanceof ApiError ? failed(user, r) : { User: user, Status: "Succeeded", Id: r.Id };
        });
        batch.results.push(...results);
        batch.pending.splice(0, chunk.length);
        batch.status = batch.pending.length === 0 ? "Completed" : "InProgress";
        await this.directory.batches.save(batch);
    }
}

/** Whether a user's direct assignment is `policy` (a stored tag name, or null: none), names folded by the identity rule. */
export function isAssignedTo(user: WireUser, policy: string | null): boolean {
    return user.ClientPolicy === null || policy === null ? user.ClientPolicy === policy : foldIdentity(user.ClientPolicy) === foldIdentity(policy);
}
