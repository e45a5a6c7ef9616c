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

/** Names: letters, digits, and `-_. ` — no separators that would confuse routes or prefixes. */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,63}$/;

/** Explains the accepted identity forms, for error messages. */
export const IDENTITY_FORMS = '"Global", "site:<name>", "Tag:<name>" or a bare policy name (1–64 of letters, digits, space, "-", "_", ".")';

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
    if (!NAME_RE.test(name) || name.toLowerCase() === "global") {
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
 * The grant's PolicyName for a tag policy: the identity without `Tag:`.
 * Accepts either form on input.
 */
export function policyNameOf(identity: PolicyIdentity): string {
    return identity.name;
}
