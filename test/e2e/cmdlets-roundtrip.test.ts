/**
 * `clientpolicy cmdlets` round trip with the real Pulumi CLI, the real command and a real emulator: a stack deployed
 * on tenant A, a copy B of A (same users, policies, grants and owners), a changed program (settings changed and
 * unset, a policy created and one removed, users granted and unassigned). The cmdlet lines of its pending plan
 * (written without any write to A) are run through the emulator's PowerShell endpoint on B; then `pulumi up` applies
 * the plan to A, and A and B hold the same settings and grants, and `pulumi preview --refresh` of that state against B
 * plans no change to any ClientPolicy or PolicyGrant.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { parseScript } from "../../api/cmdlets";
import { folderEnv } from "../../testkit/projectFolder";
import { ExampleStack, ROOT, TEST_PASSPHRASE } from "../../testkit/stack";
import { TestTenant } from "../../testkit/emulator";
import { dumpTenant } from "../../testkit/tenantFixtures";
import { openStack } from "./helpers";
import { copyTenant, runClientpolicy, startTwins } from "./onboarding";

const A = "alpha.example";
const B = "beta.example";
const sip = (n: number) => `sip:user${String(n).padStart(5, "0")}@${A}`;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => sip(from + i));

const V1 = [
    { type: "policy", name: "global", args: { identity: "Global", enableURL: true, displayPhoto: "NoPhoto", hotdeskingTimeout: "00:05:00" } },
    { type: "policy", name: "keep", args: { identity: "Tag:Keep", enableIMAutoArchiving: false, maximumNumberOfContacts: 200 } },
    { type: "policy", name: "gone", args: { identity: "Tag:Gone", disableEmoticons: true } },
    { type: "grant", name: "keep-users", policyFrom: "keep", args: { users: range(1, 5) } },
    { type: "grant", name: "gone-users", policyFrom: "gone", args: { users: range(6, 7) } },
];
const V2 = [
    { type: "policy", name: "global", args: { identity: "Global", enableURL: false, hotdeskingTimeout: "00:10:00", tracingLevel: "Full" } },
    { type: "policy", name: "keep", args: { identity: "Tag:Keep", enableIMAutoArchiving: false, maximumNumberOfContacts: 300, description: "O'Brien's \"keep\" policy" } },
    { type: "policy", name: "new", args: { identity: "Tag:New Team", p2PAppSharingEncryption: "Enforced", conferenceIMIdleTimeout: "00:20:00" } },
    { type: "grant", name: "keep-users", policyFrom: "keep", args: { users: [...range(1, 3), sip(10)] } },
    { type: "grant", name: "new-users", policyFrom: "new", args: { users: range(8, 9) } },
];

describe("clientpolicy cmdlets: round trip through the emulator's PowerShell endpoint (real CLI)", function () {
    this.timeout(900_000);
    let a: TestTenant;
    let b: TestTenant;
    let s: ExampleStack;
    const cleanup: string[] = [];

    before(async () => {
        [a, b] = await startTwins([A, B], 12);
        s = await openStack(a, "test/e2e/programs/generic", { folder: true });
    });
    after(async () => {
        await s?.dispose();
        await a?.stop();
        for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("runs the plan's lines on a copy of the tenant to the same end state as pulumi up", async () => {
        const resources = (r: unknown) => s.stack.setConfig("gen:resources", { value: JSON.stringify(r) });
        await resources(V1);
        await s.stack.up();
        await copyTenant(a, b);
        assert.deepEqual(await dumpTenant(b, { withOwners: true }), await dumpTenant(a, { withOwners: true }), "B is a copy of A");

        const env = { ...folderEnv(s.backendDir), PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE };
        // export --stack: the connection (secret included) comes from the stack's configuration.
        const exported = await runClientpolicy(["export", "--stack", s.stack.name, "--dir", s.workDir, "--format", "yaml", "--include-grants"], env);
        assert.equal(exported.code, 0, exported.stderr);
        assert.match(exported.stderr, new RegExp(`connection from stack ${s.stack.name} in `));
        assert.match(exported.stdout, /- identity: Tag:Gone\n/);
        assert.ok(!exported.stdout.includes(a.clientSecret) && !exported.stderr.includes(a.clientSecret));

        await resources(V2);
        const writesBefore = (await a.stats()).writes;
        const run = await runClientpolicy(["cmdlets", "--stack", s.stack.name, "--dir", s.workDir], env);
        assert.equal(run.code, 0, run.stderr);
        assert.equal((await a.stats()).writes, writesBefore, "cmdlets writes nothing to the tenant");
        const script = run.stdout;
        assert.ok(!script.includes(a.clientSecret), "no secret in the lines");
        // Only the changed parameters, PascalCase wire names, PowerShell literals and quoting.
        assert.match(script, /^Set-CsClientPolicy -Identity Global -DisplayPhoto \$null -EnableURL \$False -HotdeskingTimeout '00:10:00' -TracingLevel Full$/m);
        assert.match(script, /^Set-CsClientPolicy -Identity Tag:Keep -Description 'O''Brien''s "keep" policy' -MaximumNumberOfContacts 300$/m);
        assert.match(script, /^New-CsClientPolicy -Identity 'Tag:New Team' -ConferenceIMIdleTimeout '00:20:00' -P2PAppSharingEncryption Enforced$/m);
        assert.match(script, /^Remove-CsClientPolicy -Identity Tag:Gone$/m);
        assert.match(script, /^Grant-CsClientPolicy -Identity sip:user00010@alpha\.example -PolicyName Keep$/m);
        assert.match(script, /^Grant-CsClientPolicy -Identity sip:user00004@alpha\.example -PolicyName \$null$/m);
        assert.match(script, /^Grant-CsClientPolicy -Identity sip:user00008@alpha\.example -PolicyName 'New Team'$/m);
        assert.match(script, /^# ClientPolicy "keep": update Tag:Keep/m);
        // Apply order: the new policy before its grant; the removed policy's grant unassigned before the policy goes.
        const at = (re: RegExp) => script.split("\n").findIndex((l) => re.test(l));
        assert.ok(at(/^New-CsClientPolicy -Identity 'Tag:New Team'/) < at(/-PolicyName 'New Team'/));
        assert.ok(at(/sip:user00006@alpha\.example -PolicyName \$null/) < at(/^Remove-CsClientPolicy -Identity Tag:Gone/));
        assert.equal(parseScript(script).length, script.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#")).length, "every line parses");

        const ran = await b.powershell(script);
        assert.equal(ran.succeeded, true, JSON.stringify(ran.results.filter((r: { status: string }) => r.status !== "Succeeded")));

        await s.stack.up();
        const dumpA = await dumpTenant(a, { withOwners: false });
        assert.deepEqual(await dumpTenant(b, { withOwners: false }), dumpA, "the lines and pulumi up reach the same settings and grants");
        assert.deepEqual(Object.keys(dumpA.policies).sort(), ["Global", "Tag:Keep", "Tag:New Team"]);

        // The state `up` wrote, pointed at B: a refreshing preview plans nothing for our resources. Owner ids hold the
        // stack name, so the copy is a stack of the same name on a second backend, in a second project folder.
        const state = await s.stack.exportStack();
        const copyDir = fs.mkdtempSync(path.join(ROOT, ".tools", "work", "cmdlets-copy-"));
        const copyBackend = fs.mkdtempSync(path.join(os.tmpdir(), "clientpolicy-backend-"));
        cleanup.push(copyDir, copyBackend);
        for (const f of ["Pulumi.yaml", "index.ts", "package.json"]) fs.copyFileSync(path.join(s.workDir, f), path.join(copyDir, f));
        const copy = await LocalWorkspace.createStack({ stackName: s.stack.name, workDir: copyDir },
            { envVars: { ...env, PULUMI_BACKEND_URL: `file://${copyBackend}` } as Record<string, string> });
        await copy.importStack(state);
        await copy.setAllConfig({
            "clientpolicy:endpoint": { value: b.url }, "clientpolicy:tenantId": { value: B }, "clientpolicy:clientId": { value: b.clientId },
            "clientpolicy:clientSecret": { value: b.clientSecret, secret: true }, "gen:resources": { value: JSON.stringify(V2) },
        });
        const events: any[] = [];
        await copy.preview({ refresh: true, onEvent: (e: unknown) => { events.push(e); } });
        const ours = events.map((e) => e.resourcePreEvent?.metadata).filter((m) => m && /dynamic\/clientpolicy:/.test(m.type));
        assert.deepEqual(ours.filter((m) => m.op === "same").map((m) => m.type.split(":").pop()).sort(),
            ["ClientPolicy", "ClientPolicy", "ClientPolicy", "PolicyGrant", "PolicyGrant", "StackInstance"], "all five resources and the stack instance were planned, unchanged");
        assert.deepEqual(ours.filter((m) => !["same", "refresh"].includes(m.op)).map((m) => `${m.op} ${m.urn}`), [], "no change against the copy");
    });
});
