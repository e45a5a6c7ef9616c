/**
 * The lifecycle with the real Pulumi CLI, in the order Terraform's acceptance
 * tests use: create → no-op → update → drift → repair → adopt → grants → destroy.
 * Each step changes stack config of test/e2e/programs/lifecycle, as a PR would.
 */
import { strict as assert } from "node:assert";
import { Stack } from "@pulumi/pulumi/automation";
import { TestTenant, startTenant, openStack, collector, getPolicy, assignmentOf, assignmentCount } from "./helpers";
import { ExampleStack } from "../../testkit/stack";

const PROGRAM = "test/e2e/programs/lifecycle";
const NAMED = ["Tony Smith", "sip:user04990@contoso.example", "user04991@contoso.example"];

describe("e2e: lifecycle with the real Pulumi CLI", function () {
    this.timeout(900_000);
    let tenant: TestTenant;
    let handle: ExampleStack;
    let stack: Stack;

    before(async () => {
        tenant = await startTenant({ users: 5000 });
        handle = await openStack(tenant, PROGRAM);
        stack = handle.stack;
    });
    after(async () => {
        await handle?.dispose();
        await tenant?.stop();
    });

    it("1. create: pulumi up creates the declared policies", async () => {
        const out = collector();
        const res = await stack.up({ onOutput: out.onOutput });
        assert.equal(res.summary.result, "succeeded");
        assert.equal((await getPolicy(tenant, "Global"))!.EnableIMAutoArchiving, false);
        const tag = await getPolicy(tenant, "Tag:E2EPolicy");
        assert.ok(tag, "Tag:E2EPolicy exists");
        assert.equal(tag!.MaximumNumberOfContacts, 250);
        assert.equal(tag!.Description, "end-to-end test policy");
    });

    it("2. no-op: preview shows 0 changes and makes 0 tenant writes", async () => {
        const before = await tenant.stats();
        const out = collector();
        const pv = await stack.preview({ onOutput: out.onOutput, diff: true });
        const changed = Object.entries(pv.changeSummary).filter(([op, n]) => op !== "same" && (n ?? 0) > 0);
        assert.deepEqual(changed, [], `expected no changes, got ${JSON.stringify(pv.changeSummary)}\n${out.text()}`);
        const after = await tenant.stats();
        assert.equal(after.writes, before.writes, "a no-op preview must not write to the tenant");
        // A second `up` is a no-op as well.
        const up = await stack.up({ onOutput: collector().onOutput });
        assert.deepEqual(Object.keys(up.summary.resourceChanges ?? {}).filter((k) => k !== "same"), []);
        assert.equal((await tenant.stats()).writes, before.writes);
    });

    it("3. update: one setting changes in place", async () => {
        await stack.setConfig("lifecycle:maxContacts", { value: "500" });
        const out = collector();
        const pv = await stack.preview({ onOutput: out.onOutput, diff: true });
        assert.equal(pv.changeSummary.update, 1, out.text());
        assert.match(out.text(), /maximumNumberOfContacts/);
        const res = await stack.up({ onOutput: collector().onOutput });
        assert.equal(res.summary.resourceChanges?.update, 1);
        assert.equal((await getPolicy(tenant, "Tag:E2EPolicy"))!.MaximumNumberOfContacts, 500);
    });

    it("4. drift: an out-of-band cmdlet is seen by refresh", async () => {
        await tenant.powershell("Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $True");
        const out = collector();
        const res = await stack.refresh({ onOutput: out.onOutput });
        assert.equal(res.summary.resourceChanges?.update, 1, out.text());
        const pv = collector();
        const preview = await stack.preview({ onOutput: pv.onOutput, diff: true });
        assert.equal(preview.changeSummary.update, 1, pv.text());
        assert.match(pv.text(), /enableIMAutoArchiving\s*:\s*true\s*=>\s*false/);
    });

    it("5. repair: up puts the declared value back", async () => {
        const res = await stack.up({ onOutput: collector().onOutput });
        assert.equal(res.summary.resourceChanges?.update, 1);
        assert.equal((await getPolicy(tenant, "Global"))!.EnableIMAutoArchiving, false);
    });

    it("6. adopt: an existing policy needs adopt: true, then it is taken over", async () => {
        await tenant.powershell([
            "New-CsClientPolicy -Identity ExistingPolicy",
            "Set-CsClientPolicy -Identity ExistingPolicy -DisplayPhoto NoPhoto -EnableIMAutoArchiving $True",
        ].join("\n"));
        await stack.setConfig("lifecycle:adoptName", { value: "ExistingPolicy" });
        const failed = collector();
        await assert.rejects(stack.up({ onOutput: failed.onOutput }), (err: Error) => {
            assert.match(err.message + failed.text(), /adopt/);
            return true;
        });
        // Nothing was changed by the failed attempt.
        assert.equal((await getPolicy(tenant, "Tag:ExistingPolicy"))!.DisplayPhoto, "NoPhoto");

        await stack.setConfig("lifecycle:adopt", { value: "true" });
        const res = await stack.up({ onOutput: collector().onOutput });
        assert.equal(res.summary.result, "succeeded");
        const adopted = await getPolicy(tenant, "Tag:ExistingPolicy");
        assert.equal(adopted!.DisplayPhoto, "PhotosFromADOnly");
        assert.equal(adopted!.EnableIMAutoArchiving, false);
    });

    it("7. grants: assign, then unassign only the removed users", async () => {
        await stack.setConfig("lifecycle:users", { value: JSON.stringify(NAMED) });
        await stack.up({ onOutput: collector().onOutput });
        assert.equal(await assignmentOf(tenant, "Tony Smith"), "E2EPolicy");
        assert.equal(await assignmentOf(tenant, "sip:user04991@contoso.example"), "E2EPolicy");

        await stack.setConfig("lifecycle:users", { value: JSON.stringify(NAMED.slice(0, 1)) });
        const res = await stack.up({ onOutput: collector().onOutput });
        assert.equal(res.summary.resourceChanges?.update, 1);
        assert.equal(await assignmentOf(tenant, "Tony Smith"), "E2EPolicy");
        assert.equal(await assignmentOf(tenant, "sip:user04990@contoso.example"), null);
        assert.equal(await assignmentOf(tenant, "sip:user04991@contoso.example"), null);
    });

    it("8. bulk grant of 2,000 users", async () => {
        await stack.setConfig("lifecycle:bulkCount", { value: "2000" });
        await stack.up({ onOutput: collector().onOutput });
        assert.equal(await assignmentCount(tenant, "Tag:E2EPolicy"), 2001);
        assert.equal(await assignmentOf(tenant, "sip:user02000@contoso.example"), "E2EPolicy");
    });

    it("9. destroy: Global back to defaults, grants removed, tag policies deleted", async () => {
        const res = await stack.destroy({ onOutput: collector().onOutput });
        assert.equal(res.summary.result, "succeeded");
        const global = await getPolicy(tenant, "Global");
        assert.equal(global!.EnableIMAutoArchiving, true, "documented default after reset");
        assert.equal(global!.DisplayPhoto, "AllPhotos");
        assert.equal(await getPolicy(tenant, "Tag:E2EPolicy"), undefined);
        assert.equal(await getPolicy(tenant, "Tag:ExistingPolicy"), undefined);
        assert.equal(await assignmentOf(tenant, "Tony Smith"), null);
        assert.equal(await assignmentOf(tenant, "sip:user00001@contoso.example"), null);
    });
});
