/**
 * The error table: every error code anything in this project answers, raises or reads, with what each part makes of
 * it. One row per code:
 *
 * - `status`: the HTTP status it travels with (none for errors raised inside the provider or by the network);
 * - `source`: who produces it: `tenant` (a backend's answer; the OpenAPI document lists these), `token` (the OAuth2
 *   token endpoint's `{"error","error_description"}`), `proxy` (a proxy or load balancer in front of a backend; no
 *   backend answers it), `network` (the connection failed; Node's code), `provider` (the provider or the CLI itself);
 * - `class`: the provider error class (provider/errors.ts) the client throws for it;
 * - `retryable`: whether the client repeats the request;
 * - `powerShell`: the PowerShell error categories (`$_.CategoryInfo.Category`, the ErrorCategory enumeration:
 *   https://learn.microsoft.com/dotnet/api/system.management.automation.errorcategory) a Management Shell cmdlet
 *   reports for it; the first is what the stand-in shell reports, every one is read back as this code by the gateway;
 * - `kind`: the fleet report's error kind for a stack that failed with it;
 * - `note`: what it means beyond its name (the OpenAPI document and docs/errors.md show it).
 *
 * The consumers read this table: the servers' error factory (status), the OpenAPI generator (codes per status and
 * notes), the provider's client and errors (class, retryable), the fleet report (kind), the gateway and the stand-in
 * shell (PowerShell category), and docs/errors.md, which is generated from it.
 */
import { MAX_BODY_BYTES } from "./contract";

/** Why a tenant of the fleet report has no verdict. Never counted as drift nor as clean. */
export const ERROR_KINDS = ["auth", "unreachable", "throttled", "timeout", "config", "failed"] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** The provider's error classes (provider/errors.ts), by name. */
export const PROVIDER_ERROR_CLASSES = [
    "ClientPolicyError", "ValidationError", "AuthError", "NotFoundError", "ConflictError", "ThrottledError", "TransportError",
    "ConfigError", "PartialFailureError",
] as const;
export type ProviderErrorClass = (typeof PROVIDER_ERROR_CLASSES)[number];

/** Who produces a code; see the module comment. */
export type ErrorSource = "tenant" | "token" | "proxy" | "network" | "provider";

/** PowerShell's ErrorCategory names this table uses. */
export type PowerShellCategory = "InvalidArgument" | "InvalidData" | "ParserError" | "PermissionDenied" | "ObjectNotFound" |
    "ResourceExists" | "InvalidOperation" | "LimitsExceeded" | "NotSpecified" | "NotImplemented" | "ResourceUnavailable" |
    "OperationTimeout";

/** One row of {@link ERROR_TABLE}. */
export interface ErrorRow {
    readonly status?: number;
    readonly source: ErrorSource;
    readonly class: ProviderErrorClass;
    readonly retryable: boolean;
    readonly powerShell?: readonly PowerShellCategory[];
    readonly kind: ErrorKind;
    readonly note?: string;
}

const tenant = (status: number, cls: ProviderErrorClass, kind: ErrorKind, powerShell: readonly PowerShellCategory[], note?: string, retryable = false) =>
    ({ status, source: "tenant", class: cls, retryable, powerShell, kind, note }) as const;
const invalid = (note?: string, powerShell: readonly PowerShellCategory[] = ["InvalidArgument"]) => tenant(400, "ValidationError", "failed", powerShell, note);
const notFound = (note: string) => tenant(404, "NotFoundError", "failed", ["ObjectNotFound"], note);
const conflict = (status: number, powerShell: PowerShellCategory, note?: string) => tenant(status, "ConflictError", "failed", [powerShell], note);
const token = (note: string) => ({ status: 400, source: "token", class: "AuthError", retryable: false, kind: "auth", note }) as const;
const network = (note: string) => ({ source: "network", class: "TransportError", retryable: true, kind: "unreachable", note }) as const;
const provider = (cls: ProviderErrorClass, kind: ErrorKind, note: string, status?: number) =>
    ({ status, source: "provider", class: cls, retryable: false, kind, note }) as const;

/** The error table (see the module comment). Order: tenant codes by status, then the token endpoint, proxies, the network, the provider. */
export const ERROR_TABLE = {
    InvalidParameter: invalid("target names the property", ["InvalidArgument", "InvalidData"]),
    InvalidRequestContent: invalid("the body is not JSON, or not the expected shape"),
    NotAUserPolicy: invalid("only Tag: policies can be granted to users"),
    ParseError: invalid("the PowerShell endpoint could not parse the script", ["ParserError"]),
    Unauthorized: tenant(401, "AuthError", "auth", ["PermissionDenied"], "missing, malformed or expired bearer token"),
    Forbidden: tenant(403, "AuthError", "auth", ["PermissionDenied"], "the token's tenant differs from the /{tenantId} prefix"),
    PolicyNotFound: notFound("no policy has that identity"),
    UserNotFound: notFound("no user matches the identity"),
    OperationNotFound: notFound("no batch operation has that id"),
    TenantNotFound: notFound("the tenant does not exist on this service"),
    ResourceNotFound: notFound("no route has that path"),
    PolicyAlreadyExists: conflict(409, "ResourceExists", "a policy of that identity exists"),
    TenantAlreadyExists: conflict(409, "ResourceExists", "the service already has that tenant"),
    PolicyInUse: conflict(409, "InvalidOperation", "details[0].count = granted users"),
    AmbiguousIdentity: conflict(409, "InvalidOperation", "details list the matches"),
    OperationIdConflict: conflict(409, "InvalidOperation", "a batch POST repeated a known OperationId with a different body"),
    PreconditionFailed: conflict(412, "InvalidOperation", "the If-Match ETag is stale"),
    PayloadTooLarge: tenant(413, "ClientPolicyError", "failed", ["LimitsExceeded"], `body over ${MAX_BODY_BYTES / (1024 * 1024)} MiB`),
    UnsupportedMediaType: tenant(415, "ClientPolicyError", "failed", ["NotSpecified"], "wrong Content-Type"),
    PreconditionRequired: tenant(428, "ValidationError", "failed", ["InvalidOperation"], "PUT without If-None-Match: * or If-Match"),
    Throttled: tenant(429, "ThrottledError", "throttled", ["LimitsExceeded"],
        "the tenant's request budget exceeded, or on the gateway a per-address limit on token requests or requests without a valid token (or an injected fault); honour Retry-After", true),
    InternalServerError: tenant(500, "TransportError", "unreachable", ["NotSpecified"], "also injected faults"),
    NotImplemented: tenant(501, "TransportError", "unreachable", ["NotImplemented"], "a route, method or policy type the emulator does not model"),
    ServiceUnavailable: tenant(503, "TransportError", "unreachable", ["ResourceUnavailable"],
        "injected faults, or the gateway's Management Shell died (replaced); honour Retry-After", true),
    GatewayTimeout: tenant(504, "TransportError", "unreachable", ["OperationTimeout"],
        "the gateway's Management Shell did not answer in time; re-read before assuming the write happened", true),

    invalid_client: { status: 401, source: "token", class: "AuthError", retryable: false, kind: "auth", note: "the client id or secret was rejected" },
    invalid_request: token("the tenant does not exist, or the request is not a form"),
    unsupported_grant_type: token("only client_credentials is supported"),
    invalid_scope: token("the scope must end in /.default"),

    BadGateway: { status: 502, source: "proxy", class: "TransportError", retryable: true, kind: "unreachable", note: "a proxy in front of the API could not reach it" },

    ECONNREFUSED: network("nothing listens at the endpoint"),
    ECONNRESET: network("the connection was dropped"),
    ENOTFOUND: network("the endpoint's host name does not resolve"),
    EAI_AGAIN: network("the name lookup failed for now"),
    EHOSTUNREACH: network("no route to the endpoint's host"),
    ETIMEDOUT: network("no answer within the request timeout"),
    ENETWORK: network("any other network failure"),

    MissingConfiguration: provider("ConfigError", "config", "one error lists every missing key and its `pulumi config set` line"),
    InvalidConfiguration: provider("ConfigError", "config", "target names the key"),
    InsecureEndpoint: provider("TransportError", "unreachable", "the endpoint is http:// and not a loopback address; the secret is not sent"),
    InvalidInputs: provider("ValidationError", "failed", "a resource's inputs are invalid (each property and what was expected)"),
    UserResolution: provider("ValidationError", "failed", "user identities could not be resolved (every one listed, nothing written)"),
    OwnedElsewhere: provider("ConflictError", "failed", "owned by another resource or stack (names it, nothing written)", 409),
    PartialFailure: provider("PartialFailureError", "failed", "some users of a grant failed; the others are recorded in state"),
    Redirected: provider("TransportError", "unreachable", "the endpoint answered a redirect; credentials are never sent to another origin"),
    InvalidLink: provider("TransportError", "unreachable", "the tenant API sent a malformed @nextLink"),
    ForeignLink: provider("TransportError", "unreachable", "the tenant API sent a @nextLink to another origin; the token is not sent there"),
    InvalidResponse: provider("TransportError", "unreachable", "the tenant API answered a shape the contract does not allow"),
    BatchTimeout: provider("TransportError", "unreachable", "a batch assignment did not complete in time"),
} as const satisfies Record<string, ErrorRow>;

type Table = typeof ERROR_TABLE;
/** Every code of {@link ERROR_TABLE}. */
export type AnyErrorCode = keyof Table;
/** A tenant API error code: what backends answer. */
export type ErrorCode = { [K in AnyErrorCode]: Table[K]["source"] extends "tenant" ? K : never }[AnyErrorCode];

const ROWS = Object.entries(ERROR_TABLE) as [AnyErrorCode, ErrorRow][];

/** The tenant API's error codes and their HTTP statuses: backends answer only these. */
export const ERROR_CODES: Readonly<Record<ErrorCode, number>> = Object.fromEntries(
    ROWS.filter(([, r]) => r.source === "tenant").map(([c, r]) => [c, r.status])) as Record<ErrorCode, number>;

/** The row of a code, or undefined for a code the table does not know. */
export function errorRow(code: string | undefined): ErrorRow | undefined {
    return code !== undefined && Object.hasOwn(ERROR_TABLE, code) ? (ERROR_TABLE as Record<string, ErrorRow>)[code] : undefined;
}

/** Rows an HTTP answer's status alone stands for: what backends and proxies answer (not the token endpoint's own codes). */
const STATUS_ROWS = ROWS.filter(([, r]) => r.status !== undefined && (r.source === "tenant" || r.source === "proxy"));

/** Statuses a client may repeat, whatever the code: those of the retryable tenant and proxy rows. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set(STATUS_ROWS.filter(([, r]) => r.retryable).map(([, r]) => r.status!));

/**
 * The provider error class for an error answer: the row of its code when the table knows the code, else the class the
 * table's rows of that status share; a status without rows is a TransportError from 500 up and the base class below.
 */
export function errorClassOf(code: string | undefined, status: number): ProviderErrorClass {
    const row = errorRow(code);
    if (row && (row.status === undefined || row.status === status)) return row.class;
    const byStatus = STATUS_ROWS.find(([, r]) => r.status === status);
    if (byStatus) return byStatus[1].class;
    return status >= 500 ? "TransportError" : "ClientPolicyError";
}

/** Whether an error is worth repeating: its code's row when the table knows it, else its status (network failures are). */
export function isRetryable(code: string | undefined, status: number | undefined): boolean {
    const row = errorRow(code);
    if (row && (row.status === undefined || row.status === status)) return row.retryable;
    return status === undefined ? false : RETRYABLE_STATUSES.has(status);
}

/** The PowerShell error category a Management Shell cmdlet reports for a tenant error code (`NotSpecified` for others). */
export function powerShellCategoryOf(code: string): PowerShellCategory {
    return errorRow(code)?.powerShell?.[0] ?? "NotSpecified";
}

/**
 * Reads a failed cmdlet's PowerShell error category back as a tenant error code: the first of `candidates` (the codes
 * the command can fail with, in order of preference) whose row lists `category`; undefined when none does.
 */
export function codeOfPowerShellCategory<C extends ErrorCode>(category: string, candidates: readonly C[]): C | undefined {
    return candidates.find((c) => (ERROR_TABLE[c].powerShell as readonly string[]).includes(category));
}

/** The fleet report's error kind of a code, or undefined when the table does not know the code. */
export function errorKindOf(code: string | undefined): ErrorKind | undefined {
    return errorRow(code)?.kind;
}

/** The fleet report's error kind of a provider error class: the kind its rows share, when they share one. */
export function errorKindOfClass(cls: string): ErrorKind | undefined {
    const kinds = new Set(ROWS.filter(([, r]) => r.class === cls).map(([, r]) => r.kind));
    return kinds.size === 1 ? [...kinds][0] : undefined;
}
