/**
 * Assembling, masking, writing and judging a report; shared by `report` and `report merge`, so a merged report
 * follows exactly the same aggregation, budget and exit-code rules as an unsharded run.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CliError } from "../errors";
import { applyAcceptRules, expiredRules, type AcceptRules } from "./accept";
import { renderMarkdown } from "./markdown";
import { countReport, reportSchema, REPORT_FORMAT_VERSION, statusOf, type Mode, type Report, type TenantReport } from "../../api/report";

/** Output formats of `--format`. */
export const FORMATS = ["md", "json"] as const;
export type Format = (typeof FORMATS)[number];

/** What `--fail-on` may list. */
export const FAIL_ON = ["drift", "pending", "error"] as const;
export type FailOn = (typeof FAIL_ON)[number];

/** Exit codes of `clientpolicy report` (and `report merge`). */
export const EXIT = { clean: 0, toolFailed: 1, changes: 2, partial: 3 } as const;

/** Parses a comma list against allowed words, naming the flag when a word is unknown. */
export function parseList<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
    const words = text.split(",").map((s) => s.trim()).filter(Boolean);
    if (words.length === 0) throw new CliError(`${flag}: expected a comma-separated list of ${allowed.join(", ")}, got nothing`);
    for (const w of words) if (!allowed.includes(w as T)) throw new CliError(`${flag}: ${JSON.stringify(w)} is not one of ${allowed.join(", ")}`);
    return [...new Set(words)] as T[];
}

/** Replaces every secret value and `--mask` match in every string of a value (deep). */
export class Masker {
    private readonly literals = new Set<string>();
    constructor(private readonly patterns: RegExp[] = []) {}

    /** Adds a secret value (values shorter than 4 characters would mask ordinary words; they are still masked). */
    addSecret(value: string): void {
        if (value) this.literals.add(value);
    }

    text(s: string): string {
        let out = s;
        for (const v of [...this.literals].sort((a, b) => b.length - a.length)) {
            out = out.split(v).join("[masked]");
            const escaped = JSON.stringify(v).slice(1, -1);
            if (escaped !== v) out = out.split(escaped).join("[masked]");
        }
        for (const p of this.patterns) out = out.replace(p, "[masked]");
        return out;
    }

    deep<T>(v: T): T {
        if (typeof v === "string") return this.text(v) as T;
        if (Array.isArray(v)) return v.map((x) => this.deep(x)) as T;
        if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.deep(x)])) as T;
        return v;
    }
}

/** Compiles `--mask` patterns (JavaScript regular expressions), naming the bad one. */
export function maskPatterns(patterns: readonly string[]): RegExp[] {
    return patterns.map((p) => {
        try {
            return new RegExp(p, "g");
        } catch (e) {
            throw new CliError(`--mask ${JSON.stringify(p)}: not a valid regular expression (${(e as Error).message})`);
        }
    });
}

/** Today in UTC as YYYY-MM-DD (accept-rule expiry is by calendar day). */
export function today(now = new Date()): string {
    return now.toISOString().slice(0, 10);
}

/** The current git commit of the folder, or null outside a repository. */
export function gitSha(dir: string): string | null {
    const r = spawnSync("git", ["rev-parse", "HEAD"], { cwd: dir, encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : null;
}

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

/**
 * The exit code: 3 when a tenant errored and `error` is in fail-on, else 2 when a change of a kind in fail-on was
 * found (`both` counts as drift and as pending, a new tenant as pending), else 0.
 */
export function exitCodeOf(r: Report, failOn: readonly FailOn[]): number {
    if (failOn.includes("error") && r.counts.error > 0) return EXIT.partial;
    const kinds = new Set(r.tenants.flatMap((t) => t.changes.flatMap((c) => [c.kind, ...c.properties.map((p) => p.kind)])));
    // A new tenant (declared by the repository, no stack yet) is pending work even when its preview listed nothing.
    const hit = (failOn.includes("drift") && (kinds.has("drift") || kinds.has("both"))) ||
        (failOn.includes("pending") && (kinds.has("pending") || kinds.has("both") || r.counts.new > 0));
    return hit ? EXIT.changes : EXIT.clean;
}

/** Writes `report.md` / `report.json` into `outDir` (or the one requested format to stdout when no dir). */
export function writeOutputs(r: Report, formats: readonly Format[], outDir: string | undefined, masker: Masker, budget: number): string[] {
    const masked = masker.deep(r);
    const written: string[] = [];
    const json = masker.text(JSON.stringify(masked, null, 2) + "\n");
    const mdText = () => masker.text(renderMarkdown(masked, { budget, fullReport: formats.includes("json") ? "report.json" : undefined }));
    if (outDir) {
        fs.mkdirSync(outDir, { recursive: true });
        for (const f of formats) {
            const file = path.join(outDir, `report.${f}`);
            fs.writeFileSync(file, f === "json" ? json : mdText());
            written.push(file);
        }
    } else {
        for (const f of formats) process.stdout.write(f === "json" ? json : mdText());
    }
    return written;
}

/** Reads and validates a JSON report (for merge), naming the file and the first bad fields. */
export function readReport(file: string): Report {
    let data: unknown;
    try {
        data = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new CliError(`${file}: cannot read a JSON report (${(e as Error).message})`);
    }
    const parsed = reportSchema.safeParse(data);
    if (!parsed.success) {
        const where = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`).join("; ");
        throw new CliError(`${file}: not a clientpolicy report of formatVersion ${REPORT_FORMAT_VERSION}: ${where}`);
    }
    return parsed.data;
}

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
