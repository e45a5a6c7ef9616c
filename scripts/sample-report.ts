/**
 * Records the sample fleet report from a real run: three tenant stacks (contoso, fabrikam, northwind) deployed with
 * the real Pulumi CLI against emulators, out-of-band changes made through the PowerShell endpoint (a setting, a
 * description, a policy made by hand), a code change pending (a description, one user less in a grant), a fourth
 * tenant declared by its `Pulumi.litware.yaml` without a stack, northwind's tenant API stopped; then
 * `clientpolicy report --mode full --all`. Writes the JSON report to docs/report-sample.json; `npm run generate` renders
 * it into docs/report-sample.md and the README's sample (testkit/generated.ts).
 *
 *     node -r ts-node/register/transpile-only scripts/sample-report.ts && npm run generate
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { startTestEmulator } from "../testkit/emulator";
import { tempDir } from "../testkit/projectFolder";
import { SAMPLE_REPORT_JSON } from "../testkit/generated";
import { ROOT } from "../testkit/stack";
import { clientpolicy, createFleet, fleetSeed, fleetTenantId, FLEET_PROGRAM } from "../testkit/reportFleet";

const SECRET = "sample-secret-0123456789";

async function main(): Promise<void> {
    const emu = await startTestEmulator({ seed: fleetSeed(3, SECRET), clientSecret: SECRET });
    const down = await startTestEmulator({ seed: fleetSeed(3, SECRET), clientSecret: SECRET });
    const out = tempDir("clientpolicy-sample-");
    const names = ["contoso", "fabrikam", "northwind"];
    const fleet = await createFleet(names.map((stack, i) => ({
        stack, endpoint: i === 2 ? down.url : emu.url, tenantId: fleetTenantId(i + 1), clientId: "demo-client", clientSecret: SECRET,
        extraConfig: i === 2 ? { maxAttempts: "2" } : undefined,
    })), { projectName: "tenant-policies" });
    try {
        await emu.powershell("Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $True", fleetTenantId(1));
        await emu.powershell("Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $True", fleetTenantId(2));
        await emu.powershell('Set-CsClientPolicy -Identity OfflineIM -Description "Edited by hand"', fleetTenantId(1));
        await emu.powershell('New-CsClientPolicy -Identity HandMade -Description "Made in the admin shell"', fleetTenantId(2));
        await down.stop();
        fs.writeFileSync(path.join(fleet.workDir, "index.ts"), FLEET_PROGRAM
            .replace('description: "No offline IM archiving"', 'description: "Offline IM off"')
            .replace('users: ["Tony Smith", "Ann Beebe"]', 'users: ["Tony Smith"]'));
        // A tenant the repository declares before its stack exists.
        fs.writeFileSync(path.join(fleet.workDir, "Pulumi.litware.yaml"), `config:\n  clientpolicy:tenantId: ${fleetTenantId(3)}\n  clientpolicy:clientId: demo-client\n`);
        const r = await clientpolicy(["report", "--mode", "full", "--all", "--dir", fleet.workDir, "--format", "json", "--out", out], fleet.env);
        if (r.code !== 3) throw new Error(`expected exit 3 (northwind unreachable), got ${r.code}:\n${r.stderr}`);
        // The emulator's port changes every run: show a fixed one.
        const json = fs.readFileSync(path.join(out, "report.json"), "utf8").replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:8443");
        fs.writeFileSync(path.join(ROOT, SAMPLE_REPORT_JSON), json);
        console.log(`wrote ${SAMPLE_REPORT_JSON} (exit code of the run: ${r.code}); npm run generate renders it`);
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
