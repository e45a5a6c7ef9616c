/**
 * The error table (api/errors.ts) and its consumers, over every code: the servers' error factory answers the table's
 * status; the provider's client turns that answer into the table's class with the table's retry rule; the fleet report
 * sorts the error the provider prints into the table's kind; the stand-in shell's category reads back as the code in
 * the gateway; and the files that map errors read the table instead of holding a mapping of their own.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    ERROR_CODES, ERROR_KINDS, ERROR_TABLE, PROVIDER_ERROR_CLASSES, RETRYABLE_STATUSES, codeOfPowerShellCategory, errorKindOfClass,
    powerShellCategoryOf, type AnyErrorCode, type ErrorCode, type ErrorRow,
} from "../../api/errors";
import { classifyError } from "../../cli/report/run";
import { ClientPolicyError } from "../../provider";
import * as providerErrors from "../../provider/errors";
import { TenantClient } from "../../provider/client/tenantClient";
import type { HttpRequest, HttpResponse } from "../../provider/client/transport";
import { ApiError } from "../../server/errors";

const ROOT = path.resolve(__dirname, "..", "..");
const ROWS = Object.entries(ERROR_TABLE) as [AnyErrorCode, ErrorRow][];
const TENANT_CODES = Object.keys(ERROR_CODES) as ErrorCode[];

/** A client whose transport answers every request with `answer` (or throws it), retrying never. */
function clientAnswering(answer: (req: HttpRequest) => HttpResponse): TenantClient {
    return new TenantClient({
        endpoint: "https://tenant.example", tenantId: "contoso.example", clientId: "app", clientSecret: "s3cret-value",
        transport: async (req) => answer(req), retry: { maxAttempts: 1 },
    });
}

async function failure(p: Promise<unknown>): Promise<ClientPolicyError> {
    try {
        await p;
    } catch (e) {
        assert.ok(e instanceof ClientPolicyError, `not a ClientPolicyError: ${String(e)}`);
        return e;
    }
    assert.fail("the call succeeded");
}

/** The error as the dynamic-provider host prints it into the engine's diagnostics (`${error}`). */
const printed = (e: Error) => `error: ${String(e)}`;

describe("the error table", () => {
    it("names only real provider classes and kinds, and one class per status of what backends and proxies answer", () => {
        for (const cls of PROVIDER_ERROR_CLASSES) {
            const ctor = (providerErrors as Record<string, unknown>)[cls];
            assert.equal(typeof ctor, "function", `${cls} is exported by provider/errors.ts`);
            assert.equal((ctor as { name: string }).name, cls);
        }
        for (const [code, row] of ROWS) assert.ok(ERROR_KINDS.includes(row.kind), `${code}: kind ${row.kind}`);
        const byStatus = new Map<number, Set<string>>();
        for (const [, row] of ROWS) {
            if (row.status === undefined || (row.source !== "tenant" && row.source !== "proxy")) continue;
            byStatus.set(row.status, (byStatus.get(row.status) ?? new Set()).add(`${row.class}/${row.retryable}`));
        }
        for (const [status, classes] of byStatus) assert.equal(classes.size, 1, `status ${status}: ${[...classes].join(", ")}`);
        assert.deepEqual([...RETRYABLE_STATUSES].sort(), [429, 502, 503, 504]);
    });

    it("every tenant code: the server answers its status, the client throws its class with its retry rule, the report gives its kind", async () => {
        for (const code of TENANT_CODES) {
            const row = ERROR_TABLE[code];
            const answer = new ApiError(code, `the ${code} message`, "Identity");
            assert.equal(answer.status, row.status, `${code}: status`);
            const err = await failure(clientAnswering(() => ({
                status: answer.status, headers: { "request-id": "r-1", ...lower(answer.headers) }, body: JSON.stringify(answer.toBody()),
            })).send("GET", "/policies", { anonymous: true }));
            assert.deepEqual({ cls: err.name, retryable: err.retryable, code: err.code, status: err.status },
                { cls: row.class, retryable: row.retryable, code, status: row.status }, code);
            assert.equal(classifyError([printed(err)], false), row.kind, `${code}: report kind of ${printed(err)}`);
        }
    });

    it("an answer without a known code: the class and retry rule of its status", async () => {
        for (const [code, row] of ROWS.filter(([, r]) => r.status !== undefined && (r.source === "tenant" || r.source === "proxy"))) {
            const err = await failure(clientAnswering(() => ({ status: row.status!, headers: {}, body: "<html>busy</html>" })).send("GET", "/x", { anonymous: true }));
            assert.deepEqual({ cls: err.name, retryable: err.retryable }, { cls: row.class, retryable: row.retryable }, `status ${row.status} (${code})`);
        }
    });

    it("every token endpoint code: an AuthError the report sorts as auth", async () => {
        for (const [code, row] of ROWS.filter(([, r]) => r.source === "token")) {
            const err = await failure(clientAnswering(() => ({
                status: row.status!, headers: {}, body: JSON.stringify({ error: code, error_description: "AADSTS: no" }),
            })).token());
            assert.equal(err.name, row.class, code);
            assert.equal(err.retryable, row.retryable, code);
            assert.equal(classifyError([printed(err)], false), row.kind, `${code}: ${printed(err)}`);
        }
    });

    it("every network code: a retryable TransportError the report sorts as unreachable", async () => {
        for (const [code, row] of ROWS.filter(([, r]) => r.source === "network")) {
            const err = await failure(clientAnswering(() => {
                throw Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error(`connect ${code}`), { code }) });
            }).send("GET", "/x", { anonymous: true }));
            assert.deepEqual({ cls: err.name, retryable: err.retryable, code: err.code }, { cls: row.class, retryable: row.retryable, code }, code);
            assert.equal(classifyError([printed(err)], false), row.kind, code);
        }
    });

    it("every code the provider raises itself: the report sorts its printed error by the table", () => {
        for (const [code, row] of ROWS.filter(([, r]) => r.source === "provider")) {
            const err = providerErrors.errorOfClass(row.class, `something about it (${code})`, { code, status: row.status });
            assert.equal(err.retryable, row.retryable, code);
            assert.equal(classifyError([printed(err)], false), row.kind, code);
            // The class alone, when the message does not carry the code.
            assert.equal(classifyError([`error: ${row.class}: something failed`], false), errorKindOfClass(row.class) ?? "failed", row.class);
        }
    });

    it("every tenant code: the stand-in shell's PowerShell category reads back as that code in the gateway", () => {
        for (const code of TENANT_CODES) {
            const category = powerShellCategoryOf(code);
            assert.equal(codeOfPowerShellCategory(category, [code]), code, `${code} → ${category}`);
            for (const other of ERROR_TABLE[code].powerShell) assert.equal(codeOfPowerShellCategory(other, [code]), code);
        }
        assert.equal(powerShellCategoryOf("NoSuchCode"), "NotSpecified");
        assert.equal(codeOfPowerShellCategory("NotSpecified", ["PolicyNotFound", "InvalidParameter", "PolicyAlreadyExists"]), undefined);
    });

    it("the files that map errors read the table and hold no mapping of their own", () => {
        const read = (f: string) => fs.readFileSync(path.join(ROOT, f), "utf8");
        const categories = [...new Set(ROWS.flatMap(([, r]) => r.powerShell ?? []))];
        const consumers: Record<string, RegExp[]> = {
            "server/errors.ts": [/ERROR_CODES\[code\]/],
            "api/openapi.ts": [/ERROR_TABLE\[c\]\.note/, /RETRYABLE_STATUSES/],
            "provider/errors.ts": [/isRetryable\(info\.code, info\.status\)/],
            "provider/client/tenantClient.ts": [/errorClassOf\(code, res\.status\)/],
            "cli/report/run.ts": [/errorKindOf\(/, /ERROR_TABLE/],
            "gateway/backend.ts": [/codeOfPowerShellCategory\(/],
            "testkit/standinShell.ts": [/powerShellCategoryOf\(e\.code\)/],
        };
        for (const [file, uses] of Object.entries(consumers)) {
            const text = read(file);
            assert.match(text, /from "\.\.?\/(\.\.\/)*api\/errors"|from "\.\/errors"/, `${file} imports api/errors.ts`);
            for (const re of uses) assert.match(text, re, `${file} reads the table (${re})`);
            // No status switch, no category literal compared by hand.
            assert.doesNotMatch(text, /case 4\d\d:|case 5\d\d:/, `${file} switches on statuses`);
            for (const c of categories) assert.ok(!text.includes(`=== "${c}"`), `${file} compares the category ${c} by hand`);
        }
    });
});

function lower(headers: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
