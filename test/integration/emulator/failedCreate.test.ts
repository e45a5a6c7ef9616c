/**
 * A create that fails leaves nothing behind, its owner annotation included. The store's write is made to fail for
 * one policy with a trigger in the real database (a second connection), so the failure happens where a full disk or
 * an I/O error would: after the domain model accepted the request, when the change is made durable.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { DATABASE_FILE, MIGRATIONS } from "../../../emulator/sqliteStore";
import { openDatabase } from "../../../server/sqlite";
import { startTestEmulator, type TestTenant } from "../../../testkit/emulator";
import { call, createPolicy, policyPath } from "./util";

describe("emulator: a failed create leaves no policy and no owner", () => {
    let t: TestTenant;
    before(async () => { t = await startTestEmulator({ users: 0 }); });
    after(async () => { await t.stop(); });

    it("answers 500, then the policy is absent, a later create records only its own owner, and nothing phantom is stored", async () => {
        const db = openDatabase(path.join(t.dataDir, DATABASE_FILE), { migrations: MIGRATIONS });
        try {
            db.exec(`CREATE TRIGGER fail_phantom BEFORE INSERT ON policies WHEN NEW.identity = 'Tag:Phantom'
                BEGIN SELECT RAISE(ABORT, 'injected write failure'); END`);
            const failed = await call(t, "PUT", policyPath("Phantom"), { body: { "@owner": "proj/stack/phantom", IMWarning: "x" }, headers: { "if-none-match": "*" } });
            assert.equal(failed.status, 500, failed.text);
            assert.equal((await call(t, "GET", policyPath("Phantom"))).status, 404, "the failed create is still visible");
            db.exec("DROP TRIGGER fail_phantom");
        } finally {
            db.close();
        }
        // The next write carries the failed write's kept marks: they must not bring the policy (or its owner) back.
        await createPolicy(t, "Other");
        assert.equal(t.stored()!.policies["TAG:PHANTOM"], undefined, "the failed create was stored later");
        const res = await call(t, "PUT", policyPath("Phantom"), { body: {}, headers: { "if-none-match": "*" } });
        assert.equal(res.status, 201, res.text);
        assert.equal(res.json["@owner"], null, "the failed create's owner was kept");
        assert.equal(res.json.IMWarning, null);
    });
});
