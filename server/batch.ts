/**
 * The replay rule of batch assignments, shared by every backend (the emulator's tenant, the gateway).
 *
 * `POST /Skype.Policy/batchAssignments` is not idempotent, yet clients retry it (a lost reply, a 503 from a proxy):
 * without a rule a retry starts a second batch. A client therefore names each logical batch with an `OperationId`
 * (`BatchRequest` in api/contract.ts) and repeats it unchanged on every retry. A backend keeps, per tenant, each batch's
 * id with a digest of the request ({@link batchRequestHash}) for as long as it keeps the batch for polling, and decides
 * with {@link replayedBatch}: same id and same request → the original batch is answered (202, nothing new starts);
 * same id, different request → 409 `OperationIdConflict`; unknown id → a new batch under that id.
 */
import { createHash } from "node:crypto";
import { isOperationId, OPERATION_ID_MAX_LENGTH } from "../api/contract";
import { Errors } from "./errors";

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
