import * as assert from "node:assert/strict";
import { BATCH_MAX_USERS } from "../../api/contract";
import { TenantClient } from "../../provider/client/tenantClient";
import { backoffDelay, parseRetryAfter } from "../../provider/client/retry";
import type { HttpRequest, HttpResponse } from "../../provider/client/transport";
import { AuthError, ConflictError, NotFoundError, ThrottledError, TransportError, ValidationError } from "../../provider/errors";

type Handler = (req: HttpRequest) => HttpResponse | Error;

const SECRET = "s3cr3t-client-secret-value";
const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse =>
    ({ status, headers: { "content-type": "application/json", ...headers }, body: body === undefined ? "" : JSON.stringify(body) });
const TOKEN_OK = json(200, { access_token: "tok-1", token_type: "Bearer", expires_in: 3600 });

/** An in-process tenant: answers the token endpoint, then the scripted API answers in order. */
function fakeTenant(api: Array<HttpResponse | Error | Handler>, opts: { now?: () => number; token?: () => HttpResponse } = {}) {
    const requests: HttpRequest[] = [];
    const sleeps: number[] = [];
    let tokens = 0;
    const client = new TenantClient({
        endpoint: "https://tenant.example/", tenantId: "contoso.example", clientId: "app-1", clientSecret: SECRET,
        now: opts.now, batchPollStartMs: 10,
        retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5, sleep: async (ms) => { sleeps.push(ms); } },
        transport: async (req) => {
            requests.push(req);
            if (req.url.endsWith("/oauth2/v2.0/token")) {
                tokens++;
                return opts.token ? opts.token() : json(200, { access_token: `tok-${tokens}`, expires_in: 3600 });
            }
            const next = api.shift();
            if (next === undefined) throw new Error(`unexpected request ${req.method} ${req.url}`);
            const answer = typeof next === "function" ? next(req) : next;
            if (answer instanceof Error) throw answer;
            return answer;
        },
    });
    return { client, requests, sleeps, tokens: () => tokens, apiCalls: () => requests.filter((r) => !r.url.endsWith("/token")) };
}

const POLICY = { Identity: "Tag:OfflineIM", EnableIMAutoArchiving: false };
const reset = () => Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
const fetchFailed = () => Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }) });

describe("tenant client: retries", () => {
    it("honours Retry-After on 429, then succeeds", async () => {
        const f = fakeTenant([json(429, { error: { code: "Throttled", message: "slow down" } }, { "retry-after": "2" }), json(200, POLICY, { etag: "\"1\"" })]);
        const res = await f.client.getPolicy("Tag:OfflineIM");
        assert.equal(res.etag, "\"1\"");
        assert.deepEqual(f.sleeps, [2000]);
    });

    it("retries 503 (and 502, 504) with full-jitter backoff", async () => {
        const f = fakeTenant([json(503, {}), json(502, {}), json(504, {}), json(200, POLICY)]);
        await f.client.getPolicy("Tag:OfflineIM");
        assert.deepEqual(f.sleeps, [50, 100, 200], "random 0.5 × min(cap, 100·2^n)");
    });

    for (const [status, type] of [[400, ValidationError], [404, NotFoundError], [409, ConflictError], [412, ConflictError], [401, AuthError], [403, AuthError]] as const) {
        it(`does not retry ${status}`, async () => {
            const answers = [json(status, { error: { code: `Code${status}`, message: "no", target: "EnableURL" } }, { "request-id": "rid-1" })];
            if (status === 401) answers.push(json(401, { error: { code: "Unauthorized", message: "no" } }, { "request-id": "rid-1" })); // one re-auth is allowed
            const f = fakeTenant(answers);
            await assert.rejects(f.client.getPolicy("Tag:OfflineIM"), (err: unknown) => {
                assert.ok(err instanceof type, String(err));
                assert.equal(err.status, status);
                assert.equal(err.retryable, false);
                assert.match(err.message, /request-id rid-1/);
                return true;
            });
            assert.equal(f.sleeps.length, 0);
            assert.equal(f.apiCalls().length, status === 401 ? 2 : 1);
        });
    }

    it("does not retry 500 (a bug, not a blip)", async () => {
        const f = fakeTenant([json(500, { error: { code: "InternalError", message: "boom" } })]);
        await assert.rejects(f.client.getPolicy("Global"), (err: unknown) => err instanceof TransportError && err.status === 500 && !err.retryable);
        assert.equal(f.apiCalls().length, 1);
    });

    it("retries network errors (reset, refused) and then succeeds", async () => {
        const f = fakeTenant([reset(), fetchFailed(), json(200, POLICY)]);
        await f.client.getPolicy("Global");
        assert.equal(f.sleeps.length, 2);
    });

    it("gives up after maxAttempts with a TransportError naming the endpoint", async () => {
        const f = fakeTenant([reset(), reset(), reset(), fetchFailed()]);
        await assert.rejects(f.client.getPolicy("Global"), (err: unknown) =>
            err instanceof TransportError && err.retryable && err.code === "ECONNREFUSED" && /https:\/\/tenant\.example/.test(err.message));
        assert.equal(f.apiCalls().length, 4);
    });

    it("reports ThrottledError when 429 persists", async () => {
        const t429 = () => json(429, { error: { code: "Throttled", message: "busy" } }, { "retry-after": "1" });
        const f = fakeTenant([t429(), t429(), t429(), t429()]);
        await assert.rejects(f.client.getPolicy("Global"), (err: unknown) => err instanceof ThrottledError && err.retryable && /gave up after 4 attempt\(s\)/.test(err.message));
    });

    it("fails fast when Retry-After exceeds the longest wait we accept", async () => {
        const f = fakeTenant([json(429, {}, { "retry-after": "3600" })]);
        await assert.rejects(f.client.getPolicy("Global"), (err: unknown) => err instanceof ThrottledError &&
            /asked to wait 3600 s \(Retry-After\), longer than the 120 s this client waits; gave up after 1 attempt/.test(err.message) &&
            !/still throttled/.test(err.message));
        assert.deepEqual(f.sleeps, []);
    });

    it("parses Retry-After and caps backoff", () => {
        assert.equal(parseRetryAfter("3"), 3000);
        assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6000);
        assert.equal(parseRetryAfter("soon"), undefined);
        assert.equal(backoffDelay(20, { baseDelayMs: 100, maxDelayMs: 5000, random: () => 0.999 }), 4995);
        assert.equal(backoffDelay(0, { baseDelayMs: 100, maxDelayMs: 5000, random: () => 0 }), 0);
    });
});

describe("tenant client: token", () => {
    it("caches the token and refreshes it before expiry", async () => {
        let now = 0;
        const f = fakeTenant([json(200, POLICY), json(200, POLICY), json(200, POLICY)], { now: () => now });
        await f.client.getPolicy("Global");
        now = 3_000_000; // 50 min: still valid
        await f.client.getPolicy("Global");
        assert.equal(f.tokens(), 1);
        now = 3_541_000; // within the last minute of the hour: refreshed
        await f.client.getPolicy("Global");
        assert.equal(f.tokens(), 2);
        assert.equal(f.apiCalls()[2].headers.authorization, "Bearer tok-2");
    });

    it("fetches a new token once when the API answers 401", async () => {
        const f = fakeTenant([json(401, { error: { code: "Unauthorized", message: "expired" } }, { "www-authenticate": "Bearer" }), json(200, POLICY)]);
        await f.client.getPolicy("Global");
        assert.equal(f.tokens(), 2);
    });

    it("says the client secret was rejected, never showing it", async () => {
        const f = fakeTenant([], { token: () => json(401, { error: "invalid_client", error_description: `bad secret ${SECRET}` }) });
        await assert.rejects(f.client.getPolicy("Global"), (err: unknown) => {
            assert.ok(err instanceof AuthError);
            assert.match(err.message, /client secret was rejected for client id app-1 on tenant contoso\.example/);
            assert.ok(!err.message.includes(SECRET));
            return true;
        });
        const form = f.requests[0].body!;
        assert.match(form, /grant_type=client_credentials/);
    });

    it("sends the bearer token and JSON, and preconditions as headers", async () => {
        const f = fakeTenant([json(201, POLICY, { etag: "\"2\"" }), json(200, POLICY, { etag: "\"3\"" })]);
        await f.client.putPolicy("Tag:OfflineIM", POLICY, { ifNoneMatch: "*" });
        await f.client.putPolicy("Tag:OfflineIM", POLICY, { ifMatch: "\"2\"" });
        const [create, replace] = f.apiCalls();
        assert.equal(create.url, "https://tenant.example/Skype.Policy/configurations/ClientPolicy/configuration/Tag%3AOfflineIM");
        assert.equal(create.headers["if-none-match"], "*");
        assert.equal(replace.headers["if-match"], "\"2\"");
        assert.equal(create.headers.authorization, "Bearer tok-1");
        assert.deepEqual(JSON.parse(create.body!), POLICY);
    });
});

describe("tenant client: batch and paging", () => {
    it("chunks more than 5,000 users and polls each operation to completion", async () => {
        const users = Array.from({ length: BATCH_MAX_USERS + 10 }, (_, i) => `u${i}`);
        const done = (chunk: string[]) => json(200, { Status: "Completed", Results: chunk.map((u) => ({ User: u, Status: "Succeeded" })) });
        const posted: string[][] = [];
        const f = fakeTenant([
            (req) => { posted.push(JSON.parse(req.body!).Users); return json(202, { OperationId: "op1" }); },
            json(200, { Status: "InProgress" }),
            () => done(posted[0]),
            (req) => { posted.push(JSON.parse(req.body!).Users); return json(202, { OperationId: "op2" }); },
            () => done(posted[1]),
        ]);
        const results = await f.client.batchAssign("OfflineIM", users);
        assert.deepEqual(posted.map((p) => p.length), [5000, 10]);
        assert.equal(results.length, users.length);
        assert.deepEqual(f.sleeps, [10], "one poll delay while InProgress");
    });

    it("follows @nextLink pages", async () => {
        const f = fakeTenant([
            json(200, { value: [{ Id: "1" }], "@nextLink": "https://tenant.example/next?page=2" }),
            json(200, { value: [{ Id: "2" }] }),
        ]);
        const users = await f.client.listAssignments("Tag:OfflineIM");
        assert.deepEqual(users.map((u) => u.Id), ["1", "2"]);
        assert.equal(f.apiCalls()[1].url, "https://tenant.example/next?page=2");
    });
});
