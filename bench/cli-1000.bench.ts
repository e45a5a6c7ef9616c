/**
 * 1,000 ClientPolicy against 1,000 no-op dynamic resources through the real Pulumi CLI, each in a project folder as
 * users have it (this package packed from a clone of the last commit and installed with npm; see
 * testkit/projectFolder.ts). Programs: bench/programs/clientpolicy-1000 and its baseline bench/programs/noop-1000
 * (a provider class instance in the program file, the usual way), same resource names and inputs.
 *
 * Prints:
 * - `bench serialized-bytes-per-resource <bytes> bytes` — the serialized provider (`__provider`, in inputs and in
 *   outputs, both counted) per resource of `pulumi stack export`, its baseline, and `ratio` ClientPolicy/no-op;
 * - `bench up-1000`, `bench preview-noop-1000`, `bench refresh-1000` — wall time of the CLI command (median, min and
 *   max over BENCH_REPS repetitions where repeating is cheap: preview and refresh; `up` once), the program's peak RSS
 *   (MiB, from a `--require` preload that records `process.resourceUsage().maxRSS` at exit, bench/lib/peakRss.cjs),
 *   and the tenant requests and writes the emulator counted during the command (`/_emulator/{tenant}/stats`);
 *   `ratio <name>-time` and `ratio <name>-memory` against the no-op baseline;
 * - `bench preview-refresh-1000` — `pulumi preview --refresh` with the same figures;
 * - `bench-budget-missed <what>` for each request budget a ClientPolicy run misses (no-op preview: 0
 *   requests and 0 writes; `preview --refresh` and `refresh`: at most one read per resource plus the token, 0 writes).
 *
 * Environment: BENCH_COUNT (default 1000), BENCH_REPS (default 3), BENCH_WORKTREE=1 packs the working tree instead
 * of the last commit, BENCH_CPU_PROF=<dir> adds `--cpu-prof` to every node process the CLI starts (profiles land in
 * <dir>/<kind>-<op>-<n>/), BENCH_KEEP=1 keeps the temp folder.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator } from "../emulator";
import { folderEnv, installExample, packFromGit, pulumiIn, PulumiResult, snapshotRepository, tempDir } from "../testkit/projectFolder";
import { ROOT } from "../testkit/stack";

const COUNT = Number(process.env.BENCH_COUNT ?? 1000);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const TENANT = "contoso.example";
const PRELOAD = path.join(ROOT, "bench", "lib", "peakRss.cjs");
type Kind = "clientpolicy" | "noop";
const KINDS: Kind[] = ["noop", "clientpolicy"];

interface Run { ms: number; programMiB: number; requests: number; writes: number; output: string }

function stats(values: number[]): { median: number; min: number; max: number } {
    const s = [...values].sort((a, b) => a - b);
    return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

async function main(): Promise<void> {
    const work = tempDir("clientpolicy-bench-cli-");
    const emu = await startEmulator({ dataDir: path.join(work, "emulator"), port: 0, users: 10, rate: 0 });
    try {
        const t0 = Date.now();
        // The last commit by default (what RESULTS.md names); BENCH_WORKTREE=1 packs the working tree instead.
        const repo = process.env.BENCH_WORKTREE ? snapshotRepository(work) : ROOT;
        const tarball = packFromGit(`file://${repo}`, work);
        // One npm install; the baseline folder is a copy with its own program (same node_modules, same versions).
        const base = installExample("quickstart", tarball, work);
        const dirs = {} as Record<Kind, string>;
        for (const kind of KINDS) {
            const dir = path.join(work, `${kind}-1000`);
            fs.cpSync(base, dir, { recursive: true, verbatimSymlinks: true });
            for (const f of ["index.ts", "Pulumi.yaml"]) fs.copyFileSync(path.join(ROOT, "bench", "programs", `${kind}-1000`, f), path.join(dir, f));
            dirs[kind] = dir;
        }
        process.stderr.write(`bench cli-1000: project folders ready in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);

        const creds = emu.credentials(TENANT);
        const runners = {} as Record<Kind, (op: string, ...args: string[]) => Promise<Run>>;
        for (const kind of KINDS) {
            const backend = path.join(work, `backend-${kind}`);
            fs.mkdirSync(backend);
            const env = folderEnv(backend);
            const pulumi = pulumiIn(dirs[kind], env);
            const ok = (r: PulumiResult, what: string) => {
                if (r.code !== 0) throw new Error(`${kind}: pulumi ${what} failed (${r.code}):\n${r.output.slice(-4000)}`);
                return r;
            };
            ok(await pulumi("stack", "init", "bench"), "stack init");
            ok(await pulumi("config", "set", "bench:count", String(COUNT)), "config set");
            if (kind === "clientpolicy") {
                ok(await pulumi("config", "set", "clientpolicy:endpoint", emu.url), "config set");
                ok(await pulumi("config", "set", "clientpolicy:tenantId", creds.tenantId), "config set");
                ok(await pulumi("config", "set", "clientpolicy:clientId", creds.clientId), "config set");
                ok(await pulumi.withStdin(creds.clientSecret, "config", "set", "--secret", "clientpolicy:clientSecret"), "config set --secret");
            }
            let seq = 0;
            runners[kind] = async (op: string, ...args: string[]) => {
                const rssFile = path.join(work, `rss-${kind}-${op}-${++seq}.jsonl`);
                let nodeOptions = `--require ${PRELOAD}`;
                if (process.env.BENCH_CPU_PROF) {
                    const dir = path.resolve(process.env.BENCH_CPU_PROF, `${kind}-${op}-${seq}`);
                    fs.mkdirSync(dir, { recursive: true });
                    nodeOptions += ` --cpu-prof --cpu-prof-dir=${dir}`;
                }
                const opEnv = { ...env, NODE_OPTIONS: nodeOptions, BENCH_RSS_FILE: rssFile };
                const before = emu.stats(TENANT);
                const start = process.hrtime.bigint();
                const r = ok(await pulumiIn(dirs[kind], opEnv)(op, ...args), `${op} ${args.join(" ")}`);
                const ms = Number(process.hrtime.bigint() - start) / 1e6;
                const after = emu.stats(TENANT);
                const records = fs.existsSync(rssFile)
                    ? fs.readFileSync(rssFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { role: string; maxRssKiB: number })
                    : [];
                const peak = (role: string) => Math.max(0, ...records.filter((x) => x.role === role).map((x) => x.maxRssKiB)) / 1024;
                // `refresh` and `destroy` do not run the program; `up` and `preview` must have a record.
                if (peak("program") === 0 && (op === "up" || op === "preview")) throw new Error(`${kind} ${op}: no peak RSS recorded for the program (preload ${PRELOAD})`);
                return { ms, programMiB: peak("program"), requests: after.requests - before.requests, writes: after.writes - before.writes, output: r.output };
            };
        }

        const report = (name: string, runs: Record<Kind, Run[]>) => {
            const t = { cp: stats(runs.clientpolicy.map((r) => r.ms)), noop: stats(runs.noop.map((r) => r.ms)) };
            const m = { cp: stats(runs.clientpolicy.map((r) => r.programMiB)), noop: stats(runs.noop.map((r) => r.programMiB)) };
            const last = runs.clientpolicy[runs.clientpolicy.length - 1];
            const n = runs.clientpolicy.length;
            const range = (s: { median: number; min: number; max: number }, digits = 0) => n > 1 ? ` (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)}, ${n} runs)` : "";
            console.log(`bench ${name} ${(t.cp.median / 1000).toFixed(1)} s${range({ median: 0, min: t.cp.min / 1000, max: t.cp.max / 1000 }, 1)}; no-op baseline ${(t.noop.median / 1000).toFixed(1)} s${range({ median: 0, min: t.noop.min / 1000, max: t.noop.max / 1000 }, 1)}`);
            const hasProgram = m.cp.median > 0 && m.noop.median > 0;
            if (hasProgram) console.log(`bench ${name}-program-peak-rss ${m.cp.median.toFixed(0)} MiB; no-op baseline ${m.noop.median.toFixed(0)} MiB`);
            else console.log(`bench ${name}-program-peak-rss n/a (the command does not run the program)`);
            console.log(`bench ${name}-tenant-requests ${last.requests} requests, ${last.writes} writes (${(last.requests / COUNT).toFixed(2)} per resource)`);
            console.log(`ratio ${name}-time ${(t.cp.median / t.noop.median).toFixed(2)}`);
            if (hasProgram) console.log(`ratio ${name}-memory ${(m.cp.median / m.noop.median).toFixed(2)}`);
        };
        const both = async (reps: number, op: string, ...args: string[]) => {
            const runs: Record<Kind, Run[]> = { clientpolicy: [], noop: [] };
            // Interleaved, so that a burst of load on the shared machine hits both sides alike.
            for (let i = 0; i < reps; i++) for (const kind of KINDS) runs[kind].push(await runners[kind](op, ...args));
            return runs;
        };

        report("up-1000", await both(1, "up", "--yes", "--skip-preview"));

        // Serialized provider bytes per resource, from the exported state.
        const perResource = {} as Record<Kind, number>;
        for (const kind of KINDS) {
            const env = folderEnv(path.join(work, `backend-${kind}`));
            const r = await pulumiIn(dirs[kind], env)("stack", "export");
            if (r.code !== 0) throw new Error(`${kind}: pulumi stack export failed:\n${r.output.slice(-4000)}`);
            const resources = (JSON.parse(r.stdout).deployment.resources ?? []) as Array<{ type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }>;
            const dynamic = resources.filter((x) => x.type.startsWith("pulumi-nodejs:dynamic"));
            if (dynamic.length !== COUNT) throw new Error(`${kind}: ${dynamic.length} dynamic resources in state, expected ${COUNT}`);
            let bytes = 0;
            for (const x of dynamic) {
                for (const side of [x.inputs, x.outputs]) {
                    const p = side?.__provider;
                    if (typeof p !== "string") throw new Error(`${kind}: a resource has no serialized __provider in ${side === x.inputs ? "inputs" : "outputs"}`);
                    bytes += Buffer.byteLength(JSON.stringify(p));
                }
            }
            perResource[kind] = bytes / COUNT;
        }
        console.log(`bench serialized-bytes-per-resource ${perResource.clientpolicy.toFixed(0)} bytes (inputs + outputs; no-op baseline ${perResource.noop.toFixed(0)} bytes)`);
        console.log(`ratio serialized-bytes-per-resource ${(perResource.clientpolicy / perResource.noop).toFixed(3)}`);

        const preview = await both(REPS, "preview");
        report("preview-noop-1000", preview);
        const previewRefresh = await both(1, "preview", "--refresh");
        report("preview-refresh-1000", previewRefresh);
        const refresh = await both(Math.max(1, REPS - 1), "refresh", "--yes", "--skip-preview");
        report("refresh-1000", refresh);

        // The request budgets, checked on every ClientPolicy run (the numbers above are printed either way).
        const problems: string[] = [];
        for (const r of preview.clientpolicy) if (r.requests !== 0 || r.writes !== 0) problems.push(`no-op preview: ${r.requests} requests, ${r.writes} writes (expected 0, 0)`);
        for (const [name, runs] of [["preview --refresh", previewRefresh], ["refresh", refresh]] as const) {
            // One read per resource, plus the token request(s) the client makes once per process.
            for (const r of runs.clientpolicy) if (r.writes !== 0 || r.requests > COUNT + 2) problems.push(`${name}: ${r.requests} requests, ${r.writes} writes (expected ≤ ${COUNT} reads + token, 0 writes)`);
        }
        for (const p of problems) console.log(`bench-budget-missed ${p}`);
        // No destroy: the stacks, their backends and the emulator's data are thrown away with the temp folder.
    } finally {
        await emu.close();
        if (!process.env.BENCH_KEEP) fs.rmSync(work, { recursive: true, force: true });
        else process.stderr.write(`bench cli-1000: kept ${work}\n`);
    }
}

main().catch((err: Error) => { console.error(`bench failed: ${err.message}`); process.exit(1); });
