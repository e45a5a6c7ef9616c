import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_KEYS, CONFIG_NAMESPACE, clientPolicyNotices } from "../../provider";
import { MAX_ATTEMPTS_KEY } from "../../provider/config";

const ROOT = path.resolve(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

describe("docs/configuration.md", () => {
    it("names every configuration key and environment variable the provider reads", () => {
        const doc = read("docs/configuration.md");
        for (const spec of [...CONFIG_KEYS, MAX_ATTEMPTS_KEY]) {
            assert.ok(doc.includes(`\`${CONFIG_NAMESPACE}:${spec.key}\``), `${CONFIG_NAMESPACE}:${spec.key}`);
            assert.ok(doc.includes(`\`${spec.env}\``), spec.env);
        }
    });
});

describe("docs links", () => {
    it("every relative link in README.md and docs/ points at a file that exists", () => {
        const files = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs"), { recursive: true, encoding: "utf8" })
            .filter((f) => f.endsWith(".md")).map((f) => path.join("docs", f))];
        const broken: string[] = [];
        for (const file of files) {
            for (const m of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
                const target = m[1].split("#")[0];
                if (target === "" || /^[a-z]+:/i.test(target)) continue;
                if (!fs.existsSync(path.resolve(ROOT, path.dirname(file), target))) broken.push(`${file}: ${m[1]}`);
            }
        }
        assert.deepEqual(broken, []);
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
