import * as assert from "node:assert/strict";
import { request } from "node:http";
import { connect } from "node:net";
import { SETTINGS, documentedDefaults } from "../../../api/catalogue";
import { startTestEmulator, type TestTenant } from "../../../testkit/emulator";
import { assertError, call, createPolicy, grantPath, POLICIES, policyPath, tokenOf } from "./util";

describe("emulator: policies", () => {
    let t: TestTenant;
    before(async () => { t = await startTestEmulator({ users: 10 }); });
    after(async () => { await t.stop(); });

    it("answers Global with every setting, documented defaults set, others null, and an ETag", async () => {
        const res = await call(t, "GET", policyPath("global"));
        assert.equal(res.status, 200);
        assert.equal(res.json.Identity, "Global");
        assert.ok(res.headers.get("etag"));
        const defaults = documentedDefaults();
        for (const d of SETTINGS) assert.deepEqual(res.json[d.name], defaults[d.name] ?? null, d.name);
        assert.equal(res.json["@owner"], null);
        assert.equal(Object.keys(res.json).length, SETTINGS.length + 2);
    });

    it("creates with If-None-Match: * (Tag: prefix optional, canonical Tag: on output) and refuses duplicates", async () => {
        const res = await call(t, "PUT", policyPath("tag:CreateMe"), { body: { EnableIMAutoArchiving: false, Description: "x" }, headers: { "if-none-match": "*" } });
        assert.equal(res.status, 201, res.text);
        assert.equal(res.json.Identity, "Tag:CreateMe");
        assert.equal(res.json.EnableIMAutoArchiving, false);
        assert.equal(res.json.MaximumNumberOfContacts, null);
        assert.equal(res.headers.get("location"), "/Skype.Policy/configurations/ClientPolicy/configuration/Tag%3ACreateMe");
        assertError(await call(t, "PUT", policyPath("createme"), { body: {}, headers: { "if-none-match": "*" } }), 409, "PolicyAlreadyExists");
        assertError(await call(t, "PUT", policyPath("Global"), { body: {}, headers: { "if-none-match": "*" } }), 409, "PolicyAlreadyExists");
        const site = await call(t, "PUT", policyPath("site:Redmond"), { body: {}, headers: { "if-none-match": "*" } });
        assert.equal(site.json.Identity, "site:Redmond");
        assertError(await call(t, "PUT", policyPath("SITE:redmond"), { body: {}, headers: { "if-none-match": "*" } }), 409, "PolicyAlreadyExists");
    });

    it("replaces with If-Match (absent settings unset), 412 on a stale ETag, 428 without a precondition", async () => {
        const etag = await createPolicy(t, "Replace", { EnableIMAutoArchiving: false, MaximumNumberOfContacts: 5 });
        assertError(await call(t, "PUT", policyPath("Replace"), { body: {} }), 428, "PreconditionRequired");
        const res = await call(t, "PUT", policyPath("Replace"), { body: { Identity: "Tag:Replace", DisplayPhoto: "nophoto" }, headers: { "if-match": etag } });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.DisplayPhoto, "NoPhoto");
        assert.equal(res.json.EnableIMAutoArchiving, null);
        assert.equal(res.json.MaximumNumberOfContacts, null);
        assert.notEqual(res.headers.get("etag"), etag);
        assertError(await call(t, "PUT", policyPath("Replace"), { body: {}, headers: { "if-match": etag } }), 412, "PreconditionFailed");
        assertError(await call(t, "PUT", policyPath("Missing"), { body: {}, headers: { "if-match": "*" } }), 404, "PolicyNotFound");
    });

    it("ETag conflict between two clients: the second writer with the old ETag gets 412 and nothing changes", async () => {
        const etag = await createPolicy(t, "Race");
        const [a, b] = await Promise.all([
            call(t, "PATCH", policyPath("Race"), { body: { MaxPhotoSizeKB: 1 }, headers: { "if-match": etag } }),
            call(t, "PATCH", policyPath("Race"), { body: { MaxPhotoSizeKB: 2 }, headers: { "if-match": etag } }),
        ]);
        assert.deepEqual([a.status, b.status].sort(), [200, 412]);
        const winner = a.status === 200 ? a : b;
        const now = await call(t, "GET", policyPath("Race"));
        assert.equal(now.json.MaxPhotoSizeKB, winner.json.MaxPhotoSizeKB);
        assert.equal(now.headers.get("etag"), winner.headers.get("etag"));
    });

    it("merge-patches (null unsets, either content type), keeps the ETag when nothing changes", async () => {
        await createPolicy(t, "Patch", { EnableURL: true, IMWarning: "hi" });
        const p1 = await call(t, "PATCH", policyPath("Patch"), { raw: JSON.stringify({ IMWarning: null, HotdeskingTimeout: "00:10:00" }), headers: { "content-type": "application/merge-patch+json" } });
        assert.equal(p1.status, 200, p1.text);
        assert.equal(p1.json.IMWarning, null);
        assert.equal(p1.json.EnableURL, true);
        assert.equal(p1.json.HotdeskingTimeout, "00:10:00");
        const before = (await t.stats()).writes;
        const p2 = await call(t, "PATCH", policyPath("Patch"), { body: { EnableURL: true } });
        assert.equal(p2.headers.get("etag"), p1.headers.get("etag"));
        assert.equal((await t.stats()).writes, before);
        assertError(await call(t, "PATCH", policyPath("Patch"), { body: {}, headers: { "if-match": '"stale"' } }), 412, "PreconditionFailed");
        assertError(await call(t, "PATCH", policyPath("NoSuch"), { body: {} }), 404, "PolicyNotFound");
    });

    it("lists with $top and @nextLink until every policy is seen", async () => {
        for (const n of ["PageA", "PageB", "PageC"]) await createPolicy(t, n);
        const all = (await call(t, "GET", `${POLICIES}?$top=1000`)).json.value.map((p: any) => p.Identity);
        const seen: string[] = [];
        let next: string | undefined = `${POLICIES}?$top=2`;
        while (next) {
            const res = await call(t, "GET", next);
            assert.ok(res.json.value.length <= 2);
            seen.push(...res.json.value.map((p: any) => p.Identity));
            next = res.json["@nextLink"];
        }
        assert.deepEqual(seen, all);
        assert.equal(all[0], "Global");
        assertError(await call(t, "GET", `${POLICIES}?$top=0`), 400, "InvalidParameter", "$top");
        assertError(await call(t, "GET", `${POLICIES}?$skiptoken=x`), 400, "InvalidParameter", "$skiptoken");
    });

    it("builds @nextLink and Location relative to the API base URL, never from the Host header", async () => {
        const token = await tokenOf(t);
        await createPolicy(t, "LinkPaged");
        // fetch() sets Host itself; a raw request can send any Host, as a proxy or an attacker might.
        const raw = (method: string, p: string, headers: Record<string, string> = {}, body?: string) => new Promise<{ status: number; headers: Record<string, unknown>; json: any }>((resolve, reject) => {
            const u = new URL(t.url);
            const req = request({ host: u.hostname, port: u.port, method, path: p, headers: { host: "evil.example:8443", authorization: `Bearer ${token}`, ...headers } }, (res) => {
                let text = "";
                res.on("data", (c) => (text += c));
                res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, json: text ? JSON.parse(text) : undefined }));
            });
            req.on("error", reject);
            req.end(body);
        });
        const page = await raw("GET", `${POLICIES}?$top=1`);
        assert.equal(page.status, 200);
        assert.match(page.json["@nextLink"], /^\/Skype\.Policy\/configurations\/ClientPolicy\?\$top=1&\$skiptoken=k\.[A-Za-z0-9_-]+$/);
        const prefixed = await raw("GET", `/contoso.example${POLICIES}?$top=1`);
        assert.ok(prefixed.json["@nextLink"].startsWith(`/contoso.example${POLICIES}?`), prefixed.json["@nextLink"]);
        const created = await raw("PUT", policyPath("Tag:Relative Link"), { "if-none-match": "*", "content-type": "application/json" }, "{}");
        assert.equal(created.status, 201);
        assert.equal(created.headers.location, "/Skype.Policy/configurations/ClientPolicy/configuration/Tag%3ARelative%20Link");
        assert.equal((await call(t, "GET", String(created.headers.location))).json.Identity, "Tag:Relative Link");
    });

    it("deletes: Global resets to defaults with a Warning; a granted policy is PolicyInUse unless force", async () => {
        await call(t, "PATCH", policyPath("Global"), { body: { EnableIMAutoArchiving: false, IMWarning: "w" } });
        const g = await call(t, "DELETE", policyPath("Global"));
        assert.equal(g.status, 200);
        assert.match(g.headers.get("warning")!, /^299 /);
        assert.equal(g.json.EnableIMAutoArchiving, true);
        assert.equal(g.json.IMWarning, null);

        await createPolicy(t, "InUse");
        await call(t, "PUT", grantPath("User 00001"), { body: { PolicyName: "InUse" } });
        await call(t, "PUT", grantPath("User 00002"), { body: { PolicyName: "Tag:InUse" } });
        const conflict = await call(t, "DELETE", policyPath("InUse"));
        assertError(conflict, 409, "PolicyInUse");
        assert.equal(conflict.json.error.details[0].count, 2);
        assertError(await call(t, "DELETE", policyPath("InUse") + "?force=maybe"), 400, "InvalidParameter", "force");
        assert.equal((await call(t, "DELETE", policyPath("InUse") + "?force=true")).status, 204);
        assert.equal((await call(t, "GET", "/users/User%2000001")).json.ClientPolicy, null);
        assertError(await call(t, "GET", policyPath("InUse")), 404, "PolicyNotFound");
        await createPolicy(t, "Unused");
        assert.equal((await call(t, "DELETE", policyPath("Unused"))).status, 204);
        assertError(await call(t, "DELETE", policyPath("Unused")), 404, "PolicyNotFound");
    });

    it("answers other policy types and unknown routes with 501/404 error bodies and a request-id", async () => {
        // Paths and methods outside the document: only their error shape is checked against it.
        const OFF = { offContract: true };
        assertError(await call(t, "GET", "/Skype.Policy/configurations/ConferencingPolicy"), 501, "NotImplemented");
        assertError(await call(t, "GET", "/Skype.Policy/configurations/VoicePolicy/configuration/Global"), 501, "NotImplemented");
        assertError(await call(t, "POST", policyPath("Global"), OFF), 501, "NotImplemented");
        assertError(await call(t, "GET", "/Skype.Policy/somethingElse", OFF), 501, "NotImplemented");
        assertError(await call(t, "GET", "/users/Tony%20Smith/policyAssignments/ClientPolicy"), 501, "NotImplemented");
        assertError(await call(t, "PUT", "/users/Tony%20Smith/policyAssignments/VoicePolicy", { body: { PolicyName: null } }), 501, "NotImplemented");
        assertError(await call(t, "GET", "/", OFF), 404, "ResourceNotFound");
        assertError(await call(t, "GET", "/v1.0/me", OFF), 404, "ResourceNotFound");
        assertError(await call(t, "GET", "/_emulator/nothing/here/at/all", OFF), 404, "ResourceNotFound");
        assertError(await call(t, "DELETE", "/_emulator/faults", OFF), 501, "NotImplemented");
        assertError(await call(t, "GET", "/contoso.example/oauth2/v2.0/token"), 501, "NotImplemented");
        assert.equal((await call(t, "HEAD", policyPath("Global"))).status, 501);
    });

    it("answers a malformed HTTP request with an error body and a request-id", async () => {
        const raw = await new Promise<string>((resolve, reject) => {
            const socket = connect(Number(new URL(t.url).port), "127.0.0.1", () => socket.write("GARBAGE\r\n\r\n"));
            let text = "";
            socket.on("data", (d) => (text += d));
            socket.on("end", () => resolve(text));
            socket.on("error", reject);
        });
        assert.match(raw, /^HTTP\/1\.1 400 /);
        assert.match(raw, /request-id: [0-9a-f-]{36}/);
        assert.match(raw, /"code":"InvalidRequestContent"/);
    });

    it("accepts the /{tenantId} prefix form for the token's tenant", async () => {
        const res = await call(t, "GET", `/contoso.example${policyPath("Global")}`);
        assert.equal(res.status, 200);
        assert.equal((await call(t, "GET", `/CONTOSO.EXAMPLE/users/Tony%20Smith`)).json.DisplayName, "Tony Smith");
    });
});
