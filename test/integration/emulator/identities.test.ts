/**
 * Policy names as Skype for Business accepts them. The cmdlet reference (New-CsClientPolicy, `-Identity` of type
 * XdsIdentity) states no character rule beyond the `site:` prefix and no wildcards, and tenants hold names made in
 * PowerShell with `@`, `#`, `$` and the like; api/identity.ts decides what is accepted. This suite takes every
 * candidate that parsePolicyIdentity accepts through every route that carries an identity (percent-encoded by the
 * contract's Routes) and the PowerShell endpoint, so a widened rule is exercised end to end as soon as it lands.
 */
import * as assert from "node:assert/strict";
import { Routes } from "../../../api/contract";
import { isIdentityError, parsePolicyIdentity } from "../../../api/identity";
import { startTestEmulator, type TestTenant } from "../../../testkit/emulator";
import { assertError, call, grantPath, policyPath, userPath } from "./util";

const CANDIDATES = [
    "Sales EU", "Sales.EU", "v1.2.3", "Sales@EU", "ops@contoso.example", "Sales#1", "100%", "50%25", "a+b", "a&b=c", "what?", "semi;colon",
    "Ünïcödé", "emoji😀", "[brackets]", "{braces}", "$dollar", "~tilde", "comma,x", "pipe|x", "quote\"x", "apos'x", "tab\tname", "back\\slash",
];
/** What this run can exercise: api/identity.ts decides (dot-only names cannot travel in a URL path at all). */
const ACCEPTED = CANDIDATES.filter((n) => !isIdentityError(parsePolicyIdentity(n)));
const REJECTED = CANDIDATES.filter((n) => !ACCEPTED.includes(n));

/** A PowerShell single-quoted string. */
const psQuote = (s: string) => `'${s.replace(/'/g, "''")}'`;

describe("emulator: policy identities with special characters", () => {
    let t: TestTenant;
    before(async () => { t = await startTestEmulator({ users: ACCEPTED.length + 1 }); });
    after(async () => { await t.stop(); });

    it(`accepts what api/identity.ts accepts (${ACCEPTED.length} of ${CANDIDATES.length} candidates) and rejects the rest with 400`, async () => {
        for (const must of ["Sales EU", "Sales.EU", "v1.2.3"]) assert.ok(ACCEPTED.includes(must), must);
        for (const name of REJECTED) {
            assertError(await call(t, "PUT", policyPath(name), { body: {}, headers: { "if-none-match": "*" } }), 400, "InvalidParameter", "Identity");
        }
    });

    it("creates, reads, patches, lists, grants (single and batch), lists assignments and deletes each one over HTTP", async () => {
        const users: string[] = [];
        for (const [i, name] of ACCEPTED.entries()) {
            const tag = `Tag:${name}`;
            const created = await call(t, "PUT", policyPath(name), { body: { Identity: tag, Description: `d${i}` }, headers: { "if-none-match": "*" } });
            assert.equal(created.status, 201, `${name}: ${created.text}`);
            assert.equal(created.json.Identity, tag, name);
            assert.equal(created.headers.get("location"), Routes.policy(tag), name);
            assert.equal((await call(t, "GET", created.headers.get("location")!)).json.Description, `d${i}`, name);
            for (const spelling of [tag, `tag:${name}`, name]) assert.equal((await call(t, "GET", policyPath(spelling))).json.Identity, tag, `${name} as ${spelling}`);
            assert.equal((await call(t, "GET", `/contoso.example${policyPath(tag)}`)).status, 200, `${name} under the tenant prefix`);
            const patched = await call(t, "PATCH", policyPath(tag), { body: { EnableURL: true } });
            assert.equal(patched.json.EnableURL, true, name);

            const user = `User ${String(i + 1).padStart(5, "0")}`;
            users.push(user);
            const granted = await call(t, "PUT", grantPath(user), { body: { PolicyName: name } });
            assert.equal(granted.json.ClientPolicy, name, `${name}: ${granted.text}`);
            const assigned = await call(t, "GET", `${policyPath(tag)}/assignments`);
            assert.deepEqual(assigned.json.value.map((u: any) => u.DisplayName), [user], name);
        }
        const listed = (await call(t, "GET", `${Routes.policies()}?$top=1000`)).json.value.map((p: any) => p.Identity);
        for (const name of ACCEPTED) assert.ok(listed.includes(`Tag:${name}`), name);

        const last = ACCEPTED[ACCEPTED.length - 1];
        const batch = await call(t, "POST", Routes.batchAssignments(), { body: { PolicyType: "ClientPolicy", PolicyName: `Tag:${last}`, Users: users } });
        assert.equal(batch.status, 202, batch.text);
        for (;;) {
            const op = await call(t, "GET", batch.headers.get("location")!);
            if (op.json.Status === "Completed") {
                assert.ok(op.json.Results.every((r: any) => r.Status === "Succeeded"), op.text);
                break;
            }
            await new Promise((r) => setTimeout(r, 10));
        }
        for (const u of users) assert.equal((await call(t, "GET", userPath(u))).json.ClientPolicy, last);

        for (const name of ACCEPTED) {
            assert.equal((await call(t, "DELETE", `${policyPath(name)}?force=true`)).status, 204, name);
            assertError(await call(t, "GET", policyPath(name)), 404, "PolicyNotFound");
        }
    });

    it("takes site policies with the same characters", async () => {
        for (const name of ACCEPTED.slice(0, 6)) {
            const site = await call(t, "PUT", policyPath(`site:${name}`), { body: {}, headers: { "if-none-match": "*" } });
            assert.equal(site.json.Identity, `site:${name}`, site.text);
            assertError(await call(t, "PUT", grantPath("Tony Smith"), { body: { PolicyName: `site:${name}` } }), 400, "NotAUserPolicy");
        }
    });

    it("handles each one through the PowerShell endpoint (quoted, and bare where PowerShell allows it)", async () => {
        for (const name of ACCEPTED) {
            const lines = [
                `New-CsClientPolicy -Identity ${psQuote(`Tag:${name}`)} -Description ${psQuote(name)}`,
                `Set-CsClientPolicy ${psQuote(name)} -EnableURL $False`,
                `Grant-CsClientPolicy -Identity 'Tony Smith' -PolicyName ${psQuote(name)}`,
                `Get-CsClientPolicy -Identity ${psQuote(name)}`,
                `Remove-CsClientPolicy -Identity ${psQuote(name)} -Force`,
            ];
            const out = await t.powershell(lines.join("\n"));
            assert.equal(out.succeeded, true, `${name}: ${JSON.stringify(out.results.filter((r: any) => r.status === "Failed"))}`);
            assert.deepEqual([out.results[3].output.Identity, out.results[3].output.Description, out.results[3].output.EnableURL], [`Tag:${name}`, name, false]);
            assert.equal(out.results[2].output.ClientPolicy, name);
        }
        for (const bare of ["Sales@EU", "Sales#1", "ops@contoso.example"].filter((n) => ACCEPTED.includes(n))) {
            const out = await t.powershell(`New-CsClientPolicy -Identity ${bare} # a comment after a space\nGet-CsClientPolicy -Identity Tag:${bare}`);
            assert.equal(out.succeeded, true, `${bare}: ${JSON.stringify(out.results)}`);
            assert.equal(out.results[1].output.Identity, `Tag:${bare}`);
        }
    });
});
