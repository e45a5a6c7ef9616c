/**
 * Sites, Registrar pools and effective policy over the emulator's HTTP API: users carry their pool and site, the
 * topology is listed, `Move-CsUser` rehomes a user (drift), `GET /users` filters by site, grant and effective policy,
 * and `userCounts` groups users by (site, grant). Expected numbers are computed here from the full user listing and
 * the precedence rules written out in the test (not with the resolver under test).
 */
import * as assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Routes, type WireUser } from "../../../api/contract";
import { startTestEmulator, type TestTenant } from "../../../testkit/emulator";
import { assertError, call, createPolicy } from "./util";
import { fetchRecorded } from "../../../testkit/recorder";

const RED = "red-cs-001.contoso.example";
const DUB = "dub-cs-001.contoso.example";

async function allUsers(t: TestTenant, path = Routes.users({ top: 1000 })): Promise<WireUser[]> {
    const out: WireUser[] = [];
    let next: string | undefined = path;
    while (next) {
        const res = await call(t, "GET", next);
        assert.equal(res.status, 200, res.text);
        out.push(...res.json.value);
        next = res.json["@nextLink"];
    }
    return out;
}

/** The policy that applies, by the documented order, written out independently of api/effective.ts. */
function expectedPolicy(u: WireUser, policies: Set<string>): string {
    if (u.ClientPolicy && policies.has(`tag:${u.ClientPolicy}`.toLowerCase())) return `tag:${u.ClientPolicy}`.toLowerCase();
    const sitePolicy = u.Site ? `site:${u.Site.slice("Site:".length)}`.toLowerCase() : undefined;
    if (sitePolicy && policies.has(sitePolicy)) return sitePolicy;
    return "global";
}

describe("emulator: sites, pools and effective policy", () => {
    let t: TestTenant;
    beforeEach(async () => { t = await startTestEmulator({ users: 40 }); });
    afterEach(async () => { await t.stop(); });

    it("users carry their Registrar pool and site; the topology is listed", async () => {
        const tony = await call(t, "GET", Routes.user("Tony Smith"));
        assert.equal(tony.json.RegistrarPool, RED);
        assert.equal(tony.json.Site, "Site:Redmond");
        assert.equal((await call(t, "GET", Routes.user("Kim Akers"))).json.Site, "Site:Dublin");
        const sites = await call(t, "GET", Routes.sites());
        assert.deepEqual(sites.json.value, [{ Identity: "Site:Dublin", Pools: [DUB] }, { Identity: "Site:Redmond", Pools: [RED] }]);
        const users = await allUsers(t);
        assert.equal(users.length, 45);
        // Generated users alternate between the two pools.
        assert.deepEqual(new Set(users.map((u) => u.Site)), new Set(["Site:Redmond", "Site:Dublin"]));
        assert.equal(users.filter((u) => u.Site === "Site:Redmond").length, 2 + 20);
    });

    it("GET /users pages and filters by site, grant and effective policy", async () => {
        await createPolicy(t, "site:Redmond", { EnableIMAutoArchiving: false });
        await createPolicy(t, "Tag:OfflineIM", {});
        assert.equal((await call(t, "PUT", Routes.userAssignment("Tony Smith"), { body: { PolicyName: "OfflineIM" } })).status, 200);
        const everyone = await allUsers(t, Routes.users({ top: 7 }));
        assert.equal(everyone.length, 45, "paging with a small $top sees every user once");
        assert.equal(new Set(everyone.map((u) => u.Id)).size, 45);
        const redmond = await allUsers(t, Routes.users({ site: "Redmond" }));
        assert.deepEqual(redmond.map((u) => u.Id).sort(), everyone.filter((u) => u.Site === "Site:Redmond").map((u) => u.Id).sort());
        const noGrant = await allUsers(t, Routes.users({ clientPolicy: null }));
        assert.equal(noGrant.length, 44);
        const policies = new Set(["global", "site:redmond", "tag:offlineim"]);
        for (const eff of ["Global", "site:Redmond", "Tag:OfflineIM"]) {
            const got = await allUsers(t, Routes.users({ effectivePolicy: eff }));
            const want = everyone.filter((u) => expectedPolicy(u, policies) === eff.toLowerCase());
            assert.deepEqual(got.map((u) => u.Id).sort(), want.map((u) => u.Id).sort(), eff);
        }
        assertError(await call(t, "GET", Routes.users({ effectivePolicy: "a/b" })), 400, "InvalidParameter", "effectivePolicy");
        assertError(await call(t, "GET", Routes.users({ clientPolicy: "site:Redmond" })), 400, "InvalidParameter", "clientPolicy");
    });

    it("userCounts: one group per (site, grant), each with its effective policy, summing to every user", async () => {
        await createPolicy(t, "site:Redmond", {});
        await createPolicy(t, "Tag:OfflineIM", {});
        for (const who of ["Tony Smith", "Kim Akers", "User 00003"]) {
            assert.equal((await call(t, "PUT", Routes.userAssignment(who), { body: { PolicyName: "OfflineIM" } })).status, 200);
        }
        const res = await call(t, "GET", Routes.userCounts());
        assert.equal(res.status, 200, res.text);
        const everyone = await allUsers(t);
        assert.equal(res.json.Total, everyone.length);
        const policies = new Set(["global", "site:redmond", "tag:offlineim"]);
        const want = new Map<string, number>();
        for (const u of everyone) {
            const k = `${u.Site}|${u.ClientPolicy}|${expectedPolicy(u, policies)}`;
            want.set(k, (want.get(k) ?? 0) + 1);
        }
        const got = new Map<string, number>(res.json.value.map((g: any) => [`${g.Site}|${g.ClientPolicy}|${g.EffectivePolicy.toLowerCase()}`, g.Count]));
        assert.deepEqual(got, want);
        const reasons = new Map(res.json.value.map((g: any) => [g.EffectivePolicy.toLowerCase(), g.Reason]));
        assert.deepEqual([reasons.get("global"), reasons.get("site:redmond"), reasons.get("tag:offlineim")], ["Global", "Site", "Granted"]);
    });

    it("Move-CsUser rehomes a user on another pool (drift); an unknown pool fails the line naming Target", async () => {
        await createPolicy(t, "site:Dublin", {});
        const out = await t.powershell([
            `Move-CsUser -Identity "Tony Smith" -Target ${DUB.toUpperCase()}`,
            "Move-CsUser -Identity 'Ken Myer' -Target nowhere.contoso.example",
            "Move-CsUser 'Ken Myer'",
        ].join("\n"));
        assert.deepEqual(out.results.map((r: any) => r.status), ["Succeeded", "Failed", "Failed"]);
        assert.equal(out.results[0].output.RegistrarPool, DUB, "the pool is spelled as the topology spells it");
        assert.equal(out.results[1].error.target, "Target");
        assert.match(out.results[1].error.message, /not a Registrar pool of this tenant/);
        const tony = (await call(t, "GET", Routes.user("Tony Smith"))).json;
        assert.deepEqual([tony.RegistrarPool, tony.Site], [DUB, "Site:Dublin"]);
        const dublin = await allUsers(t, Routes.users({ effectivePolicy: "site:Dublin" }));
        assert.ok(dublin.some((u) => u.DisplayName === "Tony Smith"), "Tony now gets Dublin's site policy");
        assert.equal((await call(t, "GET", Routes.user("Ken Myer"))).json.RegistrarPool, RED, "failed lines change nothing");
    });

    it("refuses a seed whose user names a pool outside its sites, naming the field", async () => {
        const res = await fetchRecorded(`${t.url}/_emulator/tenants`, {
            method: "POST", headers: { "content-type": "application/json" },
            body: JSON.stringify({ id: "sites.example", sites: [{ name: "A", pools: ["a.sites.example"] }], users: [{ displayName: "X", sipAddress: "sip:x@sites.example", userPrincipalName: "x@sites.example", logon: "S\\x", registrarPool: "b.sites.example" }] }),
        });
        assert.equal(res.status, 400);
        assert.equal(((await res.json()) as any).error.target, "tenant.users[0].registrarPool");
        const twice = await fetchRecorded(`${t.url}/_emulator/tenants`, {
            method: "POST", headers: { "content-type": "application/json" },
            body: JSON.stringify({ id: "sites2.example", sites: [{ name: "A", pools: ["p.example"] }, { name: "B", pools: ["P.example"] }] }),
        });
        assert.equal(((await twice.json()) as any).error.target, "tenant.sites[1].pools[0]");
    });
});

describe("emulator: pools and sites survive a restart", () => {
    let dataDir: string;
    beforeEach(() => { dataDir = mkdtempSync(path.join(os.tmpdir(), "cpac-sites-")); });
    afterEach(() => { rmSync(dataDir, { recursive: true, force: true }); });

    it("keeps the topology and a Move-CsUser across a restart", async () => {
        let t = await startTestEmulator({ dataDir, users: 4 });
        try {
            await t.powershell(`Move-CsUser -Identity "Tony Smith" -Target ${DUB}`);
        } finally {
            await t.stop();
        }
        t = await startTestEmulator({ dataDir, users: 4 });
        try {
            const tony = (await call(t, "GET", Routes.user("Tony Smith"))).json;
            assert.deepEqual([tony.RegistrarPool, tony.Site], [DUB, "Site:Dublin"]);
            assert.equal((await call(t, "GET", Routes.sites())).json.value.length, 2);
        } finally {
            await t.stop();
        }
    });
});
