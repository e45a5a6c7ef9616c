import * as assert from "node:assert/strict";
import { RESOLVE_MAX_IDENTITIES, Routes } from "../../../api/contract";
import { startTestEmulator, type TestTenant } from "../../../testkit/emulator";
import { assertError, call, createPolicy, grantPath, userPath } from "./util";

const RESOLVE = Routes.userResolutions();

describe("emulator: batch user resolution (POST /Skype.Policy/userResolutions)", () => {
    let t: TestTenant;
    before(async () => {
        t = await startTestEmulator({ users: RESOLVE_MAX_IDENTITIES });
        await createPolicy(t, "Resolved");
        await call(t, "PUT", grantPath("Ken Myer"), { body: { PolicyName: "Resolved", Owner: "p/s/r" } });
    });
    after(async () => { await t.stop(); });

    it("answers each identity in request order with the user or its own error, and writes nothing", async () => {
        const ken = (await call(t, "GET", userPath("Ken Myer"))).json;
        const before = await t.stats();
        const identities = ["sip:ken.myer@contoso.example", "Nobody Here", "TONY.SMITH@contoso.example", "Tony*", "", "CONTOSO\\ken.myer", ken.Id];
        const res = await call(t, "POST", RESOLVE, { body: { Identities: identities } });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json.value.map((r: any) => r.Identity), identities);
        const [sip, nobody, upn, wildcard, empty, logon, byId] = res.json.value;
        assert.deepEqual(sip.User, ken, "the same user view as GET /users/{identity}, owner included");
        assert.equal(sip.User.ClientPolicyOwner, "p/s/r");
        assert.equal(sip.Error, undefined);
        assert.deepEqual([nobody.User, nobody.Error.code], [undefined, "UserNotFound"]);
        assert.equal(upn.User.DisplayName, "Tony Smith");
        assert.equal(wildcard.Error.code, "InvalidParameter");
        assert.equal(empty.Error.code, "InvalidParameter");
        assert.deepEqual([logon.User.Id, byId.User.Id], [ken.Id, ken.Id]);
        const after = await t.stats();
        assert.deepEqual(after, { requests: before.requests + 1, writes: before.writes }, "one request, no write");
    });

    it("lists the SIP addresses of every match for an ambiguous display name", async () => {
        const token = await t.tokenFor("ambiguous.example");
        const res = await call(t, "POST", `/ambiguous.example${RESOLVE}`, { token, body: { Identities: ["Tony Smith", "Ken Myer"] } });
        assert.equal(res.status, 200, res.text);
        const [tony, ken] = res.json.value;
        assert.equal(tony.Error.code, "AmbiguousIdentity");
        assert.deepEqual([...tony.Error.matches].sort(), ["sip:tony.smith2@ambiguous.example", "sip:tony.smith@ambiguous.example"]);
        assert.equal(tony.User, undefined);
        assert.equal(ken.User.DisplayName, "Ken Myer");
    });

    it(`resolves ${RESOLVE_MAX_IDENTITIES} identities in one call`, async () => {
        const identities = Array.from({ length: RESOLVE_MAX_IDENTITIES }, (_, i) => `User ${String(i + 1).padStart(5, "0")}`);
        const started = Date.now();
        const res = await call(t, "POST", RESOLVE, { body: { Identities: identities } });
        assert.equal(res.status, 200);
        assert.equal(res.json.value.length, RESOLVE_MAX_IDENTITIES);
        assert.ok(res.json.value.every((r: any, i: number) => r.User?.DisplayName === identities[i]));
        assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    });

    it("rejects a malformed request as a whole (400, target Identities)", async () => {
        const tooMany = Array.from({ length: RESOLVE_MAX_IDENTITIES + 1 }, () => "Tony Smith");
        for (const body of [{ Identities: [] }, { Identities: tooMany }, { Identities: "Tony Smith" }, { Identities: ["Tony Smith", 5] }, { Identities: null }]) {
            assertError(await call(t, "POST", RESOLVE, { body }), 400, "InvalidParameter", "Identities");
        }
        assertError(await call(t, "POST", RESOLVE, { body: {} }), 400, "InvalidParameter", "Identities");
        assertError(await call(t, "POST", RESOLVE, { body: { Identities: ["x"], Extra: 1 } }), 400, "InvalidParameter", "Extra");
        assertError(await call(t, "POST", RESOLVE, { raw: "[", headers: { "content-type": "application/json" } }), 400, "InvalidRequestContent");
        assertError(await call(t, "POST", RESOLVE, { raw: "{}", headers: { "content-type": "text/plain" } }), 415, "UnsupportedMediaType");
    });
});
