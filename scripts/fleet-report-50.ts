/**
 * Records a fleet report of 50 tenants from a real run, to see how the Markdown reads at fleet scale (as GitHub renders
 * it: docs/report-fleet-50.png). The examples/multi-tenant program (baseline.yaml + tenants/<stack>.yaml) over 50
 * stacks deployed with the real Pulumi CLI against one emulator; then, as a week of a real fleet would:
 *
 * - 8 tenants changed by hand through the PowerShell endpoint (Global's offline IM archiving turned on, a description
 *   edited in 3 of them, a policy made by hand in 2);
 * - a code change pending in every tenant (the baseline's description of Tag:OfflineIM) and one tenant's own new policy;
 * - one tenant's client secret rotated in the tenant but not in its stack config (an auth error);
 * - one tenant declared by its tenant file without a stack yet;
 *
 * then `clientpolicy report --mode full --all --format md,json`. Writes docs/report-fleet-50.md (the emulator's port
 * fixed to 8443). Takes about 20 minutes of 2 cores.
 *
 *     node -r ts-node/register/transpile-only scripts/fleet-report-50.ts
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { startTestEmulator } from "../testkit/emulator";
import { tempDir } from "../testkit/projectFolder";
import { ROOT } from "../testkit/stack";
import { clientpolicy, createFleet, fleetSeed, fleetTenantId, MULTI_TENANT_BASELINE, MULTI_TENANT_PROGRAM, setSecret } from "../testkit/reportFleet";

const N = Number(process.env.FLEET_TENANTS ?? 50);
const SECRET = "fleet-secret-0123456789";
const OUT = path.join(ROOT, "docs", "report-fleet-50.md");

async function main(): Promise<void> {
    const emu = await startTestEmulator({ seed: fleetSeed(N + 1, SECRET), clientSecret: SECRET });
    const out = tempDir("clientpolicy-fleet-50-");
    const stacks = Array.from({ length: N }, (_, i) => `tenant-${String(i + 1).padStart(2, "0")}`);
    const files: Record<string, string> = { "baseline.yaml": MULTI_TENANT_BASELINE };
    stacks.forEach((s, i) => { files[`tenants/${s}.yaml`] = `policies:\n  - identity: Tag:Local${i + 1}\n    settings:\n      enableIMAutoArchiving: true\n`; });
    const started = Date.now();
    const fleet = await createFleet(stacks.map((stack, i) => ({ stack, endpoint: emu.url, tenantId: fleetTenantId(i + 1), clientId: "demo-client", clientSecret: SECRET })),
        { program: MULTI_TENANT_PROGRAM, files, parallel: 2, projectName: "tenant-policies" });
    process.stderr.write(`${N} stacks deployed in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    try {
        for (const i of [3, 7, 12, 18, 25, 31, 40, 44]) {
            await emu.powershell("Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $True", fleetTenantId(i));
        }
        for (const i of [7, 25, 44]) await emu.powershell('Set-CsClientPolicy -Identity OfflineIM -Description "Edited by hand"', fleetTenantId(i));
        for (const i of [12, 31]) await emu.powershell('New-CsClientPolicy -Identity HandMade -Description "Made in the admin shell"', fleetTenantId(i));
        const baseline = path.join(fleet.workDir, "baseline.yaml");
        fs.writeFileSync(baseline, fs.readFileSync(baseline, "utf8").replace("description: No offline IM archiving", "description: Offline IM off"));
        fs.appendFileSync(path.join(fleet.workDir, "tenants", "tenant-05.yaml"), "  - identity: Tag:Interns\n    description: Interns read only\n    settings:\n      disableSavingIM: true\n");
        await setSecret(fleet, "tenant-09", "clientpolicy:clientSecret", "a-secret-the-tenant-no-longer-accepts");
        // A tenant the repository declares before its stack exists.
        const newcomer = `tenant-${String(N + 1).padStart(2, "0")}`;
        fs.writeFileSync(path.join(fleet.workDir, "tenants", `${newcomer}.yaml`), "policies: []\n");
        fs.writeFileSync(path.join(fleet.workDir, `Pulumi.${newcomer}.yaml`), `config:\n  clientpolicy:tenantId: ${fleetTenantId(N + 1)}\n  clientpolicy:clientId: demo-client\n`);
        const t0 = Date.now();
        const r = await clientpolicy(["report", "--mode", "full", "--all", "--dir", fleet.workDir, "--format", "md,json", "--out", out], fleet.env);
        process.stderr.write(`report: exit ${r.code} in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
        if (r.code !== 2 && r.code !== 3) throw new Error(`expected exit 2 or 3, got ${r.code}:\n${r.stderr.slice(-4000)}`);
        const md = fs.readFileSync(path.join(out, "report.md"), "utf8").replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:8443");
        fs.writeFileSync(OUT, md);
        console.log(`wrote ${path.relative(ROOT, OUT)} (${md.length} characters; exit code of the run: ${r.code})`);
    } finally {
        fleet.dispose();
        fs.rmSync(out, { recursive: true, force: true });
        await emu.stop();
    }
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
