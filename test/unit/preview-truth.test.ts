/**
 * Issue 23: a preview that could not read the tenant says so once per stack (or fails with `clientpolicy:strict`), the
 * fleet report reads that warning, and a large grant logs throttled progress. No I/O: a fake transport and clock.
 */
import * as assert from "node:assert/strict";
import { resolveStrict } from "../../provider/config";
import { COMPONENT_TYPE, progressLogger, resourceUrn, setDiagnosticsSinkForTesting, setProgressClockForTesting } from "../../provider/diagnostics";
import { TENANT_POLICIES_TYPE } from "../../provider/components/tenantPolicies";
import { ConfigError } from "../../provider/errors";
import { check as checkPolicy } from "../../provider/resources/clientPolicy.provider";
import { policyGrantProvider } from "../../provider";
import { configure, setClientOverridesForTesting, skippedWarning } from "../../provider/runtime";
import { skippedTenantChecks } from "../../cli/report/changes";
import type { HttpRequest, HttpResponse } from "../../provider/client/transport";

const checkGrant = (olds: Record<string, unknown>, news: Record<string, unknown>) => policyGrantProvider.check!(olds, news);
const createGrant = (inputs: Record<string, unknown>) => policyGrantProvider.create(inputs);

const CONNECTION: Record<string, string> = {
    "clientpolicy:endpoint": "https://tenant.example", "clientpolicy:tenantId": "contoso.example",
    "clientpolicy:clientId": "c", "clientpolicy:clientSecret": "s3cr3t-value",
};
const source = (values: Record<string, string>) => ({ get: (k: string) => values[k] });
const json = (status: number, body: unknown): HttpResponse => ({ status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const TOKEN = json(200, { access_token: "t", expires_in: 3600 });

describe("clientpolicy:strict", () => {
    it("reads true/false and 1/0 (any case), stack config before CLIENTPOLICY_STRICT; unset or empty is false", () => {
        assert.equal(resolveStrict(undefined, {}), false);
        assert.equal(resolveStrict(undefined, { CLIENTPOLICY_STRICT: "1" }), true);
        assert.equal(resolveStrict(undefined, { CLIENTPOLICY_STRICT: " TRUE " }), true);
        assert.equal(resolveStrict(source({ "clientpolicy:strict": "false" }), { CLIENTPOLICY_STRICT: "1" }), false);
        assert.equal(resolveStrict(source({ "clientpolicy:strict": "" }), {}), false);
        assert.equal(resolveStrict(source({ "clientpolicy:strict": "0" }), {}), false);
    });

    it("a bad value names the key and the values expected", () => {
        for (const bad of ["yes", "2", "on"]) {
            assert.throws(() => resolveStrict(source({ "clientpolicy:strict": bad }), {}), (e: ConfigError) =>
                e instanceof ConfigError && e.target === "clientpolicy:strict" && /clientpolicy:strict must be true or false/.test(e.message) && e.message.includes(JSON.stringify(bad)));
        }
    });
});

describe("tenant checks skipped in check()", () => {
    let saved: NodeJS.ProcessEnv;
    let logged: Array<{ severity: string; message: string; urn: string }>;
    let transport: (req: HttpRequest) => Promise<HttpResponse>;
    beforeEach(() => {
        saved = { ...process.env };
        for (const k of Object.keys(process.env)) if (k.startsWith("CLIENTPOLICY_")) delete process.env[k];
        logged = [];
        setDiagnosticsSinkForTesting((severity, message, urn) => { logged.push({ severity, message, urn }); });
        transport = async () => { throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }); };
        setClientOverridesForTesting({ transport: (req: HttpRequest) => transport(req), retry: { maxAttempts: 1 } } as never);
    });
    afterEach(() => {
        process.env = saved;
        setDiagnosticsSinkForTesting(undefined);
        setClientOverridesForTesting({});
    });
    const grant = (users: string[]) => checkGrant({}, { policyName: "OfflineIM", users });
    const warnings = () => logged.filter((l) => l.severity === "warning").map((l) => l.message);

    it("not configured: one warning per process for every check that skipped, naming the missing keys and what was not checked", async () => {
        await configure({ config: source({}) });
        for (let i = 0; i < 3; i++) assert.deepEqual((await grant([`User ${i}`])).failures, []);
        assert.deepEqual((await checkPolicy({}, { identity: "Tag:X" })).failures, []);
        assert.equal(warnings().length, 1, JSON.stringify(logged));
        assert.match(warnings()[0], /^clientpolicy: tenant checks skipped \[not configured\]: missing clientpolicy:endpoint, .*clientpolicy:clientSecret\. This preview did not check whether users exist/);
        assert.match(warnings()[0], /clientpolicy:strict to true \(or CLIENTPOLICY_STRICT=1\)/);
    });

    it("a check that needs no tenant (an unchanged grant) does not warn", async () => {
        await configure({ config: source({}) });
        await checkGrant({ policyName: "OfflineIM", users: ["a"] }, { policyName: "OfflineIM", users: ["a"] });
        assert.deepEqual(warnings(), []);
    });

    it("unreachable, then credentials rejected: one warning per reason; after the first failure no more calls", async () => {
        await configure({ config: source(CONNECTION) });
        let calls = 0;
        transport = async () => { calls++; throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }); };
        await grant(["Nobody Here"]);
        await grant(["Somebody Else"]);
        assert.equal(calls, 1, "the second check skips without calling");
        assert.equal(warnings().length, 1);
        assert.match(warnings()[0], /tenant checks skipped \[unreachable\]: cannot reach the tenant API/);

        await configure({ config: source({ ...CONNECTION, "clientpolicy:clientSecret": "wrong-secret" }) });
        transport = async () => json(401, { error: "invalid_client", error_description: "bad secret" });
        await grant(["Nobody Here"]);
        await grant(["Nobody Here"]);
        assert.equal(warnings().length, 2);
        assert.match(warnings()[1], /tenant checks skipped \[credentials rejected\]: the client secret was rejected/);
        for (const w of warnings()) assert.ok(!w.includes("wrong-secret") && !w.includes("s3cr3t-value"), "never the secret");
    });

    it("strict (config or CLIENTPOLICY_STRICT=1): a failure of each check instead of a warning", async () => {
        await configure({ config: source({ ...CONNECTION, "clientpolicy:strict": "true" }) });
        const res = await grant(["Nobody Here"]);
        assert.equal(res.failures?.length, 1);
        assert.match(res.failures![0].reason, /the tenant could not be checked \[unreachable\]: .*clientpolicy:strict/);
        assert.deepEqual(warnings(), []);

        process.env.CLIENTPOLICY_STRICT = "1";
        await configure({ config: source({}) });
        const policy = await checkPolicy({}, { identity: "Tag:X" });
        assert.match(policy.failures![0].reason, /could not be checked \[not configured\]: missing clientpolicy:endpoint/);
    });

    it("a bad clientpolicy:strict fails check() naming the key", async () => {
        await configure({ config: source({ "clientpolicy:strict": "maybe" }) });
        const res = await grant(["a"]);
        assert.ok(res.failures?.some((f) => /clientpolicy:strict must be true or false .*got "maybe"/.test(f.reason)), JSON.stringify(res.failures));
    });

    it("a bad clientpolicy:strict with a full connection: named before any request, no tenant call, no skipped-checks warning", async () => {
        await configure({ config: source({ ...CONNECTION, "clientpolicy:strict": "maybe" }) });
        let calls = 0;
        transport = async () => { calls++; throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }); };
        const res = await grant(["Nobody Here"]);
        const policy = await checkPolicy({}, { identity: "Tag:X" });
        assert.deepEqual(res.failures?.map((f) => f.reason.split(",")[0]), ['clientpolicy:strict must be true or false (or 1 / 0; CLIENTPOLICY_STRICT takes the same)']);
        assert.ok(policy.failures?.some((f) => /clientpolicy:strict must be true or false/.test(f.reason)), JSON.stringify(policy.failures));
        assert.equal(calls, 0, "no request to the tenant");
        assert.deepEqual(warnings(), []);
    });
});

describe("the fleet report reads the warning", () => {
    it("finds each reason once, with its detail and without the advice; other warnings are not it", () => {
        const w = (message: string, severity = "warning") => ({ diagnosticEvent: { severity, message: `\u001b[33m${message}<{%reset%}>\n` } });
        const events = [
            w(skippedWarning("unreachable", "cannot reach the tenant API at http://127.0.0.1:9 (ECONNREFUSED)")),
            w(skippedWarning("unreachable", "again")),
            w("ClientPolicy Tag:X: something else"),
            w(skippedWarning("not configured", "missing clientpolicy:endpoint"), "info#err"),
        ];
        assert.deepEqual(skippedTenantChecks(events), [{ reason: "unreachable", detail: "cannot reach the tenant API at http://127.0.0.1:9 (ECONNREFUSED)" }]);
    });
});

describe("PolicyGrant batch progress", () => {
    it("logs at most once every 5 s of the injected clock, never for the finished batch", () => {
        let t = 0;
        const lines: string[] = [];
        const progress = progressLogger("granted", (m) => lines.push(m), () => t);
        for (const [at, done] of [[1_000, 500], [4_999, 1_000], [5_000, 2_000], [6_000, 3_000], [10_100, 10_000], [10_200, 9_000], [16_000, 10_000]]) {
            t = at;
            progress(done, 10_000);
        }
        assert.deepEqual(lines, ["granted 2,000/10,000", "granted 9,000/10,000"]);
    });

    it("create() through the batch route logs progress under the grant's resource", async () => {
        const run = batchRun("OfflineIM");
        try {
            await configure({ config: source(CONNECTION) });
            await createGrant({ policyName: "OfflineIM", users: run.users, owner: "proj/dev/big" });
            const progress = run.logged.filter((l) => /granted/.test(l.message));
            assert.deepEqual(progress.map((l) => l.message), ["PolicyGrant Tag:OfflineIM: granted 1/4 users", "PolicyGrant Tag:OfflineIM: granted 2/4 users", "PolicyGrant Tag:OfflineIM: granted 3/4 users"]);
            assert.equal(progress[0].urn, "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/clientpolicy:PolicyGrant::big");
        } finally {
            run.restore();
        }
    });

    it("delete() of a large grant logs its unassign progress (stack-level: state does not record the grant's parent)", async () => {
        const owner = "proj/dev/big";
        const run = batchRun(null, owner);
        try {
            await configure({ config: source(CONNECTION) });
            await policyGrantProvider.delete!("id", {
                policyName: "OfflineIM", owner, resolvedUsers: run.users.map((u) => ({ id: u, requestedAs: u, sipAddress: `sip:${u}`, displayName: u })),
            });
            const progress = run.logged.filter((l) => /unassigned/.test(l.message));
            assert.deepEqual(progress.map((l) => [l.message, l.urn]), [1, 2, 3].map((n) => [`PolicyGrant Tag:OfflineIM: unassigned ${n}/4 users`, ""]));
        } finally {
            run.restore();
        }
    });
});

/**
 * A fake tenant for one batch of 4 users assigning `policyName` (null: unassigning Tag:OfflineIM, whose assignments
 * `owner` made), each poll answering one more user 6 s later on an injected progress clock; diagnostics captured.
 */
function batchRun(policyName: string | null, owner?: string) {
    let t = 0;
    setProgressClockForTesting(() => t);
    const logged: Array<{ message: string; urn: string }> = [];
    setDiagnosticsSinkForTesting((_s, message, urn) => { logged.push({ message, urn }); });
    const users = Array.from({ length: 4 }, (_, i) => `user${i}@contoso.example`);
    let polls = 0;
    setClientOverridesForTesting({
        retry: { maxAttempts: 1 },
        batchPollStartMs: 0,
        transport: async (req: HttpRequest) => {
            const url = new URL(req.url);
            if (url.pathname.endsWith("/oauth2/v2.0/token")) return TOKEN;
            if (url.pathname.endsWith("/userResolutions")) {
                const ids = JSON.parse(req.body!).Identities as string[];
                return json(200, { value: ids.map((id) => ({ Identity: id, User: { Id: id, SipAddress: `sip:${id}`, DisplayName: id, ClientPolicy: null, ClientPolicyOwner: null } })) });
            }
            if (req.method === "GET" && url.pathname.endsWith("/assignments")) {
                return json(200, { value: users.map((u) => ({ Id: u, SipAddress: `sip:${u}`, DisplayName: u, ClientPolicy: "OfflineIM", ClientPolicyOwner: owner })) });
            }
            if (req.method === "POST") {
                assert.equal(JSON.parse(req.body!).PolicyName, policyName);
                return json(202, { OperationId: "op" });
            }
            polls++;
            t += 6_000;
            const done = Math.min(polls, users.length);
            return json(200, {
                OperationId: "op", PolicyType: "ClientPolicy", PolicyName: policyName, Status: done === users.length ? "Completed" : "InProgress",
                CreatedDateTime: "2026-01-01T00:00:00Z", Results: users.slice(0, done).map((u) => ({ User: u, Status: "Succeeded" })),
            });
        },
    } as never);
    const restore = () => {
        setProgressClockForTesting(undefined);
        setDiagnosticsSinkForTesting(undefined);
        setClientOverridesForTesting({});
    };
    return { users, logged, restore };
}

describe("resource URNs for provider diagnostics", () => {
    it("rebuilds the URN from the owner id, under TenantPolicies for its children", () => {
        assert.equal(COMPONENT_TYPE, TENANT_POLICIES_TYPE);
        assert.equal(resourceUrn("ClientPolicy", "p/s@abc/global"), "urn:pulumi:s::p::pulumi-nodejs:dynamic/clientpolicy:ClientPolicy::global");
        assert.equal(resourceUrn("PolicyGrant", "p/s/g", { component: "tenant" }), "urn:pulumi:s::p::clientpolicy:index:TenantPolicies$pulumi-nodejs:dynamic/clientpolicy:PolicyGrant::g");
        assert.equal(resourceUrn("ClientPolicy", undefined), "");
    });
});

describe("ownership warnings are engine diagnostics", () => {
    let logged: Array<{ severity: string; message: string; urn: string }>;
    let saved: NodeJS.ProcessEnv;
    beforeEach(async () => {
        saved = { ...process.env };
        for (const k of Object.keys(process.env)) if (k.startsWith("CLIENTPOLICY_")) delete process.env[k];
        logged = [];
        setDiagnosticsSinkForTesting((severity, message, urn) => { logged.push({ severity, message, urn }); });
        // The tenant holds Tag:Taken with this resource's own owner id, and this stack's state has no record of it.
        const transport = async (req: HttpRequest): Promise<HttpResponse> => {
            if (/token/.test(req.url)) return TOKEN;
            if (req.method === "GET" && /Tag:Taken/i.test(decodeURIComponent(req.url))) {
                return { ...json(200, { Identity: "Tag:Taken", "@owner": "proj/dev/taken" }), headers: { "content-type": "application/json", etag: "\"e1\"" } };
            }
            return json(404, { error: { code: "PolicyNotFound", message: "not found" } });
        };
        setClientOverridesForTesting({ transport, retry: { maxAttempts: 1 } } as never);
        await configure({ config: source(CONNECTION) });
    });
    afterEach(() => {
        process.env = saved;
        setDiagnosticsSinkForTesting(undefined);
        setClientOverridesForTesting({});
    });

    it("a policy this resource's owner id holds but state lacks: one warning, under the resource, through the engine", async () => {
        const result = await checkPolicy({}, { identity: "Tag:Taken", owner: "proj/dev/taken" });
        assert.deepEqual(result.failures, []);
        const warnings = logged.filter((l) => l.severity === "warning");
        assert.equal(warnings.length, 1, JSON.stringify(logged));
        assert.match(warnings[0].message, /^ClientPolicy Tag:Taken: carries this resource's owner id \(proj\/dev\/taken\).*`pulumi up` will take it back$/s);
        assert.equal(warnings[0].urn, "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/clientpolicy:ClientPolicy::taken");
    });
});
