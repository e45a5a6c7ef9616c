/**
 * Identities fold by one stated rule (`foldIdentity` in api/identity.ts: .NET's OrdinalIgnoreCase, simple upper-case
 * mapping per character) for users and policies alike, not by JavaScript lower-casing: the Kelvin sign U+212A is not
 * `K`, `ß` is not `SS`, a final sigma `ς` is the same letter as `σ`.
 */
import * as assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { documentedDefaults } from "../../../api/catalogue";
import { DATABASE_FILE, MIGRATIONS } from "../../../emulator/sqliteStore";
import { openDatabase } from "../../../server/sqlite";
import { startTestEmulator, TEST_CLIENT_SECRET, type TestTenant } from "../../../testkit/emulator";
import { assertError, call, createPolicy, grantPath, policyPath, userPath } from "./util";

describe("emulator: identity folding (OrdinalIgnoreCase)", () => {
    let t: TestTenant;
    before(async () => {
        t = await startTestEmulator({ users: 0 });
        const tenant = t.handle!.registry.get(t.tenantId)!;
        tenant.addUsers([
            { displayName: "Kiosk Lab", sipAddress: "sip:kiosk.lab@contoso.example", userPrincipalName: "kiosk.lab@contoso.example", logon: "CONTOSO\\kiosk.lab" },
            { displayName: "ΟΔΟΣ Team", sipAddress: "sip:odos@contoso.example", userPrincipalName: "odos@contoso.example", logon: "CONTOSO\\odos" },
            { displayName: "Straße Desk", sipAddress: "sip:strasse.desk@contoso.example", userPrincipalName: "strasse.desk@contoso.example", logon: "CONTOSO\\strasse" },
        ]);
        await tenant.commit();
    });
    after(async () => { await t.stop(); });

    it("finds users case-insensitively by the folding rule, and no further", async () => {
        assert.equal((await call(t, "GET", userPath("KIOSK LAB"))).status, 200);
        assert.equal((await call(t, "GET", userPath("SIP:Kiosk.Lab@Contoso.Example"))).status, 200);
        assert.equal((await call(t, "GET", userPath("Kiosk.Lab@contoso.example"))).status, 200, "a bare address still means sip:");
        // Greek: "ΟΔΟΣ".toLowerCase() ends in a final sigma, "οδοσ" does not; both upper-case to ΟΔΟΣ.
        assert.equal((await call(t, "GET", userPath("οδοσ team"))).status, 200);
        assertError(await call(t, "GET", userPath("\u212Aiosk Lab")), 404, "UserNotFound", "Identity");
        assertError(await call(t, "GET", userPath("STRASSE DESK")), 404, "UserNotFound", "Identity");
        assertError(await call(t, "GET", userPath("sip:\u212Aiosk.lab@contoso.example")), 404, "UserNotFound", "Identity");
    });

    it("keeps a Kelvin-sign policy apart from a K policy, and σ/ς spellings as one policy", async () => {
        await createPolicy(t, "Kiosk");
        await createPolicy(t, "\u212Aiosk");
        assert.equal((await call(t, "GET", policyPath("Tag:\u212Aiosk"))).json.Identity, "Tag:\u212Aiosk");
        assert.equal((await call(t, "GET", policyPath("KIOSK"))).json.Identity, "Tag:Kiosk");
        await createPolicy(t, "ΟΔΟΣ");
        assertError(await call(t, "PUT", policyPath("οδοσ"), { body: {}, headers: { "if-none-match": "*" } }), 409, "PolicyAlreadyExists", "Identity");
        assertError(await call(t, "PUT", policyPath("οδος"), { body: {}, headers: { "if-none-match": "*" } }), 409, "PolicyAlreadyExists", "Identity");
        // Assignments follow the same rule: the K policy's list does not show the Kelvin policy's users.
        assert.equal((await call(t, "PUT", grantPath("Kiosk Lab"), { body: { PolicyName: "\u212Aiosk" } })).json.ClientPolicy, "\u212Aiosk");
        assert.equal((await call(t, "GET", `${policyPath("Kiosk")}/assignments`)).json.value.length, 0);
        assert.equal((await call(t, "GET", `${policyPath("\u212Aiosk")}/assignments`)).json.value.length, 1);
        assert.equal((await call(t, "PUT", grantPath("ΟΔΟΣ Team"), { body: { PolicyName: "οδος" } })).json.ClientPolicy, "ΟΔΟΣ");
        assert.equal((await call(t, "GET", `${policyPath("Tag:οδοσ")}/assignments`)).json.value.length, 1);
    });
});

describe("emulator: a database keyed by the former lower-casing rule", () => {
    it("opens with its policies re-keyed (schema version 3) and serves them by the folding rule", async () => {
        const dataDir = mkdtempSync(path.join(os.tmpdir(), "cpac-fold-"));
        try {
            // A version-2 database as the previous release wrote it: policy keys lower-cased by JavaScript.
            const db = openDatabase(path.join(dataDir, DATABASE_FILE), { migrations: MIGRATIONS.filter((m) => m.version <= 2) });
            db.exec("INSERT INTO tenants (key, id) VALUES ('contoso.example', 'contoso.example')");
            db.prepare("INSERT INTO apps (tenant, ord, client_id, client_secret) VALUES (1, 0, 'demo-client', ?)").run(TEST_CLIENT_SECRET);
            const put = db.prepare("INSERT INTO policies (tenant, key, identity, etag, owner, settings) VALUES (1, ?, ?, ?, NULL, ?)");
            put.run("global", "Global", '"g"', JSON.stringify(documentedDefaults()));
            put.run("tag:kiosk", "Tag:Kiosk", '"k"', JSON.stringify({ IMWarning: "old" }));
            db.close();
            const t = await startTestEmulator({ dataDir, users: 0 });
            try {
                assert.deepEqual(Object.keys(t.stored()!.policies), ["GLOBAL", "TAG:KIOSK"]);
                const res = await call(t, "GET", policyPath("KIOSK"));
                assert.equal(res.status, 200, res.text);
                assert.equal(res.json.IMWarning, "old");
                assert.equal((await call(t, "PATCH", policyPath("kiosk"), { body: { IMWarning: "new" } })).status, 200);
                await createPolicy(t, "\u212Aiosk");
                assert.deepEqual(Object.keys(t.stored()!.policies), ["GLOBAL", "TAG:KIOSK", "TAG:\u212AIOSK"], "one row per policy, none duplicated");
            } finally {
                await t.stop();
            }
        } finally {
            rmSync(dataDir, { recursive: true, force: true });
        }
    });
});
