/**
 * HTTP client for the tenant API (shared/TENANT-API.md): OAuth client-credentials token with refresh before expiry,
 * retries on 429/502/503/504 and network errors, typed and redacted errors, and the policy, user and batch-assignment
 * calls the resources need. One instance per configured provider process; never created at import time.
 */
import {
    AuthError, ClientPolicyError, ConflictError, ErrorInfo, NotFoundError, ThrottledError, TransportError, ValidationError,
} from "../errors";
import { DEFAULT_RETRY, RETRYABLE_STATUSES, RetryOptions, backoffDelay, parseRetryAfter } from "./retry";
import { HttpResponse, Transport, fetchTransport, networkErrorCode } from "./transport";

/** A policy as the tenant sends it: `Identity`, optional `Description`, and wire-named settings. */
export interface WirePolicy {
    readonly Identity: string;
    readonly [setting: string]: unknown;
}

/** A policy plus the ETag that guards the next write. */
export interface PolicyWithEtag {
    readonly policy: WirePolicy;
    readonly etag: string;
}

/** A resolved user, as `GET /users/{identity}` and the assignments list return it. */
export interface WireUser {
    readonly Id: string;
    readonly SipAddress: string;
    readonly UserPrincipalName?: string;
    readonly DisplayName: string;
    readonly ClientPolicy?: string | null;
}

/** One user's outcome in a batch assignment. */
export interface BatchUserResult {
    readonly User: string;
    readonly Status: "Succeeded" | "Failed";
    readonly Error?: unknown;
}

/** Everything the client needs; `transport`, `retry` and `now` are for tests. */
export interface TenantClientOptions {
    readonly endpoint: string;
    readonly tenantId: string;
    readonly clientId: string;
    readonly clientSecret: string;
    readonly transport?: Transport;
    readonly retry?: Partial<RetryOptions>;
    readonly now?: () => number;
    /** Delay between polls of a batch operation grows from this (ms) to {@link BATCH_POLL_MAX_MS}. */
    readonly batchPollStartMs?: number;
}

/** Parsed answer of a successful call. */
export interface ApiResponse<T = unknown> {
    readonly status: number;
    readonly headers: Readonly<Record<string, string>>;
    readonly json: T;
}

interface SendOptions {
    readonly body?: unknown;
    readonly headers?: Record<string, string>;
    /** Token endpoint calls go without a bearer token. */
    readonly anonymous?: boolean;
    readonly form?: string;
}

/** The tenant's documented batch size limit. */
export const BATCH_MAX_USERS = 5000;
/** Slowest poll interval of a batch operation. */
export const BATCH_POLL_MAX_MS = 2000;
/** Give up waiting for one batch operation after this long. */
export const BATCH_TIMEOUT_MS = 15 * 60_000;
/** Page size for list calls. */
const PAGE_SIZE = 1000;
/** Refresh a token this long before it expires (or at 90 % of a short lifetime), so no call races expiry. */
const TOKEN_REFRESH_MARGIN_MS = 60_000;

const POLICY_ROOT = "/Skype.Policy/configurations/ClientPolicy";

/** Route of one policy. Identities carry `:` and spaces, hence the encoding. */
export function policyPath(identity: string): string {
    return `${POLICY_ROOT}/configuration/${encodeURIComponent(identity)}`;
}

/** Client for one tenant and one app registration. */
export class TenantClient {
    /** Base URL without trailing slash; named in transport errors. */
    readonly endpoint: string;
    /** Tenant the token is requested for; named in auth errors. */
    readonly tenantId: string;
    /** App registration id; named in auth errors (the secret never is). */
    readonly clientId: string;
    readonly #clientSecret: string;
    readonly #transport: Transport;
    readonly #retry: RetryOptions;
    readonly #now: () => number;
    readonly #batchPollStartMs: number;
    #token?: { value: string; refreshAt: number };
    #tokenRequest?: Promise<string>;

    constructor(opts: TenantClientOptions) {
        this.endpoint = opts.endpoint.replace(/\/+$/, "");
        this.tenantId = opts.tenantId;
        this.clientId = opts.clientId;
        this.#clientSecret = opts.clientSecret;
        this.#transport = opts.transport ?? fetchTransport;
        this.#retry = { ...DEFAULT_RETRY, ...opts.retry };
        this.#now = opts.now ?? Date.now;
        this.#batchPollStartMs = opts.batchPollStartMs ?? 100;
    }

    /** Secrets to scrub from any message this client builds. */
    get #secrets(): string[] {
        return this.#token ? [this.#clientSecret, this.#token.value] : [this.#clientSecret];
    }

    // ------------------------------------------------------------------ token

    /** A valid access token, fetched or refreshed when it is about to expire; concurrent callers share one request. */
    async token(): Promise<string> {
        if (this.#token && this.#now() < this.#token.refreshAt) return this.#token.value;
        this.#tokenRequest ??= this.#fetchToken().finally(() => { this.#tokenRequest = undefined; });
        return this.#tokenRequest;
    }

    async #fetchToken(): Promise<string> {
        const form = new URLSearchParams({
            grant_type: "client_credentials", client_id: this.clientId, client_secret: this.#clientSecret,
        }).toString();
        let res: ApiResponse<{ access_token?: string; expires_in?: number }>;
        try {
            res = await this.send("POST", `/${encodeURIComponent(this.tenantId)}/oauth2/v2.0/token`, { form, anonymous: true });
        } catch (err) {
            if (err instanceof ClientPolicyError && err.status !== undefined && err.status >= 400 && err.status < 500 && err.status !== 429) {
                const who = `client id ${this.clientId} on tenant ${this.tenantId}`;
                const message = err.status === 401 || err.code === "invalid_client"
                    ? `the client secret was rejected for ${who} (check clientpolicy:clientSecret)`
                    : `authentication failed for ${who}: ${err.message}`;
                throw new AuthError(message, { status: err.status, code: err.code, requestId: err.requestId, secrets: this.#secrets });
            }
            throw err;
        }
        const token = res.json?.access_token;
        if (typeof token !== "string" || token === "") {
            throw new AuthError(`the token endpoint of tenant ${this.tenantId} returned no access_token`, { status: res.status });
        }
        const lifetimeMs = (Number(res.json.expires_in) || 3600) * 1000;
        const margin = Math.min(TOKEN_REFRESH_MARGIN_MS, lifetimeMs / 10);
        this.#token = { value: token, refreshAt: this.#now() + lifetimeMs - margin };
        return token;
    }

    // ------------------------------------------------------------------ transport + retries

    /**
     * Sends one API call with retries. Resolves only with a 2xx answer; anything else becomes a typed error.
     * A 401 on an authenticated call drops the cached token and retries once (the token may have been revoked or
     * expired early on the server).
     */
    async send<T = unknown>(method: string, path: string, opts: SendOptions = {}): Promise<ApiResponse<T>> {
        const url = /^https?:\/\//.test(path) ? path : this.endpoint + path;
        const retry = this.#retry;
        let reauthenticated = false;
        for (let attempt = 1; ; attempt++) {
            const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
            if (!opts.anonymous) headers.authorization = `Bearer ${await this.token()}`;
            let body: string | undefined;
            if (opts.form !== undefined) {
                headers["content-type"] = "application/x-www-form-urlencoded";
                body = opts.form;
            } else if (opts.body !== undefined) {
                headers["content-type"] = "application/json";
                body = JSON.stringify(opts.body);
            }
            let res: HttpResponse;
            try {
                res = await this.#transport({ method, url, headers, body });
            } catch (err) {
                const code = networkErrorCode(err);
                if (attempt < retry.maxAttempts) {
                    await retry.sleep(backoffDelay(attempt - 1, retry));
                    continue;
                }
                throw new TransportError(
                    `cannot reach the tenant API at ${this.endpoint} (${method} ${path}: ${code}) after ${attempt} attempt(s); ` +
                    `check clientpolicy:endpoint and that the service is up`,
                    { code, secrets: this.#secrets });
            }
            if (res.status === 401 && !opts.anonymous && !reauthenticated) {
                reauthenticated = true;
                this.#token = undefined;
                continue;
            }
            if (RETRYABLE_STATUSES.has(res.status) && attempt < retry.maxAttempts) {
                const retryAfter = parseRetryAfter(res.headers["retry-after"], this.#now());
                if (retryAfter === undefined || retryAfter <= retry.maxRetryAfterMs) {
                    await retry.sleep(retryAfter ?? backoffDelay(attempt - 1, retry));
                    continue;
                }
            }
            if (res.status >= 200 && res.status < 300) {
                return { status: res.status, headers: res.headers, json: parseJson(res.body) as T };
            }
            throw this.#toError(method, path, res, attempt);
        }
    }

    /** Maps an error answer to the typed hierarchy, keeping code, target and request id. */
    #toError(method: string, path: string, res: HttpResponse, attempts: number): ClientPolicyError {
        const parsed = parseJson(res.body) as Record<string, unknown> | undefined;
        let code: string | undefined;
        let message: string | undefined;
        let target: string | undefined;
        const err = parsed?.error;
        if (err && typeof err === "object") {
            const e = err as Record<string, unknown>;
            code = typeof e.code === "string" ? e.code : undefined;
            message = typeof e.message === "string" ? e.message : undefined;
            target = typeof e.target === "string" ? e.target : undefined;
        } else if (typeof err === "string") {
            // OAuth error shape: {"error":"invalid_client","error_description":"…"}
            code = err;
            message = typeof parsed?.error_description === "string" ? parsed.error_description : undefined;
        }
        const info: ErrorInfo = {
            status: res.status, code, target, requestId: res.headers["request-id"], secrets: this.#secrets, tenantMessage: message,
            retryAfterMs: parseRetryAfter(res.headers["retry-after"], this.#now()),
        };
        const text = `${method} ${safeDecode(path.split("?")[0])} → ${res.status}${code ? ` ${code}` : ""}` +
            `${message ? `: ${message}` : ""}`;
        switch (res.status) {
            case 400: case 422: case 428: return new ValidationError(text, info);
            case 401: case 403: return new AuthError(text, info);
            case 404: return new NotFoundError(text, info);
            case 409: case 412: return new ConflictError(text, info);
            case 429: return new ThrottledError(`${text} (still throttled after ${attempts} attempts)`, info);
        }
        if (res.status >= 500) return new TransportError(`${text} from ${this.endpoint}`, info, RETRYABLE_STATUSES.has(res.status));
        return new ClientPolicyError(text, info);
    }

    // ------------------------------------------------------------------ policies

    /** `GET` one policy with its ETag; NotFoundError when it does not exist. */
    async getPolicy(identity: string): Promise<PolicyWithEtag> {
        const res = await this.send<WirePolicy>("GET", policyPath(identity));
        return { policy: res.json, etag: res.headers.etag ?? "" };
    }

    /**
     * `PUT` the full desired state. `ifMatch` replaces an existing policy (412 when it changed since); `ifNoneMatch`
     * creates one (409 when it exists).
     */
    async putPolicy(identity: string, body: WirePolicy, precondition: { ifMatch: string } | { ifNoneMatch: "*" }): Promise<PolicyWithEtag> {
        const headers: Record<string, string> = "ifMatch" in precondition
            ? { "if-match": precondition.ifMatch } : { "if-none-match": "*" };
        const res = await this.send<WirePolicy>("PUT", policyPath(identity), { body, headers });
        return { policy: res.json, etag: res.headers.etag ?? "" };
    }

    /** `DELETE` a policy (Global: reset to defaults). Returns the tenant's `Warning` header, if any. */
    async deletePolicy(identity: string, opts: { ifMatch?: string; force?: boolean } = {}): Promise<string | undefined> {
        const headers: Record<string, string> = opts.ifMatch ? { "if-match": opts.ifMatch } : {};
        const res = await this.send("DELETE", policyPath(identity) + (opts.force ? "?force=true" : ""), { headers });
        return res.headers.warning;
    }

    /** Every user directly granted a policy (all pages). */
    async listAssignments(identity: string): Promise<WireUser[]> {
        return this.#listAll<WireUser>(`${policyPath(identity)}/assignments`);
    }

    async #listAll<T>(path: string): Promise<T[]> {
        const out: T[] = [];
        let next: string | undefined = `${path}?$top=${PAGE_SIZE}`;
        while (next) {
            const res: ApiResponse<{ value?: T[]; "@nextLink"?: string }> = await this.send("GET", next);
            out.push(...(res.json?.value ?? []));
            next = res.json?.["@nextLink"];
        }
        return out;
    }

    // ------------------------------------------------------------------ users and grants

    /** Resolves any user identity form; NotFoundError / ConflictError (`AmbiguousIdentity`) otherwise. */
    async getUser(identity: string): Promise<WireUser> {
        return (await this.send<WireUser>("GET", `/users/${encodeURIComponent(identity)}`)).json;
    }

    /** Grants (`policyName`) or unassigns (`null`) one user's client policy. */
    async assignUser(identity: string, policyName: string | null): Promise<void> {
        await this.send("PUT", `/users/${encodeURIComponent(identity)}/policyAssignments/ClientPolicy`, { body: { PolicyName: policyName } });
    }

    /**
     * Grants or unassigns many users with the batch API: chunks of {@link BATCH_MAX_USERS}, each polled to completion
     * with growing delays. Returns every user's result; the caller decides how to report failures.
     */
    async batchAssign(policyName: string | null, users: readonly string[]): Promise<BatchUserResult[]> {
        const results: BatchUserResult[] = [];
        for (let i = 0; i < users.length; i += BATCH_MAX_USERS) {
            const chunk = users.slice(i, i + BATCH_MAX_USERS);
            const started = await this.send<{ OperationId: string }>("POST", "/Skype.Policy/batchAssignments", {
                body: { PolicyType: "ClientPolicy", PolicyName: policyName, Users: chunk },
            });
            results.push(...await this.#pollBatch(started.json.OperationId));
        }
        return results;
    }

    async #pollBatch(operationId: string): Promise<BatchUserResult[]> {
        const deadline = this.#now() + BATCH_TIMEOUT_MS;
        let delay = this.#batchPollStartMs;
        for (;;) {
            const res = await this.send<{ Status: string; Results?: BatchUserResult[] }>(
                "GET", `/Skype.Policy/batchAssignments/${encodeURIComponent(operationId)}`);
            if (res.json.Status === "Completed") return res.json.Results ?? [];
            if (this.#now() > deadline) {
                throw new TransportError(`batch assignment ${operationId} did not complete within ${BATCH_TIMEOUT_MS / 60_000} minutes`,
                    { code: "BatchTimeout" });
            }
            await this.#retry.sleep(delay);
            delay = Math.min(BATCH_POLL_MAX_MS, delay * 2);
        }
    }
}

/** Readable path for messages; a malformed escape (e.g. in a server-sent next link) is shown as is. */
function safeDecode(path: string): string {
    try {
        return decodeURIComponent(path);
    } catch {
        return path;
    }
}

function parseJson(body: string): unknown {
    if (!body) return undefined;
    try {
        return JSON.parse(body);
    } catch {
        return undefined;
    }
}
