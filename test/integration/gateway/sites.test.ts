/**
 * Users' Registrar pools and sites, the topology and userCounts through the gateway: the stand-in shell answers
 * `Get-CsUser -ResultSize`, `Get-CsSite` and `Get-CsPool` from the emulator behind it (users without a site, as
 * Get-CsUser has none), so the gateway must find each user's site itself through the pool → site map. Every answer is
 * compared with the same route asked of that emulator directly; the report's true impact through the gateway counts
 * the users the emulator's does. The topology read is cached (one Get-CsSite/Get-CsPool pair for many requests) and
 * audited like every other cmdlet.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ROUTE_PATTERNS, Routes, type WireUser } from "../../../api/contract";
import { addImpact } from "../../../cli/report/impact";
import type { Change } from "../../../api/report";
import { TEST_CLIENT_SECRET, type TestTenant } from "../../../testkit/emulator";
import { call, policyPath } from "../../../testkit/tenantApi";
import { startTestGateway, type GatewayTestTenant } from "../../../testkit/gateway";

async function allUsers(t: TestTenant, first: string): Promise<WireUser[]> {
    const out: WireUser[] = [];
    let next: string | undefined = first;
    while (next) {
        const r = await call(t, "GET", next);
        assert.equal(r.status, 200, r.text);
        out.push(...r.json.value);
        next = r.json["@nextLink"];
    }
    return out;
}

function auditCmdlets(t: GatewayTestTenant): Array<{ kind: string; cmdlet: string; route: string | null; client: string | null; requestId: string | null; result: string }> {
    return readFileSync(t.auditFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.kind === "cmdlet");
}

describe("gateway: users' pools and sites, the topology and userCounts through the Management Shell", function () {
    this.timeout(300_000);
    let gw: GatewayTestTenant;
    before(async () => {
        gw = await startTestGateway({ users: 40, poolSize: 1 });
        const create = { "if-none-match": "*" };
        assert.equal((await call(gw, "PUT", policyPath("site:Redmond"), { body: { EnableIMAutoArchiving: false }, headers: create })).status, 201);
        assert.equal((await call(gw, "PUT", policyPath("Tag:OfflineIM"), { body: {}, headers: create })).status, 201);
        for (const who of ["Tony Smith", "Kim Akers", "User 00003"]) {
            // No Owner: the server behind the shell records none either, so both answers carry ClientPolicyOwner null.
            assert.equal((await call(gw, "PUT", Routes.userAssignment(who), { body: { PolicyName: "OfflineIM" } })).status, 200);
        }
    });
    after(async () => { await gw?.stop(); });

    it("GET /users (with its site, grant and effective-policy filters), the sites and userCounts answer as the emulator does", async () => {
        for (const path of [
            Routes.users({ top: 7 }), Routes.users({ site: "Redmond" }), Routes.users({ clientPolicy: "OfflineIM" }),
            Routes.users({ effectivePolicy: "site:Redmond" }), Routes.users({ effectivePolicy: "Global" }),
        ]) {
            const [viaGateway, direct] = [await allUsers(gw, path), await allUsers(gw.server, path)];
            assert.ok(direct.length > 0, path);
            assert.deepEqual(viaGateway, direct, path);
        }
        const everyone = await allUsers(gw, Routes.users({ top: 1000 }));
        assert.equal(everyone.length, 45);
        assert.deepEqual(new Set(everyone.map((u) => u.Site)), new Set(["Site:Redmond", "Site:Dublin"]));
        for (const path of [Routes.sites(), Routes.userCounts(), Routes.user("Tony Smith"), Routes.user("Kim Akers")]) {
            const [a, b] = [await call(gw, "GET", path), await call(gw.server, "GET", path)];
            assert.equal(a.status, 200, `${path}: ${a.text}`);
            assert.deepEqual(a.json, b.json, path);
        }
        assert.equal((await call(gw, "GET", Routes.user("Kim Akers"))).json.Site, "Site:Dublin");
    });

    it("the report's true impact through the gateway counts the users the emulator's does", async () => {
        const change = {
            urn: "urn:pulumi:s::p::pulumi-nodejs:dynamic/clientpolicy:ClientPolicy::x", type: "ClientPolicy", name: "x", kind: "pending", op: "update",
            identity: "Global", properties: [{ path: "disableEmoticons", before: null, after: true, kind: "pending" }],
        } as unknown as Change;
        const config = (t: TestTenant) => ({ "clientpolicy:endpoint": t.url, "clientpolicy:tenantId": t.tenantId, "clientpolicy:clientId": "demo-client", "clientpolicy:clientSecret": TEST_CLIENT_SECRET });
        const [viaGateway] = await addImpact([structuredClone(change)], config(gw));
        const [direct] = await addImpact([structuredClone(change)], config(gw.server));
        assert.ok(direct.impact?.users !== null && direct.impact!.users! > 0, direct.impact?.text);
        assert.equal(viaGateway.impact?.users, direct.impact!.users, viaGateway.impact?.text);
        assert.equal(viaGateway.impact?.text, direct.impact!.text);
    });

    it("reads the topology once for many requests and audits Get-CsUser -ResultSize, Get-CsSite and Get-CsPool like the others", async () => {
        const before = auditCmdlets(gw).length;
        for (let i = 0; i < 3; i++) assert.equal((await call(gw, "GET", Routes.userCounts())).status, 200);
        const lines = auditCmdlets(gw).slice(before);
        assert.equal(lines.filter((l) => l.cmdlet === "Get-CsSite" || l.cmdlet === "Get-CsPool").length, 0, "the cached pool → site map serves every listing");
        assert.equal(lines.filter((l) => l.cmdlet === "Get-CsUser").length, 3);
        // GET /sites reads the topology afresh: one Get-CsSite and one Get-CsPool line, attributed like any other.
        const r = await call(gw, "GET", Routes.sites());
        const rid = r.headers.get("request-id");
        const mine = auditCmdlets(gw).filter((l) => l.requestId === rid);
        assert.deepEqual(mine.map((l) => l.cmdlet), ["Get-CsSite", "Get-CsPool"]);
        for (const l of mine) {
            assert.equal(l.client, "demo-client");
            assert.equal(l.route, ROUTE_PATTERNS.sites);
            assert.equal(l.result, "ok");
        }
        const listing = auditCmdlets(gw).find((l) => l.cmdlet === "Get-CsUser" && l.route === ROUTE_PATTERNS.userCounts) as unknown as { params: Record<string, unknown> };
        assert.deepEqual(listing.params, { ResultSize: "100001" });
    });
});
