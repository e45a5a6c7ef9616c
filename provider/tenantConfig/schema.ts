/**
 * The config repo's file format: zod schemas for `baseline.yaml` (the fleet standard) and `tenants/<stack>.yaml` (one
 * tenant's overrides, additions and removals), and the declaration types both turn into. Setting names and values are
 * checked against the settings catalogue (`api/catalogue.ts`, the rules of `Set-CsClientPolicy`), identities against
 * `api/identity.ts`. The format and the merge rules are documented in docs/config-repo.md.
 */
import { z } from "zod";
import { settingsByProperty, validateSetting } from "../../api/catalogue";
import { IDENTITY_FORMS, foldIdentity, isIdentityError, parseGrantPolicyName, parsePolicyIdentity } from "../../api/identity";
import { validateSettings } from "../validate";

/** Which file a document is: the fleet `baseline` or one `tenant`'s file (only tenant files may remove or unset). */
export type FileRole = "baseline" | "tenant";

/**
 * One client policy as declared. `identity` is canonical (`Global`, `site:<name>`, `Tag:<name>`); `settings` are
 * catalogue settings by camelCase name in canonical resource form (enums in their documented case, durations
 * `"hh:mm:ss"`, PolicyEntry `[{ name, value }]`); `description` is the policy's Description.
 */
export interface PolicyDeclaration {
    identity: string;
    description?: string;
    /** The ClientPolicy `adopt` input: take over a policy that already exists or that another owner holds. */
    adopt?: boolean;
    settings: Record<string, unknown>;
}

/** One grant: a per-user policy (canonical `Tag:<name>`) and its users (any identity form the tenant resolves). */
export interface GrantDeclaration {
    policy: string;
    users: string[];
    /** The PolicyGrant `adopt` input: take over users another grant assigned. */
    adopt?: boolean;
}

/** A tenant's complete declaration: what {@link TenantPolicies} deploys and `writeTenantYaml` writes. */
export interface TenantDeclaration {
    policies: PolicyDeclaration[];
    grants: GrantDeclaration[];
}

/** Baseline items a tenant file removes: policy identities and granted policy names, as written. */
export interface RemoveDeclaration {
    policies: string[];
    grants: string[];
}

/**
 * One parsed file in canonical form. In a tenant file a setting may be `null`: it drops that setting from the
 * baseline's policy of the same identity (the policy then leaves it unset).
 */
export interface FileDeclaration extends TenantDeclaration {
    remove?: RemoveDeclaration;
}

const POLICY_FIELDS = ["identity", "description", "adopt", "settings"];
const GRANT_FIELDS = ["policy", "users", "adopt"];
const REMOVE_FIELDS = ["policies", "grants"];

/** The zod message for an unknown key, naming the fields that are allowed there. */
function strictMessage(fields: readonly string[]) {
    return (issue: { code?: string; keys?: string[] }) =>
        issue.code === "unrecognized_keys"
            ? `is not a field here; expected ${fields.join(", ")}`
            : undefined;
}

const identity = z.string({ error: `must be a policy identity: ${IDENTITY_FORMS}` }).superRefine((value, ctx) => {
    const parsed = parsePolicyIdentity(value);
    if (isIdentityError(parsed)) ctx.addIssue({ code: "custom", message: parsed.error });
});

const grantPolicy = z.string({ error: 'must be a per-user policy name ("OfflineIM" or "Tag:OfflineIM")' }).superRefine((value, ctx) => {
    const parsed = parseGrantPolicyName(value);
    if (isIdentityError(parsed)) ctx.addIssue({ code: "custom", message: parsed.error });
});

const adopt = z.boolean({ error: "must be true or false (the resources' adopt input)" }).optional();

/** The Description setting's rule, applied to the policy-level `description` field. */
const descriptionDef = settingsByProperty().get("description")!;
const description = z.unknown().superRefine((value, ctx) => {
    if (value === undefined) return;
    if (typeof value !== "string") {
        ctx.addIssue({ code: "custom", message: `must be a string (the policy's Description), got ${value === null ? "null" : typeof value}` });
        return;
    }
    const result = validateSetting(descriptionDef, value, "input");
    if (!result.ok) ctx.addIssue({ code: "custom", message: result.message });
}).optional();

function settingsSchema(role: FileRole) {
    return z.record(z.string(), z.unknown(), { error: "must be a map of setting name (camelCase, e.g. enableIMAutoArchiving) to value" })
        .superRefine((value, ctx) => {
            const nonNull: Record<string, unknown> = {};
            for (const [key, v] of Object.entries(value)) {
                if (key === "description") {
                    ctx.addIssue({ code: "custom", path: [key], message: "is the policy's own field here: write description: next to identity, not under settings" });
                    continue;
                }
                if (v === null) {
                    if (role === "baseline") {
                        ctx.addIssue({ code: "custom", path: [key], message: "must be a value; null (unset a baseline setting) is only allowed in a tenant file" });
                    } else if (!settingsByProperty().has(key)) {
                        nonNull[key] = v; // let validateSettings word the unknown name
                    }
                    continue;
                }
                nonNull[key] = v;
            }
            for (const problem of validateSettings(nonNull)) {
                ctx.addIssue({ code: "custom", path: [problem.property], message: problem.reason });
            }
        });
}

function policySchema(role: FileRole) {
    return z.strictObject({
        identity,
        description,
        adopt,
        settings: settingsSchema(role).optional(),
    }, { error: (iss) => strictMessage(POLICY_FIELDS)(iss) ?? "must be a map with identity and settings" });
}

const grantSchema = z.strictObject({
    policy: grantPolicy,
    users: z.array(z.string({ error: "must be a user identity (SIP address, UPN, DOMAIN\\logon, display name or object id)" })
        .trim().min(1, "must be a non-empty user identity"), { error: "must be a list of user identities" })
        .min(1, "must list at least one user"),
    adopt,
}, { error: (iss) => strictMessage(GRANT_FIELDS)(iss) ?? "must be a map with policy and users" });

const removeSchema = z.strictObject({
    policies: z.array(z.string({ error: "must be a policy identity of the baseline" }), { error: "must be a list of policy identities" }).optional(),
    grants: z.array(z.string({ error: "must be a granted policy name of the baseline" }), { error: "must be a list of granted policy names" }).optional(),
}, { error: (iss) => strictMessage(REMOVE_FIELDS)(iss) ?? "must be a map with policies and/or grants lists" });

/** Duplicate policies (same canonical identity, case-insensitive) and grants (same policy; one user in two grants). */
function checkDuplicates(value: { policies?: Array<{ identity: string }>; grants?: Array<{ policy: string; users: string[] }> }, ctx: z.RefinementCtx) {
    const seen = new Map<string, number>();
    (value.policies ?? []).forEach((p, i) => {
        const parsed = parsePolicyIdentity(p.identity);
        if (isIdentityError(parsed)) return;
        const first = seen.get(parsed.key);
        if (first !== undefined) {
            ctx.addIssue({ code: "custom", path: ["policies", i, "identity"], message: `declares ${parsed.canonical} again (first at policies[${first}]); merge the two entries` });
        } else seen.set(parsed.key, i);
    });
    const grants = new Map<string, number>();
    const users = new Map<string, string>();
    (value.grants ?? []).forEach((g, i) => {
        const parsed = parseGrantPolicyName(g.policy);
        if (isIdentityError(parsed)) return;
        const first = grants.get(parsed.key);
        if (first !== undefined) {
            ctx.addIssue({ code: "custom", path: ["grants", i, "policy"], message: `grants ${parsed.canonical} again (first at grants[${first}]); list all its users in one grant` });
        } else grants.set(parsed.key, i);
        g.users.forEach((u, j) => {
            const key = foldIdentity(u.trim());
            const where = users.get(key);
            if (where !== undefined) {
                ctx.addIssue({ code: "custom", path: ["grants", i, "users", j], message: `is already granted at ${where}; a user holds one per-user client policy` });
            } else users.set(key, `grants[${i}].users[${j}]`);
        });
    });
}

/**
 * The zod schema of one config-repo file. `baseline`: `policies` and `grants`. `tenant`: the same plus `remove`, and
 * `null` setting values (drop a baseline setting). Unknown fields, unknown settings (with a "did you mean"), invalid
 * values, identities and duplicates are issues with a path such as `policies[2].settings.displayPhoto`.
 */
export function configFileSchema(role: FileRole) {
    const base = {
        policies: z.array(policySchema(role), { error: "must be a list of policies" }).optional(),
        grants: z.array(grantSchema, { error: "must be a list of grants" }).optional(),
    };
    const fields = role === "tenant" ? ["policies", "grants", "remove"] : ["policies", "grants"];
    const object = role === "tenant"
        ? z.strictObject({ ...base, remove: removeSchema.optional() }, { error: (iss) => strictMessage(fields)(iss) ?? `must be a map with ${fields.join(", ")}` })
        : z.strictObject(base, {
            error: (iss) => iss.code === "unrecognized_keys" && (iss as { keys?: string[] }).keys?.includes("remove")
                ? "is not a field here: remove is only for tenant files (tenants/<stack>.yaml); expected policies, grants"
                : strictMessage(fields)(iss) ?? `must be a map with ${fields.join(", ")}`,
        });
    return object.superRefine(checkDuplicates as (v: unknown, ctx: z.RefinementCtx) => void);
}

/** The baseline file schema (`baseline.yaml`); see {@link configFileSchema}. */
export const baselineFileSchema = configFileSchema("baseline");
/** The tenant file schema (`tenants/<stack>.yaml`); see {@link configFileSchema}. */
export const tenantFileSchema = configFileSchema("tenant");

/** What a file holds as written (after schema validation, before canonical forms). */
export interface ConfigFileInput {
    policies?: Array<{ identity: string; description?: unknown; adopt?: boolean; settings?: Record<string, unknown> }>;
    grants?: Array<{ policy: string; users: string[]; adopt?: boolean }>;
    remove?: { policies?: string[]; grants?: string[] };
}

/**
 * Canonical form of a validated file: identities canonical (`Tag:<name>`), settings in canonical resource form (in
 * catalogue order), users trimmed. `null` settings of a tenant file are kept as `null` (meaning "drop").
 */
export function canonicalFile(input: ConfigFileInput): FileDeclaration {
    const defs = settingsByProperty();
    const policies = (input.policies ?? []).map((p) => {
        const id = parsePolicyIdentity(p.identity);
        const settings: Record<string, unknown> = {};
        for (const [property, def] of defs) {
            if (!p.settings || !(property in p.settings)) continue;
            const raw = p.settings[property];
            if (raw === null) { settings[property] = null; continue; }
            const result = validateSetting(def, raw, "input");
            if (result.ok && result.value !== null) {
                settings[property] = def.kind === "policyEntry" && Array.isArray(result.value)
                    ? result.value.map((x) => ({ name: x.Name, value: x.Value }))
                    : result.value;
            }
        }
        const out: PolicyDeclaration = { identity: isIdentityError(id) ? p.identity : id.canonical, settings };
        if (p.description !== undefined) out.description = p.description as string;
        if (p.adopt !== undefined) out.adopt = p.adopt;
        return out;
    });
    const grants = (input.grants ?? []).map((g) => {
        const id = parseGrantPolicyName(g.policy);
        const out: GrantDeclaration = { policy: isIdentityError(id) ? g.policy : id.canonical, users: g.users.map((u) => u.trim()) };
        if (g.adopt !== undefined) out.adopt = g.adopt;
        return out;
    });
    const result: FileDeclaration = { policies, grants };
    if (input.remove) result.remove = { policies: input.remove.policies ?? [], grants: input.remove.grants ?? [] };
    return result;
}
