/**
 * The effective-policy resolver (api/effective.ts) against the precedence rules its header cites: per-user grant, then
 * the site of the user's Registrar pool, then Global; no merging across scopes (an unset setting takes the client
 * default, documented or not); a grant of a missing policy falls through; Description changes no one.
 */
import * as assert from "node:assert/strict";
import { SETTINGS } from "../../api/catalogue";
import type { WirePolicy } from "../../api/contract";
import {
    appliedPolicy, changedSettings, groupChanges, groupKey, policySet, resolveEffective, sitePolicyKey, sourceText,
} from "../../api/effective";

import { planSteps } from "../../cli/effective/plan";
import { keyedUsers } from "../../provider/resources/grantUsers";

const p = (Identity: string, settings: Record<string, unknown> = {}): WirePolicy => ({ Identity, ...settings });

describe("effective client policy: which policy applies", () => {
    const set = policySet([
        p("Global", { EnableIMAutoArchiving: false, MaxPhotoSizeKB: 100 }),
        p("site:Redmond", { DisableEmoticons: true }),
        p("Tag:OfflineIM", { EnableIMAutoArchiving: true }),
    ]);

    it("a granted per-user policy wins over the site and Global", () => {
        const a = appliedPolicy({ ClientPolicy: "OfflineIM", Site: "Site:Redmond" }, set);
        assert.equal(a.identity, "Tag:OfflineIM");
        assert.equal(a.reason, "Granted");
    });
    it("the grant is matched by the identity rule (prefix and case)", () => {
        assert.equal(appliedPolicy({ ClientPolicy: "tag:offlineim", Site: null }, set).identity, "Tag:OfflineIM");
    });
    it("without a grant, the policy of the user's site applies", () => {
        const a = appliedPolicy({ ClientPolicy: null, Site: "Site:Redmond" }, set);
        assert.deepEqual([a.identity, a.reason], ["site:Redmond", "Site"]);
        assert.equal(appliedPolicy({ ClientPolicy: null, Site: "site:REDMOND" }, set).identity, "site:Redmond");
    });
    it("a site without a site policy, or no site at all, gets Global", () => {
        assert.deepEqual(appliedPolicy({ ClientPolicy: null, Site: "Site:Dublin" }, set).reason, "Global");
        assert.deepEqual(appliedPolicy({ ClientPolicy: null, Site: null }, set).reason, "Global");
        assert.deepEqual(appliedPolicy({ ClientPolicy: null }, set).reason, "Global");
    });
    it("a grant of a policy that does not exist falls through to the site, saying so", () => {
        const a = appliedPolicy({ ClientPolicy: "Gone", Site: "Site:Redmond" }, set);
        assert.deepEqual([a.identity, a.reason], ["site:Redmond", "Site"]);
        assert.match(a.note ?? "", /Tag:Gone does not exist/);
    });
    it("site policy keys come from either spelling of the site identity", () => {
        assert.equal(sitePolicyKey("Site:Redmond"), sitePolicyKey("Redmond"));
        assert.equal(sitePolicyKey(""), undefined);
    });
});

describe("effective client policy: settings are not merged across scopes", () => {
    const set = policySet([
        p("Global", { EnableIMAutoArchiving: false, MaxPhotoSizeKB: 100, DisableEmoticons: true }),
        p("site:Redmond", { DisableHtmlIm: true }),
    ]);
    const eff = resolveEffective({ ClientPolicy: null, Site: "Site:Redmond" }, set);
    const get = (name: string) => eff.settings.find((s) => s.name === name)!;

    it("every catalogue setting is reported", () => assert.equal(eff.settings.length, SETTINGS.length));
    it("a setting configured in the applying policy is taken from it", () => {
        assert.deepEqual(get("DisableHtmlIm"), { name: "DisableHtmlIm", value: true, source: "configured" });
        assert.equal(sourceText(get("DisableHtmlIm"), eff.identity), "configured in site:Redmond");
    });
    it("a setting set only in Global is NOT inherited: the documented client default applies", () => {
        assert.deepEqual(get("EnableIMAutoArchiving"), { name: "EnableIMAutoArchiving", value: true, source: "default" });
        assert.deepEqual(get("MaxPhotoSizeKB"), { name: "MaxPhotoSizeKB", value: 30, source: "default" });
    });
    it("without a documented default the value is the client's, not documented", () => {
        assert.deepEqual(get("DisableEmoticons"), { name: "DisableEmoticons", value: null, source: "undocumentedDefault" });
        assert.equal(sourceText(get("DisableEmoticons"), eff.identity), "client default (not documented)");
    });
});

describe("effective client policy: what a change does to a group of users", () => {
    const before = policySet([p("Global", { EnableIMAutoArchiving: true }), p("site:Redmond", { EnableIMAutoArchiving: false }), p("Tag:Sales", {})]);
    const redmond = { ClientPolicy: null, Site: "Site:Redmond" };
    const dublin = { ClientPolicy: null, Site: "Site:Dublin" };

    it("a Global change does not reach a user covered by a site policy, and reaches one who is not", () => {
        const after = policySet([p("Global", { EnableIMAutoArchiving: false }), p("site:Redmond", { EnableIMAutoArchiving: false }), p("Tag:Sales", {})]);
        assert.equal(groupChanges(redmond, before, after).changes.length, 0);
        assert.deepEqual(groupChanges(dublin, before, after).changes.map((c) => c.name), ["EnableIMAutoArchiving"]);
    });
    it("deleting a site policy moves its users to Global", () => {
        const after = policySet([p("Global", { EnableIMAutoArchiving: true }), p("Tag:Sales", {})]);
        const g = groupChanges(redmond, before, after);
        assert.deepEqual([g.before.identity, g.after.identity], ["site:Redmond", "Global"]);
        assert.deepEqual(g.changes.map((c) => [c.name, c.before.value, c.after.value]), [["EnableIMAutoArchiving", false, true]]);
    });
    it("a Global setting equal to the documented default changes no one when it is unset", () => {
        const after = policySet([p("Global", {}), p("site:Redmond", { EnableIMAutoArchiving: false }), p("Tag:Sales", {})]);
        assert.equal(groupChanges(dublin, before, after).changes.length, 0);
    });
    it("an undocumented default is never equal to a configured value", () => {
        const b = policySet([p("Global", { DisableEmoticons: false })]);
        const a = policySet([p("Global", {})]);
        assert.deepEqual(groupChanges(dublin, b, a).changes.map((c) => c.name), ["DisableEmoticons"]);
    });
    it("a Description change reaches nobody", () => {
        const a = policySet([p("Global", { EnableIMAutoArchiving: true, Description: "new note" }), p("site:Redmond", { EnableIMAutoArchiving: false })]);
        assert.equal(changedSettings(resolveEffective(dublin, before).settings, resolveEffective(dublin, a).settings).length, 0);
    });
    it("groups users by site and grant under the identity rule", () => {
        assert.equal(groupKey({ ClientPolicy: "tag:sales", Site: "site:redmond" }), groupKey({ ClientPolicy: "Sales", Site: "Site:Redmond" }));
        assert.notEqual(groupKey({ ClientPolicy: null, Site: "Site:Redmond" }), groupKey({ ClientPolicy: null, Site: null }));
    });
});

describe("effective plan: a grant's users in either stored shape", () => {
    const T = "pulumi-nodejs:dynamic/clientpolicy:PolicyGrant";
    const olds = { policyName: "A", users: ["u1", "u2"] };
    const step = (users: unknown) => ({ op: "update", urn: `urn:pulumi:dev::proj::${T}::g`, type: T, new: { inputs: { policyName: "A", users } }, old: { outputs: olds } });
    it("reads a keyed `users` (inputs since the keyed shape) as the list it stands for", () => {
        const listed = planSteps([step(["U1", "u3"])] as never, []);
        assert.deepEqual(listed, [{ kind: "grant", resource: "g", op: "update", policy: "A", grant: ["u3"], unassign: ["u2"] }]);
        assert.deepEqual(planSteps([step(keyedUsers(["U1", "u3"]))] as never, []), listed);
    });
});
