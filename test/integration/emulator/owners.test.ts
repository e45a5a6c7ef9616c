import * as assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { OWNER_ANNOTATION, OWNER_MAX_LENGTH } from "../../../api/contract";
import { legacyTenantFile } from "../../../emulator/store";
import { startTestEmulator, type TestTenant } from "../../../testkit/emulator";
import { assertError, call, createPolicy, grantPath, policyPath, userPath } from "./util";

const A = "proj/stack-a/global";
const B = "proj/stack-b/shared";
const create = (t: TestTenant, identity: string, body: Record<string, unknown>) =>
    call(t, "PUT", policyPath(identity), { body, headers: { "if-none-match": "*" } });
const replace = async (t: TestTenant, identity: string, body: Record<string, unknown>) => {
    const etag = (await call(t, "GET", policyPath(identity))).headers.get("etag")!;
    return call(t, "PUT", policyPath(identity), { body, headers: { "if-match": etag } });
};
const ownerOf = async (t: TestTenant, identity: string) => (await call(t, "GET", policyPath(identity))).json[OWNER_ANNOTATION];

describe("emulator: owners of policies and assignments", () => {
    let t: TestTenant;
    before(async () => { t = await startTestEmulator({ users: 5 }); });
    after(async () => { await t.stop(); });

    it("records @owner on create; absent means none", async () => {
        const owned = await create(t, "Owned", { [OWNER_ANNOTATION]: A, EnableURL: true });
        assert.equal(owned.status, 201, owned.text);
        assert.equal(owned.json[OWNER_ANNOTATION], A);
        assert.equal(await ownerOf(t, "Owned"), A);
        assert.equal((await create(t, "Unowned", {})).json[OWNER_ANNOTATION], null);
        assert.equal((await create(t, "NullOwned", { [OWNER_ANNOTATION]: null })).json[OWNER_ANNOTATION], null);
        const listed = (await call(t, "GET", "/Skype.Policy/configurations/ClientPolicy?$top=1000")).json.value;
        assert.equal(listed.find((p: any) => p.Identity === "Tag:Owned")[OWNER_ANNOTATION], A);
    });

    it("PUT replace records a given owner (new ETag even when settings are unchanged), keeps it when absent, clears it with null", async () => {
        await create(t, "Replaced", { [OWNER_ANNOTATION]: A, EnableURL: true });
        const before = (await call(t, "GET", policyPath("Replaced"))).headers.get("etag");
        const kept = await replace(t, "Replaced", { EnableURL: true });
        assert.equal(kept.json[OWNER_ANNOTATION], A);
        assert.equal(kept.headers.get("etag"), before, "nothing changed, nothing written");
        const taken = await replace(t, "Replaced", { EnableURL: true, [OWNER_ANNOTATION]: B });
        assert.equal(taken.json[OWNER_ANNOTATION], B);
        assert.notEqual(taken.headers.get("etag"), before);
        assert.equal((await replace(t, "Replaced", { [OWNER_ANNOTATION]: null })).json[OWNER_ANNOTATION], null);
        assert.equal(await ownerOf(t, "Replaced"), null);
    });

    it("PATCH (Set-CsClientPolicy) and the PowerShell cmdlets never change the owner", async () => {
        await create(t, "Patched", { [OWNER_ANNOTATION]: A });
        assert.equal((await call(t, "PATCH", policyPath("Patched"), { body: { EnableURL: false } })).json[OWNER_ANNOTATION], A);
        assert.equal((await call(t, "PATCH", policyPath("Patched"), { body: { [OWNER_ANNOTATION]: A, EnableURL: true } })).status, 200, "repeating the owner is allowed");
        assertError(await call(t, "PATCH", policyPath("Patched"), { body: { [OWNER_ANNOTATION]: B } }), 400, "InvalidParameter", OWNER_ANNOTATION);
        assertError(await call(t, "PATCH", policyPath("Patched"), { body: { [OWNER_ANNOTATION]: null } }), 400, "InvalidParameter", OWNER_ANNOTATION);
        const out = await t.powershell("Set-CsClientPolicy -Identity Patched -EnableURL $False\nNew-CsClientPolicy -Identity MadeByHand");
        assert.equal(out.succeeded, true, JSON.stringify(out));
        assert.equal(out.results[0].output[OWNER_ANNOTATION], A);
        assert.equal(await ownerOf(t, "Patched"), A);
        assert.equal(await ownerOf(t, "MadeByHand"), null);
    });

    it("resetting Global (DELETE) clears its owner", async () => {
        assert.equal((await replace(t, "Global", { [OWNER_ANNOTATION]: A, EnableURL: true })).json[OWNER_ANNOTATION], A);
        const reset = await call(t, "DELETE", policyPath("Global"));
        assert.equal(reset.status, 200);
        assert.equal(reset.json[OWNER_ANNOTATION], null);
        assert.equal(await ownerOf(t, "Global"), null);
    });

    it("rejects owners that are not 1–OWNER_MAX_LENGTH characters or null, writing nothing", async () => {
        const writes = (await t.stats()).writes;
        for (const bad of ["", "o".repeat(OWNER_MAX_LENGTH + 1), 5, { id: A }, ["x"]]) {
            assertError(await create(t, "BadOwner", { [OWNER_ANNOTATION]: bad }), 400, "InvalidParameter", OWNER_ANNOTATION);
            assertError(await call(t, "PUT", grantPath("Ken Myer"), { body: { PolicyName: "Owned", Owner: bad } }), 400, "InvalidParameter", "Owner");
        }
        assert.equal((await create(t, "LongOwner", { [OWNER_ANNOTATION]: "o".repeat(OWNER_MAX_LENGTH) })).status, 201);
        assert.equal((await t.stats()).writes, writes + 1);
        assertError(await call(t, "GET", policyPath("BadOwner")), 404, "PolicyNotFound");
    });

    it("records the Owner of a grant; a grant without one, Grant-CsClientPolicy and an unassignment leave none", async () => {
        await createPolicy(t, "Granted");
        const g = await call(t, "PUT", grantPath("Tony Smith"), { body: { PolicyName: "Granted", Owner: B } });
        assert.deepEqual([g.json.ClientPolicy, g.json.ClientPolicyOwner], ["Granted", B]);
        assert.equal((await call(t, "GET", userPath("tony.smith@contoso.example"))).json.ClientPolicyOwner, B);
        const listed = (await call(t, "GET", `${policyPath("Granted")}/assignments`)).json.value;
        assert.deepEqual(listed.map((u: any) => u.ClientPolicyOwner), [B]);
        // Same policy, new owner: a change (written), like any take-over.
        const writes = (await t.stats()).writes;
        assert.equal((await call(t, "PUT", grantPath("Tony Smith"), { body: { PolicyName: "Granted", Owner: A } })).json.ClientPolicyOwner, A);
        assert.equal((await t.stats()).writes, writes + 1);
        assert.equal((await call(t, "PUT", grantPath("Tony Smith"), { body: { PolicyName: "Granted" } })).json.ClientPolicyOwner, null);
        await call(t, "PUT", grantPath("Tony Smith"), { body: { PolicyName: "Granted", Owner: A } });
        const ps = await t.powershell("Grant-CsClientPolicy -Identity 'Tony Smith' -PolicyName Granted");
        assert.equal(ps.results[0].output.ClientPolicyOwner, null);
        await call(t, "PUT", grantPath("Tony Smith"), { body: { PolicyName: "Granted", Owner: A } });
        const unassigned = await call(t, "PUT", grantPath("Tony Smith"), { body: { PolicyName: null, Owner: A } });
        assert.deepEqual([unassigned.json.ClientPolicy, unassigned.json.ClientPolicyOwner], [null, null]);
    });

    it("records a batch's Owner on every user it grants; a batch unassignment clears it", async () => {
        await createPolicy(t, "Bulk");
        const users = ["User 00001", "User 00002"];
        const run = async (body: Record<string, unknown>) => {
            const post = await call(t, "POST", "/Skype.Policy/batchAssignments", { body: { PolicyType: "ClientPolicy", Users: users, ...body } });
            assert.equal(post.status, 202, post.text);
            for (;;) {
                const op = await call(t, "GET", post.headers.get("location")!);
                if (op.json.Status === "Completed") return op;
                await new Promise((r) => setTimeout(r, 10));
            }
        };
        await run({ PolicyName: "Bulk", Owner: B });
        for (const u of users) assert.equal((await call(t, "GET", userPath(u))).json.ClientPolicyOwner, B);
        await run({ PolicyName: null, Owner: B });
        for (const u of users) {
            const { ClientPolicy, ClientPolicyOwner } = (await call(t, "GET", userPath(u))).json;
            assert.deepEqual([ClientPolicy, ClientPolicyOwner], [null, null]);
        }
    });
});

describe("emulator: data written before owners existed", () => {
    let dataDir: string;
    before(() => { dataDir = mkdtempSync(path.join(os.tmpdir(), "cpac-owners-")); });
    after(() => { rmSync(dataDir, { recursive: true, force: true }); });

    it("loads with every owner null, and takes owners afterwards", async () => {
        let t = await startTestEmulator({ dataDir, users: 2 });
        await createPolicy(t, "Old", { EnableURL: true });
        await call(t, "PUT", grantPath("Ken Myer"), { body: { PolicyName: "Old" } });
        await t.stop();
        // Strip every owner field, as a data directory from before owners looks (the former JSON store's format,
        // imported once at start).
        const state: any = t.stored();
        for (const p of Object.values(state.policies) as any[]) delete p.owner;
        for (const u of state.users) delete u.clientPolicyOwner;
        rmSync(dataDir, { recursive: true, force: true });
        mkdirSync(dataDir);
        writeFileSync(legacyTenantFile(dataDir, state.id), JSON.stringify(state));

        t = await startTestEmulator({ dataDir, users: 2 });
        try {
            const old = await call(t, "GET", policyPath("Old"));
            assert.equal(old.json[OWNER_ANNOTATION], null);
            assert.equal(old.json.EnableURL, true);
            const ken = (await call(t, "GET", userPath("Ken Myer"))).json;
            assert.deepEqual([ken.ClientPolicy, ken.ClientPolicyOwner], ["Old", null]);
            const taken = await call(t, "PUT", policyPath("Old"), { body: { [OWNER_ANNOTATION]: A, EnableURL: true }, headers: { "if-match": old.headers.get("etag")! } });
            assert.equal(taken.json[OWNER_ANNOTATION], A);
        } finally {
            await t.stop();
        }
    });
});
