/**
 * `clientpolicy gateway selftest` through the CLI against the stand-in shell (config file → shell pool → checks), the
 * checker's verdict on projections that do not fit the catalogue, and `clientpolicy gateway jea|module` writing the
 * committed files.
 */
import * as assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { run } from "../../../cli/main";
import { hashSecret } from "../../../gateway/config";
import type { LineResult } from "../../../api/powershell/protocol";
import type { ShellRunner } from "../../../gateway/shell";
import { selfTest } from "../../../gateway/selftest";
import { startTestEmulator, TEST_CLIENT_SECRET, type TestTenant } from "../../../testkit/emulator";
import { standInCommand } from "../../../testkit/gateway";

/** Captures what the CLI writes to stdout and stderr while `fn` runs. */
async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const o = process.stdout.write.bind(process.stdout);
    const e = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    try {
        const code = await fn();
        return { code, out: out.join(""), err: err.join("") };
    } finally {
        process.stdout.write = o;
        process.stderr.write = e;
        process.exitCode = undefined;
    }
}

function fakeShell(global: Record<string, unknown>): ShellRunner {
    return {
        run: async (): Promise<LineResult[]> => [
            { ok: true, output: [global] },
            { ok: true, output: [{ Id: "1", SipAddress: "sip:a@b", UserPrincipalName: "a@b", DisplayName: "A", ClientPolicy: null }] },
        ],
        close: async () => undefined,
    };
}

describe("gateway: self-test and generator commands", function () {
    this.timeout(120_000);
    let emu: TestTenant;
    let dir: string;
    before(async () => {
        emu = await startTestEmulator({ users: 5 });
        dir = mkdtempSync(path.join(os.tmpdir(), "cpac-gw-cli-"));
    });
    after(async () => {
        await emu?.stop();
        rmSync(dir, { recursive: true, force: true });
    });

    it("selftest passes against the stand-in shell: Global's 92 settings and a user", async () => {
        const sh = standInCommand(emu.url, emu.tenantId);
        const cfg = path.join(dir, "gateway.yaml");
        writeFileSync(cfg, stringify({
            tenant: emu.tenantId, clients: [{ clientId: "demo-client", secretHash: hashSecret(TEST_CLIENT_SECRET) }],
            shell: { command: sh.command, args: sh.args, env: sh.env, cwd: sh.cwd },
        }));
        await emu.powershell("Set-CsClientPolicy -Identity Global -ConferenceIMIdleTimeout 00:10:00 -DisplayPhoto NoPhoto");
        const r = await capture(() => run(["gateway", "selftest", "--config", cfg, "--user", "sip:tony.smith@contoso.example"]));
        assert.equal(r.code, 0, r.out + r.err);
        assert.match(r.out, /^ok {3}ConferenceIMIdleTimeout: "00:10:00"$/m);
        assert.match(r.out, /^ok {3}Get-CsUser -Identity sip:tony\.smith@contoso\.example: Tony Smith <sip:tony\.smith@contoso\.example>/m);
        assert.match(r.out, /self-test passed \(96 checks\)/);
        const bad = await capture(() => run(["gateway", "selftest", "--config", path.join(dir, "missing.yaml"), "--user", "x"]));
        assert.equal(bad.code, 1);
        assert.match(bad.err, /cannot read the gateway configuration .*missing\.yaml: ENOENT/);
    });

    it("selftest fails, naming the setting, when a projected value or name does not fit the catalogue", async () => {
        const findings = await selfTest(fakeShell({ Identity: "Global", ConferenceIMIdleTimeout: "1.00:00:00", NewServerSetting: true }), "a@b");
        const failed = findings.filter((f) => !f.ok).map((f) => `${f.check}: ${f.detail}`);
        assert.ok(failed.some((f) => /^ConferenceIMIdleTimeout: "1\.00:00:00"/.test(f)), failed.join("\n"));
        assert.ok(failed.some((f) => /no settings unknown to the catalogue: NewServerSetting/.test(f)), failed.join("\n"));
        assert.ok(failed.some((f) => /^EnableIMAutoArchiving: missing from the projection/.test(f)), failed.join("\n"));
    });

    it("gateway module and gateway jea write exactly the committed files", async () => {
        const out = path.join(dir, "gen");
        assert.equal((await capture(() => run(["gateway", "module", "--out", out]))).code, 0);
        assert.equal((await capture(() => run(["gateway", "jea", "--out", out]))).code, 0);
        const root = path.join(__dirname, "..", "..", "..", "gateway");
        assert.equal(readFileSync(path.join(out, "ClientPolicyGateway.psm1"), "utf8"), readFileSync(path.join(root, "module", "ClientPolicyGateway.psm1"), "utf8"));
        assert.equal(readFileSync(path.join(out, "ClientPolicyGateway.pssc"), "utf8"), readFileSync(path.join(root, "jea", "ClientPolicyGateway.pssc"), "utf8"));
        assert.equal(readFileSync(path.join(out, "RoleCapabilities", "ClientPolicyGateway.psrc"), "utf8"), readFileSync(path.join(root, "jea", "RoleCapabilities", "ClientPolicyGateway.psrc"), "utf8"));
        const badGroup = await capture(() => run(["gateway", "jea", "--out", out, "--group", "x'y"]));
        assert.equal(badGroup.code, 1);
        assert.match(badGroup.err, /--group: expected a DOMAIN\\Group name/);
    });
});
