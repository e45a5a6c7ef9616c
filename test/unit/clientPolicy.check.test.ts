import * as assert from "node:assert/strict";
import { SETTINGS, camelName, expectation, settingsByProperty } from "../../api/catalogue";
import { check } from "../../provider/resources/clientPolicy.provider";
import { configure, setClientOverridesForTesting } from "../../provider/runtime";
import { UNKNOWN } from "../../provider/values";

/** check() of a program; `__provider` is added the way the host does. */
const run = (news: Record<string, unknown>, olds: Record<string, unknown> = {}) =>
    check(olds, { __provider: "exports.handler = …", ...news });

describe("ClientPolicy check()", () => {
    // property, bad value, expected fragment of the reason
    const BAD: Array<[string, unknown, RegExp]> = [
        ["maximumNumberOfContacts", 5000, /^must be an integer 0–1000, got 5000$/],
        ["maximumNumberOfContacts", -1, /integer 0–1000, got -1/],
        ["maximumNumberOfContacts", 1.5, /integer 0–1000, got 1\.5/],
        ["maximumNumberOfContacts", "10", /integer 0–1000, got "10"/],
        ["maximumDGsAllowedInContactList", 65, /integer 0–64/],
        ["rateMyCallDisplayPercentage", 101, /integer 0–100/],
        ["searchPrefixFlags", 65536, /integer 0–65535/],
        ["maxPhotoSizeKB", 4294967296, /integer 0–4294967295/],
        ["calendarStatePublicationInterval", true, /integer/],
        ["imLatencyErrorThreshold", [], /got a list of 0$/],
        ["publicationBatchDelay", {}, /got an object/],
        ["enableIMAutoArchiving", "false", /^must be a boolean \(true or false\), got "false"$/],
        ["enableIMAutoArchiving", 0, /boolean/],
        ["disableSavingIM", "yes", /boolean/],
        ["enableURL", [true], /boolean/],
        ["displayPhoto", "SomePhotos", /one of "NoPhoto", "PhotosFromADOnly", "AllPhotos"/],
        ["displayPhoto", 1, /one of/],
        ["addressBookAvailability", "Web", /one of "WebSearchAndFileDownload"/],
        ["p2PAppSharingEncryption", "Required", /"Supported", "Enforced", "NotSupported"/],
        ["tracingLevel", "Verbose", /"Off", "Light", "Full"/],
        ["helpEnvironment", "Office 2016", /"Office 365"/],
        ["hotdeskingTimeout", 10, /from 00:00:30 to 23:59:59 or a number of seconds 30–86399/],
        ["hotdeskingTimeout", "00:00:10", /00:00:30/],
        ["dgRefreshInterval", 29, /from 00:00:30 to 08:00:00/],
        ["dgRefreshInterval", "09:00:00", /08:00:00/],
        ["autoDiscoveryRetryInterval", 0, /00:00:01 to 01:00:00/],
        ["autoDiscoveryRetryInterval", "1:00", /hh:mm:ss/],
        ["conferenceIMIdleTimeout", "01:00:01", /00:00:00 to 01:00:00/],
        ["mapiPollInterval", 3601, /01:00:00/],
        ["webServicePollInterval", "00:61:00", /hh:mm:ss/],
        ["webServicePollInterval", 1.5, /seconds 1–3600/],
        ["imWarning", "x".repeat(257), /must be a string of at most 256 characters, got 257 characters$/],
        ["description", 42, /string of at most 1024/],
        ["customStateUrl", "u".repeat(1025), /at most 1024/],
        ["tabURL", false, /string/],
        ["policyEntry", [{ name: "A" }], /list \(at most 100\) of \{ name, value \}/],
        ["policyEntry", [{ name: "", value: "x" }], /\{ name, value \} non-empty strings/],
        ["policyEntry", [{ Name: "A", Value: "B" }], /\{ name, value \}/],
        ["policyEntry", { name: "A", value: "B" }, /got an object/],
        ["policyEntry", Array.from({ length: 101 }, (_, i) => ({ name: `n${i}`, value: "v" })), /at most 100/],
        ["identity", "Tag:", /not a valid policy identity/],
        ["identity", "Region:Europe", /unknown scope prefix "Region:"/],
        ["identity", "Tag:Global", /not a valid policy identity/],
        ["identity", 7, /must be a string/],
        ["identity", "a/b", /not a valid policy identity/],
        ["adopt", "yes", /must be a boolean/],
        ["forceDeleteWhenGranted", 1, /must be a boolean/],
    ];

    for (const [property, value, reason] of BAD) {
        it(`rejects ${property} = ${JSON.stringify(value)?.slice(0, 40)}`, async () => {
            const res = await run({ identity: "Tag:Test", [property]: value });
            assert.equal(res.failures?.length, 1, JSON.stringify(res.failures));
            // Free text is named in the reason, not as the failure's property, so the engine never prints its value.
            const freeText = settingsByProperty().get(property)?.kind === "string";
            assert.equal(res.failures![0].property, freeText ? "" : property);
            assert.match(res.failures![0].reason, reason);
            if (freeText) assert.ok(res.failures![0].reason.startsWith(`${property} must be`), res.failures![0].reason);
        });
    }

    it("has a rejected value for every rule the catalogue states (each kind, range, length and enum)", () => {
        // Computed from the catalogue, so a new setting kind, range, length limit or enum needs its own row here.
        const covered = new Set(BAD.map(([property]) => settingsByProperty().get(property)).filter((d) => d !== undefined).map((d) => expectation(d, "input")));
        const kinds = new Set(BAD.map(([property]) => settingsByProperty().get(property)?.kind));
        const rules = new Map(SETTINGS.map((d) => [expectation(d, "input"), camelName(d.name)]));
        const missing = [...rules].filter(([rule]) => !covered.has(rule)).map(([rule, example]) => `${example}: ${rule}`);
        assert.deepEqual(missing, [], "catalogue rules without a bad-value row");
        assert.deepEqual(SETTINGS.map((d) => d.kind).filter((k) => !kinds.has(k)), [], "setting kinds without a bad-value row");
    });

    it("requires identity", async () => {
        const res = await run({ enableURL: true });
        assert.deepEqual(res.failures?.map((f) => f.property), ["identity"]);
    });

    it("reports one failure per bad property, all at once", async () => {
        const res = await run({ identity: "Tag:X", maximumNumberOfContacts: 5000, displayPhoto: "x", enableURL: "y" });
        assert.deepEqual(res.failures?.map((f) => f.property).sort(), ["displayPhoto", "enableURL", "maximumNumberOfContacts"]);
    });

    const TYPOS: Array<[string, string]> = [
        ["enableImAutoArchiving", "enableIMAutoArchiving"],
        ["EnableIMAutoArchiving", "enableIMAutoArchiving"],
        ["maximumNumberOfContact", "maximumNumberOfContacts"],
        ["displayPhotos", "displayPhoto"],
        ["descripton", "description"],
        ["identiy", "identity"],
        ["forceDelete", "forceDeleteWhenGranted"],
    ];
    for (const [typo, suggestion] of TYPOS) {
        it(`fails the unknown property ${typo} with "did you mean ${suggestion}"`, async () => {
            const res = await run({ identity: "Tag:X", [typo]: true });
            const f = res.failures!.find((x) => x.property === typo);
            assert.ok(f, JSON.stringify(res.failures));
            if (suggestion === "forceDeleteWhenGranted") assert.match(f.reason, /^unknown property/);
            else assert.equal(f.reason, `unknown property; did you mean "${suggestion}"?`);
        });
    }

    it("fails an unrelated unknown property without a far-fetched suggestion", async () => {
        const res = await run({ identity: "Tag:X", colour: "blue" });
        assert.deepEqual(res.failures, [{ property: "colour", reason: "unknown property" }]);
    });

    it("strips __provider and returns canonical inputs (enum case, durations, tag prefix, entries)", async () => {
        const res = await run({
            identity: "offlineIM", enableIMAutoArchiving: false, displayPhoto: "photosfromadonly", tracingLevel: "FULL",
            hotdeskingTimeout: 90, dgRefreshInterval: "1:00:00", policyEntry: [{ name: "A", value: "B" }],
            description: undefined, helpEnvironment: "office 365",
        });
        assert.deepEqual(res.failures, []);
        assert.deepEqual(res.inputs, {
            identity: "Tag:offlineIM", enableIMAutoArchiving: false, displayPhoto: "PhotosFromADOnly", tracingLevel: "Full",
            hotdeskingTimeout: "00:01:30", dgRefreshInterval: "01:00:00", policyEntry: [{ name: "A", value: "B" }],
            helpEnvironment: "Office 365",
        });
    });

    it("accepts every catalogue setting by its camelCase name, including flagged ones", async () => {
        const sample: Record<string, unknown> = { identity: "Global" };
        for (const d of SETTINGS) {
            sample[camelName(d.name)] = d.kind === "boolean" ? true : d.kind === "uint" ? d.min : d.kind === "timespan" ? d.max
                : d.kind === "enum" ? d.values[0] : d.kind === "policyEntry" ? [] : "text";
        }
        const res = await run(sample);
        assert.deepEqual(res.failures, []);
        assert.equal(Object.keys(res.inputs).length, SETTINGS.length + 1);
    });

    it("treats null as unset", async () => {
        const res = await run({ identity: "Global", enableURL: null });
        assert.deepEqual(res.inputs, { identity: "Global" });
    });

    it("passes preview-time unknowns through unvalidated", async () => {
        const res = await run({ identity: UNKNOWN, description: UNKNOWN });
        assert.deepEqual(res.failures, []);
        assert.deepEqual(res.inputs, { identity: UNKNOWN, description: UNKNOWN });
    });

    describe("with a configured tenant (in-process fake)", () => {
        const calls: string[] = [];
        before(async () => {
            setClientOverridesForTesting({
                transport: async (req) => {
                    if (req.url.endsWith("/oauth2/v2.0/token")) return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ access_token: "t", expires_in: 3600 }) };
                    calls.push(`${req.method} ${decodeURIComponent(new URL(req.url).pathname)}`);
                    return { status: 404, headers: { "content-type": "application/json" }, body: JSON.stringify({ error: { code: "PolicyNotFound", message: "no such policy" } }) };
                },
            });
            await configure({ config: { get: (k: string) => ({ "clientpolicy:endpoint": "https://tenant.example", "clientpolicy:tenantId": "contoso.example", "clientpolicy:clientId": "c", "clientpolicy:clientSecret": "s" } as Record<string, string>)[k] } });
        });
        after(() => setClientOverridesForTesting({}));
        beforeEach(() => { calls.length = 0; });

        it("ignores a stale adoptChanges input (check() recomputes it)", async () => {
            const res = await run({ identity: "Tag:X", adoptChanges: ["x"] });
            assert.deepEqual(res, { inputs: { identity: "Tag:X" }, failures: [] });
        });

        it("reads the policy once for a create, and makes no call for an existing resource or invalid inputs", async () => {
            await run({ identity: "Tag:X" });
            assert.deepEqual(calls, ["GET /Skype.Policy/configurations/ClientPolicy/configuration/Tag:X"]);
            calls.length = 0;
            await run({ identity: "Tag:X", enableURL: true }, { identity: "Tag:X", etag: "\"1\"" });
            await run({ identity: "Tag:X", enableURL: "yes" });
            assert.deepEqual(calls, []);
        });

        it("a setting not known yet (an output of another resource) does not skip the existence and owner read", async () => {
            await run({ identity: "Tag:X", description: UNKNOWN, maximumNumberOfContacts: UNKNOWN, owner: "proj/dev/x", stackInstance: UNKNOWN });
            assert.deepEqual(calls, ["GET /Skype.Policy/configurations/ClientPolicy/configuration/Tag:X"]);
        });
    });
});
