/**
 * Reliability: the emulator under load, as a real child process (emulator/main.ts, SQLite store) on
 * loopback, with its resident memory read from /proc/<pid>/status before and after:
 *
 * - 300 slow connections (request headers started, never finished) held open for the whole test;
 * - meanwhile 1,000 concurrent requests from two tenants (GET, create, patch, grant, user lookup), each answered
 *   correctly for its own tenant, every acknowledged create stored in its tenant only;
 * - 10 MB bodies (8 at once) answered 413 PayloadTooLarge, and a 7 MB body just under the limit answered 400 naming
 *   the setting, with the emulator still answering normal requests afterwards;
 * - RSS after the test stays within {@link RSS_GROWTH_MB} of RSS before it (peak printed too).
 */
import * as assert from "node:assert/strict";
import * as http from "node:http";
import * as net from "node:net";
import { readFileSync } from "node:fs";
import { MAX_BODY_BYTES } from "../../api/contract";
import { startTestEmulator, type TestTenant } from "../../testkit/emulator";
import { grantPath, policyPath, userPath } from "../integration/emulator/util";

const CONCURRENT = 1000;
const SLOW = 300;
const BIG = 10 * 1024 * 1024;
/** Growth of the emulator's resident memory allowed across the whole test. */
const RSS_GROWTH_MB = 150;
const TENANTS = ["contoso.example", "fabrikam.example"] as const;

interface Answer {
    status: number;
    json: any;
}

/** One request on its own connection (no agent pooling: 1,000 requests are 1,000 concurrent sockets). */
function request(base: URL, method: string, path: string, token: string | undefined, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const req = http.request({
            host: base.hostname, port: base.port, method, path, agent: false,
            headers: {
                ...(token ? { authorization: `Bearer ${token}` } : {}),
                ...(body !== undefined ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) } : {}),
                ...headers,
            },
        }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
                const text = Buffer.concat(chunks).toString("utf8");
                let json: unknown;
                try {
                    json = text ? JSON.parse(text) : undefined;
                } catch {
                    json = text;
                }
                resolve({ status: res.statusCode!, json });
            });
            res.on("error", reject);
        });
        req.on("error", reject);
        if (body !== undefined) req.end(body);
        else req.end();
    });
}

/**
 * A PUT whose `body` is written in two parts with a pause between them, the first part past the size limit: the
 * server has refused the body before the client finished sending it.
 */
function pausedPut(base: URL, path: string, token: string, body: Buffer, splitAt: number, pauseMs: number): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const req = http.request({
            host: base.hostname, port: base.port, method: "PUT", path, agent: false,
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": String(body.length), "if-none-match": "*" },
        }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(chunks).toString("utf8") || "null") }));
            res.on("error", reject);
        });
        req.on("error", reject);
        req.write(body.subarray(0, splitAt));
        setTimeout(() => req.end(body.subarray(splitAt)), pauseMs);
    });
}

function rssMb(pid: number): { rss: number; peak: number } {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)![1]);
    return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

describe("reliability: emulator under load (1,000 concurrent requests, 300 slow connections, 10 MB bodies)", function () {
    this.timeout(900_000);
    let t: TestTenant;
    let base: URL;
    const tokens: Record<string, string> = {};
    before(async () => {
        t = await startTestEmulator({ inProcess: false, users: 1000 });
        base = new URL(t.url);
        for (const id of TENANTS) tokens[id] = await t.tokenFor(id);
    });
    after(async () => { await t?.stop(); });

    it("answers every request correctly for its tenant, refuses oversized bodies, and keeps its memory bounded", async () => {
        // Warm-up so the baseline is the steady state, not start-up.
        for (const id of TENANTS) {
            assert.equal((await request(base, "GET", policyPath("Global"), tokens[id])).status, 200);
            assert.equal((await request(base, "PUT", policyPath("LoadGrant"), tokens[id], "{}", { "if-none-match": "*" })).status, 201);
        }
        const before = rssMb(t.child!.pid!);

        // 300 slow connections: request line and one header sent, the rest never comes.
        const slow: net.Socket[] = [];
        await Promise.all(Array.from({ length: SLOW }, () => new Promise<void>((resolve, reject) => {
            const s = net.connect(Number(base.port), base.hostname, () => {
                s.write(`GET ${policyPath("Global")} HTTP/1.1\r\nHost: ${base.host}\r\n`);
                resolve();
            });
            s.on("error", reject);
            slow.push(s);
        })));

        // 1,000 concurrent requests, alternating tenants, five kinds.
        const created: Record<string, string[]> = { "contoso.example": [], "fabrikam.example": [] };
        const results = await Promise.all(Array.from({ length: CONCURRENT }, async (_, i) => {
            const tenant = TENANTS[i % 2];
            const token = tokens[tenant];
            const kind = Math.floor(i / 2) % 5;
            const tag = `Load-${tenant.split(".")[0]}-${i}`;
            let res: Answer;
            switch (kind) {
                case 0:
                    res = await request(base, "GET", policyPath("Global"), token);
                    assert.equal(res.status, 200, `request ${i}: ${JSON.stringify(res.json)}`);
                    assert.equal(res.json.Identity, "Global");
                    break;
                case 1:
                    res = await request(base, "PUT", policyPath(tag), token, JSON.stringify({ IMWarning: tag }), { "if-none-match": "*" });
                    assert.equal(res.status, 201, `request ${i}: ${JSON.stringify(res.json)}`);
                    assert.deepEqual([res.json.Identity, res.json.IMWarning], [`Tag:${tag}`, tag]);
                    created[tenant].push(tag);
                    break;
                case 2:
                    res = await request(base, "PATCH", policyPath("Global"), token, JSON.stringify({ MaximumNumberOfContacts: i % 1000 }));
                    assert.equal(res.status, 200, `request ${i}: ${JSON.stringify(res.json)}`);
                    assert.equal(res.json.Identity, "Global");
                    break;
                case 3: {
                    // Grant the tenant's own LoadGrant policy (created before the burst).
                    const user = tenant === "contoso.example" ? `User ${String((i % 1000) + 1).padStart(5, "0")}` : "Ann Beebe";
                    res = await request(base, "PUT", grantPath(user), token, JSON.stringify({ PolicyName: "LoadGrant" }));
                    assert.equal(res.status, 200, `request ${i}: ${JSON.stringify(res.json)}`);
                    assert.equal(res.json.ClientPolicy, "LoadGrant");
                    break;
                }
                default:
                    res = await request(base, "GET", userPath("Tony Smith"), token);
                    assert.equal(res.status, 200, `request ${i}: ${JSON.stringify(res.json)}`);
                    assert.ok(String(res.json.SipAddress).endsWith(`@${tenant}`), `request ${i} answered another tenant's user: ${res.json.SipAddress}`);
            }
            return res.status;
        }));
        assert.equal(results.length, CONCURRENT);
        const during = rssMb(t.child!.pid!);

        // Every acknowledged create is stored, in its own tenant only.
        for (const tenant of TENANTS) {
            const stored = t.stored(tenant)!;
            const other = t.stored(TENANTS.find((x) => x !== tenant)!)!;
            for (const tag of created[tenant]) {
                assert.equal(stored.policies[`TAG:${tag.toUpperCase()}`]?.settings.IMWarning, tag, `${tag} not stored in ${tenant}`);
                assert.equal(other.policies[`TAG:${tag.toUpperCase()}`], undefined, `${tag} leaked into the other tenant`);
            }
        }
        assert.equal(created["contoso.example"].length + created["fabrikam.example"].length, CONCURRENT / 5);

        // 10 MB bodies, 8 at once: 413 each (the limit is MAX_BODY_BYTES), the tenant unchanged.
        const big = Buffer.alloc(BIG, "a");
        const bigAnswers = await Promise.all(Array.from({ length: 8 }, (_, i) =>
            request(base, "PUT", policyPath(`Big${i}`), tokens[TENANTS[i % 2]], big, { "if-none-match": "*" }).catch((e: Error) => ({ status: -1, json: e.message }))));
        for (const a of bigAnswers) {
            assert.equal(a.status, 413, JSON.stringify(a.json).slice(0, 300));
            assert.equal(a.json.error.code, "PayloadTooLarge");
        }
        // A client still sending when the server has refused the body (writes first, reads after, as Node's http
        // client does) gets the 413, not EPIPE: the server reads the rest before it answers.
        const paused = await pausedPut(base, policyPath("BigPaused"), tokens["contoso.example"], big, MAX_BODY_BYTES + 1024 * 1024, 500)
            .catch((e: Error) => ({ status: -1, json: e.message }));
        assert.equal(paused.status, 413, JSON.stringify(paused.json));
        // Just under the limit: read whole, then refused naming the setting.
        const under = JSON.stringify({ IMWarning: "x".repeat(MAX_BODY_BYTES - 100) });
        const underAnswer = await request(base, "PUT", policyPath("Under"), tokens["contoso.example"], under, { "if-none-match": "*" });
        assert.equal(underAnswer.status, 400, JSON.stringify(underAnswer.json).slice(0, 300));
        assert.equal(underAnswer.json.error.target, "IMWarning");
        assert.equal(t.stored("contoso.example")!.policies["TAG:BIG0"], undefined);

        // The slow connections are still open and get nothing; normal requests are still answered.
        assert.equal(slow.filter((s) => !s.destroyed).length, SLOW, "slow connections were dropped");
        assert.equal((await request(base, "GET", policyPath(created["contoso.example"][0]), tokens["contoso.example"])).status, 200);
        for (const s of slow) s.destroy();
        await new Promise((r) => setTimeout(r, 500));
        // Garbage collection is up to V8; the bound is on what stays resident.
        const after = rssMb(t.child!.pid!);
        console.log(`      emulator RSS: before ${before.rss.toFixed(0)} MB, after the burst ${during.rss.toFixed(0)} MB, ` +
            `after the big bodies ${after.rss.toFixed(0)} MB, peak ${after.peak.toFixed(0)} MB`);
        assert.ok(after.rss - before.rss < RSS_GROWTH_MB, `RSS grew ${(after.rss - before.rss).toFixed(0)} MB (bound ${RSS_GROWTH_MB} MB)`);
        assert.ok(after.peak - before.rss < 2 * RSS_GROWTH_MB + BIG * 8 / 1024 / 1024, `peak RSS ${after.peak.toFixed(0)} MB`);
    });
});
