/**
 * HTTP client for the tenant API (shared/TENANT-API.md): OAuth client-credentials token with refresh before expiry,
 * retries on 429/502/503/504 and network errors, typed and redacted errors, and the policy, user and batch-assignment
 * calls the resources need. One instance per configured provider process; never created at import time.
 */
import { randomUUID } from "node:crypto";
import {
    BATCH_MAX_USERS, BatchAccepted, BatchOperationView, BatchRequest, BatchUserResult, HEADERS, OWNER_ANNOTATION, POLICY_TYPE,
    MAX_PAGE_SIZE, RESOLVE_MAX_IDENTITIES, ResolveResponse, ResolveResult, Routes, WirePage, WirePolicy, WireUser,
} from "../../api/contract";
import { errorClassOf } from "../../api/errors";
import { AuthError, ClientPolicyError, ErrorInfo, TransportError, errorOfClass } from "../errors";
import { DEFAULT_RETRY, RetryOptions, backoffDelay, parseRetryAfter } from "./retry";
import { HttpResponse, Transport, fetchTransport, networkErrorCode } from "./transport";
import { isLoopbackHost, type ProviderConfig } from "../config";

export type { BatchUserResult, ResolveResult, WirePolicy, WireUser } from "../../api/contract";

/** A policy plus the ETag that guards the next write and the owner recorded on it (null: none). */
export interface PolicyWithEtag {
    readonly policy: WirePolicy;
    readonly etag: string;
    readonly owner: string | null;
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
    /** Where the user set the endpoint, named in "cannot reach" errors; default `clientpolicy:endpoint` (stack config). */
    readonly endpointSetting?: string;
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

/** Slowest poll interval of a batch operation. */
export const BATCH_POLL_MAX_MS = 2000;
/** Give up waiting for one batch operation after this long. */
export const BATCH_TIMEOUT_MS = 15 * 60_000;
/** Page size for list calls: the contract's largest. */
const PAGE_SIZE = MAX_PAGE_SIZE;
/** Refresh a token this long before it expires (or at 90 % of a short lifetime), so no call races expiry. */
const TOKEN_REFRESH_MARGIN_MS = 60_000;

/** Client for one tenant and one app registration. */
export class TenantClient {
    /** Base URL without trailing slash; named in transport errors. */
    readonly endpoint: string;
    /** Tenant the token is requested for; named in auth errors. */
    readonly tenantId: string;
    /** App registration id; named in auth errors (the secret never is). */
    readonly clientId: string;
    /** Where the endpoint was set, named in transport errors ({@link TenantClientOptions.endpointSetting}). */
    readonly endpointSetting: string;
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
        this.endpointSetting = opts.endpointSetting ?? "clientpolicy:endpoint";
        this.#clientSecret = opts.clientSecret;
        this.#transport = opts.transport ?? fetchTransport;
        this.#retry = { ...DEFAULT_RETRY, ...opts.retry };
        this.#now = opts.now ?? Date.now;
        this.#batchPollStartMs = opts.batchPollStartMs ?? 100;
    }

    /**
     * The client of a resolved configuration (provider/config.ts): its endpoint, tenant and app registration, and
     * `maxAttempts` as the retry budget. `extra` sets the test and error-message options of {@link TenantClientOptions}.
     */
    static fromConfig(config: ProviderConfig, extra: Omit<Partial<TenantClientOptions>, keyof ProviderConfig> = {}): TenantClient {
        const { endpoint, tenantId, clientId, clientSecret, maxAttempts } = config;
        // `this`, not TenantClient: a subclass (a test probe, a wrapper) gets instances of itself.
        return new this({ endpoint, tenantId, clientId, clientSecret, ...extra, retry: { maxAttempts, ...extra.retry } });
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
        const base = new URL(this.endpoint);
        if (base.protocol !== "https:" && !isLoopbackHost(base.hostname)) {
            throw new TransportError(`refusing to send the client secret over ${base.protocol.replace(/:$/, "")} to ${base.origin}: ` +
                `${this.endpointSetting} must use https except to a loopback address`, { code: "InsecureEndpoint" }, false);
        }
        const form = new URLSearchParams({
            grant_type: "client_credentials", client_id: this.clientId, client_secret: this.#clientSecret,
        }).toString();
        let res: ApiResponse<{ access_token?: string; expires_in?: number }>;
        try {
            res = await this.send("POST", Routes.token(this.tenantId), { form, anonymous: true });
        } catch (err) {
            if (err instanceof ClientPolicyError && err.status !== undefined && err.status >= 400 && err.status < 500 && err.status !== 429) {
                const who = `client id ${this.clientId} on tenant ${this.tenantId}`;
                const message = err.status === 401 || err.code === "invalid_client"
                    ? `the client secret was rejected for ${who} (check clientpolicy:clientSecret)`
                    : `authentication failed for ${who}: ${err.detail}`;
                throw new AuthError(message, { status: err.status, code: err.code, requestId: err.requestId, secrets: this.#secrets, cause: err });
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
     * The URL for `path`: a path relative to the endpoint, or an absolute URL (a server-sent link) that must be on the
     * endpoint's own origin — the bearer token is never sent anywhere else.
     */
    #url(path: string): string {
        if (!/^[a-z][a-z0-9+.-]*:/i.test(path)) return this.endpoint + (path.startsWith("/") ? path : `/${path}`);
        let target: URL;
        try {
            target = new URL(path);
        } catch {
            throw new TransportError(`the tenant API sent a malformed link (${path.slice(0, 80)})`, { code: "InvalidLink" });
        }
        if (target.origin !== new URL(this.endpoint).origin) {
            throw new TransportError(`the tenant API sent a link to another origin (${target.origin}); refusing to send the ` +
                `token there (configured endpoint: ${this.endpoint})`, { code: "ForeignLink" });
        }
        return target.href;
    }

    /**
     * Sends one API call. Resolves only with a 2xx answer; anything else becomes a typed error. The one retry rule:
     * an error whose `retryable` is true (429, 502, 503, 504 and network failures: the error table,
     * api/errors.ts) is repeated after `Retry-After` or a full-jitter backoff, up to `maxAttempts`. A `Retry-After`
     * beyond `maxRetryAfterMs` is not waited for: the error says so. A 401 on an authenticated call drops the cached
     * token and retries once (revoked or early-expired tokens).
     */
    async send<T = unknown>(method: string, path: string, opts: SendOptions = {}): Promise<ApiResponse<T>> {
        const url = this.#url(path);
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
            let error: ClientPolicyError;
            let waitMs: number | undefined;
            try {
                const res: HttpResponse = await this.#transport({ method, url, headers, body });
                if (res.status >= 200 && res.status < 300) {
                    return { status: res.status, headers: res.headers, json: parseJson(res.body) as T };
                }
                if (res.status === 401 && !opts.anonymous && !reauthenticated) {
                    reauthenticated = true;
                    this.#token = undefined;
                    continue;
                }
                error = this.#toError(method, path, res);
                waitMs = parseRetryAfter(res.headers[HEADERS.retryAfter], this.#now());
            } catch (err) {
                if (err instanceof ClientPolicyError) throw err;
                const code = networkErrorCode(err);
                error = new TransportError(
                    `cannot reach the tenant API at ${this.endpoint} (${method} ${safeDecode(path.split("?")[0])}: ${code}); ` +
                    `check ${this.endpointSetting} and that the service is up`,
                    { code, secrets: this.#secrets, cause: err });
            }
            if (!error.retryable) throw error;
            if (waitMs !== undefined && waitMs > retry.maxRetryAfterMs) {
                throw error.withDetail(`the tenant asked to wait ${Math.ceil(waitMs / 1000)} s (Retry-After), longer than the ` +
                    `${Math.round(retry.maxRetryAfterMs / 1000)} s this client waits; gave up after ${attempt} attempt(s)`);
            }
            if (attempt >= retry.maxAttempts) throw error.withDetail(`gave up after ${attempt} attempt(s)`);
            await retry.sleep(waitMs ?? backoffDelay(attempt - 1, retry));
        }
    }

    /** Maps an error answer to the typed hierarchy, keeping code, target and request id. */
    #toError(method: string, path: string, res: HttpResponse): ClientPolicyError {
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
            status: res.status, code, target, requestId: res.headers[HEADERS.requestId], secrets: this.#secrets, tenantMessage: message,
            retryAfterMs: parseRetryAfter(res.headers[HEADERS.retryAfter], this.#now()),
        };
        const text = `${method} ${safeDecode(path.split("?")[0])} → ${res.status}${code ? ` ${code}` : ""}` +
            `${message ? `: ${message}` : ""}`;
        if (res.status >= 300 && res.status < 400) {
            const to = res.headers[HEADERS.location];
            return new TransportError(`${method} ${safeDecode(path.split("?")[0])} was redirected (${res.status}) to ` +
                `${to ? describeOrigin(to, this.endpoint) : "nowhere"}; credentials are never sent to another origin, so the ` +
                `call was not repeated there (check ${this.endpointSetting})`, { ...info, code: "Redirected" });
        }
        // The class comes from the error table (api/errors.ts): by code, else by status.
        const cls = errorClassOf(code, res.status);
        return errorOfClass(cls, cls === "TransportError" ? `${text} from ${this.endpoint}` : text, info);
    }

    // ------------------------------------------------------------------ policies

    /** `GET` one policy with its ETag and owner; NotFoundError when it does not exist. */
    async getPolicy(identity: string): Promise<PolicyWithEtag> {
        return withEtag(await this.send<WirePolicy>("GET", Routes.policy(identity)));
    }

    /**
     * `PUT` the full desired state, recording `owner`. `ifMatch` replaces an existing policy (412 when it changed
     * since); `ifNoneMatch` creates one (409 when it exists).
     */
    async putPolicy(identity: string, body: WirePolicy, precondition: { ifMatch: string } | { ifNoneMatch: "*" }, owner?: string): Promise<PolicyWithEtag> {
        const headers: Record<string, string> = "ifMatch" in precondition
            ? { [HEADERS.ifMatch]: precondition.ifMatch } : { [HEADERS.ifNoneMatch]: "*" };
        const sent = owner === undefined ? body : { ...body, [OWNER_ANNOTATION]: owner };
        return withEtag(await this.send<WirePolicy>("PUT", Routes.policy(identity), { body: sent, headers }));
    }

    /** `DELETE` a policy (Global: reset to defaults), guarded by `ifMatch` when given. */
    async deletePolicy(identity: string, opts: { ifMatch?: string; force?: boolean } = {}): Promise<void> {
        const headers: Record<string, string> = opts.ifMatch ? { [HEADERS.ifMatch]: opts.ifMatch } : {};
        await this.send("DELETE", Routes.policy(identity) + (opts.force ? "?force=true" : ""), { headers });
    }

    /** Every policy of the tenant (all pages), in the API's listing order. */
    async listPolicies(): Promise<WirePolicy[]> {
        return this.listAll<WirePolicy>(Routes.policies());
    }

    /** Every user directly granted a policy (all pages). */
    async listAssignments(identity: string): Promise<WireUser[]> {
        return this.listAll<WireUser>(Routes.assignments(identity));
    }

    /**
     * The pages of a collection route, each next page from the previous page's `@nextLink` (relative to the API base
     * URL) until a page has none. A path without query asks for the largest pages; one with a query is sent as given.
     */
    async *pages<T>(path: string): AsyncGenerator<readonly T[]> {
        let next: string | undefined = path.includes("?") ? path : `${path}?$top=${PAGE_SIZE}`;
        while (next) {
            const res: ApiResponse<WirePage<T>> = await this.send("GET", next);
            yield res.json?.value ?? [];
            next = res.json?.["@nextLink"];
        }
    }

    /** Every item of a collection route: {@link pages}, concatenated. */
    async listAll<T>(path: string): Promise<T[]> {
        const out: T[] = [];
        for await (const page of this.pages<T>(path)) out.push(...page);
        return out;
    }

    // ------------------------------------------------------------------ users and grants

    /** Resolves any user identity form; NotFoundError / ConflictError (`AmbiguousIdentity`) otherwise. */
    async getUser(identity: string): Promise<WireUser> {
        return (await this.send<WireUser>("GET", Routes.user(identity))).json;
    }

    /**
     * Resolves many identities with the batch resolution route ({@link RESOLVE_MAX_IDENTITIES} per call): one answer
     * per identity, in order, each the user or a per-identity error.
     */
    async resolveUsers(identities: readonly string[]): Promise<ResolveResult[]> {
        const out: ResolveResult[] = [];
        for (let i = 0; i < identities.length; i += RESOLVE_MAX_IDENTITIES) {
            const chunk = identities.slice(i, i + RESOLVE_MAX_IDENTITIES);
            const res = await this.send<ResolveResponse>("POST", Routes.userResolutions(), { body: { Identities: chunk } });
            const value = res.json?.value ?? [];
            if (value.length !== chunk.length) {
                throw new TransportError(`the tenant answered ${value.length} resolutions for ${chunk.length} identities`, { code: "InvalidResponse" });
            }
            out.push(...value);
        }
        return out;
    }

    /** Grants (`policyName`) or unassigns (`null`) one user's client policy, recording `owner` on the assignment. */
    async assignUser(identity: string, policyName: string | null, owner?: string): Promise<void> {
        await this.send("PUT", Routes.userAssignment(identity), { body: { PolicyName: policyName, ...(owner === undefined ? {} : { Owner: owner }) } });
    }

    /**
     * Grants or unassigns many users with the batch API: chunks of {@link BATCH_MAX_USERS}, each polled to completion
     * with growing delays. Returns every user's result; the caller decides how to report failures.
     *
     * The POST is not idempotent but {@link send} retries it (a lost reply looks like a network error), so each chunk
     * carries a fresh `OperationId` that every retry of that chunk repeats: the tenant answers a repeated POST with the
     * batch the first one started (`BatchRequest` in api/contract.ts).
     */
    async batchAssign(policyName: string | null, users: readonly string[], owner?: string,
        onProgress?: (done: number, total: number) => void): Promise<BatchUserResult[]> {
        const results: BatchUserResult[] = [];
        for (let i = 0; i < users.length; i += BATCH_MAX_USERS) {
            const chunk = users.slice(i, i + BATCH_MAX_USERS);
            const body: BatchRequest = {
                PolicyType: POLICY_TYPE, PolicyName: policyName, Users: chunk, ...(owner === undefined ? {} : { Owner: owner }), OperationId: randomUUID(),
            };
            const started = await this.send<BatchAccepted>("POST", Routes.batchAssignments(), { body });
            const before = results.length;
            results.push(...await this.#pollBatch(started.json.OperationId, (n) => onProgress?.(before + n, users.length)));
        }
        return results;
    }

    /** Polls one batch operation until it completes; `onProgress` gets the number of users it has answered so far. */
    async #pollBatch(operationId: string, onProgress: (done: number) => void): Promise<BatchUserResult[]> {
        const deadline = this.#now() + BATCH_TIMEOUT_MS;
        let delay = this.#batchPollStartMs;
        for (;;) {
            const res = await this.send<BatchOperationView>("GET", Routes.batchAssignment(operationId));
            onProgress(res.json.Results?.length ?? 0);
            if (res.json.Status === "Completed") return [...(res.json.Results ?? [])];
            if (this.#now() > deadline) {
                throw new TransportError(`batch assignment ${operationId} did not complete within ${BATCH_TIMEOUT_MS / 60_000} minutes`,
                    { code: "BatchTimeout" }, false);
            }
            await this.#retry.sleep(delay);
            delay = Math.min(BATCH_POLL_MAX_MS, delay * 2);
        }
    }
}

/** Where a redirect pointed, as an origin (never a path or query, which may carry anything). */
function describeOrigin(location: string, base: string): string {
    try {
        return new URL(location, base).origin;
    } catch {
        return "a malformed location";
    }
}

function withEtag(res: ApiResponse<WirePolicy>): PolicyWithEtag {
    const owner = res.json?.[OWNER_ANNOTATION];
    return { policy: res.json, etag: res.headers[HEADERS.etag] ?? "", owner: typeof owner === "string" && owner !== "" ? owner : null };
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
