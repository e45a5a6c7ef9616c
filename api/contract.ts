/**
 * The tenant API wire contract: the one place that says what travels between the provider (and any other client) and
 * a tenant backend (the emulator, the Skype for Business Server gateway). Types, limits, routes, headers and the error
 * body (its codes are the error table's, api/errors.ts). The OpenAPI document (`api/openapi.ts` → `api/openapi.yaml`) is generated from this module and the settings
 * catalogue; the provider's client, the emulator and the tests import it. Imports nothing in-house.
 *
 * Sources: the cmdlet reference (New/Set/Get/Remove/Grant-CsClientPolicy, ../shared/CSCLIENTPOLICY.md) for names and
 * semantics; ../shared/TENANT-API.md for the HTTP shape.
 */

// ---------------------------------------------------------------- limits

/** Most users one batch assignment (or one batch resolution) may name, as the real service documents. */
export const BATCH_MAX_USERS = 5000;
/** Most user identities one `POST` of {@link Routes.userResolutions} may name. */
export const RESOLVE_MAX_IDENTITIES = 5000;
/** Largest request body a backend accepts (bytes): a 5,000-user batch with long identities fits comfortably. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Paging: default and largest `$top`. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
/** Longest owner id (`project/stack/resource`), characters. */
export const OWNER_MAX_LENGTH = 512;

/** Longest tenant id: a DNS name's limit (a GUID is far shorter). */
export const TENANT_ID_MAX_LENGTH = 253;
const TENANT_ID_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/**
 * Whether `text` is a tenant id as Azure AD and Skype for Business name tenants: a GUID or a domain name (labels of
 * letters, digits and inner hyphens, joined by dots). Anything else (`/../`, `?`, `#`) would change the token route
 * the id is put into.
 */
export function isTenantId(text: string): boolean {
    return text.length <= TENANT_ID_MAX_LENGTH && TENANT_ID_PATTERN.test(text);
}

// ---------------------------------------------------------------- routes

/** The only policy type the contract models; the path segment is case-insensitive. */
export const POLICY_TYPE = "ClientPolicy";

/**
 * Route patterns, tenant-relative (an optional `/{tenantId}` prefix is allowed before each). `:name` is one
 * percent-encoded path segment. Backends match on these; clients build paths with {@link Routes}.
 */
export const ROUTE_PATTERNS = {
    policies: "/Skype.Policy/configurations/:type",
    policy: "/Skype.Policy/configurations/:type/configuration/:identity",
    assignments: "/Skype.Policy/configurations/:type/configuration/:identity/assignments",
    batchAssignments: "/Skype.Policy/batchAssignments",
    batchAssignment: "/Skype.Policy/batchAssignments/:id",
    userResolutions: "/Skype.Policy/userResolutions",
    users: "/users",
    user: "/users/:identity",
    sites: "/Skype.Policy/sites",
    userCounts: "/Skype.Policy/configurations/:type/userCounts",
    userAssignment: "/users/:identity/policyAssignments/:type",
    token: "/:tenantId/oauth2/v2.0/token",
} as const;

/** First path segments of the tenant API (lower-cased), for telling a `/{tenantId}` prefix from a route. */
export const API_ROOTS: ReadonlySet<string> = new Set(["skype.policy", "users"]);

const seg = encodeURIComponent;

/**
 * Path builders (relative to the API base URL). Identities carry `:`, `@`, spaces and other characters that Skype for
 * Business accepts, so every variable segment is percent-encoded here and nowhere else.
 */
export const Routes = {
    policies: () => `/Skype.Policy/configurations/${POLICY_TYPE}`,
    policy: (identity: string) => `/Skype.Policy/configurations/${POLICY_TYPE}/configuration/${seg(identity)}`,
    assignments: (identity: string) => `${Routes.policy(identity)}/assignments`,
    batchAssignments: () => "/Skype.Policy/batchAssignments",
    batchAssignment: (operationId: string) => `/Skype.Policy/batchAssignments/${seg(operationId)}`,
    userResolutions: () => "/Skype.Policy/userResolutions",
    users: (filter: UserFilter = {}) => {
        const q = new URLSearchParams();
        if (filter.site !== undefined) q.set("site", filter.site ?? "");
        if (filter.clientPolicy !== undefined) q.set("clientPolicy", filter.clientPolicy ?? "");
        if (filter.effectivePolicy !== undefined) q.set("effectivePolicy", filter.effectivePolicy);
        if (filter.top !== undefined) q.set("$top", String(filter.top));
        return q.size > 0 ? `/users?${q}` : "/users";
    },
    user: (identity: string) => `/users/${seg(identity)}`,
    sites: () => "/Skype.Policy/sites",
    userCounts: () => `/Skype.Policy/configurations/${POLICY_TYPE}/userCounts`,
    userAssignment: (identity: string) => `/users/${seg(identity)}/policyAssignments/${POLICY_TYPE}`,
    token: (tenantId: string) => `/${seg(tenantId)}/oauth2/v2.0/token`,
} as const;

// ---------------------------------------------------------------- headers

/** Header names (lower-case, as Node reports them). */
export const HEADERS = {
    requestId: "request-id",
    etag: "etag",
    ifMatch: "if-match",
    ifNoneMatch: "if-none-match",
    retryAfter: "retry-after",
    location: "location",
} as const;

// ---------------------------------------------------------------- bodies

/**
 * The owner annotation of a policy, in policy bodies. Set by the provider on create and take-over to
 * `project/stack/resource`; the cmdlets (Set-CsClientPolicy through PowerShell) never change it. `null` or absent: no
 * owner recorded (objects made by hand, or by a provider version before owners existed).
 */
export const OWNER_ANNOTATION = "@owner";

/** A policy as a backend answers it: `Identity`, every setting by wire name (null when unset), and the owner. */
export interface WirePolicy {
    readonly Identity: string;
    readonly [OWNER_ANNOTATION]?: string | null;
    readonly [setting: string]: unknown;
}

/** A user as `GET /users/{identity}`, the assignments list and resolutions return it. */
export interface WireUser {
    readonly Id: string;
    readonly SipAddress: string;
    readonly UserPrincipalName: string;
    readonly DisplayName: string;
    /** Direct assignment's PolicyName (without `Tag:`), or null. */
    readonly ClientPolicy: string | null;
    /** Owner of the direct assignment (who granted it through this API), or null. */
    readonly ClientPolicyOwner?: string | null;
    /**
     * FQDN of the Registrar pool the user is homed on, as `Get-CsUser` reports `RegistrarPool`; null when the user has
     * none (enabled but not yet homed: Get-CsUserPoolInfo documents such users). Absent: the backend does not report it.
     */
    readonly RegistrarPool?: string | null;
    /**
     * Identity of the site hosting that pool (`Site:<name>`, as `Get-CsPool` reports a pool's `Site` and `Get-CsSite`
     * its `Identity`): the site whose `site:<name>` client policy applies to the user when no per-user policy is
     * granted. Null when the user has no pool, or the pool is not in the topology. Absent: not reported.
     */
    readonly Site?: string | null;
}

/** A site of the topology, as `Get-CsSite` reports it: its identity and the FQDNs of its pools (`Get-CsPool -Site`). */
export interface WireSite {
    /** `Site:<name>`; the site's client policy, if any, is `site:<name>`. */
    readonly Identity: string;
    readonly Pools: readonly string[];
}

/**
 * Filters of `GET /users` ({@link Routes.users}). `site`: users whose site is that identity (`Site:Redmond` or
 * `Redmond`), or null for users without a site. `clientPolicy`: users granted that tag policy, or null for users with
 * no grant. `effectivePolicy`: users whose effective client policy (api/effective.ts) is that identity.
 */
export interface UserFilter {
    readonly site?: string | null;
    readonly clientPolicy?: string | null;
    readonly effectivePolicy?: string;
    readonly top?: number;
}

/** Why a policy applies to a user (api/effective.ts): granted per-user, the site's, or Global. */
export type EffectiveReason = "Granted" | "Site" | "Global";

/**
 * One group of `GET …/ClientPolicy/userCounts`: the users sharing a site and a direct grant. Those two facts (and the
 * set of policies that exist) decide a user's client policy, so the groups answer "how many users does this change
 * reach" for any change without listing a single user.
 */
export interface WireUserGroup {
    /** Site identity (`Site:<name>`), or null for users without one. */
    readonly Site: string | null;
    /** The granted tag policy's name (without `Tag:`), or null. */
    readonly ClientPolicy: string | null;
    /** The client policy that applies to these users now (`Tag:<name>`, `site:<name>` or `Global`). */
    readonly EffectivePolicy: string;
    readonly Reason: EffectiveReason;
    readonly Count: number;
}

/** `GET …/ClientPolicy/userCounts`: every group (sorted by site, then grant) and the number of users in all. */
export interface WireUserCounts {
    readonly value: readonly WireUserGroup[];
    readonly Total: number;
}

/** `PUT /users/{identity}/policyAssignments/ClientPolicy`: `PolicyName` null unassigns. */
export interface GrantRequest {
    readonly PolicyName: string | null;
    /** Owner recorded on the assignment (absent: none). */
    readonly Owner?: string | null;
}

/** Longest client-generated batch operation id, characters. */
export const OPERATION_ID_MAX_LENGTH = 64;
const OPERATION_ID_PATTERN = new RegExp(`^[A-Za-z0-9-]{1,${OPERATION_ID_MAX_LENGTH}}$`);

/**
 * Whether `text` may be a client-generated batch operation id: 1–{@link OPERATION_ID_MAX_LENGTH} letters, digits and
 * hyphens (a UUID fits; the id goes into the operation's route unchanged). Ids are compared case-insensitively.
 */
export function isOperationId(text: unknown): text is string {
    return typeof text === "string" && OPERATION_ID_PATTERN.test(text);
}

/** `POST /Skype.Policy/batchAssignments`. */
export interface BatchRequest {
    readonly PolicyType: typeof POLICY_TYPE;
    readonly PolicyName: string | null;
    readonly Users: readonly string[];
    readonly Owner?: string | null;
    /**
     * Client-generated id of this logical batch (see {@link isOperationId}), repeated unchanged on every retry of the
     * POST: a tenant that already knows the id answers 202 with that batch instead of starting a second one when the
     * body is the same, and 409 `OperationIdConflict` when it differs. Absent: the tenant picks the id (no replay).
     */
    readonly OperationId?: string;
}

/** Answer of a started batch (202). */
export interface BatchAccepted {
    readonly OperationId: string;
}

/** A backend error in a batch result or a resolution. */
export interface WireErrorInfo {
    readonly code: string;
    readonly message: string;
}

/** One user's outcome in a batch assignment. */
export interface BatchUserResult {
    readonly User: string;
    readonly Status: "Succeeded" | "Failed";
    /** Resolved user id (Succeeded only). */
    readonly Id?: string;
    readonly Error?: WireErrorInfo;
}

/** Status of a batch operation. */
export type BatchStatus = "NotStarted" | "InProgress" | "Completed";

/** `GET /Skype.Policy/batchAssignments/{id}`. */
export interface BatchOperationView {
    readonly OperationId: string;
    readonly PolicyType: string;
    readonly PolicyName: string | null;
    readonly Status: BatchStatus;
    readonly CreatedDateTime: string;
    readonly Results: readonly BatchUserResult[];
}

/** `POST /Skype.Policy/userResolutions`: resolve up to {@link RESOLVE_MAX_IDENTITIES} identities in one call. */
export interface ResolveRequest {
    readonly Identities: readonly string[];
}

/** One identity's answer: the user, or an error (`UserNotFound`, `AmbiguousIdentity`, `InvalidParameter`). */
export interface ResolveResult {
    readonly Identity: string;
    readonly User?: WireUser;
    readonly Error?: WireErrorInfo & { readonly matches?: readonly string[] };
}

/** Answer of a resolution, in request order. */
export interface ResolveResponse {
    readonly value: readonly ResolveResult[];
}

/** A page of a list; `@nextLink` is relative to the API base URL (never another origin). */
export interface WirePage<T> {
    readonly value: readonly T[];
    readonly "@nextLink"?: string;
}

// ---------------------------------------------------------------- errors

/** One entry of an error's `details`. */
export interface WireErrorDetail {
    readonly code: string;
    readonly message: string;
    readonly target?: string;
    readonly [extra: string]: unknown;
}

/** Every error body: `{"error":{"code","message","target"?,"details"?}}`. */
export interface WireError {
    readonly error: { readonly code: string; readonly message: string; readonly target?: string; readonly details?: readonly WireErrorDetail[] };
}
