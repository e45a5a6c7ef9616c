import * as assert from "node:assert/strict";
import { startTestEmulator, type TestTenant } from "../../../testkit/emulator";
import { assertError, call, createPolicy, grantPath, policyPath, userPath } from "./util";

describe("emulator: users and grants", () => {
    let t: TestTenant;
    before(async () => {
        t = await startTestEmulator({ users: 30 });
        await createPolicy(t, "OfflineIM", { EnableIMAutoArchiving: false });
    });
    after(async () => { await t.stop(); });

    it("resolves SIP, UPN, DOMAIN\\logon, display name and object id, case-insensitively", async () => {
        const tony = (await call(t, "GET", userPath("Tony Smith"))).json;
        assert.deepEqual(Object.keys(tony).sort(), ["ClientPolicy", "ClientPolicyOwner", "DisplayName", "Id", "RegistrarPool", "SipAddress", "Site", "UserPrincipalName"]);
        assert.equal(tony.SipAddress, "sip:tony.smith@contoso.example");
        for (const form of ["sip:Tony.Smith@contoso.example", "TONY.SMITH@contoso.example", "contoso\\tony.smith", "tony smith", tony.Id, tony.Id.toUpperCase()]) {
            const res = await call(t, "GET", userPath(form));
            assert.equal(res.status, 200, form);
            assert.equal(res.json.Id, tony.Id, form);
        }
        assert.equal((await call(t, "GET", userPath("sip:user00007@contoso.example"))).json.DisplayName, "User 00007");
        assertError(await call(t, "GET", userPath("Nobody Here")), 404, "UserNotFound");
        assertError(await call(t, "GET", userPath("Tony*")), 400, "InvalidParameter", "Identity");
    });

    it("answers 409 AmbiguousIdentity listing the matches in a tenant with two Tony Smiths", async () => {
        const token = await t.tokenFor("ambiguous.example");
        const res = await call(t, "GET", userPath("Tony Smith"), { token });
        assertError(res, 409, "AmbiguousIdentity");
        assert.equal(res.json.error.details.length, 2);
        assert.equal((await call(t, "GET", userPath("sip:tony.smith2@ambiguous.example"), { token })).status, 200);
        assertError(await call(t, "PUT", grantPath("Tony Smith"), { token, body: { PolicyName: null } }), 409, "AmbiguousIdentity");
    });

    it("grants (name or Tag:), unassigns (null or DELETE), and lists assignments paged", async () => {
        const g = await call(t, "PUT", grantPath("Tony Smith"), { body: { PolicyName: "OfflineIM" } });
        assert.equal(g.status, 200, g.text);
        assert.equal(g.json.ClientPolicy, "OfflineIM");
        for (const u of ["User 00001", "User 00002", "User 00003"]) {
            assert.equal((await call(t, "PUT", grantPath(u), { body: { PolicyName: "tag:offlineim" } })).json.ClientPolicy, "OfflineIM");
        }
        const page1 = await call(t, "GET", `${policyPath("OfflineIM")}/assignments?$top=3`);
        assert.equal(page1.json.value.length, 3);
        const page2 = await call(t, "GET", page1.json["@nextLink"]);
        assert.equal(page2.json.value.length, 1);
        assert.equal(page2.json["@nextLink"], undefined);
        assert.equal((await call(t, "PUT", grantPath("User 00001"), { body: { PolicyName: null } })).json.ClientPolicy, null);
        assert.equal((await call(t, "DELETE", grantPath("User 00002"))).status, 204);
        assert.equal((await call(t, "GET", userPath("User 00002"))).json.ClientPolicy, null);
        assert.equal((await call(t, "GET", `${policyPath("OfflineIM")}/assignments`)).json.value.length, 2);
        assert.deepEqual((await call(t, "GET", `${policyPath("Global")}/assignments`)).json.value, []);
        assertError(await call(t, "GET", `${policyPath("Nope")}/assignments`), 404, "PolicyNotFound");
    });

    it("pages assignments by key: removing users already served never makes the walk skip a remaining one", async () => {
        await createPolicy(t, "PagingPolicy", {});
        const names = Array.from({ length: 12 }, (_, i) => `User ${String(i + 10).padStart(5, "0")}`);
        for (const u of names) assert.equal((await call(t, "PUT", grantPath(u), { body: { PolicyName: "PagingPolicy" } })).status, 200);
        const seen: string[] = [];
        let next: string | undefined = `${policyPath("PagingPolicy")}/assignments?$top=4`;
        while (next) {
            const page = await call(t, "GET", next);
            assert.equal(page.status, 200, page.text);
            seen.push(...page.json.value.map((u: { DisplayName: string }) => u.DisplayName));
            // Another client unassigns what this page served: with offset paging the next page would skip 4 users.
            for (const u of page.json.value) await call(t, "DELETE", grantPath(u.Id));
            next = page.json["@nextLink"];
        }
        assert.deepEqual(seen.sort(), [...names].sort());
    });

    it("refuses Global/site grants (NotAUserPolicy), unknown policies and users", async () => {
        await call(t, "PUT", policyPath("site:Lab"), { body: {}, headers: { "if-none-match": "*" } });
        assertError(await call(t, "PUT", grantPath("Tony Smith"), { body: { PolicyName: "Global" } }), 400, "NotAUserPolicy", "PolicyName");
        assertError(await call(t, "PUT", grantPath("Tony Smith"), { body: { PolicyName: "site:Lab" } }), 400, "NotAUserPolicy", "PolicyName");
        assertError(await call(t, "PUT", grantPath("Tony Smith"), { body: { PolicyName: "Ghost" } }), 404, "PolicyNotFound", "PolicyName");
        assertError(await call(t, "PUT", grantPath("Ghost User"), { body: { PolicyName: "OfflineIM" } }), 404, "UserNotFound");
        assertError(await call(t, "DELETE", grantPath("Ghost User")), 404, "UserNotFound");
    });
});
