/**
 * The gateway itself, over loopback with the stand-in Management Shell: inbound auth from the config file's clients,
 * the audit log, the stand-in's binding (the module's host loop's checks and error records), shell faults (hang → 504, death or garbage
 * → 503, the shell replaced, a write never reported done unless confirmed, the provider's retries converging) and the
 * side store's durability across a restart.
 */
import * as assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Routes } from "../../../api/contract";
import { checkConfig, ConfigFileError, hashSecret, verifySecret } from "../../../gateway/config";
import { redact } from "../../../gateway/audit";
import type { ShellCommand } from "../../../api/powershell/protocol";
import { BindError, bindCommand } from "../../../api/powershell/binder";
import { TEST_CLIENT_SECRET } from "../../../testkit/emulator";
import { call, policyPath } from "../../../testkit/tenantApi";
import { recordedFetch } from "../../../testkit/recorder";
import { clientPolicyProvider as cp, configureFor, up } from "../provider/harness";
import { startTestGateway, type GatewayTestTenant } from "../../../testkit/gateway";

async function tokenStatus(t: GatewayTestTenant, tenant: string, clientId: string, secret: string) {
    const r = await recordedFetch(t.url, "POST", Routes.token(tenant), {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: secret }).toString(),
    });
    return { status: r.res.status, body: r.text };
}

describe("gateway: the service", function () {
    this.timeout(120_000);
    let t: GatewayTestTenant;
    before(async () => { t = await startTestGateway({ users: 20, commandTimeoutSeconds: 4 }); });
    after(async () => { await t?.stop(); });
    // A fault kills a shell; its replacement starts in the background (seconds for a ts-node stand-in on a loaded
    // machine). The next fault must meet a full pool, or its request waits for a shell, gives up after the command
    // timeout with 503 "no shell became free" and replaces nothing: the count below is then wrong for a reason that is
    // not the fault under test.
    afterEach(async () => { t.shellFaults({}); await t.gateway.shellsReady(); });

    describe("inbound authentication", () => {
        it("issues tokens only to registered clients with the right secret, per tenant", async () => {
            assert.equal((await tokenStatus(t, "contoso.example", "demo-client", TEST_CLIENT_SECRET)).status, 200);
            const wrong = await tokenStatus(t, "contoso.example", "demo-client", "not-the-secret-at-all");
            assert.equal(wrong.status, 401);
            assert.match(wrong.body, /invalid_client/);
            assert.equal((await tokenStatus(t, "contoso.example", "someone-else", TEST_CLIENT_SECRET)).status, 401);
            assert.equal((await tokenStatus(t, "nowhere.example", "demo-client", TEST_CLIENT_SECRET)).status, 400);
            const r = await call(t, "GET", policyPath("Global"), { token: null });
            assert.equal(r.status, 401);
            const other = await call(t, "GET", `/fabrikam.example${policyPath("Global")}`);
            assert.equal(other.status, 403, "a contoso token cannot be used on fabrikam");
        });

        it("stores secrets as scrypt hashes and refuses a clear secret or TLS-less non-loopback in the config, naming the field", async () => {
            const h = hashSecret("s3cret-s3cret-s3cret");
            assert.match(h, /^scrypt\$16384\$8\$1\$/);
            assert.ok(await verifySecret("s3cret-s3cret-s3cret", h));
            assert.ok(!(await verifySecret("s3cret-s3cret-s3creT", h)));
            const base = { tenant: "contoso.example", clients: [{ clientId: "a", secretHash: h }], shell: { command: "pwsh" } };
            assert.throws(() => checkConfig({ ...base, clients: [{ clientId: "a", secret: "plain-text-secret" }] }, "gw.yaml"),
                (e: Error) => e instanceof ConfigFileError && /gw\.yaml: clients\[0\] must be a secretHash/.test(e.message) && !e.message.includes("plain-text-secret"));
            assert.throws(() => checkConfig({ ...base, listen: { host: "0.0.0.0", port: 8443 } }, "gw.yaml"), /gw\.yaml: tls must be set/);
            assert.throws(() => checkConfig({ ...base, tenant: "../x" }, "gw.yaml"), /gw\.yaml: tenant must be a GUID or domain name/);
            assert.throws(() => checkConfig({ ...base, shell: { command: "pwsh", poolSize: 99 } }, "gw.yaml"), /gw\.yaml: shell\.poolSize must be an integer 1–16/);
            assert.throws(() => checkConfig({ ...base, extra: 1 }, "gw.yaml"), /gw\.yaml: extra must be one of the known keys/);
            assert.equal(checkConfig(base, "/etc/gw/gw.yaml").dataDir, path.resolve("/etc/gw/gateway-data"));
        });
    });

    it("writes one audit line per request: client, route, the cmdlet lines run, result and duration, with no token or secret", async () => {
        const tok = await t.token();
        const r = await call(t, "PUT", policyPath("Tag:Audited"), { body: { Description: "audit me" }, headers: { "if-none-match": "*" } });
        assert.equal(r.status, 201, r.text);
        const lines = readFileSync(t.auditFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
        const put = lines.find((l) => l.method === "PUT" && l.status === 201);
        assert.ok(put, "the PUT is audited");
        assert.equal(put.client, "demo-client");
        assert.equal(put.tenant, "contoso.example");
        assert.equal(put.route, "/Skype.Policy/configurations/:type/configuration/:identity");
        assert.deepEqual(put.commands, [
            'Get-CsClientPolicy -Identity "Tag:Audited" | policy',
            'New-CsClientPolicy -Identity "Tag:Audited" -Description "audit me"',
            'Get-CsClientPolicy -Identity "Tag:Audited" | policy',
        ]);
        assert.equal(typeof put.durationMs, "number");
        const text = readFileSync(t.auditFile, "utf8");
        assert.ok(!text.includes(TEST_CLIENT_SECRET), "no client secret in the audit log");
        assert.ok(!text.includes(tok.split(".")[2]), "no token in the audit log");
        assert.equal(redact("Authorization: Bearer abc.def.ghi x"), "Authorization: Bearer [redacted] x");
        assert.equal(redact("client_secret=hunter2&x=1"), "client_secret=[redacted]&x=1");
        assert.equal(redact("New-PSSession -Credential 'CONTOSO\\svc' -x"), "New-PSSession -Credential [redacted] -x");
    });

    describe("the stand-in shell binds like the module's host loop", () => {
        it("refuses a cmdlet or parameter outside the table, a wrong argument kind, a missing parameter and unprojected output, with the binder's error records; runs nothing of it", async () => {
            const refused: unknown[] = [
                { cmdlet: "Set-CsClientPolicy", params: { Identity: { kind: "string", value: "Global" }, EnableIMAutoArchivng: { kind: "bool", value: true } }, output: "none" },
                { cmdlet: "Invoke-Expression", params: { Command: { kind: "string", value: "Remove-CsClientPolicy Global" } }, output: "none" },
                { cmdlet: "Get-CsClientPolicy", params: { Identity: { kind: "string", value: "Global" } }, output: "none" },
                { cmdlet: "Set-CsClientPolicy", params: { Identity: { kind: "string", value: "Global" }, EnableIMAutoArchiving: { kind: "string", value: "$False" } }, output: "none" },
                { cmdlet: "Grant-CsClientPolicy", params: { Identity: { kind: "string", value: "User 00001" } }, output: "none" },
                { cmdlet: "Remove-CsClientPolicy", params: { Identity: { kind: "string", value: "Global" }, Force: { kind: "string", value: "; Remove-CsClientPolicy Global" } }, output: "none" },
                { cmdlet: "Get-CsUser", params: {}, output: "user" },
                "Remove-CsClientPolicy -Identity Global -Force",
            ];
            const before = await call(t.server, "GET", policyPath("Global"));
            const results = await t.gateway.runShell([
                ...refused as ShellCommand[],
                { cmdlet: "Set-CsClientPolicy", params: { Identity: { kind: "string", value: "Global" }, MaximumNumberOfContacts: { kind: "int", value: 5000 } }, output: "none" },
                { cmdlet: "Get-CsClientPolicy", params: { Identity: { kind: "string", value: "Global" } }, output: "policy" },
            ], false);
            const errors = results.map((x) => ("error" in x ? x.error : undefined));
            refused.forEach((cmd, i) => {
                let expected: BindError | undefined;
                try { bindCommand(cmd); } catch (e) { expected = e as BindError; }
                assert.ok(expected instanceof BindError, `the binder refuses ${JSON.stringify(cmd)}`);
                assert.deepEqual(errors[i], { id: expected.id, category: expected.category, message: expected.message }, `command ${i}`);
            });
            assert.deepEqual(errors.slice(0, refused.length).map((e) => e!.id), [
                "CpParameterNotInTable,Set-CsClientPolicy", "CpCommandNotInTable", "CpOutputNotAllowed,Get-CsClientPolicy", "CpArgumentType,Set-CsClientPolicy",
                "CpMissingParameter,Grant-CsClientPolicy", "CpArgumentType,Remove-CsClientPolicy", "CpParameterSet,Get-CsUser", "CpMalformedCommand",
            ]);
            assert.equal(errors[3]!.message, "-EnableIMAutoArchiving of Set-CsClientPolicy takes a boolean or null.");
            assert.match(errors[refused.length]!.message, /Cannot bind parameter 'MaximumNumberOfContacts'/, "the cmdlet's own range check");
            const last = results[refused.length + 1] as { ok: true; output: Array<Record<string, unknown>> };
            assert.equal(last.output[0].Identity, "Global");
            assert.equal("@owner" in last.output[0], false, "a real server has no owner field");
            assert.deepEqual((await call(t.server, "GET", policyPath("Global"))).json, before.json, "nothing refused ran");
        });
    });

    describe("shell faults", () => {
        it("answers 504 when the shell hangs, replaces it, and serves the next request", async () => {
            const before = t.gateway.shellReplacements();
            t.shellFaults({ hang: "Tag:Hangs" });
            const started = Date.now();
            const r = await call(t, "GET", policyPath("Tag:Hangs"));
            assert.equal(r.status, 504, r.text);
            assert.equal(r.json.error.code, "GatewayTimeout");
            assert.ok(Date.now() - started < 10_000);
            assert.equal(t.gateway.shellReplacements(), before + 1);
            t.shellFaults({});
            assert.equal((await call(t, "GET", policyPath("Global"))).status, 200);
        });

        it("answers 503 with Retry-After when the shell dies or prints something that is not the protocol", async () => {
            for (const fault of [{ die: "Tag:Dies" }, { garbage: "Tag:Dies" }]) {
                await t.gateway.shellsReady();
                const before = t.gateway.shellReplacements();
                const seen = t.events.length;
                t.shellFaults(fault);
                const r = await call(t, "GET", policyPath("Tag:Dies"));
                assert.equal(r.status, 503, `${JSON.stringify(fault)}: ${r.text}`);
                assert.equal(r.headers.get("retry-after"), "1");
                assert.equal(t.gateway.shellReplacements(), before + 1, `${JSON.stringify(fault)}: ${r.text} ${JSON.stringify(t.events.slice(seen))}`);
                t.shellFaults({});
            }
            assert.equal((await call(t, "GET", policyPath("Global"))).status, 200);
        });

        it("never reports a write the shell did not confirm: a shell dying after New-CsClientPolicy answers 503; the provider's retry takes its own policy back", async () => {
            t.shellFaults({ dieAfter: '^New-CsClientPolicy -Identity "Tag:Interrupted"', once: true });
            const direct = await call(t, "PUT", policyPath("Tag:Interrupted"), { body: { "@owner": "proj/stack/interrupted" }, headers: { "if-none-match": "*" } });
            assert.equal(direct.status, 503, "the write happened, but the shell never confirmed it");
            const live = await call(t.server, "GET", policyPath("Tag:Interrupted"));
            assert.equal(live.status, 200, "the server has the policy");
            t.shellFaults({ dieAfter: '^New-CsClientPolicy -Identity "Tag:Retried"', once: true });
            await configureFor(t);
            // The provider's create retries the 503; the retry finds the policy (409). The owner was recorded before
            // New-CsClientPolicy ran, so the provider recognises its own interrupted create and takes it back.
            const res = await up(cp, undefined, { identity: "Tag:Retried", enableIMAutoArchiving: false, owner: "proj/stack/retried" });
            assert.equal(res.state.id, "Tag:Retried");
            const got = await call(t, "GET", policyPath("Tag:Retried"));
            assert.equal(got.json.EnableIMAutoArchiving, false);
            assert.equal(got.json["@owner"], "proj/stack/retried");
        });
    });
});

describe("gateway: side store across a restart", function () {
    this.timeout(120_000);
    it("keeps owners, assignment owners and batch results in SQLite beside the gateway", async () => {
        const emuDir = mkdtempSync(path.join(os.tmpdir(), "cpac-gw-emu-"));
        const gwDir = mkdtempSync(path.join(os.tmpdir(), "cpac-gw-dir-"));
        try {
            let t = await startTestGateway({ users: 30, dataDir: emuDir, gatewayDir: gwDir, poolSize: 1 });
            let opId: string;
            try {
                assert.equal((await call(t, "PUT", policyPath("Tag:Kept"), { body: { "@owner": "p/s/kept" }, headers: { "if-none-match": "*" } })).status, 201);
                const b = await call(t, "POST", Routes.batchAssignments(), { body: { PolicyType: "ClientPolicy", PolicyName: "Kept", Users: ["User 00001", "User 00002", "nobody@nowhere"], Owner: "p/s/grant" } });
                assert.equal(b.status, 202, b.text);
                opId = b.json.OperationId;
                for (let i = 0; i < 100; i++) {
                    const s = await call(t, "GET", Routes.batchAssignment(opId));
                    if (s.json.Status === "Completed") break;
                    await new Promise((r) => setTimeout(r, 100));
                }
            } finally {
                await t.stop();
            }
            t = await startTestGateway({ users: 30, dataDir: emuDir, gatewayDir: gwDir, poolSize: 1 });
            try {
                const p = await call(t, "GET", policyPath("Tag:Kept"));
                assert.equal(p.json["@owner"], "p/s/kept");
                const op = await call(t, "GET", Routes.batchAssignment(opId));
                assert.equal(op.json.Status, "Completed");
                assert.deepEqual(op.json.Results.map((r: { Status: string }) => r.Status), ["Succeeded", "Succeeded", "Failed"]);
                assert.equal(op.json.Results[2].Error.code, "UserNotFound");
                const u = await call(t, "GET", Routes.user("User 00001"));
                assert.equal(u.json.ClientPolicy, "Kept");
                assert.equal(u.json.ClientPolicyOwner, "p/s/grant");
                // An administrator re-granting in the shell makes the recorded owner stale: nobody owns it now.
                await t.powershell("Grant-CsClientPolicy -Identity 'User 00001' -PolicyName $null");
                await t.powershell("Grant-CsClientPolicy -Identity 'User 00001' -PolicyName Kept");
                assert.equal((await call(t, "GET", Routes.user("User 00001"))).json.ClientPolicyOwner, "p/s/grant",
                    "same policy again: the record still matches (the shell cannot tell who granted)");
            } finally {
                await t.stop();
            }
        } finally {
            rmSync(emuDir, { recursive: true, force: true });
            rmSync(gwDir, { recursive: true, force: true });
        }
    });
});
