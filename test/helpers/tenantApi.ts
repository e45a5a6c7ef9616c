/**
 * A small HTTP client for the tenant API in tests: route helpers and `call()` with a cached bearer token. Shared by
 * the emulator tests, the provider integration harness and the e2e tests (which check what the CLI really did).
 */
import * as assert from "node:assert/strict";
import type { TestTenant } from "./emulator";

export const POLICIES = "/Skype.Policy/configurations/ClientPolicy";
export const policyPath = (identity: string) => `${POLICIES}/configuration/${encodeURIComponent(identity)}`;
export const userPath = (identity: string) => `/users/${encodeURIComponent(identity)}`;
export const grantPath = (identity: string) => `${userPath(identity)}/policyAssignments/ClientPolicy`;

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
    const res = await fetch(t.url + path, { method, headers, body });
    const text = await res.text();
    let json: any;
    try {
        json = text ? JSON.parse(text) : undefined;
    } catch {
        json = undefined;
    }
    assert.ok(res.headers.get("request-id"), `${method} ${path}: request-id header missing`);
    return { status: res.status, headers: res.headers, json, text };
}
