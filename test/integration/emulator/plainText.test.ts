/**
 * One validation for both backends (server/policyBody.ts, api/identity.ts): line breaks and other control characters
 * in setting text, PolicyEntry items, owners, policy names and user identities are refused with 400 naming the field,
 * before anything is written. The cmdlet reference documents these as plain-text strings (IMWarning "can only contain
 * plain text") and never mentions line breaks, so nothing here stores them.
 */
import * as assert from "node:assert/strict";
import { Routes } from "../../../api/contract";
import { startTestEmulator, type TestTenant } from "../../../testkit/emulator";
import { assertError, call, createPolicy, grantPath, policyPath, userPath } from "./util";

/** Every kind of character the rule refuses: C0 (LF, CR, NUL, TAB, ESC), DEL, C1 (NEL), U+2028, U+2029. */
const BAD = ["\n", "\r", "\r\n", "\u0000", "\t", "\u001b", "\u007f", "\u0085", "\u2028", "\u2029"];
const hex = (s: string) => [...s].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`).join(" ");

describe("emulator: line breaks and control characters are refused, naming the field", () => {
    let t: TestTenant;
    before(async () => {
        t = await startTestEmulator({ users: 5 });
        await createPolicy(t, "PlainText");
    });
    after(async () => { await t.stop(); });

    for (const bad of BAD) {
        it(`refuses ${hex(bad)} in setting text, PolicyEntry, owners, names and user identities; writes nothing`, async () => {
            const writes = (await t.stats()).writes;
            const secret = `confidential${bad}notice`;
            // Create, replace and patch: the setting is the target; the value is never echoed.
            const created = await call(t, "PUT", policyPath("NewOne"), { body: { Description: secret }, headers: { "if-none-match": "*" } });
            assertError(created, 400, "InvalidParameter", "Description");
            assert.ok(!created.text.includes("confidential"), created.text);
            assert.match(created.json.error.message, /line breaks or other control characters/);
            assert.equal((await call(t, "GET", policyPath("NewOne"))).status, 404, "a refused create made the policy");
            assertError(await call(t, "PATCH", policyPath("Global"), { body: { IMWarning: secret } }), 400, "InvalidParameter", "IMWarning");
            assertError(await call(t, "PATCH", policyPath("PlainText"), { body: { PolicyEntry: [{ Name: "Feedback", Value: secret }] } }), 400, "InvalidParameter", "PolicyEntry");
            assertError(await call(t, "PATCH", policyPath("PlainText"), { body: { PolicyEntry: [{ Name: `Feed${bad}back`, Value: "x" }] } }), 400, "InvalidParameter", "PolicyEntry");
            assertError(await call(t, "PUT", policyPath("NewTwo"), { body: { "@owner": `p/s/r${bad}x` }, headers: { "if-none-match": "*" } }), 400, "InvalidParameter", "@owner");
            assertError(await call(t, "PUT", policyPath(`Name${bad}Two`), { body: {}, headers: { "if-none-match": "*" } }), 400, "InvalidParameter", "Identity");
            // User identities: a lookup, a grant, a batch (the whole batch is refused), a resolution (per identity).
            const user = `sip:user00001@contoso.example${bad}`;
            assertError(await call(t, "GET", userPath(user)), 400, "InvalidParameter", "Identity");
            assertError(await call(t, "PUT", grantPath(user), { body: { PolicyName: "PlainText" } }), 400, "InvalidParameter", "Identity");
            const batch = await call(t, "POST", Routes.batchAssignments(), { body: { PolicyType: "ClientPolicy", PolicyName: "PlainText", Users: ["User 00002", user] } });
            assertError(batch, 400, "InvalidParameter", "Users[1]");
            const resolved = await call(t, "POST", Routes.userResolutions(), { body: { Identities: ["User 00002", user] } });
            assert.equal(resolved.status, 200, resolved.text);
            assert.equal(resolved.json.value[0].User.DisplayName, "User 00002");
            assert.equal(resolved.json.value[1].Error.code, "InvalidParameter");
            assert.equal((await t.stats()).writes, writes, "a refused request wrote");
            assert.equal((await call(t, "GET", userPath("User 00002"))).json.ClientPolicy, null, "the refused batch granted a user");
        });
    }

    it("still stores any other text as given (quotes, dashes, accents, emoji, a trailing space)", async () => {
        const text = "Zürich – “quoted” ‘single’ «guillemets» 😀 $(not code) `tick` ;|} end ";
        const res = await call(t, "PATCH", policyPath("PlainText"), { body: { Description: text, IMWarning: "Ω ≠ Ω" } });
        assert.equal(res.status, 200, res.text);
        assert.equal((await call(t, "GET", policyPath("PlainText"))).json.Description, text);
    });

    it("refuses a line break in a setting through the PowerShell endpoint too", async () => {
        // U+2028 inside a quoted string (the endpoint's line parser takes no raw LF inside quotes).
        const out = await t.powershell(`Set-CsClientPolicy -Identity Tag:PlainText -Description 'two\u2028lines'`);
        const line = Array.isArray(out) ? out[0] : out.results?.[0] ?? out;
        assert.equal(line.status, "Failed", JSON.stringify(out));
        assert.equal(line.error.target, "Description");
    });
});
