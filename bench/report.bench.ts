/**
 * report-drift-20: `clientpolicy report --mode drift --all --parallel 4` over 20 tenant stacks of one project folder,
 * against 20 sequential `pulumi refresh --preview-only` runs of the same stacks (the baseline), measured in the same
 * run on the same in-process emulator with the real Pulumi CLI. Three of the tenants have drift made through the
 * PowerShell endpoint, so both sides do the same reads and find the same changes. Wall-clock seconds; the report's
 * time includes its own start-up (ts-node), its `pulumi` calls per stack (stack select, config, refresh) and writing
 * the JSON report.
 *
 * Prints `bench report-drift-20 <s> s`, `bench refresh-sequential-20 <s> s`, `ratio report-drift-20 <x>` (target ≤ 0.5).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { startTestEmulator } from "../test/helpers/emulator";
import { pulumiIn, tempDir } from "../scripts/lib/projectFolder";
import { clientpolicy, createFleet, fleetSeed, fleetTenantId } from "../test/e2e/reportFleet";

const N = Number(process.env.BENCH_TENANTS ?? 20);
const PARALLEL = 4;
const SECRET = "bench-secret-0123456789";

async function main(): Promise<void> {
    const emu = await startTestEmulator({ seed: fleetSeed(N, SECRET), clientSecret: SECRET });
    const out = tempDir("clientpolicy-bench-report-");
    let fleet: Awaited<ReturnType<typeof createFleet>> | undefined;
    try {
        const stacks = Array.from({ length: N }, (_, i) => `tenant-${String(i + 1).padStart(2, "0")}`);
        const t0 = Date.now();
        fleet = await createFleet(stacks.map((stack, i) => ({ stack, endpoint: emu.url, tenantId: fleetTenantId(i + 1), clientId: "demo-client", clientSecret: SECRET })), { parallel: 2 });
        process.stderr.write(`(setup: ${N} stacks deployed in ${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
        for (const i of [1, 2, 3]) await emu.powershell("Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $True", fleetTenantId(i));

        const t1 = Date.now();
        const r = await clientpolicy(["report", "--mode", "drift", "--all", "--parallel", String(PARALLEL), "--format", "json", "--out", out, "--dir", fleet.workDir, "--no-impact"], fleet.env);
        const report = (Date.now() - t1) / 1000;
        if (r.code !== 2) throw new Error(`report exited ${r.code} (expected 2: three tenants drifted):\n${r.stderr}`);
        const json = JSON.parse(fs.readFileSync(path.join(out, "report.json"), "utf8"));
        if (json.counts.changed !== 3 || json.counts.error !== 0) throw new Error(`unexpected counts ${JSON.stringify(json.counts)}`);

        // The CLI refuses --preview-only with --yes, which PULUMI_SKIP_CONFIRMATIONS=true implies.
        const pulumi = pulumiIn(fleet.workDir, { ...fleet.env, PULUMI_SKIP_CONFIRMATIONS: "false" });
        const t2 = Date.now();
        for (const s of stacks) {
            const res = await pulumi("refresh", "--preview-only", "--stack", s);
            if (res.code !== 0) throw new Error(`refresh --preview-only ${s} failed:\n${res.output}`);
        }
        const sequential = (Date.now() - t2) / 1000;

        console.log(`bench report-drift-${N} ${report.toFixed(1)} s (--parallel ${PARALLEL}, ${N} stacks, 3 drifted)`);
        console.log(`bench refresh-sequential-${N} ${sequential.toFixed(1)} s (${N} x pulumi refresh --preview-only)`);
        console.log(`ratio report-drift-${N} ${(report / sequential).toFixed(2)} (target ≤ 0.5)`);
    } finally {
        fleet?.dispose();
        fs.rmSync(out, { recursive: true, force: true });
        await emu.stop();
    }
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
