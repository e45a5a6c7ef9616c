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
import { recordedFetch } from "./recorder";

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
