/**
 * `clientpolicy export --format yaml --out DIR` round trip, as an administrator runs it: a tenant holding policies and
 * grants made by hand (every setting kind, a policy name full of quotes, dashes and symbols) → the export writes a
 * config repo → in that folder, `npm install` the package as the README says (the packed tarball, `--save-exact`),
 * `pulumi stack init`, the secret from stdin, `pulumi up` adopts every object → `pulumi preview --expect-no-changes`
 * (also with `--refresh`) passes; the tenant's settings and grants are byte-identical to before, and now owned by the
 * new stack. Real command, real Pulumi CLI, real emulator, a file:// backend of its own.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Routes } from "../../api/contract";
import { folderEnv, pulumiIn, tempDir, toolPath } from "../../testkit/projectFolder";
import { ROOT } from "../../testkit/stack";
import { TestTenant, startTestEmulator } from "../../testkit/emulator";
import { call } from "../../testkit/tenantApi";
import { batchGrant, dumpTenant, generatedUser, putPolicy, seedRichTenant } from "../../testkit/tenantFixtures";
import { runClientpolicy } from "./onboarding";

/** A tag policy name with the characters YAML, TypeScript and PowerShell treat specially (valid as an identity). */
const HOSTILE_NAME = "Zoë “Sales” ‘EU’ — 名 😀 $(x) `; # <# 'q' \"d\" - [a] {b} &c !e %f @g";

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
    const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, `${cmd} ${args.join(" ")} (in ${cwd}):\n${r.stdout}${r.stderr}`);
    return r.stdout;
}

describe("clientpolicy export --format yaml: the config repo it writes deploys with no changes (real CLI)", function () {
    this.timeout(900_000);
    let tenant: TestTenant;
    let work: string;

    before(async () => {
        tenant = await startTestEmulator({ users: 80 });
        await seedRichTenant(tenant, { extraTags: 2, grantedUsers: 40 });
        await putPolicy(tenant, { Identity: `Tag:${HOSTILE_NAME}`, Description: HOSTILE_NAME, IMWarning: `${HOSTILE_NAME} # not a comment: '' ""` });
        await batchGrant(tenant, HOSTILE_NAME, [generatedUser(tenant, 41), generatedUser(tenant, 42)]);
        work = tempDir("clientpolicy-export-repo-");
    });
    after(async () => {
        await tenant?.stop();
        if (work && !process.env.E2E_KEEP) fs.rmSync(work, { recursive: true, force: true });
    });

    it("export → npm install → stack init → up adopts → preview --expect-no-changes; tenant unchanged, owned by the new stack", async () => {
        const before = await dumpTenant(tenant, { withOwners: false });
        const repo = path.join(work, "contoso-policies");
        const exported = await runClientpolicy(["export", "--endpoint", tenant.url, "--tenant", tenant.tenantId, "--client-id", tenant.clientId,
            "--include-grants", "--format", "yaml", "--stack-name", "prod", "--out", repo], { ...process.env, CLIENTPOLICY_CLIENT_SECRET: tenant.clientSecret });
        assert.equal(exported.code, 0, exported.stderr);
        assert.match(exported.stderr, /export: 8 policies, 42 granted users → config repo .*contoso-policies \(tenants\/prod\.yaml\)/);

        // The package as the README installs it until it is on a registry: a packed tarball, --save-exact. The copy in
        // node_modules is this working tree's build (scripts/install-self.sh); its files are packed as they are.
        const env: NodeJS.ProcessEnv = { ...process.env, PATH: toolPath() };
        for (const key of Object.keys(env)) if (/^npm_/.test(key)) delete env[key];
        const tarball = path.join(work, run("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", work,
            path.join(ROOT, "node_modules", "clientpolicy-as-code")], work, env).trim().split("\n").pop()!);
        run("npm", ["install", "--save-exact", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball], repo, env);
        const pkg = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8"));
        assert.equal(pkg.dependencies["clientpolicy-as-code"], `file:${path.relative(repo, tarball)}`);
        assert.ok(fs.existsSync(path.join(repo, "package-lock.json")), "npm install writes the lock file the pipeline's npm ci needs");

        const backend = path.join(work, "backend");
        fs.mkdirSync(backend);
        const pulumi = pulumiIn(repo, folderEnv(backend));
        const ok = async (p: ReturnType<typeof pulumi>, what: string) => {
            const r = await p;
            assert.equal(r.code, 0, `${what}:\n${r.output.slice(-6000)}`);
            return r.output;
        };
        await ok(pulumi("stack", "init", "prod"), "stack init");
        await ok(pulumi.withStdin(tenant.clientSecret, "config", "set", "--secret", "clientpolicy:clientSecret"), "config set --secret");
        // The connection came from Pulumi.prod.yaml as exported.
        assert.match(await ok(pulumi("config", "get", "clientpolicy:endpoint"), "config get"), new RegExp(tenant.url.replace(/\./g, "\\.")));

        const preview = await ok(pulumi("preview", "--diff"), "preview");
        assert.doesNotMatch(preview, /~ |to update|to delete|to replace/, "the first preview only adopts");
        const up = await ok(pulumi("up", "--yes", "--skip-preview"), "up");
        // 8 policies, 5 grants, the TenantPolicies component, the stack instance and the stack.
        assert.match(up, /\+ 16 created/, up);
        const afterUp = await tenant.stats();

        await ok(pulumi("preview", "--expect-no-changes", "--diff"), "preview --expect-no-changes");
        await ok(pulumi("preview", "--refresh", "--expect-no-changes", "--diff"), "preview --refresh --expect-no-changes");
        assert.deepEqual(await dumpTenant(tenant, { withOwners: false }), before, "settings and grants byte-identical");
        assert.equal((await tenant.stats()).writes, afterUp.writes, "no write after the take-over");

        const owned = await dumpTenant(tenant, { withOwners: true });
        for (const [identity, body] of Object.entries(owned.policies)) assert.match(String(body["@owner"]), /^tenant-policies\/prod@[0-9a-f]{16}\/tenant-/, identity);
        const hostile = (await call(tenant, "GET", Routes.policy(`Tag:${HOSTILE_NAME}`))).json;
        assert.equal(hostile.Description, HOSTILE_NAME);

        // A second export of the now-managed tenant for another stack refuses: every object is the prod stack's.
        const second = await runClientpolicy(["export", "--endpoint", tenant.url, "--tenant", tenant.tenantId, "--client-id", tenant.clientId,
            "--include-grants", "--format", "yaml", "--stack-name", "staging", "--out", path.join(work, "second")], { ...process.env, CLIENTPOLICY_CLIENT_SECRET: tenant.clientSecret });
        assert.equal(second.code, 1, second.stderr);
        assert.match(second.stderr, /error: 13 exported objects are owned by another stack/);
        assert.match(second.stderr, /\n {2}Global: resource "tenant-global" of stack tenant-policies\/prod \(stack instance [0-9a-f]{16}\)\n/);
        assert.ok(!fs.existsSync(path.join(work, "second")));
        // Seen from the prod stack itself (--stack reads its instance from state), nothing is another stack's.
        const mine = await runClientpolicy(["export", "--stack", "prod", "--dir", repo, "--include-grants"],
            { ...folderEnv(backend) });
        assert.equal(mine.code, 0, mine.stderr);
        assert.match(mine.stderr, /export: {3}Global: resource "tenant-global" of this stack/);
    });
});
