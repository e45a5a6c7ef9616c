/**
 * Error factory of the emulator. Codes mimic the real service's style so the
 * provider's error handling is exercised against realistic answers; every
 * error renders as `{"error":{"code","message","target"?,"details"?}}`.
 */

/** One entry of an error's `details` list. */
export interface ErrorDetail {
    code: string;
    message: string;
    target?: string;
    [extra: string]: unknown;
}

/** An error answered with the tenant API's JSON error shape. */
export class ApiError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
        readonly target?: string,
        readonly details?: ErrorDetail[],
        readonly headers: Record<string, string> = {},
    ) {
        super(message);
        this.name = "ApiError";
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

/** Constructors for every error the emulator answers; handlers never build ApiError by hand. */
export const Errors = {
    invalidParameter: (target: string, message: string, details?: ErrorDetail[]) =>
        new ApiError(400, "InvalidParameter", message, target, details),
    invalidRequestContent: (message: string) => new ApiError(400, "InvalidRequestContent", message),
    unsupportedMediaType: (got: string | undefined, expected: string[]) =>
        new ApiError(415, "UnsupportedMediaType", `Content-Type ${got ? `"${got}"` : "(none)"} is not supported; expected ${expected.join(" or ")}.`),
    payloadTooLarge: (limit: number) => new ApiError(413, "PayloadTooLarge", `The request body exceeds ${limit} bytes.`),
    parseError: (line: number, column: number, message: string) =>
        new ApiError(400, "ParseError", message, `line ${line}, column ${column}`, [{ code: "ParseError", message, line, column }]),
    notAUserPolicy: (identity: string) =>
        new ApiError(400, "NotAUserPolicy", `"${identity}" is not a per-user (tag) policy; only Tag: policies can be granted to users.`, "PolicyName"),
    unauthorized: (message: string) =>
        new ApiError(401, "Unauthorized", message, undefined, undefined, { "WWW-Authenticate": 'Bearer error="invalid_token"' }),
    forbidden: (message: string) => new ApiError(403, "Forbidden", message),
    policyNotFound: (identity: string, target = "Identity") => new ApiError(404, "PolicyNotFound", `Client policy "${identity}" was not found.`, target),
    userNotFound: (identity: string) => new ApiError(404, "UserNotFound", `No user matches "${identity}".`, "Identity"),
    operationNotFound: (id: string) => new ApiError(404, "OperationNotFound", `Batch operation "${id}" was not found.`),
    tenantNotFound: (id: string) => new ApiError(404, "TenantNotFound", `Tenant "${id}" does not exist on this emulator.`),
    resourceNotFound: (path: string) => new ApiError(404, "ResourceNotFound", `No resource at "${path}".`),
    policyAlreadyExists: (identity: string) =>
        new ApiError(409, "PolicyAlreadyExists", `Client policy "${identity}" already exists.`, "Identity"),
    tenantAlreadyExists: (id: string) => new ApiError(409, "TenantAlreadyExists", `Tenant "${id}" already exists.`, "id"),
    policyInUse: (identity: string, count: number) =>
        new ApiError(409, "PolicyInUse", `Client policy "${identity}" is granted to ${count} user(s); remove the grants or use ?force=true.`, "Identity",
            [{ code: "AssignedUserCount", message: `${count} user(s) are directly granted this policy.`, target: identity, count }]),
    ambiguousIdentity: (identity: string, matches: Array<{ Id: string; SipAddress: string; DisplayName: string }>) =>
        new ApiError(409, "AmbiguousIdentity", `"${identity}" matches ${matches.length} users; use a SIP address, UPN or object id.`, "Identity",
            matches.map((m) => ({ code: "MatchingUser", message: `${m.DisplayName} <${m.SipAddress}>`, target: m.Id }))),
    preconditionFailed: (identity: string) =>
        new ApiError(412, "PreconditionFailed", `The ETag given in If-Match does not match the current version of "${identity}".`, "If-Match"),
    preconditionRequired: () =>
        new ApiError(428, "PreconditionRequired", "PUT needs If-None-Match: * (create) or If-Match: <etag> (replace)."),
    throttled: (retryAfterSeconds: number) =>
        new ApiError(429, "Throttled", `Too many requests for this tenant; retry after ${retryAfterSeconds} s.`, undefined, undefined,
            { "Retry-After": String(retryAfterSeconds) }),
    internal: (message: string) => new ApiError(500, "InternalServerError", message),
    serviceUnavailable: () =>
        new ApiError(503, "ServiceUnavailable", "The service is temporarily unavailable.", undefined, undefined, { "Retry-After": "1" }),
    notImplemented: (what: string) => new ApiError(501, "NotImplemented", `${what} is not implemented by the emulator.`),
} as const;
