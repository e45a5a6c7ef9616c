/**
 * Accepted drift: `drift-accept.yaml` rules move matching drift findings out of a report's `changes` into
 * `suppressed` (listed in JSON, counted in Markdown). They never change what `pulumi up` does. A rule names a scope
 * (`fleet`: every stack; `tenant`: the stacks it lists), a policy identity (exact, case-insensitive, `*` allowed), a
 * property glob (`*` any characters, `?` one), a reason, an owner and an expiry date (`YYYY-MM-DD`, last day the rule
 * matches, UTC). Expired rules stop matching and are reported so someone renews or drops them. A rule may pin the
 * accepted `value` (the tenant's value, compared as JSON): drift to any other value is reported again. A reason or
 * owner that is a placeholder (`TODO`, `TBD`, `FIXME`, `XXX`, `...`) fails the run: an exception nobody explained or
 * owns is not accepted. A rule with property `*` also accepts a policy the stack does not manage (unmanaged finding).
 *
 * ```yaml
 * rules:
 *   - scope: tenant
 *     stacks: [contoso]
 *     policy: Global
 *     property: enableIMAutoArchiving
 *     reason: Legal hold until the audit closes
 *     owner: compliance@contoso.example
 *     expires: 2027-01-31
 * ```
 */
import * as fs from "node:fs";
import { parseDocument, stringify } from "yaml";
import { z } from "zod";
import { CliError } from "../errors";
import { statusOf, type Change, type ReportedRule, type Suppressed, type TenantReport } from "../../api/report";

const dateText = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date YYYY-MM-DD")
    .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), "must be a real calendar date");

/** Words that mark text someone still has to write. */
const PLACEHOLDER = /^\s*(todo|tbd|fixme|xxx|\.\.\.|…|<[^>]*>)(\b|:|\s|$)/i;
const filledIn = (what: string) => z.string().trim().min(1, `must ${what}`)
    .refine((s) => !PLACEHOLDER.test(s), { message: `is a placeholder; ${what} before the rule is used` });

const ruleSchema = z.object({
    scope: z.enum(["fleet", "tenant"]),
    stacks: z.array(z.string().min(1)).min(1).optional(),
    policy: z.string().min(1),
    property: z.string().min(1),
    /** Optional: only this tenant value is accepted (JSON equality). */
    value: z.unknown().optional(),
    reason: filledIn("say why this drift is accepted"),
    owner: filledIn("name who owns the exception"),
    expires: z.preprocess((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v), dateText),
}).strict().superRefine((r, ctx) => {
    if (r.scope === "tenant" && !r.stacks) ctx.addIssue({ code: "custom", path: ["stacks"], message: "is required when scope is tenant (the stacks it applies to)" });
    if (r.scope === "fleet" && r.stacks) ctx.addIssue({ code: "custom", path: ["stacks"], message: "must be absent when scope is fleet (it applies to every stack)" });
});
const fileSchema = z.object({ rules: z.array(ruleSchema) }).strict();

/** One rule as written in the file. */
export type AcceptRule = z.infer<typeof ruleSchema>;

/** Parsed rules with their positions. */
export interface AcceptRules {
    file: string | null;
    rules: AcceptRule[];
}

/** `rules[2].expires` from a zod issue path. */
function yamlPath(p: readonly PropertyKey[]): string {
    let out = "";
    for (const seg of p) out += typeof seg === "number" ? `[${seg}]` : `${out ? "." : ""}${String(seg)}`;
    return out || "(top level)";
}

/** Parses rule text; every problem is reported at once, each with the file and YAML path. */
export function parseAcceptRules(text: string, file: string): AcceptRules {
    const doc = parseDocument(text, { prettyErrors: false });
    if (doc.errors.length > 0) {
        throw new CliError(`${file}: not valid YAML: ${doc.errors.map((e) => e.message.split("\n")[0]).join("; ")}`);
    }
    const parsed = fileSchema.safeParse(doc.toJS() ?? { rules: [] });
    if (!parsed.success) {
        const lines = parsed.error.issues.map((i) => `  ${file}: ${yamlPath(i.path)}: ${i.message}`);
        throw new CliError(`${file}: ${lines.length} problem(s) in the accept rules:\n${lines.join("\n")}`);
    }
    return { file, rules: parsed.data.rules };
}

/**
 * Reads `file`; a missing file is no rules unless `required`. `display` is how messages and the report name the file
 * (relative to the project: a report never publishes the runner's paths).
 */
export function loadAcceptRules(file: string, required: boolean, display = file): AcceptRules {
    if (!fs.existsSync(file)) {
        if (required) throw new CliError(`--accept ${display}: no such file`);
        return { file: null, rules: [] };
    }
    return parseAcceptRules(fs.readFileSync(file, "utf8"), display);
}

function glob(pattern: string): RegExp {
    const body = pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("");
    return new RegExp(`^${body}$`, "i");
}

/** Whether the rule is past its expiry on `today` (YYYY-MM-DD, UTC). */
export function isExpired(rule: AcceptRule, today: string): boolean {
    return rule.expires < today;
}

/**
 * Applies the rules to one tenant's drift: a drift change is suppressed when every changed property matches a live
 * rule for its stack and policy (a change with no property, a deleted object, matches a rule with property `*`).
 * Pending changes are never suppressed (they are the code's own).
 */
export function applyAcceptRules(t: TenantReport, rules: AcceptRules, today: string): TenantReport {
    const live = rules.rules.map((r, index) => ({ r, index, policy: glob(r.policy), property: glob(r.property) }))
        .filter(({ r }) => !isExpired(r, today) && (r.scope === "fleet" || r.stacks!.includes(t.stack)));
    if (live.length === 0) return t;
    const changes: Change[] = [];
    const suppressed: Suppressed[] = [...t.suppressed];
    for (const ch of t.changes) {
        if (ch.kind !== "drift") {
            changes.push(ch);
            continue;
        }
        const forPolicy = live.filter((l) => ch.identity !== null && l.policy.test(ch.identity));
        const props = ch.properties.length > 0 ? ch.properties : [undefined];
        const pinned = (l: (typeof live)[number], after: unknown) => !("value" in l.r) || l.r.value === undefined || JSON.stringify(l.r.value) === JSON.stringify(after);
        const matchOf = (p: Change["properties"][number] | undefined) =>
            forPolicy.find((l) => (p === undefined ? l.r.property === "*" && l.r.value === undefined : l.property.test(p.path) && pinned(l, p.after)));
        const matches = props.map(matchOf);
        if (forPolicy.length > 0 && matches.every(Boolean)) {
            suppressed.push({ ...ch, rule: matches[0]!.index, reason: matches[0]!.r.reason });
        } else {
            changes.push(ch);
        }
    }
    const u = { ...t, changes, suppressed };
    return { ...u, status: statusOf(u) };
}

/** Rules past their expiry, for the report. */
export function expiredRules(rules: AcceptRules, today: string): ReportedRule[] {
    return rules.rules.flatMap((r, index) => (isExpired(r, today) ? [{ index, ...r }] : []));
}

/**
 * Rules that would accept every drift finding of `tenants` (tenant scope, one per stack, policy and property), with
 * placeholders for reason and owner and an expiry `days` ahead, appended to `existing`: a proposal for review, never
 * applied silently.
 */
export function proposeRules(tenants: readonly TenantReport[], existing: AcceptRules, today: string, days = 30): string {
    const expires = new Date(Date.parse(`${today}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
    const seen = new Set<string>();
    const rules: AcceptRule[] = [...existing.rules];
    for (const t of tenants) {
        for (const ch of t.changes) {
            if (ch.kind === "pending" || ch.identity === null || t.onboarding) continue;
            for (const p of ch.properties.length > 0 ? ch.properties.map((x) => x.path) : ["*"]) {
                const key = `${t.stack}\u0000${ch.identity}\u0000${p}`;
                if (seen.has(key)) continue;
                seen.add(key);
                rules.push({ scope: "tenant", stacks: [t.stack], policy: ch.identity, property: p,
                    reason: "TODO: why this drift is accepted", owner: "TODO: who owns this exception", expires });
            }
        }
    }
    return "# Accepted drift (clientpolicy report). Review reason, owner and expiry of every rule before committing.\n" +
        stringify({ rules });
}
