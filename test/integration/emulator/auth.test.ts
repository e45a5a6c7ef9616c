import * as assert from "node:assert/strict";
import { startTestEmulator, TEST_CLIENT_SECRET, type TestTenant } from "../../../testkit/emulator";
import { assertError, call, policyPath } from "./util";
import { fetchRecorded } from "../../../testkit/recorder";

async function tokenRequest(t: TestTenant, tenant: string, form: Record<string, string>, type = "application/x-www-form-urlencoded") {
    const res = await fetchRecorded(`${t.url}/${tenant}/oauth2/v2.0/token`, { method: "POST", headers: { "content-type": type }, body: new URLSearchParams(form).toString() });
    assert.ok(res.headers.get("request-id"));
    return { status: res.status, json: await res.json() as any };
}

describe("emulator: authentication and tenant isolation", () => {
    let t: TestTenant;
    const good = { grant_type: "client_credentials", client_id: "demo-client", client_secret: TEST_CLIENT_SECRET };
    before(async () => { t = await startTestEmulator({ users: 0, tokenTtlSeconds: 1 }); });
    after(async () => { await t.stop(); });

    it("issues tokens for client credentials and answers OAuth errors otherwise", async () => {
        const ok = await tokenRequest(t, "contoso.example", { ...good, scope: "https://api.example/.default" });
        assert.equal(ok.status, 200);
        assert.equal(ok.json.token_type, "Bearer");
        assert.equal(ok.json.expires_in, 1);
        assert.equal((await tokenRequest(t, "contoso.example", { ...good, client_secret: "wrong" })).json.error, "invalid_client");
        assert.equal((await tokenRequest(t, "contoso.example", { ...good, client_id: "nobody" })).status, 401);
        const scope = await tokenRequest(t, "contoso.example", { ...good, scope: "https://api.example/read" });
        assert.deepEqual([scope.status, scope.json.error], [400, "invalid_scope"]);
        assert.equal((await tokenRequest(t, "contoso.example", { ...good, grant_type: "password" })).json.error, "unsupported_grant_type");
        assert.equal((await tokenRequest(t, "nowhere.example", good)).json.error, "invalid_request");
        assert.equal((await tokenRequest(t, "contoso.example", good, "application/json")).json.error, "invalid_request");
    });

    it("answers 401 without, with a forged, or with an expired token", async () => {
        assertError(await call(t, "GET", policyPath("Global"), { token: null }), 401, "Unauthorized");
        assertError(await call(t, "GET", policyPath("Global"), { token: "emu1.e30.forged" }), 401, "Unauthorized");
        assertError(await call(t, "GET", policyPath("Global"), { token: "not-a-token" }), 401, "Unauthorized");
        const token = await t.token();
        assert.equal((await call(t, "GET", policyPath("Global"), { token })).status, 200);
        await new Promise((r) => setTimeout(r, 2200));
        const expired = await call(t, "GET", policyPath("Global"), { token });
        assertError(expired, 401, "Unauthorized");
        assert.match(expired.json.error.message, /expired/);
        assert.equal((await call(t, "GET", policyPath("Global"), { token: await t.token() })).status, 200);
    });

    it("isolates tenants: A's token on /{B}/… is 403; tenant-less routes act on the token's own tenant", async () => {
        const contoso = await t.tokenFor("contoso.example");
        const fabrikam = await t.tokenFor("fabrikam.example");
        assertError(await call(t, "GET", `/fabrikam.example${policyPath("Global")}`, { token: contoso }), 403, "Forbidden");
        assertError(await call(t, "PATCH", `/fabrikam.example${policyPath("Global")}`, { token: contoso, body: { EnableURL: true } }), 403, "Forbidden");
        assertError(await call(t, "GET", `/contoso.example/users/Tony%20Smith`, { token: fabrikam }), 403, "Forbidden");
        const inC = await call(t, "PUT", policyPath("OnlyInContoso"), { token: contoso, body: {}, headers: { "if-none-match": "*" } });
        assert.equal(inC.status, 201);
        assertError(await call(t, "GET", policyPath("OnlyInContoso"), { token: fabrikam }), 404, "PolicyNotFound");
        const tonyC = await call(t, "GET", "/users/Tony%20Smith", { token: contoso });
        const tonyF = await call(t, "GET", "/users/Tony%20Smith", { token: fabrikam });
        assert.notEqual(tonyC.json.Id, tonyF.json.Id);
        assertError(await call(t, "GET", `/users/${tonyC.json.Id}`, { token: fabrikam }), 404, "UserNotFound");
        assert.equal((await call(t, "GET", `/fabrikam.example${policyPath("Global")}`, { token: fabrikam })).status, 200);
    });
});
