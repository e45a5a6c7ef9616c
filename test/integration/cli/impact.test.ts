/**
 * True impact in the fleet report (cli/report/impact.ts) against an emulator tenant with two sites, Redmond with a
 * site policy and Dublin without, some users granted a per-user policy, some without a pool. For each change the
 * expected set of users is computed here, independently: from the full user listing and the precedence rule written
 * out in the test (grant, else the site's policy, else Global), never with api/effective.ts.
 */
import * as assert from "node:assert/strict";
import { Routes, type WireUser } from "../../../api/contract";
import { addImpact } from "../../../cli/report/impact";
import type { Change } from "../../../api/report";
import { startTestEmulator, type TestTenant } from "../../../testkit/emulator";
import { call } from "../../../testkit/tenantApi";

const ID = "impact.example";
const RED = "red-cs-001.impact.example";
const DUB = "dub-cs-001.impact.example";
const CP = "pulumi-nodejs:dynamic/clientpolicy:ClientPolicy";
const PG = "pulumi-nodejs:dynamic/clientpolicy:PolicyGrant";

const user = (name: string, pool?: string) => {
    const alias = name.toLowerCase().replace(/\s+/g, ".");
    return { displayName: name, sipAddress: `sip:${alias}@${ID}`, userPrincipalName: `${alias}@${ID}`, logon: `IMPACT\\${alias}`, ...(pool ? { registrarPool: pool } : {}) };
};

const SEED = {
    tenants: [{
        id: ID, apps: [{ clientId: "demo-client", clientSecret: "test-secret-0123456789" }],
        sites: [{ name: "Redmond", pools: [RED] }, { name: "Dublin", pools: [DUB] }],
        users: [user("Tony Smith", RED), user("Kim Akers", DUB), user("Nomad User")],
        generatedUsers: 250,
        policies: [
            { Identity: "Global", EnableIMAutoArchiving: false },
            { Identity: "site:Redmond", EnableIMAutoArchiving: true, DisableEmoticons: true },
            { Identity: "Tag:OfflineIM", EnableIMAutoArchiving: true },
        ],
        script: ["Grant-CsClientPolicy -Identity 'User 00001' -PolicyName OfflineIM", "Grant-CsClientPolicy -Identity 'User 00002' -PolicyName OfflineIM"],
    }],
};

const change = (c: Partial<Change> & Pick<Change, "identity" | "op" | "kind">): Change =>
    ({ urn: `urn:pulumi:s::p::${c.type === "PolicyGrant" ? PG : CP}::x`, type: "ClientPolicy", name: "x", properties: [], ...c }) as Change;

describe("report: true impact on a tenant with two sites (independently computed sets)", function () {
    this.timeout(120_000);
    let t: TestTenant;
    let everyone: WireUser[];
    let config: Record<string, string>;

    /** The policy that applies by the documented order, written out here. */
    const applies = (u: { ClientPolicy: string | null; Site?: string | null }, policies: string[]) => {
        const has = (id: string) => policies.some((p) => p.toLowerCase() === id.toLowerCase());
        if (u.ClientPolicy && has(`Tag:${u.ClientPolicy}`)) return `Tag:${u.ClientPolicy}`.toLowerCase();
        if (u.Site && has(`site:${u.Site.replace(/^Site:/, "")}`)) return `site:${u.Site.replace(/^Site:/, "")}`.toLowerCase();
        return "global";
    };
    const NOW = ["Global", "site:Redmond", "Tag:OfflineIM"];

    before(async () => {
        t = await startTestEmulator({ seed: SEED, tenantId: ID, users: 0 });
        config = { "clientpolicy:endpoint": t.url, "clientpolicy:tenantId": ID, "clientpolicy:clientId": "demo-client", "clientpolicy:clientSecret": "test-secret-0123456789" };
        everyone = [];
        let next: string | undefined = Routes.users({ top: 1000 });
        while (next) {
            const r = await call(t, "GET", next);
            everyone.push(...r.json.value);
            next = r.json["@nextLink"];
        }
        assert.equal(everyone.length, 253);
    });
    after(async () => { await t?.stop(); });

    const impactOf = async (c: Change) => (await addImpact([c], config))[0].impact!;
    const sips = (users: WireUser[]) => users.map((u) => u.SipAddress).sort();

    it("a Global change reaches exactly the users Global applies to (not Redmond's, not the granted)", async () => {
        const want = everyone.filter((u) => applies(u, NOW) === "global");
        assert.ok(want.length > 100 && want.length < everyone.length);
        const i = await impactOf(change({ kind: "pending", op: "update", identity: "Global", properties: [{ path: "enableIMAutoArchiving", before: false, after: true, kind: "pending" }] }));
        assert.equal(i.users, want.length, i.text);
        assert.equal(i.scope, "global");
        assert.equal(i.sample!.length, 100, "JSON lists the first 100");
        assert.equal(i.more, want.length - 100);
        assert.ok(i.sample!.every((s) => sips(want).includes(s)));
        assert.ok(!/every user except/.test(i.text));
        assert.match(i.text, new RegExp(`^${want.length} users of 253 whose effective settings change`));
    });

    it("the same change as drift (tenant moved, state had the old value) counts the same users", async () => {
        const want = everyone.filter((u) => applies(u, NOW) === "global");
        const i = await impactOf(change({ kind: "drift", op: "update", identity: "Global", properties: [{ path: "enableIMAutoArchiving", before: true, after: false, kind: "drift" }] }));
        assert.equal(i.users, want.length, i.text);
    });

    it("deleting the Redmond site policy moves its ungranted users to Global", async () => {
        const want = everyone.filter((u) => applies(u, NOW) === "site:redmond");
        assert.ok(want.length > 0);
        const i = await impactOf(change({ kind: "pending", op: "delete", identity: "site:Redmond" }));
        assert.equal(i.users, want.length, i.text);
        assert.equal(i.scope, "site");
        assert.match(i.text, new RegExp(`moving site:Redmond → Global: ${want.length}`));
    });

    it("creating a Dublin site policy reaches Dublin's ungranted users only", async () => {
        const want = everyone.filter((u) => applies(u, [...NOW, "site:Dublin"]) === "site:dublin");
        assert.deepEqual(new Set(want.map((u) => u.Site)), new Set(["Site:Dublin"]));
        const i = await impactOf(change({ kind: "pending", op: "create", identity: "site:Dublin", properties: [{ path: "disableEmoticons", after: true, kind: "pending" }] }));
        assert.equal(i.users, want.length, i.text);
    });

    it("a site policy whose settings equal what its users already get reaches nobody", async () => {
        // Global has EnableIMAutoArchiving False; a Dublin policy with the same value (and nothing else) changes nothing.
        const i = await impactOf(change({ kind: "pending", op: "create", identity: "site:Dublin", properties: [{ path: "enableIMAutoArchiving", after: false, kind: "pending" }] }));
        assert.equal(i.users, 0, i.text);
        assert.match(i.text, /^0 users of 253 whose effective settings change/);
    });

    it("a Description-only change reaches nobody; a per-user policy's change reaches its holders", async () => {
        const d = await impactOf(change({ kind: "pending", op: "update", identity: "Global", properties: [{ path: "description", before: null, after: "note", kind: "pending" }] }));
        assert.equal(d.users, 0, d.text);
        const holders = everyone.filter((u) => applies(u, NOW) === "tag:offlineim");
        const i = await impactOf(change({ kind: "pending", op: "update", identity: "Tag:OfflineIM", properties: [{ path: "maxPhotoSizeKB", before: null, after: 50, kind: "pending" }] }));
        assert.equal(i.users, holders.length, i.text);
        assert.deepEqual(i.sample!.sort(), sips(holders));
    });

    it("a grant reaches the named users whose policy changes: not one who already has it", async () => {
        const named = ["Tony Smith", "sip:kim.akers@impact.example", "User 00001", "Nomad User"];
        // Tony: site:Redmond (archiving on, emoticons off) → Tag:OfflineIM (archiving on, emoticons unset): changes.
        // Kim (Dublin, Global: archiving off) → on: changes. User 00001 already holds it: no change. Nomad (no site,
        // Global) → on: changes.
        const i = await impactOf(change({
            kind: "pending", op: "update", type: "PolicyGrant", identity: "Tag:OfflineIM",
            properties: [{ path: "users", before: [], after: named, set: true, kind: "pending" }],
        }));
        assert.equal(i.users, 3, i.text);
        assert.deepEqual(i.sample!.sort(), ["sip:kim.akers@impact.example", "sip:nomad.user@impact.example", "sip:tony.smith@impact.example"]);
    });
});
