import * as assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startTestEmulator } from "../../../testkit/emulator";
import { call, policyPath, userPath } from "./util";
import { fetchRecorded } from "../../../testkit/recorder";

const SEED = {
    tenants: [{
        id: "11111111-2222-3333-4444-555555555555",
        apps: [{ clientId: "seed-app", clientSecret: "seed-secret" }],
        users: [{ displayName: "Tony Smith", sipAddress: "sip:tony@litware.example", userPrincipalName: "tony@litware.example", logon: "LITWARE\\tony", id: "aaaaaaaa-0000-0000-0000-000000000001" }],
        generatedUsers: 3,
        policies: [{ Identity: "Global", EnableIMAutoArchiving: false }, { Identity: "Tag:Seeded", MaximumNumberOfContacts: 10 }],
        script: ["New-CsClientPolicy -Identity OfflineIM -EnableIMAutoArchiving $False", 'Grant-CsClientPolicy -Identity "Tony Smith" -PolicyName OfflineIM'],
    }],
};

describe("emulator: provisioning", () => {
    it("provisions from a --seed file (users, generated users, policies, script) and stats count requests and writes", async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), "cpac-seed-"));
        const seedFile = path.join(dir, "seed.json");
        writeFileSync(seedFile, JSON.stringify(SEED));
        const tid = SEED.tenants[0].id;
        const t = await startTestEmulator({ seed: seedFile, tenantId: tid, clientSecret: "seed-secret" });
        try {
            const res = await fetchRecorded(`${t.url}/${tid}/oauth2/v2.0/token`, {
                method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
                body: new URLSearchParams({ grant_type: "client_credentials", client_id: "seed-app", client_secret: "seed-secret" }),
            });
            const token = ((await res.json()) as any).access_token;
            assert.deepEqual(await t.stats(), { requests: 0, writes: 0 });
            assert.equal((await call(t, "GET", policyPath("Global"), { token })).json.EnableIMAutoArchiving, false);
            assert.equal((await call(t, "GET", policyPath("Seeded"), { token })).json.MaximumNumberOfContacts, 10);
            const tony = (await call(t, "GET", userPath("LITWARE\\tony"), { token })).json;
            assert.deepEqual([tony.Id, tony.ClientPolicy], ["aaaaaaaa-0000-0000-0000-000000000001", "OfflineIM"]);
            assert.equal((await call(t, "GET", userPath(`sip:user00003@${tid}`), { token })).status, 200);
            assert.equal((await call(t, "PATCH", policyPath("Global"), { token, body: { EnableURL: true } })).status, 200);
            assert.equal((await call(t, "PATCH", policyPath("Global"), { token, body: { EnableURL: true } })).status, 200);
            assert.deepEqual(await t.stats(), { requests: 6, writes: 1 });
            const none = await fetchRecorded(`${t.url}/contoso.example/oauth2/v2.0/token`, { method: "POST" });
            assert.equal(none.status, 400, "demo tenants are not provisioned with a seed");
        } finally {
            await t.stop();
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("provisions through POST /_emulator/tenants, refusing duplicates and bad specs without leaving files", async () => {
        const t = await startTestEmulator({ users: 0 });
        try {
            const post = (body: unknown) => fetchRecorded(`${t.url}/_emulator/tenants`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
            const created = await post({ id: "adatum.example", apps: [{ clientId: "c", clientSecret: "s" }], generatedUsers: 2, script: "Set-CsClientPolicy -EnableURL $True" });
            assert.equal(created.status, 201);
            assert.equal(((await created.json()) as any).results[0].status, "Succeeded");
            assert.equal((await post({ id: "ADATUM.example" })).status, 409);
            for (const bad of [{ id: "bad id" }, { id: "x.example", apps: [{ clientId: "c" }] }, { id: "x.example", generatedUsers: -1 }, { id: "x.example", extra: 1 },
                { id: "x.example", policies: [{ Identity: "Tag:P", MaximumNumberOfContacts: 5000 }] }, { id: "x.example", script: "Bogus-Cmdlet" }]) {
                const res = await post(bad);
                assert.equal(res.status, 400, JSON.stringify(bad));
            }
            assert.equal(t.stored("x.example"), undefined, "a refused spec stored nothing");
            assert.equal(t.stored("adatum.example")?.users.length, 2);
            const list = (await (await fetchRecorded(`${t.url}/_emulator/tenants`)).json()) as any;
            assert.deepEqual(list.value.map((x: any) => x.id).sort(), ["adatum.example", "ambiguous.example", "contoso.example", "fabrikam.example", "northwind.example"]);
            assert.equal((await fetchRecorded(`${t.url}/_emulator/x.example/stats`)).status, 404);
        } finally {
            await t.stop();
        }
    });
});
