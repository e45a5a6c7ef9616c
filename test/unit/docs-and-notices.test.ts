import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { SETTINGS, camelName, expectation } from "../../api/catalogue";
import { clientPolicyNotices } from "../../provider";

describe("README.md", () => {
    const doc = fs.readFileSync(path.resolve(__dirname, "..", "..", "README.md"), "utf8");

    it("lists every catalogue setting with what it accepts (table in step with the catalogue)", () => {
        for (const d of SETTINGS) {
            const row = doc.split("\n").find((l) => l.startsWith(`| \`${camelName(d.name)}\` |`));
            assert.ok(row, `${camelName(d.name)} missing from README.md`);
            assert.ok(row.includes(expectation(d, "input").replace(/\|/g, "\\|")), `${camelName(d.name)}: stale expectation`);
        }
    });

    it("names every configuration key and environment variable", () => {
        for (const k of ["clientpolicy:endpoint", "clientpolicy:tenantId", "clientpolicy:clientId", "clientpolicy:clientSecret",
            "CLIENTPOLICY_ENDPOINT", "CLIENTPOLICY_TENANT_ID", "CLIENTPOLICY_CLIENT_ID", "CLIENTPOLICY_CLIENT_SECRET"]) {
            assert.ok(doc.includes(k), k);
        }
    });
});

describe("ClientPolicy notices for flagged settings", () => {
    it("warns for deprecated, reserved, no-effect and legacy settings, naming the property and why", () => {
        const notices = clientPolicyNotices({
            identity: "Global", tabURL: "https://x", enableMeetingEngagement: true, showRecentContacts: false,
            disableICE: true, enableIMAutoArchiving: false, mapiPollInterval: undefined,
        });
        assert.deepEqual(notices, [
            "tabURL is deprecated for Skype for Business Server and may be ignored by clients; it is still applied as declared",
            "enableMeetingEngagement is reserved for internal Microsoft use; it is still applied as declared",
            "showRecentContacts is documented as having no effect on the client; it is still applied as declared",
            "disableICE only affects Lync Server 2010 clients; it is still applied as declared",
        ]);
    });
});
