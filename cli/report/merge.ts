/**
 * `report merge`: combining the JSON reports of one run's shards into the tenants and metadata of one report, which
 * is then assembled like an unsharded run's (cli/report/assemble.ts).
 */
import type { Report, TenantReport } from "../../api/report";
import { CliError } from "../errors";
import type { ReportMeta } from "./assemble";

/**
 * Shard reports (`--shard i/n`) merge only as a whole set: every index 1..n once, all of the same n. A missing shard
 * (a runner that crashed before writing its report, an artifact that was not uploaded) would otherwise leave its
 * tenants out of a report that then reads "clean". Reports without `shard` (from `--stacks` lists) merge freely, but
 * not mixed with shard reports.
 */
function checkShardsComplete(reports: Report[], files: string[]): void {
    const sharded = reports.map((r, i) => ({ shard: r.shard, file: files[i] }));
    if (sharded.every((r) => r.shard === undefined)) return;
    const plain = sharded.find((r) => r.shard === undefined);
    if (plain) throw new CliError(`${plain.file}: not a shard report (no --shard), merged with shard reports; merge the shards of one run only`);
    const count = sharded[0].shard!.count;
    const byIndex = new Map<number, string>();
    for (const { shard, file } of sharded) {
        if (shard!.count !== count) throw new CliError(`${file}: shard ${shard!.index}/${shard!.count}, but ${sharded[0].file} is ${sharded[0].shard!.index}/${count}; merge the shards of one run only`);
        const other = byIndex.get(shard!.index);
        if (other) throw new CliError(`${file}: shard ${shard!.index}/${count} is also ${other}`);
        byIndex.set(shard!.index, file);
    }
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
    if (missing.length > 0) {
        throw new CliError(`report merge: shard(s) ${missing.map((i) => `${i}/${count}`).join(", ")} missing (got ${[...byIndex.keys()].sort((a, b) => a - b).map((i) => `${i}/${count}`).join(", ")}); ` +
            "their tenants would be left out of the report. Merge the reports of every shard of the run");
    }
}

/**
 * Combines shard reports: same mode and project required, each stack at most once, every shard of the run present. Tenants' suppressed findings go
 * back to changes so the accept rules given to merge decide (the same rules as an unsharded run).
 */
export function mergeReports(reports: Report[], files: string[]): { tenants: TenantReport[]; meta: Omit<ReportMeta, "packageVersion" | "durationMs" | "startedAt"> & { startedAt: string; durationMs: number } } {
    if (reports.length === 0) throw new CliError("report merge: name at least one JSON report");
    const first = reports[0];
    const seen = new Map<string, string>();
    const tenants: TenantReport[] = [];
    const stacks = new Set<string>();
    reports.forEach((r, i) => {
        if (r.mode !== first.mode) throw new CliError(`${files[i]}: mode ${r.mode} differs from ${files[0]}'s ${first.mode}`);
        if (r.project !== first.project) throw new CliError(`${files[i]}: project ${r.project} differs from ${files[0]}'s ${first.project}`);
        for (const s of r.stacks) stacks.add(s);
        for (const t of r.tenants) {
            const other = seen.get(t.stack);
            if (other) throw new CliError(`${files[i]}: stack ${t.stack} is also in ${other}; shards must not overlap`);
            seen.set(t.stack, files[i]);
            const restored = [...t.changes, ...t.suppressed.map(({ rule: _r, reason: _x, ...c }) => c)];
            tenants.push({ ...t, changes: restored, suppressed: [] });
        }
    });
    checkShardsComplete(reports, files);
    const starts = reports.map((r) => Date.parse(r.run.startedAt));
    const ends = reports.map((r) => Date.parse(r.run.startedAt) + r.run.durationMs);
    return {
        tenants,
        meta: {
            mode: first.mode, project: first.project, stacks: [...stacks].sort(),
            startedAt: new Date(Math.min(...starts)).toISOString(), durationMs: Math.max(...ends) - Math.min(...starts),
            gitSha: first.run.gitSha, cliVersion: first.run.cliVersion, mergedFrom: files,
        },
    };
}
