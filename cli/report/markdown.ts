/**
 * The report as Markdown for a pull-request comment (the Atlantis / pulumi-actions layout): a hidden marker, the
 * summary table first, a banner when anything is deleted or replaced, the aggregated changes, errors, then one folded
 * section per tenant named by stack.
 *
 * Size budget (default 60,000 characters, under GitHub's 65,536-character comment limit): when the full text is over
 * budget the renderer degrades in steps — per-tenant tables → changed property names → resource list → counts only —
 * and, if still over, lists fewer groups and tenants; it always says what it left out and points to the full report.
 */
import * as crypto from "node:crypto";
import { aggregate, type ChangeGroup } from "./aggregate";
import type { Change, Report, TenantReport } from "./model";

/** Default size budget in characters. */
export const DEFAULT_BUDGET = 60_000;

/** Options of {@link renderMarkdown}. */
export interface MarkdownOptions {
    /** Maximum length of the text in characters. */
    budget?: number;
    /** Where the full report is (named when something is left out), e.g. `report.json`. */
    fullReport?: string;
}

/** Detail levels, richest first. */
const LEVELS = ["tables", "property names", "resource list", "counts"] as const;
type Level = (typeof LEVELS)[number];

/**
 * The hidden marker a CI job finds its own comment by: keyed on the command (with mode), the project and the stack
 * set (hashed: a fleet of hundreds of stacks stays one short line), so one PR has one comment per report kind.
 */
export function reportMarker(r: Pick<Report, "mode" | "project" | "stacks">): string {
    const stacks = crypto.createHash("sha256").update([...r.stacks].sort().join("\n")).digest("hex").slice(0, 16);
    return `<!-- clientpolicy-report mode=${r.mode} project=${r.project} stacks=${stacks} -->`;
}

const MAX_VALUE = 80;

/** A value in a table cell: JSON, cut short, pipes and backticks made harmless. */
export function cell(v: unknown): string {
    if (v === undefined) return "—";
    let s = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
    if (s.length > MAX_VALUE) s = s.slice(0, MAX_VALUE - 1) + "…";
    return "`" + s.replace(/`/g, "'").replace(/\|/g, "\\|").replace(/\n/g, " ") + "`";
}

function esc(s: string): string {
    return s.replace(/[|<>]/g, (c) => ({ "|": "\\|", "<": "&lt;", ">": "&gt;" })[c]!);
}

function groupLine(g: ChangeGroup): string {
    const what = g.path !== undefined
        ? `\`${g.object}.${g.path}\`: ${cell(g.before)} → ${cell(g.after)}`
        : `\`${g.object}\` (${g.type}) ${g.op === "create" ? "created" : g.op === "delete" ? "deleted" : g.op === "replace" ? "replaced" : "updated"}`;
    const reach = [g.global ? "reaches every user without a per-user policy" : "", g.usersReached !== undefined ? `reaches ${g.usersReached} assigned user(s)` : ""]
        .filter(Boolean).join("; ");
    const n = g.stacks.length;
    return `- **${g.kind}** ${what} — ${n} tenant${n === 1 ? "" : "s"}${reach ? ` (${reach})` : ""}`;
}

function tenantSummary(t: TenantReport): string {
    if (t.status === "error") return `error (${t.error!.kind})`;
    if (t.status === "clean") return t.suppressed.length > 0 ? `clean, ${t.suppressed.length} accepted` : "clean";
    const byKind: Record<string, number> = {};
    for (const c of t.changes) byKind[c.kind] = (byKind[c.kind] ?? 0) + 1;
    const parts = Object.entries(byKind).map(([k, n]) => `${n} ${k}`);
    if (t.suppressed.length > 0) parts.push(`${t.suppressed.length} accepted`);
    return `${t.changes.length} change${t.changes.length === 1 ? "" : "s"}: ${parts.join(", ")}`;
}

function impactText(c: Change): string {
    return c.impact ? c.impact.text : "";
}

function tenantBody(t: TenantReport, level: Level): string[] {
    if (t.status === "error") return [`Error (${t.error!.kind}): ${esc(t.error!.message)}`];
    if (t.changes.length === 0) return ["No changes."];
    switch (level) {
        case "tables": {
            const rows = ["| resource | op | kind | property | before | after | reaches |", "|---|---|---|---|---|---|---|"];
            for (const c of t.changes) {
                const res = `${c.type} \`${c.identity ?? c.name}\``;
                if (c.properties.length === 0) rows.push(`| ${res} | ${c.op} | ${c.kind} | | | | ${esc(impactText(c))} |`);
                for (const p of c.properties) {
                    const after = p.kind === "both" ? `${cell(p.after)} (tenant: ${cell(p.tenant)})` : cell(p.after);
                    rows.push(`| ${res} | ${c.op} | ${p.kind} | \`${p.path}\` | ${cell(p.before)} | ${after} | ${esc(impactText(c))} |`);
                }
            }
            return rows;
        }
        case "property names":
            return t.changes.map((c) => `- ${c.kind} ${c.op} ${c.type} \`${c.identity ?? c.name}\`${c.properties.length ? ": " + c.properties.map((p) => `\`${p.path}\``).join(", ") : ""}`);
        case "resource list":
            return t.changes.map((c) => `- ${c.kind} ${c.op} ${c.type} \`${c.identity ?? c.name}\``);
        case "counts":
            return [];
    }
}

interface Parts {
    head: string[];
    groups: string[];
    errors: string[];
    tenants: string[];
    tail: string[];
}

function build(r: Report, level: Level, maxGroups: number, maxTenants: number, opts: MarkdownOptions, omitted: string[]): string {
    const c = r.counts;
    const head = [reportMarker(r), "",
        `### clientpolicy report: ${r.mode} · \`${r.project}\` · ${c.tenants} tenant${c.tenants === 1 ? "" : "s"}`, ""];
    if (c.delete + c.replace > 0) {
        head.push(`> [!WARNING]\n> **${c.delete} delete(s) and ${c.replace} replacement(s).** Deleting \`Global\` resets that tenant's Global policy to its defaults; deleting a tag policy unassigns it from every user.`, "");
    }
    head.push("| tenants | clean | changed | error | create | update | delete | replace | accepted drift |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        `| ${c.tenants} | ${c.clean} | ${c.changed} | ${c.error} | ${c.create} | ${c.update} | ${c.delete} | ${c.replace} | ${c.suppressed} |`, "");
    const parts: Parts = { head, groups: [], errors: [], tenants: [], tail: [] };
    const groups = aggregate(r.tenants);
    if (groups.length > 0) {
        parts.groups.push("#### Changes across tenants", "");
        for (const g of groups.slice(0, maxGroups)) {
            parts.groups.push(groupLine(g));
            if (g.stacks.length > 1) parts.groups.push(`  <details><summary>${g.stacks.length} tenants</summary>${g.stacks.map(esc).join(", ")}</details>`);
            else parts.groups.push(`  in ${esc(g.stacks[0])}`);
        }
        if (groups.length > maxGroups) parts.groups.push(`- …and ${groups.length - maxGroups} more change group(s), left out for size`);
        parts.groups.push("");
    }
    const errored = r.tenants.filter((t) => t.status === "error");
    if (errored.length > 0) {
        parts.errors.push("#### Errors (no verdict: neither drifted nor clean)", "", "| stack | error | reason |", "|---|---|---|");
        for (const t of errored.slice(0, maxTenants)) parts.errors.push(`| ${esc(t.stack)} | ${t.error!.kind} | ${esc(t.error!.message.split("\n")[0].slice(0, 300))} |`);
        if (errored.length > maxTenants) parts.errors.push(`| …${errored.length - maxTenants} more | | |`);
        parts.errors.push("");
    }
    const shown = r.tenants.filter((t) => t.status !== "clean" || t.suppressed.length > 0);
    if (shown.length > 0) {
        parts.tenants.push("#### Per tenant", "");
        if (level === "counts") {
            parts.tenants.push("| stack | status |", "|---|---|");
            for (const t of shown.slice(0, maxTenants)) parts.tenants.push(`| ${esc(t.stack)} | ${tenantSummary(t)} |`);
        } else {
            for (const t of shown.slice(0, maxTenants)) {
                parts.tenants.push(`<details><summary><b>${esc(t.stack)}</b>: ${tenantSummary(t)}</summary>`, "", ...tenantBody(t, level), "", "</details>");
            }
        }
        if (shown.length > maxTenants) parts.tenants.push(`…and ${shown.length - maxTenants} more tenant(s) with changes, left out for size.`);
        const clean = r.tenants.length - shown.length;
        if (clean > 0) parts.tenants.push("", `${clean} tenant(s) clean.`);
        parts.tenants.push("");
    }
    if (c.suppressed > 0) parts.tail.push(`${c.suppressed} drift finding(s) accepted by ${r.accept.file ?? "the accept rules"} (listed in the JSON report).`);
    if (r.accept.expired.length > 0) {
        parts.tail.push(`**${r.accept.expired.length} expired accept rule(s)** no longer match: ` +
            r.accept.expired.map((x) => `#${x.index} \`${x.policy}.${x.property}\` (expired ${x.expires}, owner ${esc(x.owner)})`).join("; ") + ".");
    }
    if (omitted.length > 0) {
        parts.tail.push(`_Shortened to fit the comment size budget: left out ${omitted.join("; ")}.` +
            `${opts.fullReport ? ` The full report is in \`${opts.fullReport}\`.` : ""}_`);
    }
    return [...parts.head, ...parts.groups, ...parts.errors, ...parts.tenants, ...parts.tail].join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
}

/** Renders the report within the budget (see the module comment for the steps). */
export function renderMarkdown(r: Report, opts: MarkdownOptions = {}): string {
    const budget = opts.budget ?? 60_000;
    const groupCount = aggregate(r.tenants).length;
    const tenantCount = r.tenants.length;
    const omitted: string[] = [];
    for (const level of LEVELS) {
        const text = build(r, level, groupCount, tenantCount, opts, omitted);
        if (text.length <= budget) return text;
        omitted.splice(0, omitted.length, ...leftOut(level));
    }
    // Counts only is still too long: fewer groups and tenants, halving until it fits.
    let maxGroups = groupCount;
    let maxTenants = tenantCount;
    for (;;) {
        maxGroups = Math.floor(maxGroups / 2);
        maxTenants = Math.floor(maxTenants / 2);
        const notes = [...leftOut("counts")];
        if (maxGroups < groupCount) notes.push(`${groupCount - maxGroups} of ${groupCount} change groups`);
        if (maxTenants < tenantCount) notes.push("the tenants beyond the first " + maxTenants);
        const text = build(r, "counts", maxGroups, maxTenants, opts, notes);
        if (text.length <= budget || (maxGroups === 0 && maxTenants === 0)) return text.length <= budget ? text : text.slice(0, budget);
    }
}

function leftOut(after: Level): string[] {
    switch (after) {
        case "tables": return ["before/after values per tenant (changed property names kept)"];
        case "property names": return ["before/after values and changed property names per tenant (resource list kept)"];
        case "resource list": return ["per-tenant details (only each tenant's counts kept)"];
        case "counts": return ["per-tenant details (only each tenant's counts kept)"];
    }
}
