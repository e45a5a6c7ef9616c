/**
 * Renders the sample fleet report shown in the README from a real run: three tenant stacks (contoso, fabrikam,
 * northwind) deployed with the real Pulumi CLI against emulators, out-of-band changes made through the PowerShell
 * endpoint (a setting, a description, a policy made by hand), a code change pending (a description, one user less in
 * a grant), a fourth tenant declared by its `Pulumi.litware.yaml` without a stack, northwind's tenant API stopped;
 * then `clientpolicy report --mode full --all`. Writes docs/report-sample.md, and with `--readme` also the block
 * between the sample-report markers of README.md.
 *
 *     node -r ts-node/register/transpile-only scripts/sample-report.ts [--readme]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { startTestEmulator } from "../test/helpers/emulator";
import { tempDir } from "./lib/projectFolder";
import { ROOT } from "./lib/stack";
import { clientpolicy, createFleet, fleetSeed, fleetTenantId, FLEET_PROGRAM } from "../test/e2e/reportFleet";

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
        const r = await clientpolicy(["report", "--mode", "full", "--all", "--dir", fleet.workDir, "--format", "md,json", "--out", out], fleet.env);
        if (r.code !== 3) throw new Error(`expected exit 3 (northwind unreachable), got ${r.code}:\n${r.stderr}`);
        // The emulator's port changes every run: show a fixed one.
        const md = fs.readFileSync(path.join(out, "report.md"), "utf8").replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:8443");
        fs.writeFileSync(path.join(ROOT, "docs", "report-sample.md"), md);
        if (!process.argv.includes("--readme")) {
            console.log(`wrote docs/report-sample.md (exit code of the run: ${r.code})`);
            return;
        }
        const readme = path.join(ROOT, "README.md");
        const text = fs.readFileSync(readme, "utf8");
        const start = "<!-- sample-report:start -->";
        const end = "<!-- sample-report:end -->";
        const i = text.indexOf(start);
        const j = text.indexOf(end);
        if (i < 0 || j < i) throw new Error(`README.md has no ${start} … ${end} block`);
        fs.writeFileSync(readme, text.slice(0, i + start.length) + "\n\n````markdown\n" + md + "````\n\n" + text.slice(j));
        console.log(`wrote docs/report-sample.md and README.md (exit code of the run: ${r.code})`);
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
