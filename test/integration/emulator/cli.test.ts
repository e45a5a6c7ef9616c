import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { REPO_ROOT, spawnEmulator } from "../../../testkit/emulator";

async function json(url: string, init: RequestInit & { token?: string } = {}) {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.body && !headers["content-type"]) headers["content-type"] = "application/json";
    const res = await fetch(url, { ...init, headers });
    return { status: res.status, json: await res.json() as any };
}

describe("emulator: command line", () => {
    let dataDir: string;
    beforeEach(() => { dataDir = mkdtempSync(path.join(os.tmpdir(), "cpac-cli-")); });
    afterEach(() => { rmSync(dataDir, { recursive: true, force: true }); });

    it("`npm run emulator -- --port 0` prints the exact first line and serves the seed scenario over HTTP", async function () {
        this.timeout(60000);
        const bin = path.join(REPO_ROOT, "node_modules", ".bin");
        const child = spawn("npm", ["run", "--silent", "emulator", "--", "--port", "0", "--data", dataDir, "--users", "100"], {
            cwd: REPO_ROOT, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, stdio: ["ignore", "pipe", "ignore"], detached: true,
        });
        try {
            const lines: string[] = [];
            const rl = createInterface({ input: child.stdout! });
            await new Promise<void>((resolve) => rl.on("line", (l) => { lines.push(l); if (lines.length === 2) resolve(); }));
            assert.match(lines[0], /^emulator listening on http:\/\/127\.0\.0\.1:\d+$/);
            const url = lines[0].slice("emulator listening on ".length);
            const m = /^tenant contoso\.example client-id demo-client client-secret (\S+)$/.exec(lines[1]);
            assert.ok(m, lines[1]);

            const tok = await json(`${url}/contoso.example/oauth2/v2.0/token`, {
                method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
                body: new URLSearchParams({ grant_type: "client_credentials", client_id: "demo-client", client_secret: m[1] }).toString(),
            });
            const token = tok.json.access_token;
            const cfg = `${url}/Skype.Policy/configurations/ClientPolicy/configuration`;
            assert.equal((await json(`${cfg}/Global`, { method: "PATCH", token, body: JSON.stringify({ EnableIMAutoArchiving: false }) })).status, 200);
            assert.equal((await json(`${cfg}/Tag%3AOfflineIM`, { method: "PUT", token, headers: { "if-none-match": "*" }, body: JSON.stringify({ EnableIMAutoArchiving: false }) })).status, 201);
            const grant = await json(`${url}/users/Tony%20Smith/policyAssignments/ClientPolicy`, { method: "PUT", token, body: JSON.stringify({ PolicyName: "OfflineIM" }) });
            assert.equal(grant.status, 200);
            assert.equal((await json(`${cfg}/Global`, { token })).json.EnableIMAutoArchiving, false);
            assert.equal((await json(`${cfg}/OfflineIM`, { token })).json.Identity, "Tag:OfflineIM");
            const tony = await json(`${url}/users/sip%3Atony.smith%40contoso.example`, { token });
            assert.equal(tony.json.ClientPolicy, "OfflineIM");
        } finally {
            process.kill(-child.pid!, "SIGTERM");
            await new Promise((r) => child.once("exit", r));
        }
    });

    it("exits 0 on SIGTERM and SIGINT and refuses bad flags", async function () {
        this.timeout(60000);
        for (const signal of ["SIGTERM", "SIGINT"] as const) {
            const { child, lines } = await spawnEmulator(["--port", "0", "--data", dataDir, "--users", "10", "--client-secret", "s3cret"]);
            await new Promise((r) => setTimeout(r, 50));
            assert.equal(lines[1], "tenant contoso.example client-id demo-client client-secret s3cret");
            const code = await new Promise((r) => { child.once("exit", (c) => r(c)); child.kill(signal); });
            assert.equal(code, 0, signal);
        }
        await assert.rejects(spawnEmulator(["--port", "0", "--data", dataDir, "--bogus"]), /unknown flag --bogus/);
        await assert.rejects(spawnEmulator(["--port", "0", "--data", dataDir, "--fault-500", "2"]), /fault500/);
    });
});
