/**
 * The gateway's side store keeps owners only for what exists, and matches identities with the one folding rule of
 * api/identity.ts (the server's ordinal ignore-case comparison), not JavaScript's lower-casing:
 * - a create that never ran (the shell died before it) leaves no owner behind, so a policy made later by someone else
 *   is not shown as the failed creator's;
 * - `Tag:Kelvin` and `Tag:\u212Aelvin` (KELVIN SIGN) are two policies for the server, so one's owner is not the other's.
 */
import * as assert from "node:assert/strict";
import { Routes } from "../../../api/contract";
import { call, policyPath } from "../../../testkit/tenantApi";
import { startTestGateway, type GatewayTestTenant } from "../../../testkit/gateway";

const CREATE = { "if-none-match": "*" };

describe("gateway: owners in the side store", function () {
    this.timeout(120_000);
    let t: GatewayTestTenant;
    before(async () => { t = await startTestGateway({ users: 10, poolSize: 2, commandTimeoutSeconds: 10 }); });
    after(async () => { await t?.stop(); });
    afterEach(() => t.shellFaults({}));

    it("a create the shell never ran leaves no owner for a policy someone else makes later", async () => {
        t.shellFaults({ die: "New-CsClientPolicy.*Tag:Phantom", once: true });
        const r = await call(t, "PUT", policyPath("Tag:Phantom"), { body: { "@owner": "p/s/phantom" }, headers: CREATE });
        assert.equal(r.status, 503, r.text);
        assert.equal((await call(t.server, "GET", policyPath("Tag:Phantom"))).status, 404, "the shell died before New-CsClientPolicy");
        // An administrator makes the policy in the shell later.
        assert.equal((await call(t.server, "PUT", policyPath("Tag:Phantom"), { body: {}, headers: CREATE })).status, 201);
        const got = await call(t, "GET", policyPath("Tag:Phantom"));
        assert.equal(got.status, 200, got.text);
        assert.equal(got.json["@owner"], null, "not the failed creator's");
        const listed = await call(t, "GET", Routes.policies());
        assert.equal(listed.json.value.find((p: { Identity: string }) => p.Identity === "Tag:Phantom")["@owner"], null);
    });

    it("a create that ran but was interrupted keeps its owner (the creator's retry takes its policy back)", async () => {
        t.shellFaults({ dieAfter: "New-CsClientPolicy.*Tag:Interrupted", once: true });
        const r = await call(t, "PUT", policyPath("Tag:Interrupted"), { body: { "@owner": "p/s/mine" }, headers: CREATE });
        assert.equal(r.status, 503, r.text);
        const got = await call(t, "GET", policyPath("Tag:Interrupted"));
        assert.equal(got.json["@owner"], "p/s/mine");
    });

    it("folds identities as the server does: the Kelvin sign is not K", async () => {
        assert.equal((await call(t, "PUT", policyPath("Tag:Kelvin"), { body: { "@owner": "p/s/kelvin" }, headers: CREATE })).status, 201);
        const kelvinSign = "Tag:\u212Aelvin";
        const made = await call(t.server, "PUT", policyPath(kelvinSign), { body: {}, headers: CREATE });
        assert.equal(made.status, 201, `the server holds ${kelvinSign} apart from Tag:Kelvin: ${made.text}`);
        const got = await call(t, "GET", policyPath(kelvinSign));
        assert.equal(got.status, 200, got.text);
        assert.equal(got.json["@owner"], null, "Tag:Kelvin's owner is not \u212Aelvin's");
        assert.equal((await call(t, "GET", policyPath("tag:KELVIN"))).json["@owner"], "p/s/kelvin", "ASCII case still folds");

        // An assignment owner recorded for Kelvin does not carry over to the other policy.
        const g = await call(t, "PUT", Routes.userAssignment("User 00001"), { body: { PolicyName: "Tag:Kelvin", Owner: "p/s/grant" } });
        assert.equal(g.status, 200, g.text);
        assert.equal((await call(t.server, "PUT", Routes.userAssignment("User 00001"), { body: { PolicyName: kelvinSign } })).status, 200);
        const u = await call(t, "GET", Routes.user("User 00001"));
        assert.equal(u.json.ClientPolicy, "\u212Aelvin");
        assert.equal(u.json.ClientPolicyOwner, null);
    });
});
