/**
 * The batch POST is retried by the client; a lost reply must not start a second batch. A proxy on loopback forwards
 * to a real emulator and drops the connection after the emulator answered the first batch POST (the reply is lost),
 * so the client's retry reaches the emulator a second time.
 */
import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { TenantClient } from "../../../provider/client/tenantClient";
import { startTestEmulator, type TestTenant } from "../../../testkit/emulator";
import { call, policyPath } from "../../../testkit/tenantApi";

/** A forwarding proxy that loses the reply of the first `POST …/batchAssignments` after it reached the upstream. */
async function lossyProxy(upstream: string): Promise<{ url: string; batchPosts: number; close(): Promise<void> }> {
    const state = { batchPosts: 0 };
    const server = http.createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "connection" && k !== "content-length") headers[k] = v;
        const up = await fetch(upstream + req.url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
        const body = Buffer.from(await up.arrayBuffer());
        if (req.method === "POST" && /\/batchAssignments$/i.test(req.url ?? "") && ++state.batchPosts === 1) {
            req.socket.destroy(); // the batch started upstream; its answer never arrives
            return;
        }
        const out: Record<string, string> = {};
        up.headers.forEach((v, k) => { if (k !== "content-length" && k !== "transfer-encoding" && k !== "connection") out[k] = v; });
        res.writeHead(up.status, out).end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        get batchPosts() { return state.batchPosts; },
        close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
    };
}

describe("provider client: a retried batch POST does not start a second batch", () => {
    let t: TestTenant;
    before(async () => {
        t = await startTestEmulator({ users: 5 });
        const res = await call(t, "PUT", policyPath("Replay"), { body: {}, headers: { "if-none-match": "*" } });
        assert.equal(res.status, 201, res.text);
    });
    after(async () => { await t.stop(); });

    it("the reply of the first POST is lost: the retry gets the original batch", async () => {
        const proxy = await lossyProxy(t.url);
        try {
            const client = new TenantClient({
                endpoint: proxy.url, tenantId: t.tenantId, clientId: t.clientId, clientSecret: t.clientSecret, batchPollStartMs: 5,
                retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, random: () => 0.5 },
            });
            const users = ["sip:user00001@contoso.example", "sip:user00002@contoso.example"];
            const results = await client.batchAssign("Replay", users, "p/s/replay");
            assert.equal(proxy.batchPosts, 2, "the client retried the POST whose reply was lost");
            assert.deepEqual(results.map((r) => [r.User, r.Status]), users.map((u) => [u, "Succeeded"]));
            const ops = t.stored()!.operations;
            assert.equal(ops.length, 1, `the retry started a second batch (${ops.length} batches)`);
        } finally {
            await proxy.close();
        }
    });
});
