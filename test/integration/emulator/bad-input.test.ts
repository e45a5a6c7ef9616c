import * as assert from "node:assert/strict";
import { POLICY_NAME_MAX } from "../../../api/identity";
import { startTestEmulator, type TestTenant } from "../../../testkit/emulator";
import { assertError, call, createPolicy, grantPath, policyPath, POLICIES, userPath } from "./util";

interface Case {
    name: string;
    method?: string;
    path?: string;
    body?: unknown;
    raw?: string;
    headers?: Record<string, string>;
    status: number;
    code: string;
    target?: string;
}

const EXISTING = policyPath("Existing");
const patch = (name: string, body: unknown, target: string): Case => ({ name, body, status: 400, code: "InvalidParameter", target });
const entry = (Name: unknown, Value: unknown) => ({ Name, Value });

/** Every case is answered with an error and must leave the tenant file byte-identical. */
const CASES: Case[] = [
    patch("boolean as string", { EnableIMAutoArchiving: "false" }, "EnableIMAutoArchiving"),
    patch("boolean as number", { DisableEmoticons: 0 }, "DisableEmoticons"),
    patch("boolean as object", { EnableURL: {} }, "EnableURL"),
    patch("uint negative", { MaximumNumberOfContacts: -1 }, "MaximumNumberOfContacts"),
    patch("uint over documented max", { MaximumNumberOfContacts: 1001 }, "MaximumNumberOfContacts"),
    patch("uint fraction", { MaxPhotoSizeKB: 1.5 }, "MaxPhotoSizeKB"),
    patch("uint as string", { MaxPhotoSizeKB: "30" }, "MaxPhotoSizeKB"),
    patch("DG count over 64", { MaximumDGsAllowedInContactList: 65 }, "MaximumDGsAllowedInContactList"),
    patch("percentage over 100", { RateMyCallDisplayPercentage: 101 }, "RateMyCallDisplayPercentage"),
    patch("UInt16 overflow", { SearchPrefixFlags: 65536 }, "SearchPrefixFlags"),
    patch("UInt32 overflow", { CalendarStatePublicationInterval: 4294967296 }, "CalendarStatePublicationInterval"),
    patch("unknown enum value", { DisplayPhoto: "SomePhotos" }, "DisplayPhoto"),
    patch("enum as number", { TracingLevel: 1 }, "TracingLevel"),
    patch("HelpEnvironment other than Office 365", { HelpEnvironment: "Office 364" }, "HelpEnvironment"),
    patch("timespan prose", { AutoDiscoveryRetryInterval: "25 minutes" }, "AutoDiscoveryRetryInterval"),
    patch("timespan above 1 h", { AutoDiscoveryRetryInterval: "01:00:01" }, "AutoDiscoveryRetryInterval"),
    patch("timespan below min", { DGRefreshInterval: "00:00:29" }, "DGRefreshInterval"),
    patch("timespan as seconds on the wire", { WebServicePollInterval: 60 }, "WebServicePollInterval"),
    patch("timespan 24 h", { HotdeskingTimeout: "24:00:00" }, "HotdeskingTimeout"),
    patch("timespan 60 minutes field", { MAPIPollInterval: "00:60:00" }, "MAPIPollInterval"),
    patch("IMWarning 257 characters", { IMWarning: "x".repeat(257) }, "IMWarning"),
    patch("Description over the cap", { Description: "d".repeat(1025) }, "Description"),
    patch("string as number", { CustomStateUrl: 5 }, "CustomStateUrl"),
    patch("PolicyEntry not a list", { PolicyEntry: { Name: "a", Value: "b" } }, "PolicyEntry"),
    patch("PolicyEntry without Value", { PolicyEntry: [{ Name: "a" }] }, "PolicyEntry"),
    patch("PolicyEntry extra key", { PolicyEntry: [{ ...entry("a", "b"), Extra: 1 }] }, "PolicyEntry"),
    patch("PolicyEntry empty name", { PolicyEntry: [entry("", "b")] }, "PolicyEntry"),
    patch("PolicyEntry lower-case keys", { PolicyEntry: [{ name: "a", value: "b" }] }, "PolicyEntry"),
    patch("PolicyEntry too many", { PolicyEntry: Array.from({ length: 101 }, (_, i) => entry(`n${i}`, "v")) }, "PolicyEntry"),
    patch("unknown property", { Foo: true }, "Foo"),
    patch("wrong-case property", { enableIMAutoArchiving: false }, "enableIMAutoArchiving"),
    patch("body Identity differs from URL", { Identity: "Tag:Other", EnableURL: true }, "Identity"),
    patch("good then bad setting (nothing applied)", { EnableURL: false, MaximumNumberOfContacts: 5000 }, "MaximumNumberOfContacts"),
    { name: "malformed JSON", raw: "{\"EnableURL\": tru", headers: { "content-type": "application/json" }, status: 400, code: "InvalidRequestContent" },
    { name: "JSON array body", body: [1, 2], status: 400, code: "InvalidRequestContent" },
    { name: "JSON null body", raw: "null", headers: { "content-type": "application/json" }, status: 400, code: "InvalidRequestContent" },
    { name: "empty body", raw: "", headers: { "content-type": "application/json" }, status: 400, code: "InvalidRequestContent" },
    { name: "wrong content type", raw: "{}", headers: { "content-type": "text/plain" }, status: 415, code: "UnsupportedMediaType" },
    { name: "no content type", raw: "{}", status: 415, code: "UnsupportedMediaType" },
    { name: "identity with unknown scope", path: policyPath("user:Bob"), body: {}, status: 400, code: "InvalidParameter", target: "Identity" },
    { name: "identity with a slash", path: policyPath("Tag:a/b"), body: {}, status: 400, code: "InvalidParameter", target: "Identity" },
    { name: "identity too long", path: policyPath("x".repeat(POLICY_NAME_MAX + 1)), body: {}, status: 400, code: "InvalidParameter", target: "Identity" },
    { name: "identity Tag:Global", path: policyPath("Tag:Global"), body: {}, status: 400, code: "InvalidParameter", target: "Identity" },
    { name: "malformed percent-encoding", path: `${POLICIES}/configuration/%E0%A4%A`, body: {}, status: 400, code: "InvalidParameter", target: "path" },
    { name: "patch a missing policy", path: policyPath("Missing"), body: { EnableURL: true }, status: 404, code: "PolicyNotFound" },
    { name: "create an existing policy", method: "PUT", body: {}, headers: { "if-none-match": "*" }, status: 409, code: "PolicyAlreadyExists" },
    { name: "create Global", method: "PUT", path: policyPath("Global"), body: {}, headers: { "if-none-match": "*" }, status: 409, code: "PolicyAlreadyExists" },
    { name: "If-None-Match other than *", method: "PUT", body: {}, headers: { "if-none-match": '"abc"' }, status: 400, code: "InvalidParameter", target: "If-None-Match" },
    { name: "remove a granted policy without force", method: "DELETE", status: 409, code: "PolicyInUse" },
    { name: "$top not a number", method: "GET", path: `${POLICIES}?$top=abc`, status: 400, code: "InvalidParameter", target: "$top" },
    { name: "grant PolicyName number", method: "PUT", path: grantPath("Tony Smith"), body: { PolicyName: 5 }, status: 400, code: "InvalidParameter", target: "PolicyName" },
    { name: "grant unknown property", method: "PUT", path: grantPath("Tony Smith"), body: { PolicyName: "Existing", Foo: 1 }, status: 400, code: "InvalidParameter", target: "Foo" },
    { name: "grant without PolicyName", method: "PUT", path: grantPath("Tony Smith"), body: {}, status: 400, code: "InvalidParameter", target: "PolicyName" },
    { name: "grant bad policy identity", method: "PUT", path: grantPath("Tony Smith"), body: { PolicyName: "a:b" }, status: 400, code: "InvalidParameter", target: "PolicyName" },
    { name: "grant Global", method: "PUT", path: grantPath("Tony Smith"), body: { PolicyName: "Global" }, status: 400, code: "NotAUserPolicy", target: "PolicyName" },
    { name: "grant unknown policy", method: "PUT", path: grantPath("Tony Smith"), body: { PolicyName: "Nope" }, status: 404, code: "PolicyNotFound", target: "PolicyName" },
    { name: "grant to unknown user", method: "PUT", path: grantPath("Nobody"), body: { PolicyName: "Existing" }, status: 404, code: "UserNotFound" },
    { name: "user wildcard", method: "GET", path: userPath("Tony*"), status: 400, code: "InvalidParameter", target: "Identity" },
    { name: "batch over 5000 users", method: "POST", path: "/Skype.Policy/batchAssignments", body: { PolicyType: "ClientPolicy", PolicyName: "Existing", Users: Array(5001).fill("Tony Smith") }, status: 400, code: "InvalidParameter", target: "Users" },
    { name: "batch users not strings", method: "POST", path: "/Skype.Policy/batchAssignments", body: { PolicyType: "ClientPolicy", PolicyName: "Existing", Users: [1] }, status: 400, code: "InvalidParameter", target: "Users" },
    { name: "batch without PolicyType", method: "POST", path: "/Skype.Policy/batchAssignments", body: { PolicyName: "Existing", Users: ["Tony Smith"] }, status: 400, code: "InvalidParameter", target: "PolicyType" },
    { name: "batch unknown policy", method: "POST", path: "/Skype.Policy/batchAssignments", body: { PolicyType: "ClientPolicy", PolicyName: "Nope", Users: ["Tony Smith"] }, status: 404, code: "PolicyNotFound", target: "PolicyName" },
];

describe("emulator: bad input is rejected and writes nothing", () => {
    let t: TestTenant;
    before(async () => {
        t = await startTestEmulator({ users: 5 });
        await createPolicy(t, "Existing", { EnableURL: true });
        await call(t, "PUT", grantPath("Tony Smith"), { body: { PolicyName: "Existing" } });
    });
    after(async () => { await t.stop(); });

    it(`answers all ${CASES.length} cases with the right status, code and target; the stored tenant is unchanged`, async () => {
        assert.ok(CASES.length >= 40);
        const before = JSON.stringify(t.stored());
        const writes = (await t.stats()).writes;
        for (const c of CASES) {
            const res = await call(t, c.method ?? "PATCH", c.path ?? EXISTING, { body: c.body, raw: c.raw, headers: c.headers });
            try {
                assertError(res, c.status, c.code, c.target);
            } catch (e) {
                throw new Error(`case "${c.name}": ${(e as Error).message}`);
            }
            if (c.code === "InvalidParameter" && c.target && c.body && !("Users" in (c.body as object))) {
                assert.match(res.json.error.message, /must|not|required|expected|match/, `case "${c.name}" message says what was expected: ${res.json.error.message}`);
            }
        }
        assert.equal(JSON.stringify(t.stored()), before, "stored tenant changed");
        assert.equal((await t.stats()).writes, writes);
        assert.equal((await call(t, "GET", EXISTING)).json.EnableURL, true);
    });

    it("reports every failing property in details", async () => {
        const res = await call(t, "PATCH", EXISTING, { body: { MaximumNumberOfContacts: -1, DisplayPhoto: "x", Nope: 1 } });
        assertError(res, 400, "InvalidParameter", "MaximumNumberOfContacts");
        assert.deepEqual(res.json.error.details.map((d: any) => d.target), ["MaximumNumberOfContacts", "DisplayPhoto", "Nope"]);
        assert.match(res.json.error.message, /must be an integer 0–1000, got -1/);
    });
});
