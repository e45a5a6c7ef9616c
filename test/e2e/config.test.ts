/**
 * Configuration errors through the real CLI, secret hygiene of state and
 * output, and the serialized size of the provider in state.
 */
import { strict as assert } from "node:assert";
import * as net from "node:net";
import { TestTenant, startTenant, openStack, collector, readStateFile, getPolicy } from "./helpers";

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    return port;
}

describe("e2e: configuration, secrets and state size", function () {
    this.timeout(600_000);
    let tenant: TestTenant;

    before(async () => { tenant = await startTenant({ users: 100 }); });
    after(async () => { await tenant?.stop(); });

    async function expectFailedUp(connection: Record<string, string>, pattern: RegExp, forbidden: string[] = []): Promise<void> {
        const h = await openStack(tenant, "quickstart", { connection });
        const before = await tenant.stats();
        const out = collector();
        try {
            let message = "";
            await assert.rejects(h.stack.up({ onOutput: out.onOutput }), (err: Error) => { message = err.message; return true; });
            const text = message + out.text();
            assert.match(text, pattern);
            for (const s of forbidden) assert.ok(!text.includes(s), `output must not contain ${JSON.stringify(s)}`);
            assert.equal((await tenant.stats()).writes, before.writes, "a failed configuration must not write to the tenant");
        } finally {
            await h.dispose();
        }
    }

    it("missing client secret: one error listing the key and the config command", async () => {
        await expectFailedUp(
            { endpoint: tenant.url, tenantId: tenant.tenantId, clientId: tenant.clientId },
            /missing clientpolicy:clientSecret[\s\S]*pulumi config set clientpolicy:clientSecret --secret/,
        );
    });

    it("wrong client secret: rejected by the tenant, secret not echoed", async () => {
        const wrong = "wrong-secret-" + "x".repeat(12);
        await expectFailedUp(
            { endpoint: tenant.url, tenantId: tenant.tenantId, clientId: tenant.clientId, clientSecret: wrong },
            new RegExp(`the client secret was rejected for client id ${tenant.clientId} on tenant ${tenant.tenantId.replace(/[.]/g, "\\.")} \\(check clientpolicy:clientSecret\\)`),
            [wrong],
        );
    });

    it("unreachable endpoint: a transport error naming the endpoint", async () => {
        const endpoint = `http://127.0.0.1:${await closedPort()}`;
        await expectFailedUp(
            { endpoint, tenantId: tenant.tenantId, clientId: tenant.clientId, clientSecret: tenant.clientSecret },
            new RegExp(endpoint.replace(/[.]/g, "\\.")),
            [tenant.clientSecret],
        );
    });

    it("bad input: check() failures name the property and expectation through the CLI; nothing is written", async () => {
        const h = await openStack(tenant, "test/e2e/programs/lifecycle");
        const before = await tenant.stats();
        try {
            await h.stack.setConfig("lifecycle:maxContacts", { value: "5000" });
            for (const op of ["preview", "up"] as const) {
                const out = collector();
                let message = "";
                await assert.rejects(h.stack[op]({ onOutput: out.onOutput }), (err: Error) => { message = err.message; return true; });
                const text = message + out.text();
                assert.match(text, /property maximumNumberOfContacts value \{5000\} has a problem: must be an integer 0–1000, got 5000/, `${op}:\n${text}`);
                assert.doesNotMatch(out.text(), /^\s+at .+\(.+:\d+:\d+\)$/m, `${op} printed a stack trace`);
                // preview writes nothing at all; `up` lets the engine go on with the valid, independent
                // resources (Global here), but never sends the invalid one.
                if (op === "preview") assert.equal((await tenant.stats()).writes, before.writes);
            }
            assert.equal(await getPolicy(tenant, "Tag:E2EPolicy"), undefined);
            // `up` took Global over for this stack: give it back, so the next stack's Global is not another owner's.
            await h.stack.destroy();
        } finally {
            await h.dispose();
        }
    });

    it("the client secret appears nowhere in state or CLI output; the provider is a short require()", async () => {
        const h = await openStack(tenant, "quickstart");
        const out = collector();
        try {
            await h.stack.up({ onOutput: out.onOutput });
            await h.stack.preview({ onOutput: out.onOutput, diff: true });
            await h.stack.refresh({ onOutput: out.onOutput });
            assert.ok(!out.text().includes(tenant.clientSecret), "CLI output leaks the client secret");

            const raw = readStateFile(h);
            assert.ok(!raw.includes(tenant.clientSecret), "state file leaks the client secret");
            // `stack export` through the Automation API adds --show-secrets. The engine's default
            // `pulumi-nodejs` provider keeps the stack config (encrypted in the file, checked
            // above); no resource of ours may hold the secret even decrypted.
            const shown = await h.stack.exportStack();
            const ours = shown.deployment.resources.filter((r: any) => String(r.type).startsWith("pulumi-nodejs:dynamic/"));
            assert.ok(!JSON.stringify(ours).includes(tenant.clientSecret), "a resource's inputs or outputs hold the client secret");

            // The serialized provider, per resource.
            const dynamic = shown.deployment.resources.filter((r: any) => r.inputs && typeof r.inputs.__provider === "string");
            assert.ok(dynamic.length >= 3, `expected ≥ 3 dynamic resources, got ${dynamic.length}`);
            for (const r of dynamic) {
                const size = Buffer.byteLength(r.inputs.__provider);
                process.stdout.write(`      serialized provider of ${r.urn.split("::").pop()}: ${size} bytes\n`);
                assert.match(r.inputs.__provider, /require\("clientpolicy-as-code\/dist\/provider\//);
                assert.ok(size < 1024, `provider closure is ${size} bytes`);
                assert.ok(!r.inputs.__provider.includes(tenant.clientSecret));
            }
            assert.equal((await getPolicy(tenant, "Global"))!.EnableIMAutoArchiving, false);
            await h.stack.destroy({ onOutput: out.onOutput });
        } finally {
            await h.dispose();
        }
    });
});
