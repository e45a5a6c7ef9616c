import * as assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { startTestEmulator, type TestTenant } from "../../../testkit/emulator";
import { assertError, call, createPolicy, policyPath, type Res } from "./util";

const BATCH = "/Skype.Policy/batchAssignments";
const sip = (i: number) => `sip:user${String(i).padStart(5, "0")}@contoso.example`;

async function waitForBatch(t: TestTenant, location: string, seen: Set<string>): Promise<Res> {
    for (;;) {
        const res = await call(t, "GET", location);
        assert.equal(res.status, 200, res.text);
        seen.add(res.json.Status);
        if (res.json.Status === "Completed") return res;
        await new Promise((r) => setTimeout(r, 10));
    }
}

describe("emulator: batch assignments", () => {
    let t: TestTenant;
    before(async () => {
        t = await startTestEmulator({ users: 10000 });
        await createPolicy(t, "Bulk");
    });
    after(async () => { await t.stop(); });

    it("grants 10,000 users in two batches of 5000, observable InProgress, with per-user Id", async () => {
        const started = Date.now();
        const posts = await Promise.all([0, 1].map((b) => call(t, "POST", BATCH, {
            body: { PolicyType: "ClientPolicy", PolicyName: "Tag:Bulk", Users: Array.from({ length: 5000 }, (_, i) => (b === 0 ? sip(i + 1) : `User ${String(5001 + i).padStart(5, "0")}`)) },
        })));
        const seen = new Set<string>();
        for (const p of posts) {
            assert.equal(p.status, 202, p.text);
            assert.ok(p.json.OperationId);
            assert.equal(p.headers.get("location"), `${BATCH}/${p.json.OperationId}`, "Location is relative, never built from Host");
        }
        const done = await Promise.all(posts.map((p) => waitForBatch(t, p.headers.get("location")!, seen)));
        assert.ok(seen.has("InProgress"), `statuses seen: ${[...seen]}`);
        for (const d of done) {
            assert.equal(d.json.Results.length, 5000);
            assert.ok(d.json.Results.every((r: any) => r.Status === "Succeeded" && typeof r.Id === "string"));
        }
        let count = 0;
        let next: string | undefined = `${policyPath("Bulk")}/assignments?$top=1000`;
        while (next) {
            const page = await call(t, "GET", next);
            count += page.json.value.length;
            next = page.json["@nextLink"];
        }
        assert.equal(count, 10000);
        // Budget for the 2-core CI box: the whole flow must stay well under the test timeout.
        assert.ok(Date.now() - started < 60000);
    });

    it("reports per-user failures without failing the batch, and unassigns with PolicyName null", async () => {
        const post = await call(t, "POST", BATCH, { body: { PolicyType: "ClientPolicy", PolicyName: null, Users: [sip(1), "Ghost Person", "User 00002"] } });
        const done = await waitForBatch(t, post.headers.get("location")!, new Set());
        assert.deepEqual(done.json.Results.map((r: any) => r.Status), ["Succeeded", "Failed", "Succeeded"]);
        assert.equal(done.json.Results[1].Error.code, "UserNotFound");
        assert.equal(done.json.Results[1].Id, undefined);
        assert.equal((await call(t, "GET", "/users/User%2000001")).json.ClientPolicy, null);
    });

    it("validates the request up front: a rejected batch queues nothing and writes nothing", async () => {
        const tenant = t.handle!.registry.get(t.tenantId)!;
        const queued = tenant.state.operations.length;
        const writes = (await t.stats()).writes;
        const users = (n: number) => Array.from({ length: n }, (_, i) => sip(i + 1));
        assertError(await call(t, "POST", BATCH, { body: { PolicyType: "ClientPolicy", PolicyName: "Bulk", Users: users(5001) } }), 400, "InvalidParameter", "Users");
        assertError(await call(t, "POST", BATCH, { body: { PolicyType: "ClientPolicy", PolicyName: "Bulk", Users: [] } }), 400, "InvalidParameter", "Users");
        assertError(await call(t, "POST", BATCH, { body: { PolicyType: "ClientPolicy", PolicyName: "Bulk" } }), 400, "InvalidParameter", "Users");
        assertError(await call(t, "POST", BATCH, { body: { PolicyType: "VoicePolicy", PolicyName: "Bulk", Users: users(1) } }), 501, "NotImplemented");
        assertError(await call(t, "POST", BATCH, { body: { PolicyType: "ClientPolicy", PolicyName: "Nope", Users: users(1) } }), 404, "PolicyNotFound", "PolicyName");
        assertError(await call(t, "POST", BATCH, { body: { PolicyType: "ClientPolicy", PolicyName: "Global", Users: users(1) } }), 400, "NotAUserPolicy", "PolicyName");
        assertError(await call(t, "POST", BATCH, { body: { PolicyType: "ClientPolicy", PolicyName: "Bulk", Users: users(1), Owner: 7 } }), 400, "InvalidParameter", "Owner");
        assert.equal(tenant.state.operations.length, queued, "a rejected batch was queued");
        assert.equal((await t.stats()).writes, writes, "a rejected batch wrote");
        assertError(await call(t, "GET", `${BATCH}/00000000-0000-0000-0000-000000000000`), 404, "OperationNotFound");
        for (const bad of ["", "has space", "x".repeat(65), "ops/1", 42, null]) {
            assertError(await call(t, "POST", BATCH, { body: { PolicyType: "ClientPolicy", PolicyName: "Bulk", Users: users(1), OperationId: bad } }), 400, "InvalidParameter", "OperationId");
        }
        assert.equal(tenant.state.operations.length, queued, "a batch with a malformed OperationId was queued");
    });

    it("answers a repeated POST with the same OperationId with the original batch, and 409 when the body differs", async () => {
        const tenant = t.handle!.registry.get(t.tenantId)!;
        const operationId = "3f0c2f4e-6a1d-4c55-9b8e-0e6f1c2d3a4b";
        const body = { PolicyType: "ClientPolicy", PolicyName: "Tag:Bulk", Users: [sip(21), sip(22)], Owner: "p/s/replay", OperationId: operationId };
        const before = tenant.state.operations.length;
        const first = await call(t, "POST", BATCH, { body });
        assert.equal(first.status, 202, first.text);
        assert.equal(first.json.OperationId, operationId, "the client's id names the batch");
        assert.equal(first.headers.get("location"), `${BATCH}/${operationId}`);
        await waitForBatch(t, first.headers.get("location")!, new Set());
        // A retry (the reply was lost): same body, the id in another case. Nothing new starts.
        const again = await call(t, "POST", BATCH, { body: { ...body, PolicyType: "clientpolicy", OperationId: operationId.toUpperCase() } });
        assert.equal(again.status, 202, again.text);
        assert.equal(again.json.OperationId, operationId);
        assert.equal(again.headers.get("location"), `${BATCH}/${operationId}`);
        assert.equal(tenant.state.operations.length, before + 1, "the repeated POST started a second batch");
        // The same id for another request is refused, whatever differs.
        for (const other of [{ Users: [sip(21)] }, { Users: [sip(22), sip(21)] }, { PolicyName: null }, { PolicyName: "Bulk" }, { Owner: "p/s/other" }, { Owner: undefined }]) {
            const res = await call(t, "POST", BATCH, { body: { ...body, ...other } });
            assertError(res, 409, "OperationIdConflict", "OperationId");
        }
        assert.equal(tenant.state.operations.length, before + 1, "a conflicting POST started a batch");
        // A new id is a new batch.
        const next = await call(t, "POST", BATCH, { body: { ...body, OperationId: "second-batch-1" } });
        assert.equal(next.status, 202, next.text);
        assert.equal(next.json.OperationId, "second-batch-1");
        assert.equal(tenant.state.operations.length, before + 2);
    });
});

describe("emulator: batch OperationId survives a restart", () => {
    it("a POST repeated after a restart gets the batch it started, not a second one", async () => {
        const first = await startTestEmulator({ users: 5, keepData: true });
        const dataDir = first.dataDir;
        const body = { PolicyType: "ClientPolicy", PolicyName: null, Users: [sip(1), sip(2)], OperationId: "restart-replay-0001" };
        try {
            const res = await call(first, "POST", BATCH, { body });
            assert.equal(res.status, 202, res.text);
            await waitForBatch(first, res.headers.get("location")!, new Set());
        } finally {
            await first.stop();
        }
        const second = await startTestEmulator({ users: 5, dataDir });
        try {
            const res = await call(second, "POST", BATCH, { body });
            assert.equal(res.status, 202, res.text);
            assert.equal(res.json.OperationId, "restart-replay-0001");
            assert.equal(second.stored()!.operations.length, 1, "the repeated POST started a second batch after the restart");
            assertError(await call(second, "POST", BATCH, { body: { ...body, Users: [sip(3)] } }), 409, "OperationIdConflict", "OperationId");
        } finally {
            await second.stop();
            rmSync(dataDir, { recursive: true, force: true });
        }
    });
});
