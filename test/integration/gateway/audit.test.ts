/**
 * The gateway's audit trail is complete: one line per command the shell runs, batch items included, each naming the
 * client, its source address, the operation and request, the route, the cmdlet with the parameter values that rebuild
 * the write, the result and the duration. The proof: the full list of writes of a 300-user batch is rebuilt from the
 * audit log alone and compared with what the stand-in shell actually did to the server behind it (the emulator's state
 * before and after, and its own count of writes). Also: lines stay bounded, and a shell that dies mid-call leaves
 * lines saying the outcome is unknown.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { ROUTE_PATTERNS, Routes } from "../../../api/contract";
import { MAX_LINE_BYTES } from "../../../gateway/audit";
import { TEST_CLIENT_SECRET } from "../../../testkit/emulator";
import { call, policyPath } from "../../../testkit/tenantApi";
import { startTestGateway, type GatewayTestTenant } from "../../../testkit/gateway";

interface AuditRecord {
    kind: string;
    requestId: string | null;
    operationId: string | null;
    client: string | null;
    remoteAddress: string | null;
    tenant: string;
    method: string | null;
    route: string | null;
    cmdlet: string;
    params: Record<string, unknown>;
    result: "ok" | "error" | "skipped" | "unknown";
    error: { id: string; category: string } | null;
    durationMs: number;
    truncated?: string[];
}

function auditLines(t: GatewayTestTenant): AuditRecord[] {
    return readFileSync(t.auditFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

async function completed(t: GatewayTestTenant, id: string): Promise<any> {
    for (let i = 0; i < 600; i++) {
        const s = await call(t, "GET", Routes.batchAssignment(id));
        assert.equal(s.status, 200, s.text);
        if (s.json.Status === "Completed") return s.json;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`batch ${id} did not complete`);
}

const LOOPBACK = new Set(["127.0.0.1", "::ffff:127.0.0.1", "::1"]);

describe("gateway: the audit trail", function () {
    this.timeout(300_000);
    let t: GatewayTestTenant;
    before(async () => { t = await startTestGateway({ users: 320, poolSize: 2, commandTimeoutSeconds: 20 }); });
    after(async () => { await t?.stop(); });
    afterEach(() => t.shellFaults({}));

    it("rebuilds every write of a 300-user batch from the audit log alone, matching what the shell did to the server", async () => {
        assert.equal((await call(t, "PUT", policyPath("Tag:AuditBatch"), { body: {}, headers: { "if-none-match": "*" } })).status, 201);
        assert.equal((await call(t, "PUT", policyPath("Tag:AuditOther"), { body: {}, headers: { "if-none-match": "*" } })).status, 201);
        // The server's state before: some users already hold the target (nothing to write), some hold another policy.
        for (let n = 1; n <= 40; n++) {
            const r = await call(t.server, "PUT", Routes.userAssignment(`User ${String(n).padStart(5, "0")}`), { body: { PolicyName: n <= 20 ? "Tag:AuditBatch" : "Tag:AuditOther" } });
            assert.equal(r.status, 200, r.text);
        }
        const users = [
            ...Array.from({ length: 290 }, (_, i) => `User ${String(i + 1).padStart(5, "0")}`),
            ...Array.from({ length: 5 }, (_, i) => `sip:user${String(i + 291).padStart(5, "0")}@contoso.example`),
            ...Array.from({ length: 5 }, (_, i) => `nobody${i}@nowhere.example`),
        ];
        assert.equal(users.length, 300);
        const before = t.server.stored()!;
        const writesBefore = (await t.server.stats()).writes;

        const post = await call(t, "POST", Routes.batchAssignments(), { body: { PolicyType: "ClientPolicy", PolicyName: "AuditBatch", Users: users } });
        assert.equal(post.status, 202, post.text);
        const opId: string = post.json.OperationId;
        const requestId = post.headers.get("request-id");
        const op = await completed(t, opId);
        assert.equal(op.Results.filter((r: { Status: string }) => r.Status === "Succeeded").length, 295);

        const after = t.server.stored()!;
        const writesByShell = (await t.server.stats()).writes - writesBefore;

        // The audit log alone: the batch's commands, by its operation id.
        const mine = auditLines(t).filter((l) => l.kind === "cmdlet" && l.operationId === opId);
        for (const l of mine) {
            assert.equal(l.client, "demo-client");
            assert.ok(l.remoteAddress && LOOPBACK.has(l.remoteAddress), `source address: ${l.remoteAddress}`);
            assert.equal(l.requestId, requestId, "each batch command names the POST that started it");
            assert.equal(l.tenant, "contoso.example");
            assert.equal(l.method, "POST");
            assert.equal(l.route, ROUTE_PATTERNS.batchAssignments);
            assert.equal(typeof l.durationMs, "number");
            assert.equal(l.truncated, undefined);
        }
        const resolved = mine.filter((l) => l.cmdlet === "Get-CsUser");
        assert.equal(resolved.length, 300, "every user resolution of the batch is audited");
        const writes = mine.filter((l) => l.cmdlet === "Grant-CsClientPolicy");
        assert.ok(writes.every((w) => w.result === "ok"), JSON.stringify(writes.filter((w) => w.result !== "ok")));
        assert.equal(writes.length, 275, "users 1–20 already held the policy, 5 do not exist");
        assert.equal(writes.length, writesByShell, "as many audited grants as writes the server saw");

        // Replay the audited writes on the state before; the result must be the state after, user by user.
        const rebuilt = new Map(before.users.map((u) => [u.id, u.clientPolicy]));
        const bySip = new Map(before.users.map((u) => [u.sipAddress.toLowerCase(), u.id]));
        for (const w of writes) {
            const id = bySip.get(String(w.params.Identity).toLowerCase());
            assert.ok(id, `the audited Identity ${JSON.stringify(w.params.Identity)} names a user`);
            rebuilt.set(id, w.params.PolicyName as string | null);
        }
        const actual = new Map(after.users.map((u) => [u.id, u.clientPolicy]));
        const diff = [...actual].filter(([id, p]) => (rebuilt.get(id) ?? null)?.toLowerCase() !== p?.toLowerCase());
        assert.deepEqual(diff, [], "the audit log rebuilds the server's assignments");
        assert.ok([...actual.values()].filter((p) => p?.toLowerCase() === "auditbatch").length >= 295);

        // The request line of the POST: who, from where, how it ended.
        const req = auditLines(t).find((l) => l.kind === "request" && l.requestId === requestId) as unknown as Record<string, unknown>;
        assert.equal(req.status, 202);
        assert.ok(LOOPBACK.has(req.remoteAddress as string));
        const text = readFileSync(t.auditFile, "utf8");
        assert.ok(!text.includes(TEST_CLIENT_SECRET), "no client secret in the audit log");
    });

    it("audits a single write with its parameters and result, and a refused one with the error record's id and category", async () => {
        const put = await call(t, "PUT", policyPath("Tag:AuditOne"), { body: { Description: "one", EnableIMAutoArchiving: false }, headers: { "if-none-match": "*" } });
        assert.equal(put.status, 201, put.text);
        const rid = put.headers.get("request-id");
        const lines = auditLines(t).filter((l) => l.kind === "cmdlet" && l.requestId === rid);
        assert.deepEqual(lines.map((l) => l.cmdlet), ["Get-CsClientPolicy", "New-CsClientPolicy", "Get-CsClientPolicy"]);
        const made = lines[1];
        assert.deepEqual(made.params, { Identity: "Tag:AuditOne", Description: "one", EnableIMAutoArchiving: false });
        assert.equal(made.result, "ok");
        assert.equal(made.operationId, rid, "outside a batch the operation is the request");
        // The existence check before the create: the cmdlet's own "not found" error, recorded as such.
        assert.equal(lines[0].result, "error");
        assert.equal(lines[0].error!.category, "ObjectNotFound");
        assert.equal(lines[2].result, "ok");

        // A grant to a user that does not exist: Get-CsUser fails, the line says how.
        const g = await call(t, "PUT", Routes.userAssignment("nobody@nowhere.example"), { body: { PolicyName: "Tag:AuditOne" } });
        assert.equal(g.status, 404);
        const failed = auditLines(t).filter((l) => l.kind === "cmdlet" && l.requestId === g.headers.get("request-id"));
        const get = failed.find((l) => l.cmdlet === "Get-CsUser");
        assert.ok(get);
        assert.equal(get.result, "error");
        assert.equal(get.error!.category, "ObjectNotFound");
        assert.equal(typeof get.error!.id, "string");
    });

    it("bounds each line and says what it cut", async () => {
        const entries = Array.from({ length: 100 }, (_, i) => ({ Name: `Entry${i}`, Value: "v".repeat(900) }));
        const r = await call(t, "PUT", policyPath("Tag:AuditLong"), { body: { Description: "d".repeat(1000), PolicyEntry: entries }, headers: { "if-none-match": "*" } });
        assert.equal(r.status, 201, r.text);
        const raw = readFileSync(t.auditFile, "utf8").split("\n").filter(Boolean);
        for (const l of raw) assert.ok(Buffer.byteLength(l) <= MAX_LINE_BYTES, `an audit line of ${Buffer.byteLength(l)} bytes`);
        const made = auditLines(t).find((l) => l.kind === "cmdlet" && l.requestId === r.headers.get("request-id") && l.cmdlet === "New-CsClientPolicy")!;
        assert.equal(made.params.Identity, "Tag:AuditLong", "the identity is never cut");
        assert.ok(made.truncated && made.truncated.length > 0, "the line names what it cut");
        assert.ok(made.truncated.some((x) => x.startsWith("Description") || x.startsWith("PolicyEntry")), JSON.stringify(made.truncated));
    });

    it("a shell that dies during a call leaves lines whose outcome is unknown", async () => {
        t.shellFaults({ dieAfter: "New-CsClientPolicy.*Tag:AuditDies", once: true });
        const r = await call(t, "PUT", policyPath("Tag:AuditDies"), { body: {}, headers: { "if-none-match": "*" } });
        assert.equal(r.status, 503, r.text);
        const lines = auditLines(t).filter((l) => l.kind === "cmdlet" && l.requestId === r.headers.get("request-id"));
        const made = lines.find((l) => l.cmdlet === "New-CsClientPolicy");
        assert.ok(made, JSON.stringify(lines));
        assert.equal(made.result, "unknown");
        assert.equal(made.error!.id, "ServiceUnavailable");
    });

    it("one OperationId, one batch: a retried POST answers the original batch, a different body 409, all from the side store", async () => {
        const opId = randomUUID();
        const body = { PolicyType: "ClientPolicy", PolicyName: "AuditBatch", Users: ["User 00301", "User 00302"], OperationId: opId };
        const first = await call(t, "POST", Routes.batchAssignments(), { body });
        assert.equal(first.status, 202, first.text);
        assert.equal(first.json.OperationId, opId);
        await completed(t, opId);
        const writes = (await t.server.stats()).writes;
        const again = await call(t, "POST", Routes.batchAssignments(), { body: { ...body, OperationId: opId.toUpperCase() } });
        assert.equal(again.status, 202, again.text);
        assert.equal(again.json.OperationId.toLowerCase(), opId);
        const other = await call(t, "POST", Routes.batchAssignments(), { body: { ...body, Users: ["User 00303"] } });
        assert.equal(other.status, 409, other.text);
        assert.equal(other.json.error.code, "OperationIdConflict");
        await new Promise((r) => setTimeout(r, 300));
        assert.equal((await t.server.stats()).writes, writes, "the retry started nothing");
        const grants = auditLines(t).filter((l) => l.kind === "cmdlet" && l.operationId === opId && l.cmdlet === "Grant-CsClientPolicy");
        assert.equal(grants.length, 2, "each user granted once");
    });
});
