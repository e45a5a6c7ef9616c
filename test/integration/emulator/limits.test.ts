import * as assert from "node:assert/strict";
import { startTestEmulator, type TestTenant } from "../../../testkit/emulator";
import { assertError, call, createPolicy, policyPath, tokenOf } from "./util";
import { fetchRecorded } from "../../../testkit/recorder";

describe("emulator: throttling and fault injection", () => {
    let t: TestTenant | undefined;
    afterEach(async () => { await t?.stop(); t = undefined; });

    it("throttles per tenant with 429 Throttled and Retry-After, without applying the request", async () => {
        t = await startTestEmulator({ users: 0, rate: 5 });
        const contoso = await tokenOf(t);
        const fabrikam = await t.tokenFor("fabrikam.example");
        const results = [];
        for (let i = 0; i < 12; i++) results.push(await call(t, "PATCH", policyPath("Global"), { token: contoso, body: { MaxPhotoSizeKB: i } }));
        const throttled = results.filter((r) => r.status === 429);
        assert.ok(throttled.length >= 5, `only ${throttled.length} throttled`);
        assertError(throttled[0], 429, "Throttled");
        assert.ok(Number(throttled[0].headers.get("retry-after")) >= 1);
        const lastOk = results.filter((r) => r.status === 200).pop()!;
        await new Promise((r) => setTimeout(r, 1100));
        assert.equal((await call(t, "GET", policyPath("Global"), { token: contoso })).json.MaxPhotoSizeKB, lastOk.json.MaxPhotoSizeKB);
        // Another tenant has its own budget.
        assert.equal((await call(t, "GET", policyPath("Global"), { token: fabrikam })).status, 200);
    });

    it("injects 429/500/503/reset from start-up flags and at run time; faulted writes are not applied", async () => {
        t = await startTestEmulator({ users: 0, faults: { fault503: 1 } });
        const res = await fetchRecorded(`${t.url}/contoso.example/oauth2/v2.0/token`, { method: "POST" });
        assert.equal(res.status, 503);
        assert.equal(res.headers.get("retry-after"), "1");
        await t.setFaults({ fault503: 0 });
        await tokenOf(t);
        await createPolicy(t, "Faulted", { MaxPhotoSizeKB: 1 });

        const cases: Array<[Record<string, number>, number, string]> = [[{ fault429: 1 }, 429, "Throttled"], [{ fault500: 1 }, 500, "InternalServerError"], [{ fault503: 1 }, 503, "ServiceUnavailable"]];
        for (const [faults, status, code] of cases) {
            await t.setFaults({ fault429: 0, fault500: 0, fault503: 0, ...faults });
            assertError(await call(t, "PATCH", policyPath("Faulted"), { body: { MaxPhotoSizeKB: 99 } }), status, code);
        }
        await t.setFaults({ fault429: 0, fault500: 0, fault503: 0, faultReset: 1 });
        await assert.rejects(call(t, "PATCH", policyPath("Faulted"), { body: { MaxPhotoSizeKB: 99 } }));
        await t.setFaults({ faultReset: 0, latencyMs: 150 });
        const started = Date.now();
        assert.equal((await call(t, "GET", policyPath("Faulted"))).json.MaxPhotoSizeKB, 1);
        assert.ok(Date.now() - started >= 140);
        assert.equal((await t.stats()).writes, 1);
    });

    it("validates the fault configuration", async () => {
        t = await startTestEmulator({ users: 0 });
        const put = (body: unknown) => fetchRecorded(`${t!.url}/_emulator/faults`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        const bad = await put({ fault500: 1.5 });
        assert.equal(bad.status, 400);
        assert.equal(((await bad.json()) as any).error.target, "fault500");
        assert.equal((await put({ nonsense: 1 })).status, 400);
        const ok = await put({ fault429: 0.25 });
        assert.deepEqual(await ok.json(), { fault429: 0.25, fault500: 0, fault503: 0, faultReset: 0, latencyMs: 0 });
        assert.deepEqual(await (await fetchRecorded(`${t.url}/_emulator/faults`)).json(), { fault429: 0.25, fault500: 0, fault503: 0, faultReset: 0, latencyMs: 0 });
    });
});
