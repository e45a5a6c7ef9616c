/**
 * The fleet report's wire format: the JSON of `clientpolicy report --format json` (`formatVersion` 1) as a zod
 * schema, with the counts and statuses derived from it. It lives in api/ because programs other than the CLI read it
 * (dashboards, `clientpolicy report merge`, a newer CLI reading an older report): the package entry re-exports
 * `reportSchema`, `REPORT_FORMAT_VERSION` and the `FleetReport` type as public API. One report covers one Pulumi
 * project and a set of its stacks (one stack per tenant).
 */
import { z } from "zod";
import { ERROR_KINDS } from "./errors";

/** Version of the JSON format; bumped on any incompatible change. */
export const REPORT_FORMAT_VERSION = 1;

/** What a run compares: `plan` code vs state (preview), `drift` tenant vs state (refresh preview), `full` both. */
export const MODES = ["plan", "drift", "full"] as const;
export type Mode = (typeof MODES)[number];

/** Where a change comes from: the tenant moved (`drift`), the code moved (`pending`), or both on one property. */
export const CHANGE_KINDS = ["drift", "pending", "both"] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** What the change does to the resource (the engine's step, simplified). */
export const CHANGE_OPS = ["create", "update", "delete", "replace"] as const;
export type ChangeOp = (typeof CHANGE_OPS)[number];

/** Why a tenant has no verdict (the error table's kinds, api/errors.ts). Never counted as drift nor as clean. */
export { ERROR_KINDS, type ErrorKind } from "./errors";

const jsonValue: z.ZodType<unknown> = z.unknown();

/** One property's values. `before` is the last applied state; `after` the tenant's value (drift) or the code's (pending). */
export const propertyChangeSchema = z.object({
    /** Property path, e.g. `enableIMAutoArchiving` or `users[2]`. */
    path: z.string(),
    before: jsonValue.optional(),
    after: jsonValue.optional(),
    /** For kind `both`: the value found in the tenant (while `after` is the code's). */
    tenant: jsonValue.optional(),
    kind: z.enum(CHANGE_KINDS),
    /** The property is a set (a grant's users): `before` lists the members removed, `after` those added. */
    set: z.boolean().optional(),
});
export type PropertyChange = z.infer<typeof propertyChangeSchema>;

/**
 * Users a change reaches: those whose effective client settings change (cli/report/impact.ts, decided by
 * api/effective.ts: per-user grant, else the site's policy, else Global).
 */
export const impactSchema = z.object({
    /** The changed object's scope: a `global`, `site` or `tag` policy, or a `grant`. */
    scope: z.enum(["global", "site", "tag", "grant"]),
    /** Exact number of users whose effective settings change. Null when it cannot be counted (`text` says why). */
    users: z.number().int().nonnegative().nullable(),
    /** Human wording, e.g. "12 users of 45 whose effective settings change (moving site:Redmond → Global: 12)". */
    text: z.string(),
    /** SIP addresses of the first 100 of those users. */
    sample: z.array(z.string()).optional(),
    /** How many of them `sample` leaves out. */
    more: z.number().int().nonnegative().optional(),
});
export type Impact = z.infer<typeof impactSchema>;

/** A take-over's `before` when the tenant could not be read (a new tenant whose connection is not configured yet). */
export const NOT_READ = "(not read)";

/** One resource-level change in one tenant. */
export const changeSchema = z.object({
    kind: z.enum(CHANGE_KINDS),
    op: z.enum(CHANGE_OPS),
    urn: z.string(),
    /** Short resource type: `ClientPolicy`, `PolicyGrant`, or the engine's token for others. */
    type: z.string(),
    /** Resource name in the program. */
    name: z.string(),
    /** The tenant object: a policy identity (`Global`, `Tag:OfflineIM`), or a grant's policy. */
    identity: z.string().nullable(),
    properties: z.array(propertyChangeSchema),
    impact: impactSchema.optional(),
    /** A policy in the tenant that no resource of the stack manages (kind drift, op create). */
    unmanaged: z.boolean().optional(),
    /** The command that acts on this finding (e.g. the export that takes an unmanaged policy into code). */
    hint: z.string().optional(),
    /**
     * The tenant changed this object since the stack last read it (drift) and the code changes it too: `pulumi up`
     * writes with the ETag recorded in state, so it stops at this object until `pulumi refresh` records the tenant's
     * values. The drifted values are this change's `drift` / `both` properties.
     */
    refreshFirst: z.boolean().optional(),
    /**
     * A ClientPolicy new to the stack whose policy the tenant already has (Global always; a site or tag policy with
     * `adopt: true`): the engine plans a create, the tenant sees an update. `op` is `update`; each property is the
     * tenant's value (`before`) → the code's (`after`), and a setting the code does not declare has no `after`:
     * `pulumi up` unsets it.
     */
    takeOver: z.boolean().optional(),
});
export type Change = z.infer<typeof changeSchema>;

/** A drift finding moved out of `changes` by an accept rule. */
export const suppressedSchema = changeSchema.extend({
    /** Index of the matching rule in drift-accept.yaml, and its reason. */
    rule: z.number().int().nonnegative(),
    reason: z.string(),
});
export type Suppressed = z.infer<typeof suppressedSchema>;

/** `new`: the repository declares the tenant (a `Pulumi.<stack>.yaml` or `tenants/<stack>.yaml`) but no stack exists. */
export const TENANT_STATUSES = ["clean", "changed", "error", "new"] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export const tenantReportSchema = z.object({
    stack: z.string(),
    status: z.enum(TENANT_STATUSES),
    durationMs: z.number().nonnegative(),
    error: z.object({ kind: z.enum(ERROR_KINDS), message: z.string() }).optional(),
    changes: z.array(changeSchema),
    suppressed: z.array(suppressedSchema),
    /** For a tenant without a stack: the files that declare it and the command that creates its stack. */
    onboarding: z.object({
        files: z.array(z.string()),
        command: z.string(),
        /**
         * Why the tenant itself was not read: its connection is not configured yet (`command` then sets the missing
         * keys). Global, which the first `up` takes over, is shown with the code's values only (`before`
         * {@link NOT_READ}), and the settings it would unset are unknown. A configured tenant that cannot be read
         * (refused credentials, unreachable) is an error instead.
         */
        tenantNotRead: z.string().optional(),
    }).optional(),
});
export type TenantReport = z.infer<typeof tenantReportSchema>;

export const countsSchema = z.object({
    tenants: z.number().int().nonnegative(),
    clean: z.number().int().nonnegative(),
    changed: z.number().int().nonnegative(),
    error: z.number().int().nonnegative(),
    /** Tenants the repository declares that have no stack yet (absent in reports of older versions). */
    new: z.number().int().nonnegative().default(0),
    create: z.number().int().nonnegative(),
    update: z.number().int().nonnegative(),
    delete: z.number().int().nonnegative(),
    replace: z.number().int().nonnegative(),
    drift: z.number().int().nonnegative(),
    pending: z.number().int().nonnegative(),
    both: z.number().int().nonnegative(),
    suppressed: z.number().int().nonnegative(),
});
export type Counts = z.infer<typeof countsSchema>;

/** An accept rule as reported (expired ones, so someone renews or drops them). */
export const reportedRuleSchema = z.object({
    index: z.number().int().nonnegative(),
    scope: z.enum(["fleet", "tenant"]),
    stacks: z.array(z.string()).optional(),
    policy: z.string(),
    property: z.string(),
    value: jsonValue.optional(),
    reason: z.string(),
    owner: z.string(),
    expires: z.string(),
});
export type ReportedRule = z.infer<typeof reportedRuleSchema>;

/** The whole JSON report. */
export const reportSchema = z.object({
    formatVersion: z.literal(REPORT_FORMAT_VERSION),
    command: z.literal("report"),
    mode: z.enum(MODES),
    project: z.string(),
    /** Every stack this report covers, sorted. */
    stacks: z.array(z.string()),
    /** Set when the report covers one shard (`--shard index/count`); absent for whole and merged reports. */
    shard: z.object({ index: z.number().int().positive(), count: z.number().int().positive() }).optional(),
    run: z.object({
        startedAt: z.string(),
        durationMs: z.number().nonnegative(),
        gitSha: z.string().nullable(),
        cliVersion: z.string().nullable(),
        packageVersion: z.string(),
        /** Files merged into this report (merge only). */
        mergedFrom: z.array(z.string()).optional(),
    }),
    counts: countsSchema,
    tenants: z.array(tenantReportSchema),
    accept: z.object({
        file: z.string().nullable(),
        rules: z.number().int().nonnegative(),
        expired: z.array(reportedRuleSchema),
    }),
});
export type Report = z.infer<typeof reportSchema>;

/** Fleet counts from the tenant entries. */
export function countReport(tenants: readonly TenantReport[]): Counts {
    const c: Counts = { tenants: tenants.length, clean: 0, changed: 0, error: 0, new: 0, create: 0, update: 0, delete: 0, replace: 0, drift: 0, pending: 0, both: 0, suppressed: 0 };
    for (const t of tenants) {
        c[t.status]++;
        c.suppressed += t.suppressed.length;
        for (const ch of t.changes) {
            c[ch.op]++;
            c[ch.kind]++;
        }
    }
    return c;
}

/** A tenant's status from what its run found (errors win: a failed read is never a verdict). */
export function statusOf(t: Pick<TenantReport, "error" | "changes" | "onboarding">): TenantStatus {
    if (t.error) return "error";
    if (t.onboarding) return "new";
    return t.changes.length > 0 ? "changed" : "clean";
}
