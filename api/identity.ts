/**
 * Policy identity rules shared by the emulator and the provider: `Global`,
 * `site:<name>`, and per-user (tag) policies `Tag:<name>` whose prefix is
 * optional and case-insensitive on input. The tenant always answers `Tag:<name>`.
 */

/** Scope of a client policy. */
export type PolicyScope = "global" | "site" | "tag";

/** A parsed, canonical policy identity. */
export interface PolicyIdentity {
    readonly scope: PolicyScope;
    /** Name without prefix; empty for Global. */
    readonly name: string;
    /** Canonical form: `Global`, `site:<name>` or `Tag:<name>`. */
    readonly canonical: string;
    /** Lower-cased canonical form: names are case-insensitive and unique per tenant. */
    readonly key: string;
}

/** The longest policy name accepted (characters). Not documented for the real service; a cap against runaway input. */
export const POLICY_NAME_MAX = 256;

/**
 * Policy names. The CsClientPolicy cmdlet pages state no character rule, and Microsoft's page on special characters in
 * policy names (OfficeDocs-SkypeForBusiness, `Teams/special-character-restrictions-in-policy-names.md`) says names made
 * in PowerShell may hold `@`, `#`, `$` and the like, which tenants therefore contain (../shared/CSCLIENTPOLICY.md §3).
 * So any printable text is accepted (and percent-encoded in routes, `Routes` in api/contract.ts), except: `*` (Identity
 * takes no wildcards, per Get/Remove-CsClientPolicy), `:` (the scope separator of an XdsIdentity), `/` and `\` (path
 * separators that proxies rewrite even when encoded), the names `.` and `..` (URL dot-segments), control characters,
 * and leading or trailing spaces.
 */
const NAME_RE = new RegExp(`^(?! )[^\\x00-\\x1f\\x7f*:/\\\\]{1,${POLICY_NAME_MAX}}(?<! )$`, "u");

/** Explains the accepted identity forms, for error messages. */
export const IDENTITY_FORMS = `"Global", "site:<name>", "Tag:<name>" or a bare policy name (1–${POLICY_NAME_MAX} characters; ` +
    'no "*", ":", "/", "\\", control characters or leading/trailing spaces)';

/**
 * Parses a policy identity. Returns an error message (naming what was expected)
 * instead of throwing, so callers can attach their own field name.
 */
export function parsePolicyIdentity(input: unknown): PolicyIdentity | { error: string } {
    if (typeof input !== "string") return { error: `must be a string: ${IDENTITY_FORMS}` };
    const text = input.trim();
    if (text.toLowerCase() === "global") return { scope: "global", name: "", canonical: "Global", key: "global" };
    const colon = text.indexOf(":");
    let scope: PolicyScope = "tag";
    let name = text;
    if (colon >= 0) {
        const prefix = text.slice(0, colon).toLowerCase();
        name = text.slice(colon + 1);
        if (prefix === "site") scope = "site";
        else if (prefix === "tag") scope = "tag";
        else return { error: `has unknown scope prefix "${text.slice(0, colon)}:"; expected ${IDENTITY_FORMS}` };
    }
    // "." and ".." are dot-segments: URL handling removes them from a path even when encoded, so no route could reach them.
    if (!NAME_RE.test(name) || name.toLowerCase() === "global" || name === "." || name === "..") {
        return { error: `"${input}" is not a valid policy identity; expected ${IDENTITY_FORMS}` };
    }
    const canonical = scope === "site" ? `site:${name}` : `Tag:${name}`;
    return { scope, name, canonical, key: canonical.toLowerCase() };
}

/** Type guard for the result of {@link parsePolicyIdentity}. */
export function isIdentityError(x: PolicyIdentity | { error: string }): x is { error: string } {
    return "error" in x;
}

/**
 * Whether two spellings name the same policy (canonical identities compared case-insensitively; `OfflineIM`,
 * `tag:offlineim` and `Tag:OfflineIM` are one policy). Unparseable spellings are never the same as anything.
 */
export function samePolicy(a: unknown, b: unknown): boolean {
    const x = parsePolicyIdentity(a);
    const y = parsePolicyIdentity(b);
    return !isIdentityError(x) && !isIdentityError(y) && x.key === y.key;
}

/**
 * A per-user (tag) policy from a grant's `PolicyName` (with or without `Tag:`, any case): the parsed identity, or an
 * error message when it is not a valid tag policy name. Global and site policies apply by scope and cannot be granted.
 */
export function parseGrantPolicyName(input: unknown): PolicyIdentity | { error: string } {
    const parsed = parsePolicyIdentity(input);
    if (isIdentityError(parsed)) return parsed;
    if (parsed.scope !== "tag") {
        return { error: `${parsed.canonical} applies by scope and cannot be granted to users; grant a per-user policy ("Tag:<name>")` };
    }
    return parsed;
}
