/**
 * report-drift-20: `clientpolicy report --mode drift --all --parallel 4` over 20 tenant stacks of one project folder,
 * against 20 sequential `pulumi refresh --preview-only` runs of the same stacks (the baseline), measured in the same
 * run on the same in-process emulator with the real Pulumi CLI. Three of the tenants have drift made through the
 * PowerShell endpoint, so both sides do the same reads and find the same changes. Wall-clock seconds; the report's
 * time includes its own start-up (the compiled `clientpolicy`, as the package's bin runs), its `pulumi` calls (one
 * `version` and one `stack ls` per run; per stack the refresh, plus `config` for the three with changes) and writing
 * the JSON report.
 *
 * The report runs its CLI processes with Node's compile cache (cli/report/run.ts `compileCacheEnv`), here in a fresh
 * directory so the run starts cold. A second baseline gives the sequential refreshes the same cache (also fresh), so
 * the share of the ratio that is parallelism and the share that is the cache are both visible.
 *
 * Prints `bench report-drift-20 <s> s`, `bench refresh-sequential-20 <s> s`, `ratio report-drift-20 <x>` (target ≤ 0.5),
 * and `bench refresh-sequential-cached-20`, `ratio report-drift-20-vs-cached <x>`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startTestEmulator } from "../test/helpers/emulator";
import { pulumiIn, tempDir } from "../scripts/lib/projectFolder";
import { createFleet, fleetSeed, fleetTenantId } from "../test/e2e/reportFleet";
import { ROOT } from "../scripts/lib/stack";

/**
 * CPU seconds (user + system) of this process's finished children and the descendants they waited for: the CLI, its
 * plugins and language host, and `clientpolicy` (Linux `/proc/self/stat` cutime + cstime); undefined elsewhere.
 */
function childrenCpuSeconds(): number | undefined {
    try {
        // Fields 16 and 17 (cutime, cstime), in clock ticks of 1/100 s (USER_HZ on Linux).
        const fields = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
        return (Number(fields[13]) + Number(fields[14])) / 100;
    } catch {
        return undefined;
    }
}

function cpuSince(start: number | undefined): number | undefined {
    const now = childrenCpuSeconds();
    return start === undefined || now === undefined ? undefined : now - start;
}

/** The compiled `clientpolicy` (the package's bin), as users run it. */
function clientpolicy(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
    const { spawn } = require("node:child_process") as typeof import("node:child_process");
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(ROOT, "dist", "cli", "main.js"), ...args], { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr!.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
    });
}

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

        const cpu0 = childrenCpuSeconds();
        const t1 = Date.now();
        const reportEnv = { ...fleet.env, NODE_COMPILE_CACHE: tempDir("clientpolicy-bench-ncc-") };
        const r = await clientpolicy(["report", "--mode", "drift", "--all", "--parallel", String(PARALLEL), "--format", "json", "--out", out, "--dir", fleet.workDir, "--no-impact"], reportEnv);
        const report = (Date.now() - t1) / 1000;
        const reportCpu = cpuSince(cpu0);
        if (r.code !== 2) throw new Error(`report exited ${r.code} (expected 2: three tenants drifted):\n${r.stderr}`);
        const json = JSON.parse(fs.readFileSync(path.join(out, "report.json"), "utf8"));
        if (json.counts.changed !== 3 || json.counts.error !== 0) throw new Error(`unexpected counts ${JSON.stringify(json.counts)}`);

        // The CLI refuses --preview-only with --yes, which PULUMI_SKIP_CONFIRMATIONS=true implies.
        const sequentialCpu: number[] = [];
        const sequentialRun = async (env: NodeJS.ProcessEnv): Promise<number> => {
            const c0 = childrenCpuSeconds();
            const pulumi = pulumiIn(fleet!.workDir, { ...env, PULUMI_SKIP_CONFIRMATIONS: "false" });
            const t = Date.now();
            for (const s of stacks) {
                const res = await pulumi("refresh", "--preview-only", "--stack", s);
                if (res.code !== 0) throw new Error(`refresh --preview-only ${s} failed:\n${res.output}`);
            }
            const wall = (Date.now() - t) / 1000;
            sequentialCpu.push(cpuSince(c0) ?? NaN);
            return wall;
        };
        const sequential = await sequentialRun(fleet.env);
        const sequentialCached = await sequentialRun({ ...fleet.env, NODE_COMPILE_CACHE: tempDir("clientpolicy-bench-ncc-") });

        console.log(`bench report-drift-${N} ${report.toFixed(1)} s (--parallel ${PARALLEL}, ${N} stacks, 3 drifted)`);
        console.log(`bench refresh-sequential-${N} ${sequential.toFixed(1)} s (${N} x pulumi refresh --preview-only)`);
        console.log(`ratio report-drift-${N} ${(report / sequential).toFixed(2)} (target ≤ 0.5)`);
        console.log(`bench refresh-sequential-cached-${N} ${sequentialCached.toFixed(1)} s (the same, with Node's compile cache)`);
        console.log(`ratio report-drift-${N}-vs-cached ${(report / sequentialCached).toFixed(2)}`);
        // Where the time goes: the CPU both sides burn, and the wall time that CPU needs at best on this machine.
        const cores = os.availableParallelism();
        if (reportCpu !== undefined) {
            console.log(`bench report-drift-${N}-cpu ${reportCpu.toFixed(1)} s (CPU of the report and every process it started; on ${cores} cores at least ${(reportCpu / cores).toFixed(1)} s of wall time, ratio ≥ ${(reportCpu / cores / sequential).toFixed(2)})`);
            console.log(`bench refresh-sequential-${N}-cpu ${sequentialCpu[0].toFixed(1)} s (cached: ${sequentialCpu[1].toFixed(1)} s)`);
        }
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
