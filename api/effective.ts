/**
 * The one resolver of a user's effective client policy: which CsClientPolicy applies to a user, why, and what each
 * setting then is. The CLI (`clientpolicy effective`, the fleet report's impact) and the tenant backends (the
 * `userCounts` route, the `effectivePolicy` filter of `GET /users`) all call it; nothing else decides precedence.
 *
 * Rules, with their sources:
 * 1. **One policy applies, chosen by scope: per-user, then site, then Global.** Client policies "can be configured at
 *    the global, site, and per-user scopes", and per-user policies reach users only through Grant-CsClientPolicy
 *    (MicrosoftDocs/office-docs-powershell, skype/skype-ps/skype/Grant-CsClientPolicy.md, Description). A user with a
 *    granted per-user policy gets it; otherwise the policy of the site that hosts the user's Registrar pool (the pool
 *    `Get-CsUser` reports as `RegistrarPool`, Get-CsUserPoolInfo.md; a pool belongs to one site, Get-CsPool.md "a
 *    pool is one or more computers in the same site"); otherwise Global. Microsoft states the same order for the
 *    scoped policies of Lync/Skype for Business Server generally (learn.microsoft.com, "Assign location policy scope
 *    in Skype for Business Server": "As with other Skype for Business Server policies, location policies can be
 *    assigned at multiple scope levels: global, site, and user", the location policy being the documented exception
 *    where a network site overrides the user).
 * 2. **No merging across scopes.** A setting the applying policy leaves unset is not taken from the site or Global
 *    policy: it takes the client's default (the Lync Server PowerShell team's posts "Are Unused Settings Applied From
 *    the Global Scope?", 2010-09-12, and "Lync Server Policy Default Values and Inheritance": defaults "are hard-wired
 *    into the product" and "only tangentially related to the global policies"; techcommunity.microsoft.com,
 *    skype_for_business_blog). The default is the catalogue's documented one (api/catalogue.ts `default`);
 *    most settings have none documented, and then the value is reported as "client default (not documented)".
 * 3. **A grant of a policy that does not exist** (removed with `-Force`; the reference does not say what becomes of
 *    its holders, CSCLIENTPOLICY.md §3) falls through to the site and Global scopes — the "fallback is implied by the
 *    scope model" reading this project takes everywhere (the emulator also drops such grants).
 * 4. **`Description` is the administrator's note**, not a client setting: it is shown, but a change to it changes
 *    nobody's effective settings.
 */
import { isDeepStrictEqual } from "node:util";
import { SETTINGS, type SettingDef, type WireValue } from "./catalogue";
import type { EffectiveReason, WirePolicy } from "./contract";
import { foldIdentity, isIdentityError, parsePolicyIdentity } from "./identity";

/** What the resolver needs of a user: the direct grant and the site (absent or null: none). */
export interface ResolverUser {
    /** Granted tag policy name (with or without `Tag:`), or null. */
    readonly ClientPolicy: string | null;
    /** `Site:<name>` (or a bare site name), or null/absent when the user has no site. */
    readonly Site?: string | null;
}

/**
 * The tenant's policies by identity key (`PolicyIdentity.key`): build one with {@link policySet}. A policy absent
 * from the set does not exist.
 */
export type PolicySet = ReadonlyMap<string, WirePolicy>;

/** Indexes policies (wire form) by identity key; entries with an unparseable identity are left out. */
export function policySet(policies: Iterable<WirePolicy>): PolicySet {
    const out = new Map<string, WirePolicy>();
    for (const p of policies) {
        const id = parsePolicyIdentity(p.Identity);
        if (!isIdentityError(id)) out.set(id.key, p);
    }
    return out;
}

/** The key of a site's client policy (`site:<name>`) from a site identity (`Site:<name>` or `<name>`); undefined if none. */
export function sitePolicyKey(site: string | null | undefined): string | undefined {
    if (site === null || site === undefined || site.trim() === "") return undefined;
    const name = site.replace(/^\s*site:/i, "");
    const id = parsePolicyIdentity(`site:${name}`);
    return isIdentityError(id) ? undefined : id.key;
}

/** The key of a granted tag policy from a grant's PolicyName; undefined for no grant. */
export function grantPolicyKey(grant: string | null | undefined): string | undefined {
    if (grant === null || grant === undefined || grant === "") return undefined;
    const id = parsePolicyIdentity(grant);
    return isIdentityError(id) || id.scope !== "tag" ? undefined : id.key;
}

/** The site identity `Site:<name>` in canonical spelling (the name as given), or null. */
export function siteIdentity(site: string | null | undefined): string | null {
    if (site === null || site === undefined || site.trim() === "") return null;
    return `Site:${site.trim().replace(/^site:/i, "")}`;
}

/** Which policy applies to a user and why. */
export interface AppliedPolicy {
    /** Canonical identity of the applying policy (`Tag:<name>`, `site:<name>`, `Global`). */
    readonly identity: string;
    readonly reason: EffectiveReason;
    /** The policy itself (Global always exists in a tenant; absent only when the set lacks it). */
    readonly policy?: WirePolicy;
    /** Why a higher scope did not apply, when that is not obvious (a grant of a policy that does not exist). */
    readonly note?: string;
}

/** Rule 1 and 3 of the file header: the policy that applies to `user` given the tenant's `policies`. */
export function appliedPolicy(user: ResolverUser, policies: PolicySet): AppliedPolicy {
    let note: string | undefined;
    const grant = grantPolicyKey(user.ClientPolicy);
    if (grant !== undefined) {
        const p = policies.get(grant);
        if (p) return { identity: p.Identity, reason: "Granted", policy: p };
        note = `granted policy Tag:${String(user.ClientPolicy).replace(/^tag:/i, "")} does not exist`;
    }
    const site = sitePolicyKey(user.Site);
    if (site !== undefined) {
        const p = policies.get(site);
        if (p) return { identity: p.Identity, reason: "Site", policy: p, ...(note ? { note } : {}) };
    }
    return { identity: "Global", reason: "Global", policy: policies.get("GLOBAL"), ...(note ? { note } : {}) };
}

/** Where an effective value comes from. */
export type ValueSource = "configured" | "default" | "undocumentedDefault";

/** One setting as the user gets it. */
export interface EffectiveSetting {
    readonly name: string;
    /** The value in wire form; null when the client's default applies and none is documented. */
    readonly value: WireValue | null;
    readonly source: ValueSource;
}

/** A user's effective client policy: the applying policy and every setting. */
export interface EffectivePolicy extends AppliedPolicy {
    readonly settings: readonly EffectiveSetting[];
}

/** Settings that change nothing for a user (rule 4). */
export const NOT_CLIENT_SETTINGS: ReadonlySet<string> = new Set(["Description"]);

/**
 * Rule 2 read the other way: whether unsetting `def` in a policy where it holds `value` (wire form) leaves every user
 * of that policy the same value, because `value` is the setting's documented default. Undocumented defaults: never.
 */
export function unsetKeepsValue(def: SettingDef, value: unknown): boolean {
    return def.default !== undefined && isDeepStrictEqual(value, def.default);
}

/** Rule 2: each catalogue setting of `policy` (undefined: none exists) as configured there, or the client default. */
export function effectiveSettings(policy: WirePolicy | undefined): EffectiveSetting[] {
    return SETTINGS.map((d: SettingDef) => {
        const v = policy?.[d.name];
        if (v !== null && v !== undefined) return { name: d.name, value: v as WireValue, source: "configured" as const };
        if (d.default !== undefined) return { name: d.name, value: d.default, source: "default" as const };
        return { name: d.name, value: null, source: "undocumentedDefault" as const };
    });
}

/** The whole resolution for one user. */
export function resolveEffective(user: ResolverUser, policies: PolicySet): EffectivePolicy {
    const applied = appliedPolicy(user, policies);
    return { ...applied, settings: effectiveSettings(applied.policy) };
}

/** Human wording of a value's source. */
export function sourceText(s: EffectiveSetting, policyIdentity: string): string {
    if (s.source === "configured") return `configured in ${policyIdentity}`;
    if (s.source === "default") return "client default (documented)";
    return "client default (not documented)";
}

/** One setting whose effective value (or its source) differs between two resolutions. */
export interface SettingChange {
    readonly name: string;
    readonly before: EffectiveSetting;
    readonly after: EffectiveSetting;
}

/**
 * The client settings whose effective value differs between two resolutions of one user. Values are compared, not
 * sources: a setting going from "configured False" to a documented default of False gives the user the same thing.
 * An undocumented default is never equal to a configured value (nobody can say what the client does).
 */
export function changedSettings(before: readonly EffectiveSetting[], after: readonly EffectiveSetting[]): SettingChange[] {
    const out: SettingChange[] = [];
    const byName = new Map(after.map((s) => [s.name, s]));
    for (const b of before) {
        if (NOT_CLIENT_SETTINGS.has(b.name)) continue;
        const a = byName.get(b.name);
        if (!a) continue;
        const same = b.source === "undocumentedDefault" || a.source === "undocumentedDefault"
            ? b.source === a.source
            : isDeepStrictEqual(b.value ?? null, a.value ?? null);
        if (!same) out.push({ name: b.name, before: b, after: a });
    }
    return out;
}

/**
 * Whether the users of a group (one site, one grant) get different settings under `after` than under `before`:
 * the applied policy is resolved in each set and the effective settings compared ({@link changedSettings}).
 */
export function groupChanges(user: ResolverUser, before: PolicySet, after: PolicySet): { before: EffectivePolicy; after: EffectivePolicy; changes: SettingChange[] } {
    const b = resolveEffective(user, before);
    const a = resolveEffective(user, after);
    return { before: b, after: a, changes: changedSettings(b.settings, a.settings) };
}

/** Folded key of a (site, grant) group, for grouping users. */
export function groupKey(user: ResolverUser): string {
    return `${foldIdentity(siteIdentity(user.Site) ?? "")}\n${grantPolicyKey(user.ClientPolicy) ?? ""}`;
}
