/**
 * A stack's pending plan (the engine's step events of a preview, cli/cmdlets/plan.ts `stepsFromEvents`) applied to the
 * tenant's live policies in memory, step by step, so the effective-policy resolver (api/effective.ts) can say what a
 * user gets after each step. The rules are those `clientpolicy cmdlets` turns into lines:
 *
 * - ClientPolicy create / update: afterwards the tenant holds exactly the declared settings (what `pulumi up` writes);
 *   a value known only after apply (or secret) keeps its live value and is noted.
 * - ClientPolicy delete: Global is reset to its documented defaults (Remove-CsClientPolicy on Global); others are gone,
 *   and with them their grants (the resolver lets a grant of a missing policy fall through to site and Global).
 * - PolicyGrant: the users it newly grants get the policy; the users it drops (or all, on delete) are unassigned.
 */
import { SETTINGS, camelName, documentedDefaults } from "../../api/catalogue";
import type { WirePolicy } from "../../api/contract";
import { isIdentityError, parseGrantPolicyName, parsePolicyIdentity, samePolicy, foldIdentity } from "../../api/identity";
import { policySet, type PolicySet } from "../../api/effective";
import { UNKNOWN } from "../../provider/values";
import { canonicalValue } from "../../provider/settings";
import { listedUsers } from "../../provider/resources/grantUsers";
import type { StepMetadata } from "../cmdlets/plan";

const SECRET = "[secret]";

/** One step of the plan, as the resolver needs it. */
export type PlanStep =
    | { kind: "policy"; resource: string; op: string; identity: string; policy: WirePolicy | null }
    | { kind: "grant"; resource: string; op: string; policy: string | null; grant: readonly string[]; unassign: readonly string[] }
    | { kind: "unknown"; resource: string; op: string; why: string };

const resourceName = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

/** A grant's spellings: `users` is a list (outputs, older inputs) or keyed by user (inputs; provider/resources/grantUsers.ts). */
function spellings(p: Record<string, unknown>): string[] {
    if (typeof p.user === "string") return [p.user];
    return (listedUsers(p.users) ?? []).filter((u): u is string => typeof u === "string" && u !== SECRET && u !== UNKNOWN);
}

function grantName(v: unknown): string | undefined {
    if (v === UNKNOWN || v === SECRET) return undefined;
    const p = parseGrantPolicyName(v);
    return isIdentityError(p) ? undefined : p.name;
}

/**
 * The plan's steps in apply order, each resolved against the policies as they are before it (`live` first, then the
 * result of the earlier steps). `notes` collects what could not be known before apply.
 */
export function planSteps(steps: readonly StepMetadata[], live: readonly WirePolicy[], notes: string[] = []): PlanStep[] {
    const current = new Map<string, WirePolicy>();
    for (const p of live) {
        const id = parsePolicyIdentity(p.Identity);
        if (!isIdentityError(id)) current.set(id.key, p);
    }
    const out: PlanStep[] = [];
    for (const step of steps) {
        const kind = /clientpolicy:(ClientPolicy|PolicyGrant)$/.exec(step.type)?.[1];
        const resource = resourceName(step.urn);
        const news = step.new?.inputs ?? {};
        const olds = step.old?.outputs ?? {};
        const deleting = step.op === "delete" || step.op === "delete-replaced";
        if (kind === "ClientPolicy") {
            const id = parsePolicyIdentity(deleting ? olds.identity ?? step.old?.inputs?.identity : news.identity);
            if (isIdentityError(id)) {
                out.push({ kind: "unknown", resource, op: step.op, why: "its identity is known only after apply" });
                notes.push(`ClientPolicy "${resource}": its identity is known only after apply; its effect is not counted`);
                continue;
            }
            if (deleting) {
                const reset: WirePolicy | null = id.scope === "global" ? { Identity: "Global", ...documentedDefaults() } : null;
                if (reset) current.set(id.key, reset);
                else current.delete(id.key);
                out.push({ kind: "policy", resource, op: step.op, identity: id.canonical, policy: reset });
                continue;
            }
            const before = current.get(id.key);
            const after: Record<string, unknown> = { Identity: id.canonical };
            for (const def of SETTINGS) {
                const declared = news[camelName(def.name)];
                if (declared === UNKNOWN || declared === SECRET) {
                    notes.push(`ClientPolicy "${resource}": ${camelName(def.name)} is ${declared === SECRET ? "secret" : "known only after apply"}; its current value is assumed`);
                    if (before?.[def.name] !== undefined && before[def.name] !== null) after[def.name] = before[def.name];
                    continue;
                }
                const v = canonicalValue(def, declared, "input");
                if (v !== null) after[def.name] = v;
            }
            current.set(id.key, after as WirePolicy);
            out.push({ kind: "policy", resource, op: step.op, identity: id.canonical, policy: after as WirePolicy });
            continue;
        }
        if (kind !== "PolicyGrant") continue;
        const oldPolicy = grantName(olds.policyName ?? step.old?.inputs?.policyName);
        const oldResolved = Array.isArray(olds.resolvedUsers) ? olds.resolvedUsers as Array<{ sipAddress?: string; requestedAs?: string }> : [];
        const oldUsers = oldResolved.length > 0 ? oldResolved.map((u) => String(u.sipAddress ?? u.requestedAs ?? "")) : spellings(olds);
        if (deleting) {
            out.push({ kind: "grant", resource, op: step.op, policy: null, grant: [], unassign: oldUsers });
            continue;
        }
        const newPolicy = grantName(news.policyName);
        if (!newPolicy || [news.users, news.user].some((v) => v === UNKNOWN || v === SECRET) ||
            (listedUsers(news.users) ?? []).some((u) => u === UNKNOWN || u === SECRET)) {
            out.push({ kind: "unknown", resource, op: step.op, why: "its policy or users are known only after apply (or secret)" });
            notes.push(`PolicyGrant "${resource}": its policy or users are known only after apply (or secret); its effect is not counted`);
            continue;
        }
        const wanted = spellings(news);
        const creating = step.op === "create" || step.op === "create-replacement";
        const policyChanged = creating || !oldPolicy || !samePolicy(oldPolicy, newPolicy);
        const oldKeys = new Set(oldUsers.map(foldIdentity));
        const wantedKeys = new Set(wanted.map(foldIdentity));
        out.push({
            kind: "grant", resource, op: step.op, policy: newPolicy,
            grant: policyChanged ? wanted : wanted.filter((s) => !oldKeys.has(foldIdentity(s))),
            unassign: oldUsers.filter((u) => !wantedKeys.has(foldIdentity(u))),
        });
    }
    return out;
}

/** The policy set after a policy step, from the set before it. */
export function applyPolicyStep(before: PolicySet, step: Extract<PlanStep, { kind: "policy" }>): PolicySet {
    const next = new Map(before);
    const id = parsePolicyIdentity(step.identity);
    if (isIdentityError(id)) return before;
    if (step.policy) next.set(id.key, step.policy);
    else next.delete(id.key);
    return next;
}

/** Re-exported for callers that build sets from wire policies. */
export { policySet };
