/**
 * `clientpolicy effective` with the real Pulumi CLI, the real command and a real emulator with two sites: Tony Smith is
 * homed in Redmond, which has a site policy; Kim Akers in Dublin, which has none. A pending plan changes Global and
 * grants Tony a per-user policy: the Global change does not reach Tony (his site's policy applies) but reaches Kim,
 * and the grant reaches Tony, setting by setting. Unknown and ambiguous users are clear errors.
 */
import * as assert from "node:assert/strict";
import { folderEnv } from "../../testkit/projectFolder";
import { ExampleStack, TEST_PASSPHRASE } from "../../testkit/stack";
import { TestTenant } from "../../testkit/emulator";
import { openStack, startTenant } from "./helpers";
import { runClientpolicy } from "./onboarding";

const V1 = [
    { type: "policy", name: "global", args: { identity: "Global", enableIMAutoArchiving: true } },
    { type: "policy", name: "redmond", args: { identity: "site:Redmond", enableIMAutoArchiving: false } },
    { type: "policy", name: "offline", args: { identity: "Tag:OfflineIM", enableIMAutoArchiving: true, disableEmoticons: true } },
];
const V2 = [
    { type: "policy", name: "global", args: { identity: "Global", enableIMAutoArchiving: false } },
    V1[1], V1[2],
    { type: "grant", name: "offline-users", policyFrom: "offline", args: { users: ["Tony Smith"] } },
];

describe("clientpolicy effective (real CLI, emulator with two sites)", function () {
    this.timeout(900_000);
    let t: TestTenant;
    let s: ExampleStack;
    let env: NodeJS.ProcessEnv;

    before(async () => {
        t = await startTenant({ users: 10 });
        s = await openStack(t, "test/e2e/programs/generic", { folder: true });
        env = { ...folderEnv(s.backendDir), PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE };
        await s.stack.setConfig("gen:resources", { value: JSON.stringify(V1) });
        await s.stack.up();
        await s.stack.setConfig("gen:resources", { value: JSON.stringify(V2) });
    });
    after(async () => {
        await s?.dispose();
        await t?.stop();
    });

    const effective = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runClientpolicy(["effective", ...args], { ...env, ...extraEnv });

    it("Tony (Redmond, site policy): the Global change does not reach him, the grant does, setting by setting", async () => {
        const writes = (await t.stats()).writes;
        const run = await effective(["Tony Smith", "--stack", s.stack.name, "--dir", s.workDir, "--pending", "--format", "json"]);
        assert.equal(run.code, 0, run.stderr);
        assert.equal((await t.stats()).writes, writes, "effective writes nothing");
        const r = JSON.parse(run.stdout);
        assert.deepEqual([r.user.Site, r.user.RegistrarPool], ["Site:Redmond", "red-cs-001.contoso.example"]);
        assert.deepEqual([r.now.identity, r.now.reason], ["site:Redmond", "Site"]);
        const now = new Map(r.now.settings.map((x: any) => [x.name, x]));
        assert.deepEqual(now.get("EnableIMAutoArchiving"), { name: "EnableIMAutoArchiving", value: false, source: "configured" });
        assert.equal((now.get("DisableEmoticons") as any).source, "undocumentedDefault");
        const steps = new Map(r.pending.steps.map((x: any) => [x.resource, x]));
        assert.equal((steps.get("global") as any).reaches, false, JSON.stringify(steps.get("global")));
        assert.match((steps.get("global") as any).why, /site:Redmond applies to Tony Smith/);
        const grant = steps.get("offline-users") as any;
        assert.equal(grant.reaches, true, JSON.stringify(grant));
        assert.deepEqual(grant.changes.map((c: any) => [c.name, c.before.value, c.after.value]).sort(),
            [["DisableEmoticons", null, true], ["EnableIMAutoArchiving", false, true]]);
        assert.deepEqual([r.pending.after.identity, r.pending.after.reason], ["Tag:OfflineIM", "Granted"]);

        const text = await effective(["sip:tony.smith@contoso.example", "--stack", s.stack.name, "--dir", s.workDir, "--pending"]);
        assert.equal(text.code, 0, text.stderr);
        assert.match(text.stdout, /^Now: site:Redmond — the policy of the user's site$/m);
        assert.match(text.stdout, /does not reach Tony Smith: global — update Global/);
        assert.match(text.stdout, /REACHES Tony Smith: offline-users/);
        assert.match(text.stdout, /EnableIMAutoArchiving: False \(configured in site:Redmond\) → True \(configured in Tag:OfflineIM\)/);
        assert.ok(!text.stdout.includes(t.clientSecret) && !text.stderr.includes(t.clientSecret));
    });

    it("Kim (Dublin, no site policy): the Global change reaches her", async () => {
        const run = await effective(["kim.akers@contoso.example", "--stack", s.stack.name, "--dir", s.workDir, "--pending", "--format", "json"]);
        assert.equal(run.code, 0, run.stderr);
        const r = JSON.parse(run.stdout);
        assert.deepEqual([r.now.identity, r.now.reason], ["Global", "Global"]);
        const global = r.pending.steps.find((x: any) => x.resource === "global");
        assert.equal(global.reaches, true);
        assert.deepEqual(global.changes.map((c: any) => [c.name, c.before.value, c.after.value]), [["EnableIMAutoArchiving", true, false]]);
        assert.equal(r.pending.steps.find((x: any) => x.resource === "offline-users").reaches, false);
    });

    it("unknown and ambiguous users are clear errors (connection flags, secret from the environment)", async () => {
        const flags = ["--endpoint", t.url, "--client-id", t.clientId];
        const secret = { CLIENTPOLICY_CLIENT_SECRET: t.clientSecret };
        const unknown = await effective(["Nobody Here", ...flags, "--tenant", "contoso.example"], secret);
        assert.equal(unknown.code, 1);
        assert.match(unknown.stderr, /<user> "Nobody Here": no such user in tenant contoso\.example/);
        const ambiguous = await effective(["Tony Smith", ...flags, "--tenant", "ambiguous.example"], secret);
        assert.equal(ambiguous.code, 1);
        assert.match(ambiguous.stderr, /names 2 users \(sip:tony\.smith@ambiguous\.example, sip:tony\.smith2@ambiguous\.example\)/);
        const pendingWithoutStack = await effective(["Tony Smith", ...flags, "--tenant", "contoso.example", "--pending"], secret);
        assert.equal(pendingWithoutStack.code, 1);
        assert.match(pendingWithoutStack.stderr, /--pending needs --stack/);
    });
});
