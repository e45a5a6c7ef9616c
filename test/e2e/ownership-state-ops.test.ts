/**
 * Ownership through Pulumi state operations, with the real CLI typed as users type it (`pulumi stack rename`,
 * `pulumi up --yes`, …) in the program's folder: after each step the tenant is read back, and nothing another
 * stack owns may change.
 */
import { strict as assert } from "node:assert";
import { ExampleStack } from "../../scripts/lib/stack";
import { runPulumi } from "../../scripts/lib/pulumiProcess";
import { call, userPath } from "../helpers/tenantApi";
import { TestTenant, getPolicy, openStack, startTenant } from "./helpers";
import { GENERIC, grant, policy, setResources } from "./generic";

/** Runs `pulumi <args>` in the stack's folder with its backend and passphrase, as a user's shell would. */
async function pulumi(h: ExampleStack, args: string[]): Promise<{ code: number; text: string }> {
    const env = (h.stack.workspace as unknown as { envVars: Record<string, string> }).envVars;
    const r = await runPulumi(h.workDir, { ...process.env, ...env }, args);
    return { code: r.code, text: `${r.stdout}\n${r.stderr}` };
}

async function ok(h: ExampleStack, args: string[]): Promise<string> {
    const r = await pulumi(h, args);
    assert.equal(r.code, 0, `pulumi ${args.join(" ")} failed:\n${r.text}`);
    return r.text;
}

async function userOwner(tenant: TestTenant, user: string): Promise<{ policy: string | null; owner: string | null }> {
    const r = await call(tenant, "GET", userPath(user));
    assert.equal(r.status, 200, r.text);
    return { policy: r.json.ClientPolicy ?? null, owner: r.json.ClientPolicyOwner ?? null };
}

describe("e2e: ownership through Pulumi state operations (real CLI)", function () {
    this.timeout(900_000);
    let tenant: TestTenant;
    const stacks: ExampleStack[] = [];
    before(async () => { tenant = await startTenant({ users: 20, inProcess: false }); });
    after(async () => {
        for (const h of stacks) await h.dispose();
        await tenant?.stop();
    });

    it("stack rename: the next up re-stamps the policy and every user assignment; a new stack reusing the old name cannot take them", async () => {
        const a = await openStack(tenant, GENERIC, { folder: true });
        stacks.push(a);
        const oldName = a.stack.name;
        const users = ["sip:user00001@contoso.example", "sip:user00002@contoso.example"];
        await setResources(a, [
            policy("p", { identity: "Tag:Renamed", enableIMAutoArchiving: false }),
            grant("g", { policyName: "Renamed", users }, { policyFrom: "p" }),
        ]);
        await ok(a, ["up", "--yes", "--stack", oldName]);
        const first = await userOwner(tenant, users[0]);
        assert.equal(first.policy, "Renamed");
        assert.match(first.owner!, new RegExp(`^${a.projectName}/${oldName}@[0-9a-f]{16}/g$`), "owner ids carry the stack instance");
        const instance = /@([0-9a-f]{16})\//.exec(first.owner!)![1];
        const other = await userOwner(tenant, "sip:user00010@contoso.example");

        const newName = `${oldName}-prod`;
        await ok(a, ["stack", "rename", newName, "--stack", oldName]);
        const before = (await tenant.stats()).writes;
        await ok(a, ["up", "--yes", "--stack", newName]);
        const writes = (await tenant.stats()).writes - before;
        for (const u of users) {
            assert.deepEqual(await userOwner(tenant, u), { policy: "Renamed", owner: `${a.projectName}/${newName}@${instance}/g` }, u);
        }
        assert.equal((await getPolicy(tenant, "Tag:Renamed"))!["@owner"], `${a.projectName}/${newName}@${instance}/p`);
        assert.ok(writes <= 3, `a re-stamp only: one policy write and one batch for the users, got ${writes} writes`);
        assert.deepEqual(await userOwner(tenant, "sip:user00010@contoso.example"), other, "nobody else's user changed");
        const again = await ok(a, ["preview", "--stack", newName, "--expect-no-changes"]);
        assert.doesNotMatch(again, /error/i, again);

        // A new stack under the old name (same project, same resource names): not the same owner.
        const b = await openStack(tenant, GENERIC, { folder: true, stackName: oldName });
        stacks.push(b);
        await setResources(b, [grant("g", { policyName: "Renamed", users: [users[0]] })]);
        const refused = await pulumi(b, ["preview", "--stack", oldName]);
        assert.notEqual(refused.code, 0, refused.text);
        assert.match(refused.text, new RegExp(`granted by resource "g" of stack ${a.projectName}/${newName}`), refused.text);
        assert.match(refused.text, /adopt: true/, refused.text);
        const refusedUp = await pulumi(b, ["up", "--yes", "--skip-preview", "--stack", oldName]);
        assert.notEqual(refusedUp.code, 0, refusedUp.text);
        assert.deepEqual(await userOwner(tenant, users[0]), { policy: "Renamed", owner: `${a.projectName}/${newName}@${instance}/g` }, "B took nothing");
        await ok(b, ["destroy", "--yes", "--stack", oldName]);
        for (const u of users) assert.equal((await userOwner(tenant, u)).policy, "Renamed", `B's destroy must not unassign ${u}`);

        await ok(a, ["destroy", "--yes", "--stack", newName]);
        for (const u of users) assert.equal((await userOwner(tenant, u)).policy, null, u);
        assert.equal(await getPolicy(tenant, "Tag:Renamed"), undefined);
    });
});
