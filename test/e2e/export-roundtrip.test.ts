/**
 * `clientpolicy export` round trip with the real command, the real Pulumi CLI in a project folder and a real emulator:
 * a tenant seeded with every setting kind (booleans, enums, durations, integers, strings, PolicyEntry), a site policy,
 * tag policies and 5,000 direct grants made by hand → export (TypeScript, with grants) → `pulumi up` of the exported
 * program takes everything over (adopt) → `pulumi preview --refresh --expect-no-changes` passes, the tenant's settings
 * and grants are byte-identical to before the export (only the owner annotations changed: now this stack's), and no
 * write reaches the tenant after the take-over.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { folderEnv, pulumiIn, tempDir } from "../../testkit/projectFolder";
import { ROOT } from "../../testkit/stack";
import { TestTenant, startTestEmulator } from "../../testkit/emulator";
import { dumpTenant, seedRichTenant } from "../../testkit/tenantFixtures";
import { runClientpolicy } from "./onboarding";

describe("clientpolicy export: round trip through pulumi up (real CLI, 5,000 grants)", function () {
    this.timeout(900_000);
    let tenant: TestTenant;
    let dir: string;
    let backend: string;

    before(async () => {
        tenant = await startTestEmulator({ users: 5100 });
        await seedRichTenant(tenant, { extraTags: 6, grantedUsers: 5000 });
        fs.mkdirSync(path.join(ROOT, ".tools", "work"), { recursive: true });
        dir = fs.mkdtempSync(path.join(ROOT, ".tools", "work", "exported-"));
        backend = tempDir("clientpolicy-backend-");
    });
    after(async () => {
        await tenant?.stop();
        for (const d of [dir, backend]) if (d) fs.rmSync(d, { recursive: true, force: true });
    });

    it("export → up takes the tenant over without changing it → preview --refresh shows no changes, 0 writes", async () => {
        const before = await dumpTenant(tenant, { withOwners: false });
        assert.equal(Object.values(before.grants as Record<string, string[]>).reduce((n, u) => n + u.length, 0), 5000);

        const env = { ...process.env, CLIENTPOLICY_CLIENT_SECRET: tenant.clientSecret };
        const exported = await runClientpolicy(["export", "--endpoint", tenant.url, "--tenant", tenant.tenantId, "--client-id", tenant.clientId,
            "--include-grants", "--out", dir], env);
        assert.equal(exported.code, 0, exported.stderr);
        assert.match(exported.stderr, /export: 11 policies, 5000 granted users → .*index\.ts/);
        const program = fs.readFileSync(path.join(dir, "index.ts"), "utf8");
        assert.equal((program.match(/adopt: true,/g) ?? []).length, 11 + 8, "adopt on every policy and grant");

        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: exported-tenant\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "exported-tenant", private: true, main: "index.ts" }));
        const pulumi = pulumiIn(dir, folderEnv(backend));
        const ok = async (p: Promise<{ code: number; output: string }>, what: string) => {
            const r = await p;
            assert.equal(r.code, 0, `${what}:\n${r.output.slice(-4000)}`);
            return r.output;
        };
        await ok(pulumi("stack", "init", "prod"), "stack init");
        for (const [k, v] of [["endpoint", tenant.url], ["tenantId", tenant.tenantId], ["clientId", tenant.clientId]]) {
            await ok(pulumi("config", "set", `clientpolicy:${k}`, v), `config set ${k}`);
        }
        await ok(pulumi.withStdin(tenant.clientSecret, "config", "set", "--secret", "clientpolicy:clientSecret"), "config set secret");

        const up = await ok(pulumi("up", "--yes", "--skip-preview"), "up");
        assert.match(up, /\+ 21 created/, `11 policies, 8 grants, the stack and its StackInstance:\n${up.slice(-3000)}`);
        const afterUp = await tenant.stats();

        const preview = await ok(pulumi("preview", "--refresh", "--expect-no-changes", "--diff"), "preview --refresh --expect-no-changes");
        assert.doesNotMatch(preview, /to update|to create|to delete|to replace/);
        assert.deepEqual(await dumpTenant(tenant, { withOwners: false }), before, "settings and grants byte-identical");
        assert.equal((await tenant.stats()).writes, afterUp.writes, "no write after the take-over");

        // The take-over recorded this stack (with its instance id) as the owner of everything.
        const owned = await dumpTenant(tenant, { withOwners: true });
        for (const [identity, body] of Object.entries(owned.policies)) assert.match(String(body["@owner"]), /^exported-tenant\/prod@[^/]+\//, identity);
        for (const [policy, users] of Object.entries(owned.grants as Record<string, Record<string, string>>)) {
            assert.ok(Object.values(users).every((o) => /^exported-tenant\/prod@[^/]+\/grant-/.test(o)), policy);
        }
    });
});
