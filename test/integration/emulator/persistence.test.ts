import * as assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startTestEmulator, type TestTenant } from "../../helpers/emulator";
import { call, createPolicy, grantPath, policyPath, userPath, type Res } from "./util";

async function completed(t: TestTenant, operationId: string): Promise<Res> {
    for (;;) {
        const res = await call(t, "GET", `/Skype.Policy/batchAssignments/${operationId}`);
        assert.equal(res.status, 200, res.text);
        if (res.json.Status === "Completed") return res;
        await new Promise((r) => setTimeout(r, 10));
    }
}

describe("emulator: persistence", () => {
    let dataDir: string;
    beforeEach(() => { dataDir = mkdtempSync(path.join(os.tmpdir(), "cpac-persist-")); });
    afterEach(() => { rmSync(dataDir, { recursive: true, force: true }); });

    it("keeps policies, grants, batches and users across a restart; provisioning is idempotent; old tokens stay valid", async () => {
        let t = await startTestEmulator({ dataDir, users: 20 });
        await createPolicy(t, "Durable", { IMWarning: "kept" });
        await call(t, "PUT", grantPath("Tony Smith"), { body: { PolicyName: "Durable" } });
        const batch = await call(t, "POST", "/Skype.Policy/batchAssignments", { body: { PolicyType: "ClientPolicy", PolicyName: "Durable", Users: ["User 00001", "Nobody Known"], Owner: "proj/stack/grant" } });
        const finished = (await completed(t, batch.json.OperationId)).json;
        assert.deepEqual(finished.Results.map((r: any) => r.Status), ["Succeeded", "Failed"]);
        const tony = (await call(t, "GET", userPath("Tony Smith"))).json;
        const token = await t.token();
        const etag = (await call(t, "GET", policyPath("Durable"))).headers.get("etag");
        await t.stop();

        t = await startTestEmulator({ dataDir, users: 500 });
        try {
            const p = await call(t, "GET", policyPath("Durable"), { token });
            assert.equal(p.json.IMWarning, "kept");
            assert.equal(p.headers.get("etag"), etag);
            assert.deepEqual((await call(t, "GET", userPath("Tony Smith"))).json, tony);
            const op = await call(t, "GET", `/Skype.Policy/batchAssignments/${batch.json.OperationId}`);
            assert.equal(op.status, 200);
            assert.deepEqual(op.json, finished, "batch status and per-user results survive the restart");
            const user1 = (await call(t, "GET", userPath("User 00001"))).json;
            assert.deepEqual([user1.ClientPolicy, user1.ClientPolicyOwner], ["Durable", "proj/stack/grant"]);
            const state = JSON.parse(readFileSync(t.tenantFile, "utf8"));
            assert.equal(state.users.length, 25, "users were not regenerated");
            assert.deepEqual(readdirSync(dataDir).filter((f) => f.endsWith(".tmp")), []);
        } finally {
            await t.stop();
        }
    });

    it("removes temp files a crashed write left behind, and nothing else", async () => {
        let t = await startTestEmulator({ dataDir, users: 0 });
        await createPolicy(t, "Kept");
        await t.stop();
        const leftovers = [`${path.basename(t.tenantFile)}.4242.tmp`, "emulator-key.17.tmp"];
        for (const f of leftovers) writeFileSync(path.join(dataDir, f), "{half a fi");
        writeFileSync(path.join(dataDir, "notes.tmp"), "not ours");
        t = await startTestEmulator({ dataDir, users: 0 });
        try {
            for (const f of leftovers) assert.equal(existsSync(path.join(dataDir, f)), false, `${f} left behind`);
            assert.equal(existsSync(path.join(dataDir, "notes.tmp")), true, "a file the emulator did not write is kept");
            assert.equal((await call(t, "GET", policyPath("Kept"))).status, 200);
        } finally {
            await t.stop();
        }
    });

    it("survives kill -9 during a burst: every acknowledged write is in the store", async function () {
        this.timeout(120000);
        let t: TestTenant = await startTestEmulator({ dataDir, inProcess: false, users: 10 });
        const token = await t.token();
        const acked: string[] = [];
        let killed = false;
        const worker = async (w: number) => {
            for (let i = 0; !killed; i++) {
                const name = `Crash-${w}-${i}`;
                try {
                    const res = await call(t, "PUT", policyPath(name), { token, body: { IMWarning: name }, headers: { "if-none-match": "*" } });
                    if (res.status === 201) acked.push(name);
                } catch {
                    return; // connection refused or reset once the process is gone
                }
                if (acked.length >= 60 && !killed) {
                    killed = true;
                    t.child!.kill("SIGKILL");
                }
            }
        };
        await Promise.all([0, 1, 2, 3, 4, 5].map(worker));
        await new Promise((r) => (t.child!.exitCode !== null || t.child!.signalCode !== null ? r(undefined) : t.child!.once("exit", r)));
        assert.equal(t.child!.signalCode, "SIGKILL");

        const state = JSON.parse(readFileSync(t.tenantFile, "utf8"));
        for (const name of acked) assert.equal(state.policies[`tag:${name.toLowerCase()}`]?.settings.IMWarning, name, `acknowledged ${name} lost`);

        t = await startTestEmulator({ dataDir, inProcess: false, users: 10 });
        try {
            for (const name of acked.slice(-5)) assert.equal((await call(t, "GET", policyPath(name), { token })).status, 200);
        } finally {
            await t.stop();
        }
    });
});
