/**
 * Every folder in examples/ is a real program: deploy it with the real CLI,
 * check the tenant, check that a second preview is a no-op, destroy it.
 */
import { strict as assert } from "node:assert";
import { TestTenant, bulkGrantScenario, startTenant, openStack, collector, getPolicy, assignmentOf } from "./helpers";

function noChanges(summary: Record<string, number | undefined>): boolean {
    return Object.entries(summary).every(([op, n]) => op === "same" || !n);
}

describe("e2e: examples deploy and destroy", function () {
    this.timeout(900_000);
    let tenant: TestTenant;

    before(async () => { tenant = await startTenant({ users: 5000 }); });
    after(async () => { await tenant?.stop(); });

    it("quickstart: the offline-IM article", async () => {
        const h = await openStack(tenant, "quickstart");
        try {
            const up = await h.stack.up({ onOutput: collector().onOutput });
            assert.equal(up.summary.result, "succeeded");
            assert.equal((await getPolicy(tenant, "Global"))!.EnableIMAutoArchiving, false);
            const tag = await getPolicy(tenant, "Tag:OfflineIM");
            assert.equal(tag!.EnableIMAutoArchiving, false);
            assert.equal(tag!.Description, "No offline IM archiving");
            assert.equal(await assignmentOf(tenant, "sip:tony.smith@contoso.example"), "OfflineIM");
            assert.equal(up.outputs.offlinePolicy.value, "Tag:OfflineIM");
            const pv = await h.stack.preview({ onOutput: collector().onOutput });
            assert.ok(noChanges(pv.changeSummary), JSON.stringify(pv.changeSummary));
            await h.stack.destroy({ onOutput: collector().onOutput });
            assert.equal(await getPolicy(tenant, "Tag:OfflineIM"), undefined);
            assert.equal(await assignmentOf(tenant, "Tony Smith"), null);
            assert.equal((await getPolicy(tenant, "Global"))!.EnableIMAutoArchiving, true);
        } finally {
            await h.dispose();
        }
    });

    it("bulk-grant: a tag policy granted to every user in users.csv", async () => {
        await bulkGrantScenario(tenant);
    });

    for (const name of ["contoso", "fabrikam", "northwind"]) {
        it(`multi-tenant: the ${name} stack applies baseline.yaml + tenants/${name}.yaml to ${name}.example`, async () => {
            const h = await openStack(tenant, "examples/multi-tenant", {
                stackName: name,
                copyStackFiles: true,
                // Endpoint and secret are per environment; tenant id and client id come from Pulumi.<stack>.yaml.
                connection: { endpoint: tenant.url, clientSecret: tenant.clientSecret },
            });
            const t: TestTenant = { ...tenant, tenantId: `${name}.example`, token: () => tenant.tokenFor(`${name}.example`) };
            try {
                const up = await h.stack.up({ onOutput: collector().onOutput });
                assert.equal(up.outputs.tenantId.value, `${name}.example`);
                const global = await getPolicy(t, "Global");
                if (name === "contoso") {
                    // The baseline as is, plus an addition.
                    assert.equal(global!.EnableIMAutoArchiving, false);
                    assert.equal(global!.DisplayPhoto, "AllPhotos");
                    assert.equal((await getPolicy(t, "Tag:LegalHold"))!.DisableSavingIM, true);
                    assert.equal(await assignmentOf(t, "Tony Smith"), "OfflineIM");
                    assert.equal(await assignmentOf(t, "sip:user00002@contoso.example"), "LegalHold");
                    assert.deepEqual(up.outputs.policyIdentities.value, ["Global", "Tag:OfflineIM", "Tag:LegalHold"]);
                    // Children of the component, named from their identities (stable when other items come and go).
                    const state = await h.stack.exportStack();
                    const names = (state.deployment.resources as Array<{ urn: string; type: string }>)
                        .filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/clientpolicy:")).map((r) => r.urn.split("::").pop()).sort();
                    // clientpolicy-stack-instance: the stack's own instance id (owner ids follow the stack through renames and moves).
                    assert.deepEqual(names, ["clientpolicy-stack-instance", "tenant-global", "tenant-grant-legalhold", "tenant-grant-offlineim", "tenant-tag-legalhold", "tenant-tag-offlineim"]);
                    assert.ok((state.deployment.resources as Array<{ urn: string }>).every((r) => !r.urn.includes("ClientPolicy::") || r.urn.includes("clientpolicy:index:TenantPolicies$")));
                } else if (name === "fabrikam") {
                    // Per-setting overrides of Global (one dropped with null), the baseline grant removed, an addition.
                    assert.equal(global!.EnableIMAutoArchiving, true);
                    assert.equal(global!.MaximumNumberOfContacts, 500);
                    assert.equal(global!.DisplayPhoto ?? null, null);
                    assert.equal((await getPolicy(t, "Tag:OfflineIM"))!.EnableIMAutoArchiving, false);
                    assert.equal((await getPolicy(t, "Tag:Contractors"))!.ConferenceIMIdleTimeout, "00:30:00");
                    assert.equal(await assignmentOf(t, "Tony Smith"), "Contractors");
                } else {
                    // A baseline policy removed by name (with its grant), one setting overridden, the rest kept.
                    assert.equal(global!.DisplayPhoto, "NoPhoto");
                    assert.equal(global!.EnableIMAutoArchiving, false);
                    assert.equal(await getPolicy(t, "Tag:OfflineIM"), undefined);
                    assert.equal(await assignmentOf(t, "Tony Smith"), null);
                    assert.equal(await assignmentOf(t, "Kiosk Lobby"), "Kiosk");
                }
                const pv = await h.stack.preview({ onOutput: collector().onOutput });
                assert.ok(noChanges(pv.changeSummary), JSON.stringify(pv.changeSummary));
                await h.stack.destroy({ onOutput: collector().onOutput });
                assert.equal((await getPolicy(t, "Global"))!.EnableIMAutoArchiving, true);
                assert.equal(await assignmentOf(t, name === "northwind" ? "Kiosk Lobby" : "Tony Smith"), null);
            } finally {
                await h.dispose();
            }
        });
    }

    it("multi-tenant: a bad tenant file fails before anything is written, naming file, path and expectation", async () => {
        const fs = await import("node:fs");
        const path = await import("node:path");
        const h = await openStack(tenant, "examples/multi-tenant", { stackName: "contoso", copyStackFiles: true, connection: { endpoint: tenant.url, clientSecret: tenant.clientSecret } });
        const bad = path.join(h.workDir, "bad.yaml");
        fs.writeFileSync(bad, "policies:\n  - identity: Tag:Bad\n    settings:\n      maximumNumberOfContacts: 5000\n      enableIMAutoArchivng: false\n");
        await h.stack.setConfig("multi-tenant:tenantFile", { value: bad });
        const before = await tenant.stats();
        const out = collector();
        try {
            await assert.rejects(h.stack.up({ onOutput: out.onOutput }), (err: Error) => {
                const text = err.message + out.text();
                assert.match(text, /bad\.yaml:4:7: policies\[0\]\.settings\.maximumNumberOfContacts: must be an integer 0–1000, got 5000/);
                assert.match(text, /bad\.yaml:5:7: policies\[0\]\.settings\.enableIMAutoArchivng: is not a client policy setting/);
                return true;
            });
            assert.equal((await tenant.stats()).writes, before.writes);
        } finally {
            await h.dispose();
        }
    });
});
