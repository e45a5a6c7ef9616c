/** Assertions and set-up shared by the emulator tests, on top of the shared tenant API client. */
import * as assert from "node:assert/strict";
import type { TestTenant } from "../../../testkit/emulator";
import { Res, call, policyPath } from "../../../testkit/tenantApi";

export * from "../../../testkit/tenantApi";

/** Asserts an error answer: status, code and (optionally) target. */
export function assertError(res: Res, status: number, code: string, target?: string): void {
    const text = res.text.length > 600 ? `${res.text.slice(0, 600)}… (${res.text.length} characters)` : res.text;
    assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${text}`);
    assert.equal(res.json?.error?.code, code, text);
    assert.equal(typeof res.json.error.message, "string");
    if (target !== undefined) assert.equal(res.json.error.target, target, text);
}

/** Creates a tag policy and returns its ETag. */
export async function createPolicy(t: TestTenant, identity: string, body: Record<string, unknown> = {}): Promise<string> {
    const res = await call(t, "PUT", policyPath(identity), { body, headers: { "if-none-match": "*" } });
    assert.equal(res.status, 201, res.text);
    return res.headers.get("etag")!;
}
