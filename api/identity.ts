/**
 * Policy identity rules shared by the emulator and the provider: `Global`,
 * `site:<name>`, and per-user (tag) policies `Tag:<name>` whose prefix is
 * optional and case-insensitive on input. The tenant always answers `Tag:<name>`.
 */

// ---------------------------------------------------------------- case folding

/**
 * Simple (one-to-one) upper-case mappings of the characters whose full mapping (what `String.prototype.toUpperCase`
 * applies) expands to several characters while UnicodeData.txt still gives a single-character simple mapping: the
 * Greek letters with ypogegrammeni map to their prosgegrammeni (title-case) forms. Every other expanding character
 * (ß, ŉ, ǰ, ΐ, ﬁ, …) has no simple upper-case mapping and folds to itself.
 */
const SIMPLE_UPPER_OF_EXPANDING: ReadonlyMap<number, number> = new Map([
    ...[0x1f80, 0x1f90, 0x1fa0].flatMap((base) => Array.from({ length: 8 }, (_, i): [number, number] => [base + i, base + 8 + i])),
    [0x1fb3, 0x1fbc], [0x1fc3, 0x1fcc], [0x1ff3, 0x1ffc],
]);

/**
 * Characters .NET's ordinal casing leaves alone although Unicode upper-cases them to ASCII: U+0131 (dotless ı → I) and
 * U+017F (long ſ → S). dotnet/runtime, src/native/libs/System.Globalization.Native/pal_casing.c,
 * `GlobalizationNative_InitOrdinalCasingPage` ("Disable Turkish I behavior on Ordinal operations"), matching what
 * Windows' invariant casing does.
 */
const ORDINAL_SELF: ReadonlySet<number> = new Set([0x0131, 0x017f]);

function simpleUpper(cp: number): number {
    if (ORDINAL_SELF.has(cp)) return cp;
    const full = String.fromCodePoint(cp).toUpperCase();
    const first = full.codePointAt(0)!;
    if (full.length === String.fromCodePoint(first).length) return first;
    return SIMPLE_UPPER_OF_EXPANDING.get(cp) ?? cp;
}

/**
 * THE identity folding rule of this project, for policy names and user identities alike: the comparison key of a
 * string under .NET's `StringComparison.OrdinalIgnoreCase`, which Skype for Business Server (a .NET application)
 * uses for identities. Microsoft documents that OrdinalIgnoreCase "treats the characters in the strings to compare as
 * if they were converted to uppercase by using the conventions of the invariant culture, and then performs a simple
 * byte comparison that is independent of language" (learn.microsoft.com, `StringComparer.OrdinalIgnoreCase`
 * remarks; the same in "Best practices for comparing strings in .NET"). So, per code point:
 *
 * - the Unicode simple upper-case mapping (one character to one character, never an expansion): `ß` stays `ß` (not
 *   `SS`), `ς` and `σ` both become `Σ`, `ﬁ` stays `ﬁ`;
 * - no lower-casing and no case folding: the Kelvin sign U+212A and the Ångström sign U+212B are upper case already
 *   and stay distinct from `K` and `Å` (JavaScript's `toLowerCase` would make them `k` and `å`); `ẞ` U+1E9E stays
 *   distinct from `ß`;
 * - no locale: `i` becomes `I` (never Turkish `İ`), and dotless `ı` and long `ſ` fold to themselves (see
 *   {@link ORDINAL_SELF}), so `ı` ≠ `I` and `ſ` ≠ `S`.
 *
 * Known limits: the Unicode version is the JavaScript engine's, not the server's Windows tables (letters added to
 * Unicode recently may fold differently), and .NET Framework compares UTF-16 code units, so supplementary-plane
 * letters (Deseret, Osage, Adlam) may compare case-sensitively on the server while they fold here.
 */
export function foldIdentity(text: string): string {
    // ASCII fast path: the simple and full mappings agree and no exception applies.
    if (/^[\x00-\x7f]*$/.test(text)) return text.toUpperCase();
    let out = "";
    for (const ch of text) out += String.fromCodePoint(simpleUpper(ch.codePointAt(0)!));
    return out;
}

/** Whether two identities (policy names, user identities) are equal under {@link foldIdentity}. */
export function sameIdentity(a: string, b: string): boolean {
    return a === b || foldIdentity(a) === foldIdentity(b);
}

// ---------------------------------------------------------------- plain text

/**
 * Characters no identity and no setting text may hold: the C0 controls (NUL, TAB, LF, CR, …), DEL, the C1 controls
 * (NEL U+0085 among them), and the Unicode LINE SEPARATOR and PARAGRAPH SEPARATOR (U+2028, U+2029).
 *
 * Why refuse rather than store: the cmdlet reference types these parameters as plain `String`s and says nothing of
 * line breaks anywhere (MicrosoftDocs/office-docs-powershell, skype/skype-ps/skype/New-CsClientPolicy.md and
 * Set-CsClientPolicy.md: `-Description`, `-IMWarning`, the URL settings; of IMWarning they say the message "should be
 * limited to 256 characters, and can only contain plain text"); user identities are SIP addresses, UPNs, `DOMAIN\logon` names, display names and GUIDs, none of
 * which holds a control character. With no evidence that Skype for Business Server keeps such text, both backends
 * refuse it with 400 naming the field, before anything is written, instead of storing something the server may
 * mangle (and that every generated script, comment and log line would have to carry).
 */
const CONTROL_CHARACTER_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/** The code point of a character as `U+000A`. */
function codePointName(ch: string): string {
    return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Why `text` is not plain text ({@link CONTROL_CHARACTER_RE}), or undefined when it is. Names the first offending
 * character by code point and position, never the text itself (setting text may be confidential).
 */
export function controlCharacterProblem(text: string): string | undefined {
    const m = CONTROL_CHARACTER_RE.exec(text);
    if (!m) return undefined;
    const what = m[0] === "\n" || m[0] === "\r" || m[0] === "\u0085" || m[0] === "\u2028" || m[0] === "\u2029" ? "a line break" : "a control character";
    return `must not contain line breaks or other control characters, got ${what} (${codePointName(m[0])}) at character ${m.index + 1}`;
}

/**
 * Why a user identity (object id, SIP address, UPN, `DOMAIN\logon` or display name) cannot name a user, or undefined:
 * empty text, a wildcard (the cmdlets' `-Identity` takes none), or a control character. Both backends and the provider
 * check identities with this before resolving them.
 */
export function userIdentityProblem(input: unknown): string | undefined {
    if (typeof input !== "string" || input.trim() === "") return "must be a non-empty user identity (SIP address, UPN, DOMAIN\\logon, display name or object id)";
    if (input.includes("*")) return `must not contain wildcards ("*"); list the users explicitly`;
    return controlCharacterProblem(input);
}

// ---------------------------------------------------------------- policy identities

/** Scope of a client policy. */
export type PolicyScope = "global" | "site" | "tag";

/** A parsed, canonical policy identity. */
export interface PolicyIdentity {
    readonly scope: PolicyScope;
    /** Name without prefix; empty for Global. */
    readonly name: string;
    /** Canonical form: `Global`, `site:<name>` or `Tag:<name>`. */
    readonly canonical: string;
    /** The canonical form under {@link foldIdentity}: names are case-insensitive and unique per tenant. */
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
 * separators that proxies rewrite even when encoded), the names `.` and `..` (URL dot-segments), control characters
 * and line breaks (as {@link CONTROL_CHARACTER_RE}: C0, DEL, C1, U+2028, U+2029), and leading or trailing spaces.
 */
const NAME_RE = new RegExp(`^(?! )[^\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029*:/\\\\]{1,${POLICY_NAME_MAX}}(?<! )$`, "u");

/** Explains the accepted identity forms, for error messages. */
export const IDENTITY_FORMS = `"Global", "site:<name>", "Tag:<name>" or a bare policy name (1–${POLICY_NAME_MAX} characters; ` +
    'no "*", ":", "/", "\\", line breaks or other control characters, or leading/trailing spaces)';

/**
 * Parses a policy identity. Returns an error message (naming what was expected)
 * instead of throwing, so callers can attach their own field name.
 */
export function parsePolicyIdentity(input: unknown): PolicyIdentity | { error: string } {
    if (typeof input !== "string") return { error: `must be a string: ${IDENTITY_FORMS}` };
    const text = input.trim();
    if (foldIdentity(text) === "GLOBAL") return { scope: "global", name: "", canonical: "Global", key: "GLOBAL" };
    const colon = text.indexOf(":");
    let scope: PolicyScope = "tag";
    let name = text;
    if (colon >= 0) {
        const prefix = foldIdentity(text.slice(0, colon));
        name = text.slice(colon + 1);
        if (prefix === "SITE") scope = "site";
        else if (prefix === "TAG") scope = "tag";
        else return { error: `has unknown scope prefix "${text.slice(0, colon)}:"; expected ${IDENTITY_FORMS}` };
    }
    // "." and ".." are dot-segments: URL handling removes them from a path even when encoded, so no route could reach them.
    if (!NAME_RE.test(name) || foldIdentity(name) === "GLOBAL" || name === "." || name === "..") {
        return { error: `"${input}" is not a valid policy identity; expected ${IDENTITY_FORMS}` };
    }
    const canonical = scope === "site" ? `site:${name}` : `Tag:${name}`;
    return { scope, name, canonical, key: foldIdentity(canonical) };
}

/** Type guard for the result of {@link parsePolicyIdentity}. */
export function isIdentityError(x: PolicyIdentity | { error: string }): x is { error: string } {
    return "error" in x;
}

/**
 * Whether two spellings name the same policy (canonical identities compared under {@link foldIdentity}; `OfflineIM`,
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
