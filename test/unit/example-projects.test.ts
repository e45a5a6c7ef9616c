/**
 * Every folder of examples/ (but ci/) is a Pulumi project of its own, so that `cd examples/<name> && npm install &&
 * pulumi up` runs that program and not the repository's package: its own package.json (this package as a real copy,
 * @pulumi/pulumi at the repository's pin, TypeScript 6), a lock file `npm ci` accepts, tsconfig.json and a README.
 * And the config repo's workflow runs only locally installed binaries, plans on package changes, applies behind an
 * environment and reports drift in an issue. (The deploys themselves: test/e2e/docs.test.ts and folder.test.ts.)
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ROOT } from "../../testkit/stack";

const EXAMPLES = path.join(ROOT, "examples");
const read = (...p: string[]) => fs.readFileSync(path.join(...p), "utf8");
const rootPkg = JSON.parse(read(ROOT, "package.json")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

describe("examples: self-contained Pulumi projects", () => {
    const folders = fs.readdirSync(EXAMPLES).filter((f) => fs.existsSync(path.join(EXAMPLES, f, "Pulumi.yaml")));

    it("finds the three programs", () => assert.deepEqual(folders.sort(), ["bulk-grant", "multi-tenant", "quickstart"]));

    for (const name of ["bulk-grant", "multi-tenant", "quickstart"]) {
        describe(name, () => {
            const dir = path.join(EXAMPLES, name);
            it("package.json: this package installed as a real copy, @pulumi/pulumi and typescript pinned", () => {
                assert.ok(fs.existsSync(path.join(dir, "package.json")), "package.json is missing");
                const pkg = JSON.parse(read(dir, "package.json")) as { main?: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
                assert.equal(pkg.dependencies["clientpolicy-as-code"], "file:../..");
                assert.equal(pkg.dependencies["@pulumi/pulumi"], rootPkg.dependencies["@pulumi/pulumi"]);
                assert.equal(pkg.devDependencies.typescript, rootPkg.devDependencies.typescript);
                assert.match(pkg.devDependencies.typescript, /^6\./);
                assert.equal(pkg.devDependencies["ts-node"], rootPkg.devDependencies["ts-node"]);
                assert.equal(pkg.main, "index.ts");
                // A file: dependency is a symlink unless install-links is set; Pulumi's require() of the provider
                // must resolve under node_modules.
                assert.match(read(dir, ".npmrc"), /^install-links=true$/m);
            });
            it("package-lock.json matches package.json (npm ci accepts it)", () => {
                const pkg = JSON.parse(read(dir, "package.json"));
                const lock = JSON.parse(read(dir, "package-lock.json"));
                assert.equal(lock.lockfileVersion, 3);
                assert.deepEqual(lock.packages[""].dependencies, pkg.dependencies);
                assert.deepEqual(lock.packages[""].devDependencies, pkg.devDependencies);
                for (const dep of [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)]) {
                    assert.ok(lock.packages[`node_modules/${dep}`], `${dep} is locked`);
                }
                assert.equal(lock.packages["node_modules/clientpolicy-as-code"].resolved, "file:../..");
            });
            it("tsconfig.json (TypeScript 6 needs the node types listed) and a README", () => {
                const ts = JSON.parse(read(dir, "tsconfig.json")) as { compilerOptions: { types: string[]; strict: boolean } };
                assert.deepEqual(ts.compilerOptions.types, ["node"]);
                assert.equal(ts.compilerOptions.strict, true);
                assert.match(read(dir, "README.md"), /npm install/);
            });
        });
    }
});

describe("examples/ci/github-actions.yml: the config repo's pipeline", () => {
    const text = read(EXAMPLES, "ci", "github-actions.yml");
    const wf = parse(text) as {
        on: Record<string, { paths?: string[]; branches?: string[] } | null>;
        concurrency?: { group: string };
        jobs: Record<string, { if?: string; environment?: string; permissions?: Record<string, string>; steps: Array<{ run?: string; uses?: string }> }>;
    };
    const runs = Object.values(wf.jobs).flatMap((j) => j.steps.map((s) => s.run ?? "")).join("\n");

    it("runs only the locally installed clientpolicy (never a registry package by name)", () => {
        const npx = runs.split("\n").filter((l) => /\bnpx\b/.test(l));
        assert.ok(npx.length > 0);
        for (const line of npx) assert.match(line, /\bnpx --no-install clientpolicy\b/, line);
        assert.match(runs, /\bnpm ci\b/);
    });
    it("plans on package.json and package-lock.json changes too", () => {
        for (const f of ["package.json", "package-lock.json"]) {
            assert.ok(wf.on.pull_request?.paths?.includes(f), `pull_request paths lack ${f}`);
            assert.ok(wf.on.push?.paths?.includes(f), `push paths lack ${f}`);
        }
    });
    it("has a concurrency group, a plan job for PRs, an apply job on main behind an environment, a drift job with an issue", () => {
        assert.ok(wf.concurrency?.group);
        assert.match(wf.jobs.plan.if ?? "", /pull_request/);
        assert.deepEqual(wf.on.push?.branches, ["main"]);
        assert.match(wf.jobs.apply.if ?? "", /push/);
        assert.ok(wf.jobs.apply.environment, "apply runs in an environment (required reviewers)");
        assert.match(wf.jobs.apply.steps.map((s) => s.run ?? "").join("\n"), /pulumi up --yes --stack "\$stack"/);
        assert.ok("schedule" in wf.on);
        assert.equal(wf.jobs.drift.permissions?.issues, "write");
        const script = JSON.stringify(wf.jobs.drift.steps);
        // The issue through gh (on GitHub's runners): opened, its body replaced while drift lasts, closed when clean.
        for (const call of ["gh issue create", "gh issue edit", "gh issue close"]) assert.ok(script.includes(call), call);
    });
});
