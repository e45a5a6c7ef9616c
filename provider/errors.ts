/**
 * The provider's error hierarchy. Every error the provider throws is one of these, so callers (and tests) can tell a
 * validation problem from an ETag conflict from a throttled or unreachable tenant, and the retry layer knows which
 * ones are worth retrying. Messages are always redacted: an error can end up in the Pulumi CLI output, in CI logs and
 * in bug reports, so no secret, bearer token or form-encoded `client_secret` may survive in one.
 */
import { errorRow, isRetryable, type ProviderErrorClass } from "../api/errors";

/** Structured facts that travel with an error. */
export interface ErrorInfo {
    /** HTTP status of the tenant's answer, when there was one. */
    readonly status?: number;
    /** The tenant's error code (`PolicyNotFound`, `Throttled`, …) or a provider code. */
    readonly code?: string;
    /** The property or object the error is about (the tenant's `target`, or a resource input name). */
    readonly target?: string;
    /** The tenant's `request-id`, for support. */
    readonly requestId?: string;
    /** The tenant's own error message, without our request prefix (for composing friendlier messages). */
    readonly tenantMessage?: string;
    /** Milliseconds the tenant asked us to wait (Retry-After). */
    readonly retryAfterMs?: number;
    /** Extra secret values to scrub from the message (e.g. the configured client secret). */
    readonly secrets?: readonly string[];
    /** The error this one explains (kept for debugging; its message is not repeated in ours). */
    readonly cause?: unknown;
}

const REDACTED = "[REDACTED]";

/**
 * Removes credentials from free text: `client_secret=` form fields, bearer tokens, JSON `access_token`/`client_secret`
 * members, and any literal secret the caller knows about. Applied to every error message and safe to apply twice.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
    let out = text;
    for (const secret of secrets) {
        // Short strings would blank out ordinary words; real secrets are long.
        if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
    }
    return out
        .replace(/(client_secret=)[^&\s"']*/gi, `$1${REDACTED}`)
        .replace(/(bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi, `$1${REDACTED}`)
        .replace(/("(?:access_token|client_secret|clientSecret|refresh_token)"\s*:\s*)"[^"]*"/gi, `$1"${REDACTED}"`);
}

/**
 * Base class: a redacted message plus {@link ErrorInfo}. `retryable` is the one retry rule, the error table's
 * (api/errors.ts): the row of the error's code when the table knows it, else its HTTP status (429, 502, 503, 504);
 * errors without either (unknown network failures) say so themselves.
 */
export class ClientPolicyError extends Error {
    readonly status?: number;
    readonly code?: string;
    readonly target?: string;
    readonly requestId?: string;
    readonly tenantMessage?: string;
    /** The message without the request-id suffix, for composing a new message around this one. */
    readonly detail: string;
    /** Whether repeating the same request may succeed. */
    readonly retryable: boolean;
    readonly #info: ErrorInfo;

    constructor(message: string, info: ErrorInfo = {}, retryable?: boolean) {
        const detail = redact(message, info.secrets);
        super(detail + (info.requestId ? ` (request-id ${info.requestId})` : ""), info.cause === undefined ? undefined : { cause: info.cause });
        this.name = new.target.name;
        this.detail = detail;
        this.status = info.status;
        this.code = info.code;
        this.target = info.target;
        this.requestId = info.requestId;
        this.tenantMessage = info.tenantMessage === undefined ? undefined : redact(info.tenantMessage, info.secrets);
        this.retryable = retryable ?? isRetryable(info.code, info.status);
        this.#info = info;
        // These are answers for the person running `pulumi up`, not bugs: a trace through our files would bury the
        // message. The dynamic-provider host prints `${error}: ${error.stack}`, and `${error}` is already
        // "Name: message", so an empty stack prints the message once.
        this.stack = "";
    }

    /** The same error (class, status, code, request id) with `extra` appended to its message, e.g. why retries stopped. */
    withDetail(extra: string): this {
        const Ctor = this.constructor as new (message: string, info: ErrorInfo, retryable?: boolean) => this;
        return new Ctor(`${this.detail} (${extra})`, this.#info, this.retryable);
    }
}

/** The tenant (or check()) rejected a value: fix the program. */
export class ValidationError extends ClientPolicyError {}

/** The policy or user does not exist. */
export class NotFoundError extends ClientPolicyError {}

/**
 * The object changed under us (412, stale ETag) or is in a conflicting state (409: already exists, in use,
 * ambiguous identity).
 */
export class ConflictError extends ClientPolicyError {}

/** The tenant answered 429 (throttled) and retries did not get through. */
export class ThrottledError extends ClientPolicyError {
    readonly retryAfterMs?: number;
    constructor(message: string, info: ErrorInfo = {}, retryable?: boolean) {
        super(message, { status: 429, ...info }, retryable);
        this.retryAfterMs = info.retryAfterMs;
    }
}

/** Credentials were rejected, or the token does not grant access to the object. */
export class AuthError extends ClientPolicyError {}

/**
 * The endpoint could not be reached or answered with a server error. Without a status (no answer arrived) and with a
 * code the error table does not know (a network failure Node names differently) it is retryable unless the caller says
 * otherwise.
 */
export class TransportError extends ClientPolicyError {
    constructor(message: string, info: ErrorInfo = {}, retryable?: boolean) {
        super(message, info, retryable ?? (info.status === undefined && errorRow(info.code) === undefined ? true : undefined));
    }
}

/** The provider's configuration is missing or invalid. */
export class ConfigError extends ClientPolicyError {}

/**
 * A write that succeeded for part of its objects. `id` and `properties` follow the shape the Pulumi dynamic-provider
 * host turns into a "partial failure": the engine records these outputs in state, so the next `pulumi up` sees what
 * is still missing and retries only that.
 */
export class PartialFailureError extends ClientPolicyError {
    readonly id: string;
    readonly properties: Record<string, unknown>;
    readonly reasons: string[];
    constructor(message: string, id: string, properties: Record<string, unknown>, reasons: string[]) {
        super(message, { code: "PartialFailure" });
        this.id = id;
        this.properties = properties;
        this.reasons = reasons;
    }
}

/** A class a tenant's answer can be mapped to (a partial failure is the provider's own, never an answer). */
type AnswerClass = Exclude<ProviderErrorClass, "PartialFailureError">;

/** The classes the error table names, by name. */
const ANSWER_CLASSES: Record<AnswerClass, new (message: string, info?: ErrorInfo, retryable?: boolean) => ClientPolicyError> = {
    ClientPolicyError, ValidationError, AuthError, NotFoundError, ConflictError, ThrottledError, TransportError, ConfigError,
};

/** Builds the error of the class the error table names (api/errors.ts `errorClassOf`). */
export function errorOfClass(cls: ProviderErrorClass, message: string, info: ErrorInfo = {}): ClientPolicyError {
    return new ANSWER_CLASSES[cls === "PartialFailureError" ? "ClientPolicyError" : cls](message, info);
}
