/**
 * A preview never tells a reviewer something false: a preview that could not read the tenant says so once
 * per stack, `clientpolicy:strict` makes that a failure, and the Global take-over notice appears only when Global is
 * being created, under its resource. Real Pulumi CLI; kept to five CLI runs (each costs ~8 s of CPU).
 */
import { strict as assert } from "node:assert";
import * as net from "node:net";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { ExampleStack } from "../../testkit/stack";
import { TestTenant, collector, openStack, startTenant } from "./helpers";
import { GENERIC, expectFailure, grant, policy, setResources } from "./generic";

/** A loopback URL nothing listens on (a port just released). */
async function closedUrl(): Promise<string> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return `http://127.0.0.1:${port}`;
}

describe("e2e: a preview that could not check the tenant says so (real Pulumi CLI)", function () {
    this.timeout(900_000);
    let tenant: TestTenant;
    const stacks: ExampleStack[] = [];

    before(async () => {
        tenant = await startTenant({ users: 5 });
    });
    after(async () => {
        for (const h of stacks) await h.dispose();
        await tenant?.stop();
    });

    it("unreachable tenant: exit 0 with exactly one warning naming the reason and what was skipped; strict fails naming it", async () => {
        const h = await openStack(tenant, GENERIC, { connection: { endpoint: await closedUrl(), tenantId: tenant.tenantId, clientId: tenant.clientId, clientSecret: tenant.clientSecret } });
        stacks.push(h);
        await h.stack.setConfig("clientpolicy:maxAttempts", { value: "1" });
        // Two grants and a policy: three checks that would each read the tenant; one warning for all of them.
        await setResources(h, [
            policy("p", { identity: "Tag:Unverified" }),
            grant("g1", { policyName: "Tag:Unverified", users: ["Nobody Here"] }),
            grant("g2", { policyName: "Tag:Unverified", user: "Somebody Else" }),
        ]);
        const out = collector();
        const events: EngineEvent[] = [];
        await h.stack.preview({ onOutput: out.onOutput, onEvent: (e) => events.push(e) });
        const warnings = events.filter((e) => e.diagnosticEvent?.severity === "warning" && /tenant checks skipped/.test(e.diagnosticEvent.message));
        assert.equal(warnings.length, 1, out.text());
        assert.match(warnings[0].diagnosticEvent!.message, /tenant checks skipped \[unreachable\]: .*did not check whether users exist/, out.text());
        // The CLI shows a diagnostic on its progress row and again in the Diagnostics summary: one line there.
        const summary = out.text().slice(out.text().indexOf("\nDiagnostics:"));
        assert.equal(summary.split("\n").filter((l) => /tenant checks skipped/.test(l)).length, 1, `one warning line:\n${out.text()}`);
        assert.ok(!out.text().includes(tenant.clientSecret), "the secret is never printed");

        await h.stack.setConfig("clientpolicy:strict", { value: "true" });
        const text = await expectFailure(h, "preview");
        assert.match(text, /the tenant could not be checked \[unreachable\]/, text);
        assert.match(text, /clientpolicy:strict/, text);
        assert.ok(!text.includes(tenant.clientSecret), "the secret is never printed");
    });

    it("the Global notice appears once, under the Global resource, only in the runs that create it", async () => {
        const h = await openStack(tenant, GENERIC);
        stacks.push(h);
        await setResources(h, [policy("global", { identity: "Global", enableURL: true })]);
        const notices = (events: EngineEvent[]) => events.filter((e) => /Global always exists/.test(e.diagnosticEvent?.message ?? ""));
        const preview: EngineEvent[] = [];
        await h.stack.preview({ onEvent: (e) => preview.push(e) });
        assert.equal(notices(preview).length, 1, JSON.stringify(notices(preview)));
        assert.match(notices(preview)[0].diagnosticEvent!.urn ?? "", /ClientPolicy::global$/, "attached to the resource");
        await h.stack.up();
        const again: EngineEvent[] = [];
        await h.stack.preview({ onEvent: (e) => again.push(e) });
        assert.deepEqual(notices(again), [], "no notice once Global is managed");
    });
});
