/**
 * report-plan-20 and report-drift-20: `clientpolicy report --mode plan|drift --all` over 20 tenant stacks of the
 * examples/multi-tenant program (baseline.yaml + tenants/<stack>.yaml, one TenantPolicies per stack), against, in
 * the same run on the same in-process emulator with the real Pulumi CLI:
 *
 * - `trivial-plan-20`: the plan of a trivial 5-resource no-op dynamic program (bench/programs/trivial-5) over 20
 *   stacks, type-checked by ts-node in every run as Pulumi does by default, at the same parallelism with the same
 *   shared compile cache: what any TypeScript program with a dynamic provider costs per stack (the usual floor);
 * - `refresh-20`: `pulumi refresh --preview-only` of the 20 fleet stacks without running the program, at the same
 *   parallelism and cache: what drift cost per stack before drift ran the program (today's configuration);
 * - with `BENCH_BASELINE_CLI=<an older dist/cli/main.js>` (and `BENCH_BASELINE_BIN=<a folder with its pulumi,
 *   language host and dynamic-provider shim>`), that older report's plan and drift: the before/after comparison.
 *
 * The report runs at its default parallelism (one stack per core); every side gets a fresh compile-cache folder, so
 * all start cold. The figures are wall seconds and CPU seconds (user + system of every process the side started:
 * `/proc/self/stat` cutime + cstime, which counts descendants once waited for), per run and per stack. Every side is
 * driven from a child process (the `clientpolicy` bin; bench/lib/eachStack.cjs for the baselines), so each side's CPU
 * includes its driver's. CPU is the measure that survives a loaded machine; wall times move with the load.
 *
 * Prints `bench <name> <wall> s wall, <cpu> s CPU (<per stack> s per stack)` for each side and
 * `ratio report-plan-20-vs-trivial <cpu ratio>` (target ≤ 0.7), `ratio report-drift-20-vs-refresh` (target ≤ 1.3),
 * and with a baseline `ratio report-plan-20-vs-before` (target ≤ 0.6) and `ratio report-drift-20-vs-before`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { startTestEmulator } from "../testkit/emulator";
import { tempDir } from "../testkit/projectFolder";
import { createFleet, fleetSeed, fleetTenantId, MULTI_TENANT_BASELINE, MULTI_TENANT_PROGRAM, type Fleet } from "../testkit/reportFleet";
import { ROOT } from "../testkit/stack";

const N = Number(process.env.BENCH_TENANTS ?? 20);
/** The report's default: one stack per core. */
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? os.availableParallelism());
const SECRET = "bench-secret-0123456789";

/**
 * CPU seconds (user + system) of this process's finished children and the descendants they waited for (Linux
 * `/proc/self/stat` fields 16 and 17, cutime + cstime, in USER_HZ = 1/100 s); undefined elsewhere.
 */
function childrenCpuSeconds(): number | undefined {
    try {
        const fields = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
        return (Number(fields[13]) + Number(fields[14])) / 100;
    } catch {
        return undefined;
    }
}

interface Measured { wall: number; cpu: number }

async function measure(what: () => Promise<void>): Promise<Measured> {
    const c0 = childrenCpuSeconds() ?? NaN;
    const t0 = Date.now();
    await what();
    return { wall: (Date.now() - t0) / 1000, cpu: (childrenCpuSeconds() ?? NaN) - c0 };
}

/** A `clientpolicy` (the compiled bin by default, as users run it) in a child process; resolves on exit. */
function clientpolicy(main: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [main, ...args], { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr!.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
    });
}

/**
 * Each stack's plan (`preview`) or program-less drift (`refresh --preview-only`) through the Automation API, `PARALLEL`
 * at a time, in the fleet's folder (bench/lib/eachStack.cjs): the report's own runner without the report, with Pulumi's
 * defaults (ts-node type-checks the program in every run). A child process, so that the CPU of the process driving
 * the runs counts as the `clientpolicy` process's does on the report's sides.
 */
function eachStack(fleet: Fleet, stacks: string[], env: NodeJS.ProcessEnv, op: "preview" | "refresh"): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(ROOT, "bench", "lib", "eachStack.cjs"), op, fleet.workDir, ...stacks],
            { cwd: ROOT, env: { ...env, BENCH_PARALLEL: String(PARALLEL) }, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr!.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => code === 0 ? resolve() : reject(new Error(`${op} of ${stacks.length} stacks exited ${code}:\n${stderr.slice(-4000)}`)));
    });
}

function line(name: string, m: Measured, note: string): void {
    console.log(`bench ${name} ${m.wall.toFixed(1)} s wall, ${m.cpu.toFixed(1)} s CPU (${(m.cpu / N).toFixed(2)} s CPU per stack; ${note})`);
}

async function main(): Promise<void> {
    const emu = await startTestEmulator({ seed: fleetSeed(N, SECRET), clientSecret: SECRET });
    const out = tempDir("clientpolicy-bench-report-");
    const fleets: Fleet[] = [];
    const cleanups: Array<() => void> = [];
    try {
        const stacks = Array.from({ length: N }, (_, i) => `tenant-${String(i + 1).padStart(2, "0")}`);
        const members = stacks.map((stack, i) => ({ stack, endpoint: emu.url, tenantId: fleetTenantId(i + 1), clientId: "demo-client", clientSecret: SECRET }));
        const t0 = Date.now();
        const files: Record<string, string> = { "baseline.yaml": MULTI_TENANT_BASELINE };
        stacks.forEach((s, i) => { files[`tenants/${s}.yaml`] = `policies:\n  - identity: Tag:Local${i + 1}\n    settings:\n      enableIMAutoArchiving: true\n`; });
        const fleet = await createFleet(members, { program: MULTI_TENANT_PROGRAM, files, parallel: 2 });
        fleets.push(fleet);
        const trivial = await createFleet(members, { program: fs.readFileSync(path.join(ROOT, "bench", "programs", "trivial-5", "index.ts"), "utf8"), parallel: 2 });
        fleets.push(trivial);
        process.stderr.write(`(setup: 2 x ${N} stacks deployed in ${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
        // Three tenants drift, so drift finds changes and reads like a real fleet.
        for (const i of [1, 2, 3]) await emu.powershell("Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $True", fleetTenantId(i));

        const cacheDirs: string[] = [];
        cleanups.push(() => cacheDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
        const cache = () => {
            cacheDirs.push(tempDir("clientpolicy-bench-ncc-"));
            return { NODE_COMPILE_CACHE: cacheDirs[cacheDirs.length - 1] };
        };
        const report = (main: string, env: NodeJS.ProcessEnv, mode: string, expected: number) => async () => {
            const dir = path.join(out, `${mode}-${Date.now()}`);
            const r = await clientpolicy(main, ["report", "--mode", mode, "--all", "--parallel", String(PARALLEL), "--format", "json", "--out", dir, "--dir", fleet.workDir, "--no-impact"], env);
            if (r.code !== expected) throw new Error(`report --mode ${mode} exited ${r.code} (expected ${expected}):\n${r.stderr.slice(-4000)}`);
            const json = JSON.parse(fs.readFileSync(path.join(dir, "report.json"), "utf8"));
            if (json.counts.error !== 0 || json.counts.tenants !== N) throw new Error(`report --mode ${mode}: unexpected counts ${JSON.stringify(json.counts)}`);
        };
        const current = path.join(ROOT, "dist", "cli", "main.js");
        const before = process.env.BENCH_BASELINE_CLI;
        const beforeEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => process.env.BENCH_BASELINE_BIN
            ? { ...env, PATH: `${path.resolve(process.env.BENCH_BASELINE_BIN)}${path.delimiter}${env.PATH}` } : env;

        // Interleaved plan-side then drift-side, so a burst of load on the shared machine hits both sides of a ratio.
        const plan = await measure(report(current, { ...fleet.env, ...cache() }, "plan", 0));
        const floor = await measure(() => eachStack(trivial, stacks, { ...trivial.env, ...cache() }, "preview"));
        const planBefore = before ? await measure(report(before, beforeEnv({ ...fleet.env, ...cache() }), "plan", 0)) : undefined;
        const drift = await measure(report(current, { ...fleet.env, ...cache() }, "drift", 2));
        const refresh = await measure(() => eachStack(fleet, stacks, { ...fleet.env, ...cache() }, "refresh"));
        const driftBefore = before ? await measure(report(before, beforeEnv({ ...fleet.env, ...cache() }), "drift", 2)) : undefined;

        line(`report-plan-${N}`, plan, `clientpolicy report --mode plan --all --parallel ${PARALLEL}`);
        line(`trivial-plan-${N}`, floor, `5-resource no-op dynamic program, pulumi preview per stack, ${PARALLEL} at a time, type-checked per run`);
        line(`report-drift-${N}`, drift, `clientpolicy report --mode drift --all --parallel ${PARALLEL}, the program run, 3 tenants drifted`);
        line(`refresh-${N}`, refresh, `pulumi refresh --preview-only per stack without the program, ${PARALLEL} at a time`);
        if (planBefore && driftBefore) {
            line(`report-plan-${N}-before`, planBefore, `BENCH_BASELINE_CLI ${before}`);
            line(`report-drift-${N}-before`, driftBefore, `BENCH_BASELINE_CLI ${before}`);
        }
        console.log(`ratio report-plan-${N}-vs-trivial ${(plan.cpu / floor.cpu).toFixed(2)} (CPU; wall ${(plan.wall / floor.wall).toFixed(2)}; target ≤ 0.7)`);
        console.log(`ratio report-drift-${N}-vs-refresh ${(drift.cpu / refresh.cpu).toFixed(2)} (CPU; wall ${(drift.wall / refresh.wall).toFixed(2)}; target ≤ 1.3)`);
        if (planBefore && driftBefore) {
            console.log(`ratio report-plan-${N}-vs-before ${(plan.cpu / planBefore.cpu).toFixed(2)} (CPU; wall ${(plan.wall / planBefore.wall).toFixed(2)}; target ≤ 0.6)`);
            console.log(`ratio report-drift-${N}-vs-before ${(drift.cpu / driftBefore.cpu).toFixed(2)} (CPU; wall ${(drift.wall / driftBefore.wall).toFixed(2)})`);
        }
    } finally {
        for (const f of fleets) f.dispose();
        for (const c of cleanups) c();
        fs.rmSync(out, { recursive: true, force: true });
        await emu.stop();
    }
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
