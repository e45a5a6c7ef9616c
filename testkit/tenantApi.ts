/**
 * A small HTTP client for the tenant API in tests: route helpers (the contract's `Routes`) and `call()` with a cached
 * bearer token. Shared by the emulator tests, the provider integration harness and the e2e tests (which check what the
 * CLI really did). Every exchange is recorded, so a suite can check afterwards that each response it received matches
 * api/openapi.yaml (testkit/openapiValidator.ts).
 */
import * as assert from "node:assert/strict";
import { Routes } from "../api/contract";
import { TenantClient } from "../provider/client/tenantClient";
import type { TestTenant } from "./emulator";

export const POLICIES = Routes.policies();

/** The product's tenant client for a test tenant (or another tenant of its server with the same app), retrying as configured. */
export function tenantClient(t: Pick<TestTenant, "url" | "tenantId" | "clientId" | "clientSecret">, tenantId = t.tenantId): TenantClient {
    return TenantClient.fromConfig({ endpoint: t.url, tenantId, clientId: t.clientId, clientSecret: t.clientSecret, maxAttempts: 5 });
}
export const policyPath = Routes.policy;
export const userPath = Routes.user;
export const grantPath = Routes.userAssignment;

/** A response with its body parsed when it is JSON. */
export interface Res {
    status: number;
    headers: Headers;
    json: any;
    text: string;
}

export interface CallOptions {
    body?: unknown;
    /** Raw body text (sent as is). */
    raw?: string;
    headers?: Record<string, string>;
    /** Bearer token; `null` sends none. Default: a token of the test tenant. */
    token?: string | null;
    /**
     * The request deliberately leaves the contract (an unknown path or method): its response is checked only for the
     * error shape, not against an operation of the OpenAPI document.
     */
    offContract?: boolean;
}

/** One request and its response, as the contract check sees it. */
export interface Exchange {
    method: string;
    /** Path and query as sent (relative to the emulator's URL). */
    path: string;
    status: number;
    /** Response headers, lower-case names. */
    headers: Record<string, string>;
    /** Raw response body. */
    text: string;
    offContract?: boolean;
}

const exchanges: Exchange[] = [];

/** Every exchange recorded so far in this process. */
export function recordedExchanges(): readonly Exchange[] {
    return exchanges;
}

/** `fetch` that records the exchange for the contract check; returns the response and its body text. */
export async function recordedFetch(baseUrl: string, method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}, offContract = false): Promise<{ res: Response; text: string }> {
    const res = await fetch(baseUrl + path, { method, headers: init.headers, body: init.body });
    const text = await res.text();
    exchanges.push({ method, path, status: res.status, headers: Object.fromEntries(res.headers), text, offContract });
    return { res, text };
}

/** Drop-in `fetch` for tests that build requests by hand: the exchange is recorded for the contract check. */
export async function fetchRecorded(url: string, init: RequestInit = {}): Promise<Response> {
    const u = new URL(url);
    const headers = Object.fromEntries(new Headers(init.headers));
    const body = init.body instanceof URLSearchParams ? init.body.toString() : (init.body as string | undefined);
    const { res, text } = await recordedFetch(u.origin, init.method ?? "GET", u.pathname + u.search, { headers, body });
    // The body was consumed for the record; hand back an equivalent response.
    return new Response(text === "" ? null : text, { status: res.status, statusText: res.statusText, headers: res.headers });
}

const tokens = new WeakMap<TestTenant, Promise<string>>();

/** Cached token of the helper's tenant. */
export function tokenOf(t: TestTenant): Promise<string> {
    let p = tokens.get(t);
    if (!p) tokens.set(t, (p = t.token()));
    return p;
}

/** Calls the emulator; JSON bodies get `content-type: application/json` unless headers say otherwise. */
export async function call(t: TestTenant, method: string, path: string, opts: CallOptions = {}): Promise<Res> {
    const headers: Record<string, string> = {};
    const token = opts.token === undefined ? await tokenOf(t) : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers["content-type"] = "application/json";
    }
    Object.assign(headers, opts.headers);
    const { res, text } = await recordedFetch(t.url, method, path, { headers, body }, opts.offContract);
    let json: any;
    try {
        json = text ? JSON.parse(text) : undefined;
    } catch {
        json = undefined;
    }
    assert.ok(res.headers.get("request-id"), `${method} ${path}: request-id header missing`);
    return { status: res.status, headers: res.headers, json, text };
}
