/**
 * The provider object is serialized into the state of every resource. Built and installed the way users get it
 * (compiled package copied as a real folder into node_modules), it must serialize as a tiny `require()`.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

const REPO = path.resolve(__dirname, "..", "..", "..");

describe("provider serialization (installed package)", function () {
    this.timeout(180_000);
    let app: string;

    before(() => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cpac-ser-"));
        const pkg = path.join(tmp, "app", "node_modules", "clientpolicy-as-code");
        // Compile into the temp package (not the shared dist/), only what the package publishes.
        const tsconfig = path.join(tmp, "tsconfig.json");
        fs.writeFileSync(tsconfig, JSON.stringify({
            extends: path.join(REPO, "tsconfig.build.json"),
            compilerOptions: {
                outDir: path.join(pkg, "dist"), rootDir: REPO, declaration: false, sourceMap: false,
                typeRoots: [path.join(REPO, "node_modules", "@types")],
            },
            include: [path.join(REPO, "api", "**", "*.ts"), path.join(REPO, "provider", "**", "*.ts")],
        }));
        execFileSync(path.join(REPO, "node_modules", ".bin", "tsc"), ["-p", tsconfig], { cwd: REPO, stdio: "pipe" });
        fs.copyFileSync(path.join(REPO, "package.json"), path.join(pkg, "package.json"));
        // The package's runtime dependencies, as npm would install them beside it (a scope folder for scoped names).
        const deps = Object.keys(JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).dependencies as Record<string, string>);
        for (const dep of new Set(deps.map((d) => d.split("/")[0]))) fs.symlinkSync(path.join(REPO, "node_modules", dep), path.join(tmp, "app", "node_modules", dep));
        app = path.join(tmp, "app");
    });

    after(() => { if (app) fs.rmSync(path.dirname(app), { recursive: true, force: true }); });

    for (const [name, file] of [["ClientPolicy", "clientPolicy"], ["PolicyGrant", "policyGrant"]]) {
        it(`serializes the ${name} provider as a require() under 1 KB`, async () => {
            const entry = require(path.join(app, "node_modules", "clientpolicy-as-code"));
            const provider = name === "ClientPolicy" ? entry.clientPolicyProvider : entry.policyGrantProvider;
            const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
            console.log(`      ${name} provider: ${sf.text.length} bytes serialized`);
            assert.ok(sf.text.length < 1024, sf.text);
            assert.ok(sf.text.includes(`require("clientpolicy-as-code/dist/provider/resources/${file}.provider.js")`), sf.text);
            assert.ok(!/zod|clientSecret|TenantClient/.test(sf.text), "nothing but the require is captured");

            // What the dynamic-provider host does with the stored text, from the program's folder.
            const m = new (require("node:module"))(path.join(app, "stored.js"));
            m.filename = path.join(app, "stored.js");
            m.paths = require("node:module")._nodeModulePaths(app);
            m._compile(sf.text, m.filename);
            const loaded = m.exports.handler();
            for (const method of ["configure", "check", "diff", "create", "read", "update", "delete"]) {
                assert.equal(typeof loaded[method], "function", method);
            }
        });
    }

    it("names the resource types clientpolicy:ClientPolicy and clientpolicy:PolicyGrant", () => {
        const entry = require(path.join(app, "node_modules", "clientpolicy-as-code", "dist", "provider", "resources", "clientPolicy.js"));
        const grant = require(path.join(app, "node_modules", "clientpolicy-as-code", "dist", "provider", "resources", "policyGrant.js"));
        assert.equal(`pulumi-nodejs:dynamic/${entry.MODULE}:${entry.TYPE}`, "pulumi-nodejs:dynamic/clientpolicy:ClientPolicy");
        assert.equal(`pulumi-nodejs:dynamic/${grant.MODULE}:${grant.TYPE}`, "pulumi-nodejs:dynamic/clientpolicy:PolicyGrant");
    });
});
