/**
 * End to end through the Skype for Business Server gateway: the real Pulumi CLI deploys the quickstart and bulk-grant
 * examples against the gateway (stand-in Management Shell behind it) exactly as against the emulator, including drift
 * made by an administrator in the shell, seen by refresh and repaired by up.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { startTestGateway, type GatewayTestTenant } from "../../testkit/gateway";
import { assignmentOf, bulkGrantScenario, collector, getPolicy, openStack } from "./helpers";

function noChanges(summary: Record<string, number | undefined>): boolean {
    return Object.entries(summary).every(([op, n]) => op === "same" || !n);
}

describe("e2e: the examples against the gateway (stand-in Management Shell)", function () {
    this.timeout(900_000);
    let tenant: GatewayTestTenant;

    before(async () => { tenant = await startTestGateway({ users: 5000 }); });
    after(async () => { await tenant?.stop(); });

    it("quickstart: up, no-op preview, drift made in the shell seen by refresh and repaired, destroy", async () => {
        const h = await openStack(tenant, "quickstart");
        try {
            const up = await h.stack.up({ onOutput: collector().onOutput });
            assert.equal(up.summary.result, "succeeded");
            assert.equal((await getPolicy(tenant, "Global"))!.EnableIMAutoArchiving, false);
            assert.equal((await getPolicy(tenant, "Tag:OfflineIM"))!.Description, "No offline IM archiving");
            assert.equal(await assignmentOf(tenant, "sip:tony.smith@contoso.example"), "OfflineIM");
            // What the server itself holds (read past the gateway).
            assert.equal((await getPolicy(tenant.server, "Tag:OfflineIM"))!.EnableIMAutoArchiving, false);
            const pv = await h.stack.preview({ onOutput: collector().onOutput });
            assert.ok(noChanges(pv.changeSummary), JSON.stringify(pv.changeSummary));

            const drift = await tenant.powershell("Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $True");
            assert.equal(drift.succeeded, true, JSON.stringify(drift));
            const refreshed = collector();
            const res = await h.stack.refresh({ onOutput: refreshed.onOutput });
            assert.equal(res.summary.resourceChanges?.update, 1, refreshed.text());
            const diff = collector();
            const preview = await h.stack.preview({ onOutput: diff.onOutput, diff: true });
            assert.equal(preview.changeSummary.update, 1, diff.text());
            assert.match(diff.text(), /enableIMAutoArchiving\s*:\s*true\s*=>\s*false/);
            const repaired = await h.stack.up({ onOutput: collector().onOutput });
            assert.equal(repaired.summary.resourceChanges?.update, 1);
            assert.equal((await getPolicy(tenant, "Global"))!.EnableIMAutoArchiving, false);

            await h.stack.destroy({ onOutput: collector().onOutput });
            assert.equal(await getPolicy(tenant, "Tag:OfflineIM"), undefined);
            assert.equal(await assignmentOf(tenant, "Tony Smith"), null);
            assert.equal((await getPolicy(tenant, "Global"))!.EnableIMAutoArchiving, true);
            // The gateway audited every cmdlet line for the pipeline's client.
            // One `cmdlet` line per command that reached the shell, with the client, its address and the parameters.
            const audit = readFileSync(tenant.auditFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
            const cmdlets = audit.filter((e) => e.kind === "cmdlet");
            const ran = (cmdlet: string, identity: string) => cmdlets.some((e) => e.cmdlet === cmdlet && (e.params as Record<string, unknown>)?.Identity === identity &&
                e.client === "demo-client" && e.remoteAddress === "127.0.0.1" && e.result === "ok");
            assert.ok(ran("Get-CsClientPolicy", "Global"), "Get-CsClientPolicy -Identity Global audited");
            assert.ok(ran("Set-CsClientPolicy", "Global"), "Set-CsClientPolicy -Identity Global audited");
            assert.ok(ran("Remove-CsClientPolicy", "Tag:OfflineIM"), "Remove-CsClientPolicy -Identity Tag:OfflineIM audited");
            assert.ok(cmdlets.some((e) => e.cmdlet === "Grant-CsClientPolicy" && e.client === "demo-client" && e.result === "ok"), "Grant-CsClientPolicy audited");
        } finally {
            await h.dispose();
        }
    });

    it("bulk-grant: 3,000 users through the batch API, trimmed to 2,500, destroyed", async () => {
        await bulkGrantScenario(tenant);
    });
});
