/**
 * Tokens the gateway can trust and revoke, and its resistance to abuse, over loopback with the stand-in shell: an
 * unusable signing key stops start-up (an empty HMAC key would let anyone mint tokens);
 * a token is re-checked against the configuration on every request (removal, narrowing, a replaced secret, a shorter
 * lifetime); failed token requests never spend the tenant's API budget; secret checks run off the event loop, one at
 * a time; unauthenticated floods get 429 and a bounded audit log; TLS files are checked at start-up.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Routes } from "../../../api/contract";
import { checkConfig, ConfigFileError, hashSecret } from "../../../gateway/config";
import { TEST_CLIENT_SECRET } from "../../../testkit/emulator";
import { call, policyPath } from "../../../testkit/tenantApi";
import { recordedFetch } from "../../../testkit/recorder";
import { startTestGateway, type GatewayTestTenant, type TestGatewayOptions } from "../../../testkit/gateway";

const KEY_FILE = "gateway-token-key";

async function requestToken(t: GatewayTestTenant, tenant: string, clientId: string, secret: string) {
    const r = await recordedFetch(t.url, "POST", Routes.token(tenant), {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: secret }).toString(),
    });
    return { status: r.res.status, body: r.text, token: r.res.ok ? (JSON.parse(r.text).access_token as string) : undefined };
}

/** A token signed with `key` in the format of server/auth.ts (what an attacker would mint). */
function forge(key: Buffer, tid: string, appid: string): string {
    const payload = `emu1.${Buffer.from(JSON.stringify({ tid, appid, exp: Math.floor(Date.now() / 1000) + 3600 })).toString("base64url")}`;
    return `${payload}.${createHmac("sha256", key).update(payload).digest("base64url")}`;
}

/** A gateway over a given data directory (so a test can prepare the key file or restart). */
async function gatewayIn(dir: string, opts: TestGatewayOptions = {}): Promise<GatewayTestTenant> {
    return startTestGateway({ users: 3, gatewayDir: dir, ...opts });
}

describe("gateway: tokens that can be trusted", function () {
    this.timeout(120_000);
    const dirs: string[] = [];
    const tempDir = () => {
        const d = mkdtempSync(path.join(os.tmpdir(), "cpac-gw-tokens-"));
        dirs.push(d);
        return d;
    };
    after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

    it("generates the signing key at first start: 32 random bytes as hex, mode 0600", async function () {
        const dir = tempDir();
        const t = await gatewayIn(dir);
        try {
            const file = path.join(dir, "data", KEY_FILE);
            assert.match(readFileSync(file, "latin1"), /^[0-9a-f]{64}$/);
            if (process.platform !== "win32") assert.equal(statSync(file).mode & 0o777, 0o600);
            assert.ok((await requestToken(t, "contoso.example", "demo-client", TEST_CLIENT_SECRET)).token);
        } finally {
            await t.stop();
        }
    });

    for (const [name, content, why] of [
        ["a passphrase", Buffer.from("correct horse battery staple\n"), /not all hexadecimal digits \(a passphrase is not a key\)/],
        ["a hex key written by Windows PowerShell 5.1 `>` (UTF-16LE, BOM, CRLF)",
            Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${randomBytes(32).toString("hex")}\r\n`, "utf16le")]), /UTF-16 byte-order mark/],
    ] as const) {
        it(`refuses to start with ${name} as signing key, naming the file (no empty HMAC key: a forged token must never write)`, async () => {
            const dir = tempDir();
            mkdirSync(path.join(dir, "data"), { recursive: true });
            const file = path.join(dir, "data", KEY_FILE);
            writeFileSync(file, content);
            let t: GatewayTestTenant;
            try {
                t = await gatewayIn(dir);
            } catch (e) {
                const message = (e as Error).message;
                assert.ok(message.includes(file), message);
                assert.match(message, /must hold 64 hexadecimal characters \(a 32-byte key\)/);
                assert.match(message, why);
                assert.ok(!message.includes("correct horse"), "the key file's content is never echoed");
                return;
            }
            // Started: show what that means. Today's lenient hex decoding turns this file into an empty key.
            try {
                const forged = forge(Buffer.alloc(0), "contoso.example", "demo-client");
                const r = await call(t, "PATCH", policyPath("Global"), { token: forged, body: { Description: "forged" } });
                assert.fail(`the gateway started with ${name} as its key; a token forged with an empty key got PATCH Global ${r.status}`);
            } finally {
                await t.stop();
            }
        });
    }

    it("refuses a removed client's token (even one it has accepted and cached), after a restart and after a reload", async () => {
        const dir = tempDir();
        const other = { clientId: "other-client", secretHash: hashSecret("other-client-secret-123") };
        const both = [{ clientId: "demo-client", secretHash: hashSecret(TEST_CLIENT_SECRET) }, other];
        let t = await gatewayIn(dir, { clients: both });
        let stopped = false;
        try {
            const demo = (await requestToken(t, "contoso.example", "demo-client", TEST_CLIENT_SECRET)).token!;
            const otherToken = (await requestToken(t, "contoso.example", "other-client", "other-client-secret-123")).token!;
            assert.equal((await call(t, "GET", policyPath("Global"), { token: demo })).status, 200);
            // Restart without demo-client: same data directory, so the same signing key.
            await t.stop();
            stopped = true;
            t = await gatewayIn(dir, { clients: [other] });
            stopped = false;
            const refused = await call(t, "PATCH", policyPath("Global"), { token: demo, body: { Description: "removed client" } });
            assert.equal(refused.status, 401, `a removed client's token after a restart: ${refused.text}`);
            assert.equal(refused.json.error.code, "Unauthorized");
            assert.match(refused.json.error.message, /no longer registered/);
            assert.equal((await call(t, "GET", policyPath("Global"), { token: otherToken })).status, 200, "the remaining client's token still works");
            // Reload (what SIGHUP does in `gateway serve`): other-client removed while its token is cached.
            t.gateway.reloadClients([both[0]]);
            assert.equal((await call(t, "GET", policyPath("Global"), { token: otherToken })).status, 401, "a removed client's token after a reload");
        } finally {
            if (!stopped) await t.stop();
        }
    });

    it("refuses tokens for a tenant the client may no longer use, under a replaced secret, or outliving a shortened lifetime", async () => {
        const dir = tempDir();
        const client = { clientId: "demo-client", secretHash: hashSecret(TEST_CLIENT_SECRET) };
        const t = await gatewayIn(dir, { clients: [client] });
        try {
            const contoso = (await requestToken(t, "contoso.example", "demo-client", TEST_CLIENT_SECRET)).token!;
            const fabrikam = (await requestToken(t, "fabrikam.example", "demo-client", TEST_CLIENT_SECRET)).token!;
            const onFabrikam = (token: string) => call(t, "GET", `/fabrikam.example${policyPath("Global")}`, { token });
            assert.equal((await onFabrikam(fabrikam)).status, 200);
            // Narrowed to contoso: the fabrikam token dies, the contoso one lives.
            t.gateway.reloadClients([{ ...client, tenants: ["contoso.example"] }]);
            const narrowed = await onFabrikam(fabrikam);
            assert.equal(narrowed.status, 401, narrowed.text);
            assert.match(narrowed.json.error.message, /may no longer use this tenant/);
            assert.equal((await call(t, "GET", policyPath("Global"), { token: contoso })).status, 200);
            assert.equal((await requestToken(t, "fabrikam.example", "demo-client", TEST_CLIENT_SECRET)).status, 401);
            // A new secret: tokens issued under the old one die.
            t.gateway.reloadClients([{ clientId: "demo-client", secretHash: hashSecret("a-brand-new-secret-456") }]);
            const replaced = await call(t, "GET", policyPath("Global"), { token: contoso });
            assert.equal(replaced.status, 401, replaced.text);
            assert.match(replaced.json.error.message, /client secret that has since been replaced/);
            const fresh = (await requestToken(t, "contoso.example", "demo-client", "a-brand-new-secret-456")).token!;
            assert.equal((await call(t, "GET", policyPath("Global"), { token: fresh })).status, 200);
        } finally {
            await t.stop();
        }
        // Restarted with a 60 s lifetime: a token issued for an hour is refused.
        const before = await gatewayIn(dir, { clients: [client] });
        const long = (await requestToken(before, "contoso.example", "demo-client", TEST_CLIENT_SECRET)).token!;
        await before.stop();
        const after = await gatewayIn(dir, { clients: [client], tokenTtlSeconds: 60 });
        try {
            const r = await call(after, "GET", policyPath("Global"), { token: long });
            assert.equal(r.status, 401, r.text);
            assert.match(r.json.error.message, /outlives this gateway's token lifetime/);
            const short = await requestToken(after, "contoso.example", "demo-client", TEST_CLIENT_SECRET);
            assert.equal(JSON.parse(short.body).expires_in, 60);
            assert.equal((await call(after, "GET", policyPath("Global"), { token: short.token! })).status, 200);
        } finally {
            await after.stop();
        }
    });
});

describe("gateway: abuse resistance", function () {
    this.timeout(120_000);

    it("failed token requests do not spend the tenant's API budget: at rate 5, a bad-secret flood then 5 API calls, none 429", async () => {
        const t = await startTestGateway({ users: 3, rate: 5 });
        try {
            const token = (await requestToken(t, "contoso.example", "demo-client", TEST_CLIENT_SECRET)).token!;
            const flood = await Promise.all(Array.from({ length: 10 }, () => requestToken(t, "contoso.example", "demo-client", "not-the-secret-at-all")));
            assert.deepEqual([...new Set(flood.map((r) => r.status))], [401]);
            const statuses: number[] = [];
            for (let i = 0; i < 5; i++) statuses.push((await call(t, "GET", policyPath("Global"), { token })).status);
            assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
            // The API budget itself still holds.
            const more = await Promise.all(Array.from({ length: 8 }, () => call(t, "GET", policyPath("Global"), { token })));
            assert.ok(more.some((r) => r.status === 429), "the tenant's own budget of 5/s still throttles API calls");
        } finally {
            await t.stop();
        }
    });

    it("checks secrets off the event loop, one at a time: an API call is answered while a bad-secret flood is still being hashed", async () => {
        const t = await startTestGateway({ users: 3, limits: { tokenRequestsPerAddress: 0, tokenFailuresPerClient: 0, unauthenticatedPerAddress: 0, scryptConcurrency: 1 } });
        try {
            const token = (await requestToken(t, "contoso.example", "demo-client", TEST_CLIENT_SECRET)).token!;
            assert.equal((await call(t, "GET", policyPath("Global"), { token })).status, 200);
            const N = 40;
            let settled = 0;
            let peak = 0;
            const flood = Array.from({ length: N }, () => requestToken(t, "contoso.example", "demo-client", "not-the-secret-at-all").finally(() => settled++));
            // Wait until the flood is being hashed (each request is in the gateway's queue), then ask for real work.
            while (t.gateway.pendingSecretChecks() < N / 2 && settled === 0) await new Promise((r) => setTimeout(r, 5));
            const sampler = setInterval(() => { peak = Math.max(peak, t.gateway.runningSecretChecks()); }, 1);
            const r = await call(t, "GET", policyPath("Global"), { token });
            const settledWhenAnswered = settled;
            assert.equal(r.status, 200);
            const results = await Promise.all(flood);
            clearInterval(sampler);
            assert.deepEqual([...new Set(results.map((x) => x.status))], [401]);
            // With a synchronous scrypt every queued hash ran before the API call's shell reply could be read.
            assert.ok(settledWhenAnswered < N / 2, `the API call was answered after ${settledWhenAnswered} of ${N} bad-secret requests had been answered`);
            assert.ok(peak <= 1, `at most one secret check at a time (limits.scryptConcurrency: 1), saw ${peak}`);
        } finally {
            await t.stop();
        }
    });

    it("limits token requests per address and failed ones per client id, apart from each other", async () => {
        const t = await startTestGateway({ users: 3, limits: { tokenRequestsPerAddress: 0, tokenFailuresPerClient: 3, unauthenticatedPerAddress: 0 } });
        try {
            for (let i = 0; i < 3; i++) assert.equal((await requestToken(t, "contoso.example", "demo-client", "not-the-secret-at-all")).status, 401);
            const locked = await requestToken(t, "contoso.example", "demo-client", TEST_CLIENT_SECRET);
            assert.equal(locked.status, 429, "a client id with 3 failures in the last minute is refused before its secret is checked");
            assert.match(locked.body, /Too many failed token requests for this client id/);
            assert.equal((await requestToken(t, "contoso.example", "someone-else", "whatever-secret-0000")).status, 401, "another client id is not affected");
        } finally {
            await t.stop();
        }
        const u = await startTestGateway({ users: 3, limits: { tokenRequestsPerAddress: 4, tokenFailuresPerClient: 0, unauthenticatedPerAddress: 0 } });
        try {
            const statuses: number[] = [];
            for (let i = 0; i < 6; i++) statuses.push((await requestToken(u, "contoso.example", "demo-client", TEST_CLIENT_SECRET)).status);
            assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
        } finally {
            await u.stop();
        }
    });

    it("throttles unauthenticated requests per address and keeps the audit log bounded; a valid token still gets through", async () => {
        const t = await startTestGateway({ users: 3, limits: { tokenRequestsPerAddress: 0, tokenFailuresPerClient: 0, unauthenticatedPerAddress: 10 } });
        try {
            const token = (await requestToken(t, "contoso.example", "demo-client", TEST_CLIENT_SECRET)).token!;
            const junk = "/" + "x".repeat(8000);
            const statuses: number[] = [];
            const started = Date.now();
            for (let i = 0; i < 30; i++) {
                const r = i % 2 === 0
                    ? await call(t, "GET", policyPath("Global"), { token: null })
                    : await call(t, "GET", `${junk}${i}`, { token: null, offContract: true });
                statuses.push(r.status);
            }
            // 10 a minute: one more is allowed each 6 s the loop took.
            const refills = Math.floor((Date.now() - started) / 6000) + 1;
            assert.deepEqual(statuses.slice(0, 10), [401, 404, 401, 404, 401, 404, 401, 404, 401, 404]);
            assert.equal(statuses[10], 429, JSON.stringify(statuses));
            assert.ok(statuses.slice(10).filter((s) => s !== 429).length <= refills, JSON.stringify(statuses));
            assert.equal((await call(t, "GET", policyPath("Global"), { token })).status, 200, "a request with a valid token is not refused");
            const lines = readFileSync(t.auditFile, "utf8").trim().split("\n");
            const longest = Math.max(...lines.map((l) => Buffer.byteLength(l)));
            assert.ok(longest < 2048, `an audit line of ${longest} bytes`);
            // The token request, 10 answered, the first refusal, and the authenticated call.
            assert.ok(lines.length <= 13 + refills, `${lines.length} audit lines for 32 requests`);
            const last = JSON.parse(lines[lines.length - 1]);
            assert.equal(last.status, 200);
        } finally {
            await t.stop();
        }
    });
});

describe("gateway: TLS files checked at start-up", function () {
    this.timeout(60_000);
    let dir: string;
    const h = hashSecret("s3cret-s3cret-s3cret");
    const base = { tenant: "contoso.example", shell: { command: "pwsh" }, clients: [{ clientId: "a", secretHash: h }], listen: { host: "0.0.0.0", port: 8443 } };
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    const fails = (tls: { cert: string; key: string }, message: RegExp) =>
        assert.throws(() => checkConfig({ ...base, tls }, path.join(dir, "gw.yaml")), (e: Error) => (e instanceof ConfigFileError && message.test(e.message)) || assert.fail(e.message));

    before(function () {
        dir = mkdtempSync(path.join(os.tmpdir(), "cpac-gw-tls-"));
        try {
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "a.key", "-out", "a.crt", "-days", "2", "-subj", "/CN=gw.contoso.example");
            openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "b.key");
            openssl("pkey", "-in", "a.key", "-aes256", "-passout", "pass:pw-pw-pw-pw", "-out", "enc.key");
        } catch (e) {
            // The checks themselves use node:crypto; openssl only makes the fixtures.
            this.skip();
        }
        writeFileSync(path.join(dir, "garbage.crt"), "not a certificate\n");
        writeFileSync(path.join(dir, "utf16.crt"), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(readFileSync(path.join(dir, "a.crt"), "latin1"), "utf16le")]));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("accepts a readable PEM certificate with its own unencrypted key", () => {
        const c = checkConfig({ ...base, tls: { cert: "a.crt", key: "a.key" } }, path.join(dir, "gw.yaml"));
        assert.equal(c.tls?.cert, path.join(dir, "a.crt"));
    });

    it("refuses a missing, unparsable or UTF-16 certificate, an unreadable or encrypted key, and a key of another certificate, naming the field", () => {
        fails({ cert: "missing.crt", key: "a.key" }, /gw\.yaml: tls\.cert must be a readable file \(.*missing\.crt: ENOENT\)/);
        fails({ cert: "a.crt", key: "missing.key" }, /gw\.yaml: tls\.key must be a readable file/);
        fails({ cert: "garbage.crt", key: "a.key" }, /gw\.yaml: tls\.cert must be a PEM certificate file/);
        fails({ cert: "utf16.crt", key: "a.key" }, /gw\.yaml: tls\.cert must be a PEM certificate file/);
        fails({ cert: "a.key", key: "a.key" }, /gw\.yaml: tls\.cert must be a PEM certificate file/);
        fails({ cert: "a.crt", key: "a.crt" }, /gw\.yaml: tls\.key must be an unencrypted PEM private key file/);
        fails({ cert: "a.crt", key: "enc.key" }, /gw\.yaml: tls\.key must be an unencrypted PEM private key file/);
        fails({ cert: "a.crt", key: "b.key" }, /gw\.yaml: tls\.key must be the private key of tls\.cert \(.*b\.key does not match the certificate .*a\.crt, subject CN=gw\.contoso\.example\)/);
    });
});
