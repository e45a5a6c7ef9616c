/**
 * Error factory of the tenant API layer (shared by the emulator and the gateway). Codes and their statuses come from the error table (`ERROR_CODES` in
 * api/errors.ts), so every backend answers only what the contract lists; every error renders as
 * `{"error":{"code","message","target"?,"details"?}}`.
 */
import type { WireErrorDetail } from "../api/contract";
import { ERROR_CODES, type ErrorCode } from "../api/errors";

/** One entry of an error's `details` list. */
export type ErrorDetail = WireErrorDetail;

/** An error answered with the tenant API's JSON error shape. */
export class ApiError extends Error {
    /** HTTP status, the contract's for {@link code}. */
    readonly status: number;

    constructor(
        readonly code: ErrorCode,
        message: string,
        readonly target?: string,
        readonly details?: ErrorDetail[],
        readonly headers: Record<string, string> = {},
    ) {
        super(message);
        this.name = "ApiError";
        this.status = ERROR_CODES[code];
    }

    /** The wire body. */
    toBody(): { error: Record<string, unknown> } {
        const error: Record<string, unknown> = { code: this.code, message: this.message };
        if (this.target !== undefined) error.target = this.target;
        if (this.details !== undefined) error.details = this.details;
        return { error };
    }
}

/** An error of the token endpoint, which answers in the OAuth2 shape `{"error","error_description"}`. */
export class OAuthError extends Error {
    constructor(readonly status: number, readonly error: string, description: string) {
        super(description);
        this.name = "OAuthError";
    }

    toBody(): Record<string, string> {
        return { error: this.error, error_description: this.message };
    }
}

/** Constructors for every error the API answers; handlers never build ApiError by hand. */
export const Errors = {
    invalidParameter: (target: string, message: string, details?: ErrorDetail[]) =>
        new ApiError("InvalidParameter", message, target, details),
    invalidRequestContent: (message: string) => new ApiError("InvalidRequestContent", message),
    unsupportedMediaType: (got: string | undefined, expected: string[]) =>
        new ApiError("UnsupportedMediaType", `Content-Type ${got ? `"${got}"` : "(none)"} is not supported; expected ${expected.join(" or ")}.`),
    payloadTooLarge: (limit: number) => new ApiError("PayloadTooLarge", `The request body exceeds ${limit} bytes.`),
    parseError: (line: number, column: number, message: string) =>
        new ApiError("ParseError", message, `line ${line}, column ${column}`, [{ code: "ParseError", message, line, column }]),
    /** PowerShell's ParameterBindingException for an argument no positional parameter takes (the line runs nothing). */
    positionalParameterNotFound: (argument: string, line: number, column: number) => {
        const message = `A positional parameter cannot be found that accepts argument '${argument}'.`;
        return new ApiError("InvalidParameter", message, `line ${line}, column ${column}`, [{ code: "PositionalParameterNotFound", message, line, column }]);
    },
    notAUserPolicy: (identity: string) =>
        new ApiError("NotAUserPolicy", `"${identity}" is not a per-user (tag) policy; only Tag: policies can be granted to users.`, "PolicyName"),
    unauthorized: (message: string) =>
        new ApiError("Unauthorized", message, undefined, undefined, { "WWW-Authenticate": 'Bearer error="invalid_token"' }),
    forbidden: (message: string) => new ApiError("Forbidden", message),
    policyNotFound: (identity: string, target = "Identity") => new ApiError("PolicyNotFound", `Client policy "${identity}" was not found.`, target),
    userNotFound: (identity: string) => new ApiError("UserNotFound", `No user matches "${identity}".`, "Identity"),
    operationNotFound: (id: string) => new ApiError("OperationNotFound", `Batch operation "${id}" was not found.`),
    tenantNotFound: (id: string) => new ApiError("TenantNotFound", `Tenant "${id}" does not exist on this service.`),
    resourceNotFound: (path: string) => new ApiError("ResourceNotFound", `No resource at "${path}".`),
    policyAlreadyExists: (identity: string) =>
        new ApiError("PolicyAlreadyExists", `Client policy "${identity}" already exists.`, "Identity"),
    tenantAlreadyExists: (id: string) => new ApiError("TenantAlreadyExists", `Tenant "${id}" already exists.`, "id"),
    policyInUse: (identity: string, count: number) =>
        new ApiError("PolicyInUse", `Client policy "${identity}" is granted to ${count} user(s); remove the grants or use ?force=true.`, "Identity",
            [{ code: "AssignedUserCount", message: `${count} user(s) are directly granted this policy.`, target: identity, count }]),
    ambiguousIdentity: (identity: string, matches: ReadonlyArray<{ id: string; sipAddress: string; displayName: string }>) =>
        new ApiError("AmbiguousIdentity", `"${identity}" matches ${matches.length} users; use a SIP address, UPN or object id.`, "Identity",
            matches.map((m) => ({ code: "MatchingUser", message: `${m.displayName} <${m.sipAddress}>`, target: m.id }))),
    /** A batch POST reused an `OperationId` this tenant knows for a different request (server/batch.ts). */
    operationIdConflict: (id: string) =>
        new ApiError("OperationIdConflict", `Batch operation "${id}" already exists with a different request; a retry must repeat the body unchanged, a new batch needs a new OperationId.`, "OperationId"),
    preconditionFailed: (identity: string) =>
        new ApiError("PreconditionFailed", `The ETag given in If-Match does not match the current version of "${identity}".`, "If-Match"),
    preconditionRequired: () =>
        new ApiError("PreconditionRequired", "PUT needs If-None-Match: * (create) or If-Match: <etag> (replace)."),
    throttled: (retryAfterSeconds: number, what = "requests for this tenant") =>
        new ApiError("Throttled", `Too many ${what}; retry after ${retryAfterSeconds} s.`, undefined, undefined,
            { "Retry-After": String(retryAfterSeconds) }),
    internal: (message: string) => new ApiError("InternalServerError", message),
    serviceUnavailable: () =>
        new ApiError("ServiceUnavailable", "The service is temporarily unavailable.", undefined, undefined, { "Retry-After": "1" }),
    /** The gateway's shell died or answered garbage; it is being replaced. */
    shellUnavailable: (why: string) =>
        new ApiError("ServiceUnavailable", `The Management Shell is unavailable (${why}); retry.`, undefined, undefined, { "Retry-After": "1" }),
    gatewayTimeout: (seconds: number) =>
        new ApiError("GatewayTimeout", `The Management Shell did not answer within ${seconds} s; the command may or may not have run, re-read before retrying a write.`),
    notImplemented: (what: string) => new ApiError("NotImplemented", `${what} is not implemented by this service.`),
} as const;
