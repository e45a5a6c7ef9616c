import * as assert from "node:assert/strict";
import { SETTINGS, camelName } from "../../api/catalogue";
import { isIdentityError, parsePolicyIdentity } from "../../api/identity";
import type { CamelName, ClientPolicySettings } from "../../provider/schema";

describe("policy identity parsing (as the provider uses it)", () => {
    const OK: Array<[string, string, string]> = [
        ["Global", "Global", "global"], ["global", "Global", "global"], [" GLOBAL ", "Global", "global"],
        ["OfflineIM", "Tag:OfflineIM", "tag:offlineim"], ["tag:OfflineIM", "Tag:OfflineIM", "tag:offlineim"],
        ["TAG:OfflineIM", "Tag:OfflineIM", "tag:offlineim"], ["site:Redmond", "site:Redmond", "site:redmond"],
        ["Site:Redmond", "site:Redmond", "site:redmond"], ["Sales Policy.v2", "Tag:Sales Policy.v2", "tag:sales policy.v2"],
        // Names Skype for Business accepts from PowerShell (../shared/CSCLIENTPOLICY.md §3): @, #, $, %, unicode.
        ["Sales@EU", "Tag:Sales@EU", "tag:sales@eu"], ["Tag:R&D #1 $x 100%", "Tag:R&D #1 $x 100%", "tag:r&d #1 $x 100%"],
        ["site:Zürich", "site:Zürich", "site:zürich"], ["-lead", "Tag:-lead", "tag:-lead"],
    ];
    for (const [input, canonical, key] of OK) {
        it(`parses ${JSON.stringify(input)}`, () => {
            const id = parsePolicyIdentity(input);
            assert.ok(!isIdentityError(id));
            assert.equal(id.canonical, canonical);
            assert.equal(id.key, key);
        });
    }
    for (const bad of ["", "Tag:", "site:", "Tag:Global", "x:y", "a/b", "*", "Tag:*", "a\\b", "Tag: lead", "tab\tname", "n".repeat(257)]) {
        it(`rejects ${JSON.stringify(bad)}`, () => assert.ok(isIdentityError(parsePolicyIdentity(bad))));
    }
});

describe("resource property names from the catalogue", () => {
    /** The compiler checks `camel` is CamelName<W>; the test checks the run-time rule agrees. */
    function same<const W extends string>(wire: W, camel: CamelName<W>) {
        assert.equal(camelName(wire), camel);
    }
    it("derives the same camelCase names at type level and at run time", () => {
        same("EnableIMAutoArchiving", "enableIMAutoArchiving");
        same("IMWarning", "imWarning");
        same("IMLatencySpinnerDelay", "imLatencySpinnerDelay");
        same("DGRefreshInterval", "dgRefreshInterval");
        same("MAPIPollInterval", "mapiPollInterval");
        same("SPSearchCenterExternalURL", "spSearchCenterExternalURL");
        same("P2PAppSharingEncryption", "p2PAppSharingEncryption");
        same("TabURL", "tabURL");
        same("DisableICE", "disableICE");
        same("EnableSQMData", "enableSQMData");
        same("MaxPhotoSizeKB", "maxPhotoSizeKB");
        same("Description", "description");
    });

    it("types every catalogue setting (typed keys cover the catalogue)", () => {
        // Compile-time: these are keys of ClientPolicySettings with the catalogue's value types.
        const sample: ClientPolicySettings = {
            enableIMAutoArchiving: false, displayPhoto: "NoPhoto", maximumNumberOfContacts: 10, hotdeskingTimeout: 60,
            dgRefreshInterval: "00:30:00", imWarning: "x", policyEntry: [{ name: "a", value: "b" }], tracingLevel: "Off",
            helpEnvironment: "Office 365", p2PAppSharingEncryption: "Enforced", addressBookAvailability: "WebSearchOnly",
        };
        assert.ok(Object.keys(sample).every((k) => SETTINGS.some((d) => camelName(d.name) === k)));
    });
});
