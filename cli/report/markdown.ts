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
import { aggregate, tenantValues, type ChangeGroup } from "./aggregate";
import { NOT_READ, type Change, type PropertyChange, type Report, type TenantReport } from "../../api/report";

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
    if (v === NOT_READ) return "not read";
    let s = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
    if (s.length > MAX_VALUE) s = s.slice(0, MAX_VALUE - 1) + "…";
    return "`" + s.replace(/`/g, "'").replace(/\|/g, "\\|").replace(/\n/g, " ") + "`";
}

/** A change's operation as a reader should see it: a take-over is an update of an object the tenant already has. */
function opText(c: Pick<Change, "op" | "takeOver">): string {
    return c.takeOver ? "take over" : c.op;
}

/** A value after the change: a take-over's undeclared setting is unset by `pulumi up`. */
function afterCell(v: unknown, takeOver: boolean | undefined): string {
    return v === undefined && takeOver ? "unset" : cell(v);
}

function esc(s: string): string {
    return s.replace(/[|<>]/g, (c) => ({ "|": "\\|", "<": "&lt;", ">": "&gt;" })[c]!);
}

const MAX_MEMBERS = 10;

/** A list of set members for a person: the first few, then how many more. */
function members(v: unknown): string {
    const list = Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))) : [];
    if (list.length === 0) return "";
    const shown = list.slice(0, MAX_MEMBERS).map((x) => "`" + x.replace(/`/g, "'").replace(/\|/g, "\\|") + "`").join(", ");
    return `: ${shown}${list.length > MAX_MEMBERS ? ` …and ${list.length - MAX_MEMBERS} more` : ""}`;
}

function count(n: number, what: string): string {
    return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/** A set property's change (a grant's users) in words: who loses it, who gets it. */
export function setText(p: Pick<PropertyChange, "before" | "after">, noun = "user"): string {
    const removed = Array.isArray(p.before) ? p.before : [];
    const added = Array.isArray(p.after) ? p.after : [];
    return `unassign ${count(removed.length, noun)}${members(removed)}; assign ${added.length}${members(added)}`;
}

/** One property of a change as `path: before → after`, a set as its members, a created one as its value. */
function propertyText(p: PropertyChange, op: Change["op"]): string {
    if (p.set) return `\`${p.path}\`: ${op === "create" ? `assign ${count(Array.isArray(p.after) ? p.after.length : 0, "user")}${members(p.after)}` : setText(p)}`;
    if (op === "create") return `\`${p.path}\` ${cell(p.after)}`;
    return `\`${p.path}\`: ${cell(p.before)} → ${cell(p.after)}`;
}

function groupLine(g: ChangeGroup): string {
    let what: string;
    if (g.unmanaged) what = `\`${g.object}\` (${g.type}) exists in the tenant but no stack manages it`;
    else if (g.path !== undefined && g.set) what = `\`${g.object}.${g.path}\`: ${setText(g)}`;
    else if (g.path !== undefined) what = `\`${g.object}.${g.path}\`: ${cell(g.before)} → ${afterCell(g.after, g.takeOver)}${g.takeOver ? " (taken over)" : ""}`;
    else if (g.takeOver) what = `\`${g.object}\` (${g.type}) taken over; its settings already match the code`;
    else {
        const verb = g.op === "create" ? "created" : g.op === "delete" ? "deleted" : g.op === "replace" ? "replaced" : "updated";
        const settings = g.op === "create" && g.created && g.created.length > 0 ? ` with ${g.created.map((p) => propertyText(p, "create")).join(", ")}` : "";
        what = `\`${g.object}\` (${g.type}) ${verb}${settings}`;
    }
    const reach = [g.newPolicy ? "new policy" : "",
        g.usersReached !== undefined && !g.newPolicy ? `reaches ${count(g.usersReached, "user")} whose effective settings change` : ""]
        .filter(Boolean).join("; ");
    const n = g.stacks.length;
    let line = `- **${g.unmanaged ? "unmanaged" : g.kind}** ${what} — ${n} tenant${n === 1 ? "" : "s"}${reach ? ` (${reach})` : ""}`;
    if (g.refreshFirst) line += `\n  ${REFRESH_FIRST}${tenantText(g.refreshFirst)}`;
    return g.hint ? `${line}\n  to take it in: \`${g.hint}\`` : line;
}

/** The mark of an object that drifted and that the code changes too (see `refreshFirst` in api/report.ts). */
export const REFRESH_FIRST = "⚠️ `up` will stop here until refreshed";

/** The tenant's drifted values, as `: the tenant has `path` `value`, …`. */
function tenantText(values: ReadonlyArray<{ path: string; tenant: unknown }>): string {
    if (values.length === 0) return " (the tenant changed it since the last read)";
    return `: the tenant has ${values.map((v) => `\`${v.path}\` ${cell(v.tenant)}`).join(", ")}`;
}

/** The most frequent changed properties of a tenant (`Global.enableIMAutoArchiving`), for its one-line summary. */
function topProperties(t: TenantReport, max = 3): string {
    const names: string[] = [];
    for (const c of t.changes) {
        const obj = c.identity ?? c.name;
        if (c.unmanaged) names.push(`${obj} (unmanaged)`);
        else if (c.op === "create" || c.op === "delete" || c.properties.length === 0) names.push(`${obj} (${opText(c)})`);
        else for (const p of c.properties) names.push(`${obj}.${p.path}`);
    }
    const unique = [...new Set(names)];
    return unique.slice(0, max).join(", ") + (unique.length > max ? ` +${unique.length - max} more` : "");
}

function tenantSummary(t: TenantReport): string {
    if (t.status === "error") return `error (${t.error!.kind})${t.onboarding ? ", new tenant, no stack yet" : ""}`;
    if (t.status === "clean") return t.suppressed.length > 0 ? `clean, ${t.suppressed.length} accepted` : "clean";
    if (t.status === "new") {
        const takeOvers = t.changes.filter((c) => c.takeOver).length;
        return `new tenant, no stack yet: ${count(t.changes.filter((c) => c.op === "create").length, "resource")} to create${takeOvers ? `, ${takeOvers} to take over` : ""}` +
            (t.onboarding?.tenantNotRead ? " (tenant not read)" : "");
    }
    const byKind: Record<string, number> = {};
    for (const c of t.changes) byKind[c.unmanaged ? "unmanaged" : c.kind] = (byKind[c.unmanaged ? "unmanaged" : c.kind] ?? 0) + 1;
    const parts = Object.entries(byKind).map(([k, n]) => `${n} ${k}`);
    if (t.suppressed.length > 0) parts.push(`${t.suppressed.length} accepted`);
    // Inside <summary> GitHub renders no Markdown: the mark without backticks.
    const stale = t.changes.some((c) => c.refreshFirst) ? ` — ${REFRESH_FIRST.replace(/`/g, "")}` : "";
    return `${t.changes.length} change${t.changes.length === 1 ? "" : "s"} (${parts.join(", ")}): ${esc(topProperties(t))}${stale}`;
}

function impactText(c: Change): string {
    return c.impact ? c.impact.text : "";
}

/** An error's cause as Markdown lines (each line of the program's or provider's message kept). */
function errorLines(t: TenantReport): string[] {
    return [`Error (${t.error!.kind}):`, "", ...t.error!.message.split("\n").map((l) => `    ${l}`)];
}

function onboardingLines(t: TenantReport): string[] {
    if (!t.onboarding) return [];
    const files = t.onboarding.files.length ? ` (declared by ${t.onboarding.files.map((f) => `\`${f}\``).join(", ")})` : "";
    const notRead = t.onboarding.tenantNotRead
        ? [`Its tenant was not read (${esc(t.onboarding.tenantNotRead.replace(/\s*\n\s*/g, " "))}), so Global's values today, and which of them the first \`up\` unsets (every setting this code does not declare), are not shown.`, ""]
        : [];
    return [`New tenant, no stack yet${files}. Create it with \`${t.onboarding.command}\`.`, "", ...notRead];
}

function tenantBody(t: TenantReport, level: Level): string[] {
    if (t.status === "error") return [...onboardingLines(t), ...errorLines(t)];
    if (t.changes.length === 0) return [...onboardingLines(t), "No changes."];
    const head = onboardingLines(t);
    switch (level) {
        case "tables": {
            const rows = [...head, "| resource | op | kind | property | before | after | reaches |", "|---|---|---|---|---|---|---|"];
            for (const c of t.changes) {
                const res = `${c.type} \`${c.identity ?? c.name}\``;
                const kind = c.unmanaged ? "unmanaged" : c.kind;
                const op = opText(c);
                if (c.refreshFirst) rows.push(`| ${res} | ${op} | ${kind} | | | ${esc(REFRESH_FIRST + tenantText(tenantValues(c)))} | |`);
                if (c.properties.length === 0) rows.push(`| ${res} | ${op} | ${kind} | | | ${c.hint ? `to take it in: \`${esc(c.hint)}\`` : c.takeOver ? "its settings already match the code" : ""} | ${esc(impactText(c))} |`);
                for (const p of c.properties) {
                    const after = p.set ? propertyText(p, c.op).replace(/^`[^`]*`: /, "")
                        : p.kind === "both" ? `${cell(p.after)} (tenant: ${cell(p.tenant)})` : afterCell(p.after, c.takeOver);
                    rows.push(`| ${res} | ${op} | ${p.kind} | \`${p.path}\` | ${p.set || c.op === "create" ? "—" : cell(p.before)} | ${after} | ${esc(impactText(c))} |`);
                }
            }
            return rows;
        }
        case "property names":
            return [...head, ...t.changes.map((c) => `- ${c.kind} ${opText(c)} ${c.type} \`${c.identity ?? c.name}\`${c.properties.length ? ": " + c.properties.map((p) => `\`${p.path}\``).join(", ") : ""}${c.refreshFirst ? ` — ${REFRESH_FIRST}` : ""}`)];
        case "resource list":
            return [...head, ...t.changes.map((c) => `- ${c.kind} ${opText(c)} ${c.type} \`${c.identity ?? c.name}\``)];
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
    if (c.delete + c.replace > 0) head.push(...deleteBanner(r), "");
    head.push("| tenants | clean | changed | new | error | create | update | delete | replace | accepted drift |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        `| ${c.tenants} | ${c.clean} | ${c.changed} | ${c.new} | ${c.error} | ${c.create} | ${c.update} | ${c.delete} | ${c.replace} | ${c.suppressed} |`, "");
    const parts: Parts = { head, groups: [], errors: [], tenants: [], tail: [] };
    const groups = aggregate(r.tenants);
    if (groups.length > 0) {
        parts.groups.push("#### Changes across tenants", "");
        const isNew = new Set(r.tenants.filter((t) => t.onboarding).map((t) => t.stack));
        const named = (s: string) => esc(s) + (isNew.has(s) ? " (new tenant)" : "");
        for (const g of groups.slice(0, maxGroups)) {
            parts.groups.push(groupLine(g));
            if (g.stacks.length > 1) parts.groups.push(`  <details><summary>${g.stacks.length} tenants</summary>${g.stacks.map(named).join(", ")}</details>`);
            else parts.groups.push(`  in ${named(g.stacks[0])}`);
        }
        if (groups.length > maxGroups) parts.groups.push(`- …and ${groups.length - maxGroups} more change group(s), left out for size`);
        parts.groups.push("");
    }
    const errored = r.tenants.filter((t) => t.status === "error");
    if (errored.length > 0) {
        parts.errors.push("#### Errors (no verdict: neither drifted nor clean)", "", "| stack | error | cause |", "|---|---|---|");
        for (const t of errored.slice(0, maxTenants)) {
            const cause = t.error!.message.split("\n").map((l) => esc(l.length > 300 ? l.slice(0, 299) + "…" : l)).slice(0, 8).join("<br>");
            parts.errors.push(`| ${esc(t.stack)}${t.onboarding ? " (new)" : ""} | ${t.error!.kind} | ${cause} |`);
        }
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
    if (c.suppressed > 0) parts.tail.push(`${c.suppressed} drift finding(s) accepted by ${r.accept.file ? `\`${r.accept.file}\`` : "the accept rules"} (listed in the JSON report).`);
    if (r.accept.expired.length > 0) {
        parts.tail.push(`**${r.accept.expired.length} expired accept rule(s)** no longer match: ` +
            r.accept.expired.map((x) => `#${x.index} \`${x.policy}.${x.property}\` (expired ${x.expires}, owner ${esc(x.owner)})`).join("; ") + ".");
    }
    if (omitted.length > 0) {
        parts.tail.push(`_Shortened to fit the comment size budget: left out ${omitted.join("; ")}.` +
            `${opts.fullReport ? ` The full report is in \`${opts.fullReport}\`.` : ""}_`);
    }
    parts.tail.push("", ...footer(r));
    return [...parts.head, ...parts.groups, ...parts.errors, ...parts.tenants, ...parts.tail].join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
}

/** The delete banner: what is deleted or replaced, in which tenants, and what that does. */
function deleteBanner(r: Report): string[] {
    const byObject = new Map<string, { op: string; type: string; stacks: string[] }>();
    for (const t of r.tenants) {
        for (const ch of t.changes) {
            if (ch.op !== "delete" && ch.op !== "replace") continue;
            const key = `${ch.op} ${ch.type} ${ch.identity ?? ch.name}`;
            const e = byObject.get(key) ?? { op: ch.op, type: ch.type, stacks: [] };
            e.stacks.push(t.stack);
            byObject.set(key, e);
        }
    }
    const lines = [`> [!WARNING]`, `> **${r.counts.delete} delete(s) and ${r.counts.replace} replacement(s).**`];
    for (const [key, e] of [...byObject].slice(0, 20)) {
        const object = key.split(" ").slice(2).join(" ");
        const effect = e.type === "PolicyGrant" ? `its users lose \`${object}\`` : /^global$/i.test(object)
            ? "the tenant's Global policy goes back to its defaults" : "the policy is removed and unassigned from every user who has it";
        lines.push(`> - ${e.op === "delete" ? "deletes" : "replaces"} ${e.type} \`${esc(object)}\` in ${e.stacks.map(esc).join(", ")}: ${e.op === "delete" ? effect : "it is recreated"}`);
    }
    if (byObject.size > 20) lines.push(`> - …and ${byObject.size - 20} more`);
    return lines;
}

/** The command a reader runs next, from the mode and what the report found. */
function nextCommand(r: Report): string {
    const c = r.counts;
    const newOne = r.tenants.find((t) => t.status === "new" && t.onboarding);
    const changed = r.tenants.filter((t) => t.status === "changed").map((t) => t.stack);
    if (c.error > 0) return `fix the errors above, then \`clientpolicy report --mode ${r.mode} --all\``;
    const stale = r.tenants.filter((t) => t.changes.some((ch) => ch.refreshFirst)).map((t) => t.stack);
    if (stale.length > 0) {
        return `\`pulumi refresh --run-program --stack ${stale[0]}\` before \`pulumi up\`${stale.length > 1 ? ` (and the same for ${stale.length - 1} other stack(s))` : ""}: ` +
            "the tenant changed objects this change updates; after the refresh, review the plan again (it then undoes the tenant's changes)";
    }
    if (newOne) return `\`${newOne.onboarding!.command}\`${c.new > 1 ? ` (and the same for the other ${c.new - 1} new tenant(s))` : ""}`;
    if (changed.length > 0 && r.mode === "drift") {
        const others = changed.length > 1 ? ` (and the same for the other ${changed.length - 1} drifted stack(s))` : "";
        return `\`pulumi up --stack ${changed[0]}\`${others} puts the tenant back to the code; to keep the tenant's values instead: \`clientpolicy report --mode drift --all --write-accept drift-accept.yaml\` and review the proposed rules`;
    }
    if (changed.length > 0) return `after merge: \`pulumi up --stack ${changed[0]}\`${changed.length > 1 ? ` (and the other ${changed.length - 1} changed stack(s))` : ""}`;
    return "nothing to do";
}

/** The closing context: commit, run time, next command (as Atlantis ends its comments). */
function footer(r: Report): string[] {
    const sha = r.run.gitSha ? `commit \`${r.run.gitSha.slice(0, 12)}\`` : "no git commit";
    const at = r.run.startedAt.replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC");
    return ["---", `<sub>${sha} · run ${at}, ${(r.run.durationMs / 1000).toFixed(0)} s · clientpolicy ${esc(r.run.packageVersion)}${r.run.cliVersion ? `, pulumi ${esc(r.run.cliVersion)}` : ""}</sub>`, "",
        `**Next:** ${nextCommand(r)}`];
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
