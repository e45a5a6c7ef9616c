/**
 * One validation for both backends: the same hostile requests go to a tenant emulator and to a gateway (stand-in shell
 * over an emulator of its own, same seed), and each must get the same status and error code from both. Values that
 * cross the gateway into the shell (line breaks, NUL, the Unicode line separators, PowerShell's typographic quotes and
 * dashes, `$()`, backticks) are exactly the ones where two implementations drift apart.
 */
import * as assert from "node:assert/strict";
import { Routes } from "../../../api/contract";
import { startTestEmulator, type TestTenant } from "../../../testkit/emulator";
import { call, policyPath } from "../../../testkit/tenantApi";
import { startTestGateway, type GatewayTestTenant } from "../../../testkit/gateway";

/** One request of the hostile list. */
interface Probe {
    name: string;
    method: string;
    path: string;
    body?: unknown;
    headers?: Record<string, string>;
}

const CREATE = { "if-none-match": "*" };
const HOSTILE_TEXT: Array<[string, string]> = [
    ["LF", "line one\nline two"],
    ["CRLF", "line one\r\nRemove-CsClientPolicy -Identity Global -Force"],
    ["CR", "a\rb"],
    ["NUL", "a\u0000b"],
    ["NEL", "a\u0085b"],
    ["LS", "a\u2028b"],
    ["PS", "a\u2029b"],
    ["quote", "x\u2019;Remove-CsClientPolicy -Identity Global -Force;#"],
    ["subexpr", "$(Remove-CsClientPolicy -Identity Global -Force)"],
    ["backtick", "a`nb`"],
    ["dash", "\u2013Force"],
];

function probes(): Probe[] {
    const out: Probe[] = [];
    HOSTILE_TEXT.forEach(([label, text], i) => {
        out.push({ name: `create with Description ${label}`, method: "PUT", path: policyPath(`Tag:Parity${i}`), body: { Description: text }, headers: CREATE });
        out.push({ name: `create with an entry value ${label}`, method: "PUT", path: policyPath(`Tag:ParityEntry${i}`), body: { PolicyEntry: [{ Name: "k", Value: text }] }, headers: CREATE });
        out.push({ name: `create with an entry name ${label}`, method: "PUT", path: policyPath(`Tag:ParityName${i}`), body: { PolicyEntry: [{ Name: text, Value: "v" }] }, headers: CREATE });
        out.push({ name: `patch Global's Description ${label}`, method: "PATCH", path: policyPath("Global"), body: { Description: text } });
        out.push({ name: `create with @owner ${label}`, method: "PUT", path: policyPath(`Tag:ParityOwner${i}`), body: { "@owner": text }, headers: CREATE });
        out.push({ name: `policy named ${label}`, method: "PUT", path: policyPath(`Tag:P${i}${text}`), body: {}, headers: CREATE });
        out.push({ name: `read a policy named ${label}`, method: "GET", path: policyPath(`Tag:${text}`) });
        out.push({ name: `user identity ${label}`, method: "GET", path: Routes.user(`User 00001${text}`) });
        out.push({ name: `user identity ${label} then the name`, method: "GET", path: Routes.user(`${text}User 00002`) });
        out.push({ name: `grant to user ${label}`, method: "PUT", path: Routes.userAssignment(`User 00003${text}`), body: { PolicyName: "Tag:ParityTarget" } });
        out.push({ name: `grant policy name ${label}`, method: "PUT", path: Routes.userAssignment("User 00004"), body: { PolicyName: `Tag:${text}` } });
        out.push({ name: `grant owner ${label}`, method: "PUT", path: Routes.userAssignment("User 00005"), body: { PolicyName: "Tag:ParityTarget", Owner: text } });
        out.push({ name: `batch with a user ${label}`, method: "POST", path: Routes.batchAssignments(), body: { PolicyType: "ClientPolicy", PolicyName: "Tag:ParityTarget", Users: [`User 00006${text}`] } });
        out.push({ name: `batch policy name ${label}`, method: "POST", path: Routes.batchAssignments(), body: { PolicyType: "ClientPolicy", PolicyName: `Tag:${text}`, Users: ["User 00007"] } });
        out.push({ name: `resolve ${label}`, method: "POST", path: Routes.userResolutions(), body: { Identities: [`User 00008${text}`] } });
    });
    return out;
}

/** What must agree: the status, the error code and its target; a batch's per-user outcome once it completed. */
async function outcome(t: TestTenant, p: Probe): Promise<unknown> {
    const r = await call(t, p.method, p.path, { body: p.body, headers: p.headers });
    const out: Record<string, unknown> = { status: r.status, code: r.json?.error?.code ?? null, target: r.json?.error?.target ?? null };
    if (r.status === 200 && p.path.includes("userResolutions")) {
        out.resolved = (r.json.value as Array<{ User?: { Id: string }; Error?: { code: string } }>).map((x) => x.User ? "user" : x.Error!.code);
    }
    if (r.status === 202) {
        for (let i = 0; i < 200; i++) {
            const s = await call(t, "GET", Routes.batchAssignment(r.json.OperationId));
            if (s.json.Status === "Completed") {
                out.results = (s.json.Results as Array<{ Status: string; Error?: { code: string } }>).map((x) => `${x.Status}:${x.Error?.code ?? ""}`);
                break;
            }
            await new Promise((res) => setTimeout(res, 50));
        }
        assert.ok(out.results, `${p.name}: the batch completed`);
    }
    return out;
}

describe("gateway and emulator answer the same hostile requests the same way", function () {
    this.timeout(300_000);
    let emu: TestTenant;
    let gw: GatewayTestTenant;
    before(async () => {
        [emu, gw] = await Promise.all([startTestEmulator({ users: 20 }), startTestGateway({ users: 20, poolSize: 1 })]);
        for (const t of [emu, gw]) {
            const r = await call(t, "PUT", policyPath("Tag:ParityTarget"), { body: {}, headers: CREATE });
            assert.equal(r.status, 201, r.text);
        }
    });
    after(async () => { await Promise.all([emu?.stop(), gw?.stop()]); });

    it("status, error code and target agree for every probe, and nothing the gateway sent ran as a second command", async () => {
        const differences: string[] = [];
        for (const p of probes()) {
            const [a, b] = [await outcome(emu, p), await outcome(gw, p)];
            if (JSON.stringify(a) !== JSON.stringify(b)) differences.push(`${p.name}: emulator ${JSON.stringify(a)}, gateway ${JSON.stringify(b)}`);
        }
        assert.deepEqual(differences, []);
        const global = await call(gw.server, "GET", policyPath("Global"));
        assert.equal(global.status, 200, "Global was never removed behind the gateway");
    });
});
