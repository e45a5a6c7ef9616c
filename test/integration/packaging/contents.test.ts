/**
 * The package ships the product only: compiled product folders and the top-level documents. Test code, the test kit
 * (whose stand-in Management Shell is a test double that answers like a server without being one), scripts and
 * benchmarks stay in the repository.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../../..");

describe("packaging: the product only", function () {
    this.timeout(120_000);

    it("packs no test code, test kit, script or benchmark, and no stand-in shell", () => {
        const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
        const [info] = JSON.parse(out) as Array<{ files: Array<{ path: string }> }>;
        const files = info.files.map((f) => f.path);
        assert.ok(files.includes("dist/provider/index.js"), "the library entry is packed (is dist/ built?)");
        const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { files: string[] };
        for (const entry of pkg.files) assert.doesNotMatch(entry, /(^|\/)(test|testkit|scripts|bench)(\/|$)/, `package.json files: ${entry}`);
        const stray = files.filter((f) => /(^|\/)(test|testkit|scripts|bench)\//.test(f) || /standin/i.test(f));
        assert.deepEqual(stray, []);
    });
});
