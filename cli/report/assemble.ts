/**
 * Assembling a report from its tenants and run metadata: the accept rules applied to each tenant, statuses and counts
 * derived, the result checked against the format. Shared by `report` and `report merge`, so a merged report follows
 * exactly the same rules as an unsharded run.
 */
import { countReport, reportSchema, REPORT_FORMAT_VERSION, statusOf, type Mode, type Report, type TenantReport } from "../../api/report";
import { applyAcceptRules, expiredRules, type AcceptRules } from "./accept";

/** Metadata of a report besides the tenants. */
export interface ReportMeta {
    mode: Mode;
    project: string;
    stacks: string[];
    shard?: { index: number; count: number };
    startedAt: string;
    durationMs: number;
    gitSha: string | null;
    cliVersion: string | null;
    packageVersion: string;
    mergedFrom?: string[];
}

/** Builds the report: accept rules applied to each tenant (re-applied on merge), counts recomputed. */
export function assemble(tenants: TenantReport[], meta: ReportMeta, rules: AcceptRules, day: string): Report {
    const judged = tenants.map((t) => {
        const u = applyAcceptRules(t, rules, day);
        return { ...u, status: statusOf(u) };
    });
    judged.sort((a, b) => a.stack.localeCompare(b.stack));
    const report: Report = {
        formatVersion: REPORT_FORMAT_VERSION,
        command: "report",
        mode: meta.mode,
        project: meta.project,
        stacks: [...meta.stacks].sort(),
        ...(meta.shard ? { shard: meta.shard } : {}),
        run: {
            startedAt: meta.startedAt, durationMs: meta.durationMs, gitSha: meta.gitSha, cliVersion: meta.cliVersion,
            packageVersion: meta.packageVersion, ...(meta.mergedFrom ? { mergedFrom: meta.mergedFrom } : {}),
        },
        counts: countReport(judged),
        tenants: judged,
        accept: { file: rules.file, rules: rules.rules.length, expired: expiredRules(rules, day) },
    };
    return reportSchema.parse(report);
}
