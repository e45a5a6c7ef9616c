/**
 * The backend interface of the tenant API layer. The routes (server/routes.ts) validate the HTTP request (paths,
 * headers, body shapes, paging) and call one {@link TenantBackend}; the backend owns the domain rules (policy bodies
 * against the catalogue, owners, ETags, users, grants, batches). Implementations: the emulator's in-memory tenant
 * (emulator/backend.ts) and the Skype for Business Server gateway over the Management Shell (gateway/backend.ts).
 * Every method may throw an `ApiError` (server/errors.ts); anything else answers 500.
 */
import type { BatchOperationView, ResolveResult, WirePolicy, WireSite, WireUser } from "../api/contract";
import type { TokenClaims } from "./auth";
import type { BatchReplayKey } from "./batch";

/** A policy in wire form with its current entity tag (a quoted string, as sent in `ETag`). */
export interface PolicyState {
    policy: WirePolicy;
    etag: string;
}

/** One tenant as the API layer sees it. */
export interface TenantBackend {
    /** Tenant id as provisioned (the canonical spelling). */
    readonly id: string;
    /** Every policy (the routes page and sort them by identity). */
    listPolicies(): Promise<WirePolicy[]>;
    /** A policy by identity; 400 InvalidParameter for a bad identity, 404 PolicyNotFound. */
    getPolicy(identity: string): Promise<PolicyState>;
    /** New-CsClientPolicy with the body's settings and `@owner`; 409 PolicyAlreadyExists. */
    createPolicy(identity: string, body: unknown): Promise<PolicyState>;
    /**
     * `replace` (PUT: unset what the body omits; `@owner` recorded when given) or `patch` (merge patch /
     * Set-CsClientPolicy: the owner never changes). 412 PreconditionFailed when `ifMatch` names another version.
     * A change-free request keeps the ETag and writes nothing.
     */
    updatePolicy(identity: string, body: unknown, mode: "replace" | "patch", ifMatch?: string): Promise<PolicyState>;
    /** Remove-CsClientPolicy: Global (and sites) reset and answered; tags removed (undefined). 409 PolicyInUse unless force. */
    removePolicy(identity: string, force: boolean, ifMatch?: string): Promise<PolicyState | undefined>;
    /** Users directly granted a policy (404 when the policy does not exist). */
    assignedUsers(identity: string): Promise<WireUser[]>;
    /** The one user an identity names; 404 UserNotFound, 409 AmbiguousIdentity. */
    getUser(identity: string): Promise<WireUser>;
    /** Resolves identities in request order, each to a user or the error `getUser` would answer. Writes nothing. */
    resolveUsers(identities: string[]): Promise<ResolveResult[]>;
    /** Grant-CsClientPolicy for one user (`policyName` null unassigns), recording `owner` on the assignment. */
    grant(userIdentity: string, policyName: unknown, owner: string | null): Promise<WireUser>;
    /**
     * Validates and records a batch assignment processed in the background; returns its operation id. With `replay`
     * (the request carried an `OperationId`) the backend applies `replayedBatch` (server/batch.ts) first: a known id
     * with the same request returns that batch's id and starts nothing, a known id with another request is 409
     * `OperationIdConflict`, a new id becomes the new batch's id (kept with `replay.requestHash`).
     */
    startBatch(policyName: unknown, users: string[], owner: string | null, replay?: BatchReplayKey): Promise<string>;
    /** A batch operation's status and results; 404 OperationNotFound. */
    getBatch(id: string): Promise<BatchOperationView>;
    /** Every user with its Registrar pool and site (server/userRoutes.ts filters, pages and counts). Absent: 501. */
    listUsers?(): Promise<WireUser[]>;
    /** The topology's sites with their pools. Absent: 501. */
    listSites?(): Promise<WireSite[]>;
}

/** Outcome of a client-credentials check at the token endpoint. */
export type ClientCheck = { ok: true; tenantId: string; cred?: string } | { ok: false; reason: "noTenant" | "badClient" };

/** The tenants a server hosts and the clients allowed to call them. */
export interface BackendDirectory {
    /** The backend of a tenant (case-insensitive id), or undefined. */
    tenant(id: string): TenantBackend | undefined;
    /** Checks a client id and secret for a tenant (constant-time where secrets are compared). */
    authenticate(tenantId: string, clientId: string, clientSecret: string): ClientCheck | Promise<ClientCheck>;
    /**
     * Whether a validly signed, unexpired token may still be used, asked on every request: undefined to admit, else the
     * reason it is refused (answered 401). The gateway refuses tokens of clients no longer in its configuration, no
     * longer allowed the tenant, whose secret changed, or that outlive the configured token lifetime. Absent: every
     * signed token is good until it expires (the emulator, like a cloud tenant's issued access tokens).
     */
    admit?(claims: TokenClaims): string | undefined;
    /** Called once per authenticated tenant request (the emulator's request counter). */
    countRequest?(tenantId: string): void;
}
