/**
 * A PowerShell tokenizer for scripts of cmdlet calls, reading characters the way PowerShell's own tokenizer does.
 *
 * Sources: the Windows PowerShell Language Specification 3.0, chapter 2 "Lexical structure" (§2.2.2 line terminators,
 * §2.2.3 comments, §2.2.4 white space, §2.3.4 parameters, §2.3.5.2 string literals, §2.3.6 operators and punctuators),
 * and PowerShell's source (github.com/PowerShell/PowerShell, src/System.Management.Automation/engine/parser/):
 * CharTraits.cs (`SpecialChars`, `IsWhitespace`, `IsDash`, `IsSingleQuote`, `IsDoubleQuote`, `ForceStartNewToken`) and
 * tokenizer.cs (`NextToken`, `ScanParameter`, `ScanGenericToken`, `ScanStringLiteral`, `ScanStringExpandable`,
 * `ScanHereStringLiteral`, `ScanLineComment`, `ScanBlockComment`, `Backtick`). What this module follows from them:
 *
 * - Single quotes are `'` and U+2018 U+2019 U+201A U+201B, all interchangeable: any of them ends a single-quoted string,
 *   and any two in a row stand for the second one. Double quotes are `"` and U+201C U+201D U+201E.
 * - A dash is `-` or U+2013 (en dash), U+2014 (em dash), U+2015 (horizontal bar): `–Identity` is a parameter, `–5` a number.
 * - Only CR, LF and CRLF end a line (statement separator, end of a `#` comment). NEL U+0085, U+2028, U+2029, NBSP and
 *   every other Unicode separator are white space.
 * - `#` at the start of a token opens a comment to the end of the line (`Sales#1` is one word); `<#` opens a block
 *   comment that ends at the first `#>`, across lines.
 * - A backtick escapes the next character. Only a backtick directly before CR/LF at the start of a token continues the
 *   line; a backtick followed by a space there is white space, so the line still ends at its line break. Inside a word
 *   a backtick takes the next character literally (`` `n `` is LF, as in double-quoted strings).
 * - A word (PowerShell's "generic token": a command name or a bare argument) runs until white space, a line break or one
 *   of `& ( ) , ; { | }`; quoted parts inside it join it (`a'b c'` is the one word `ab c`).
 * - Here-strings `@'…'@` and `@"…"@`: the opening quote ends its line, the closing quote starts one.
 */

/** A script the tokenizer cannot read (unterminated string or comment), with its 1-based line and column. */
export class PsParseError extends Error {
    constructor(readonly line: number, readonly column: number, message: string) {
        super(`line ${line}, column ${column}: ${message}`);
        this.name = "PsParseError";
    }
}

/** Token kinds. `newline`, `semi` and `pipe` separate statements and pipeline elements. */
export type PsTokenKind = "newline" | "semi" | "pipe" | "parameter" | "string" | "number" | "word" | "variable" | "punct" | "comment";

/** One token with its place in the script (offsets into the script; line and column 1-based). */
export interface PsToken {
    readonly kind: PsTokenKind;
    /** The source text of the token. */
    readonly text: string;
    /**
     * parameter: its name (no dash, no colon); string and word: the value after quotes and escapes; number: the text with
     * a typographic dash made `-`; variable: its name (`true`, `ErrorActionPreference`); punct: the symbol; comment: the
     * text.
     */
    readonly value: string;
    readonly start: number;
    readonly end: number;
    readonly line: number;
    readonly column: number;
    /** parameter: ended by `:` (`-Name:value`). */
    readonly colon?: boolean;
    /** string: which quotes. */
    readonly quote?: "single" | "double" | "here-single" | "here-double";
    /** string or word: holds a variable or subexpression PowerShell would expand (`"$x"`, `a$(b)`). */
    readonly expandable?: boolean;
    /** With `expandable`: the offset of the first `$` that expands. */
    readonly expandAt?: number;
    /** variable: `@name` (splatting) rather than `$name`. */
    readonly splat?: boolean;
}

/** CharTraits.IsSingleQuote. */
export const isSingleQuote = (c: string | undefined): boolean => c === "'" || c === "\u2018" || c === "\u2019" || c === "\u201a" || c === "\u201b";
/** CharTraits.IsDoubleQuote. */
export const isDoubleQuote = (c: string | undefined): boolean => c === '"' || c === "\u201c" || c === "\u201d" || c === "\u201e";
/** CharTraits.IsDash. */
export const isDash = (c: string | undefined): boolean => c === "-" || c === "\u2013" || c === "\u2014" || c === "\u2015";
/** CharTraits.IsWhitespace: space, tab, VT, FF, NBSP, NEL, and above U+0100 every Unicode separator (Zs, Zl, Zp). */
export function isWhitespace(c: string | undefined): boolean {
    if (c === undefined) return false;
    if (c === " " || c === "\t" || c === "\v" || c === "\f" || c === "\u00a0" || c === "\u0085") return true;
    return c.charCodeAt(0) > 0x100 && /\p{Z}/u.test(c);
}
/** .NET `char.IsWhiteSpace`, which the tokenizer uses after a backtick: adds CR, LF and the C0/C1 separators. */
function isDotNetWhiteSpace(c: string): boolean {
    return isWhitespace(c) || /[\t\n\v\f\r\u001c-\u001f\u0085]/.test(c);
}
const isNewline = (c: string | undefined): boolean => c === "\r" || c === "\n";
/** CharTraits.ForceStartNewToken: characters that end a word. */
const endsWord = (c: string | undefined): boolean => c === undefined || isWhitespace(c) || isNewline(c) || c === "\0" || "&(),;{|}".includes(c);
/** Characters that end a parameter name (ScanParameter). */
const endsParameter = (c: string | undefined): boolean => c === undefined || isWhitespace(c) || isNewline(c) || c === "\0" || "{}();,|&.[".includes(c);
/** `$` followed by one of these starts a variable or subexpression in an expandable string or word. */
const VARIABLE_START = /[\p{L}\p{N}_?^$:{(]/u;
const VARIABLE_CHAR = /[\p{L}\p{N}_?:]/u;
const PLAIN_NUMBER = /^-?(\d+(\.\d*)?|\.\d+)$/;
/** Numbers PowerShell reads with a meaning beyond a plain decimal (hex, exponent, type suffix, kb/mb/… multipliers). */
const OTHER_NUMBER = /^-?(0x[0-9a-f]+|(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?)([dlun]|kb|mb|gb|tb|pb|[dlun](kb|mb|gb|tb|pb))?$/i;

/** Backtick escapes (tokenizer.cs `Backtick`): `0 `a `b `e `f `n `r `t `v and `u{hex}; any other character stands for itself. */
function backtick(text: string, at: number): { value: string; length: number } {
    const c = text[at];
    const simple: Record<string, string> = { "0": "\0", a: "\x07", b: "\b", e: "\x1b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };
    if (c in simple) return { value: simple[c], length: 1 };
    if (c === "u") {
        const m = /^u\{([0-9a-fA-F]{1,6})\}/.exec(text.slice(at, at + 10));
        if (m && parseInt(m[1], 16) <= 0x10ffff) return { value: String.fromCodePoint(parseInt(m[1], 16)), length: m[0].length };
    }
    const cp = text.codePointAt(at)!;
    const ch = String.fromCodePoint(cp);
    return { value: ch, length: ch.length };
}

/**
 * Splits a script into tokens (comments included as `comment` tokens; white space and line continuations dropped).
 * Throws {@link PsParseError} for an unterminated string, here-string or block comment.
 */
export function tokenize(script: string): PsToken[] {
    const tokens: PsToken[] = [];
    // Line starts, for 1-based line and column of any offset. CRLF counts as one line break.
    const lineStarts = [0];
    for (let i = 0; i < script.length; i++) {
        if (script[i] === "\n" || (script[i] === "\r" && script[i + 1] !== "\n")) lineStarts.push(i + 1);
    }
    const where = (offset: number) => {
        let lo = 0;
        let hi = lineStarts.length - 1;
        while (lo < hi) {
            const mid = (lo + hi + 1) >> 1;
            if (lineStarts[mid] <= offset) lo = mid;
            else hi = mid - 1;
        }
        return { line: lo + 1, column: offset - lineStarts[lo] + 1 };
    };
    const fail = (offset: number, message: string): never => {
        const { line, column } = where(offset);
        throw new PsParseError(line, column, message);
    };
    const push = (kind: PsTokenKind, start: number, end: number, value: string, extra: Partial<PsToken> = {}) => {
        tokens.push({ kind, text: script.slice(start, end), value, start, end, ...where(start), ...extra });
    };
    /** Inside `@{ … }` (PowerShell reads its body in expression mode): `=` ends a word and is a token of its own. */
    const braces: Array<"hash" | "block"> = [];
    const inHash = () => braces[braces.length - 1] === "hash";

    /** Single-quoted string body from `pos` (after the opening quote); returns value and the offset after the close. */
    const singleQuoted = (pos: number, open: number): { value: string; end: number } => {
        let value = "";
        for (;;) {
            if (pos >= script.length) fail(open, "unterminated single-quoted string (no closing quote)");
            const c = script[pos++];
            if (isSingleQuote(c)) {
                if (!isSingleQuote(script[pos])) return { value, end: pos };
                value += script[pos++];
            } else value += c;
        }
    };
    /** Double-quoted string body: doubled double quotes, backtick escapes; notes whether `$` would expand. */
    const doubleQuoted = (pos: number, open: number): { value: string; end: number; expandable: boolean; expandAt?: number } => {
        let value = "";
        let expandable = false;
        let expandAt: number | undefined;
        for (;;) {
            if (pos >= script.length) fail(open, "unterminated double-quoted string (no closing quote)");
            const c = script[pos++];
            if (isDoubleQuote(c)) {
                if (!isDoubleQuote(script[pos])) return { value, end: pos, expandable, ...(expandAt === undefined ? {} : { expandAt }) };
                value += script[pos++];
            } else if (c === "`" && pos < script.length) {
                const e = backtick(script, pos);
                value += e.value;
                pos += e.length;
            } else {
                if (c === "$" && VARIABLE_START.test(script[pos] ?? "") && !expandable) { expandable = true; expandAt = pos - 1; }
                value += c;
            }
        }
    };
    /** A word from `pos` (first character already known not to end it); PowerShell's ScanGenericToken. */
    const word = (start: number, prefix = ""): number => {
        let pos = start + prefix.length;
        let value = prefix;
        let expandable = false;
        let expandAt: number | undefined;
        let plain = true;
        while (pos < script.length && !endsWord(script[pos]) && !(inHash() && script[pos] === "=")) {
            const c = script[pos];
            if (c === "`" && pos + 1 < script.length) {
                const e = backtick(script, pos + 1);
                value += e.value;
                pos += 1 + e.length;
                plain = false;
            } else if (isSingleQuote(c)) {
                const s = singleQuoted(pos + 1, pos);
                value += s.value;
                pos = s.end;
                plain = false;
            } else if (isDoubleQuote(c)) {
                const s = doubleQuoted(pos + 1, pos);
                value += s.value;
                if (s.expandable && !expandable) { expandable = true; expandAt = s.expandAt; }
                pos = s.end;
                plain = false;
            } else {
                if (c === "$" && VARIABLE_START.test(script[pos + 1] ?? "") && !expandable) { expandable = true; expandAt = pos; }
                const ch = String.fromCodePoint(script.codePointAt(pos)!);
                value += ch;
                pos += ch.length;
            }
        }
        const normalized = isDash(value[0]) ? `-${value.slice(1)}` : value;
        if (plain && !expandable && PLAIN_NUMBER.test(normalized)) push("number", start, pos, normalized);
        else if (plain && !expandable && OTHER_NUMBER.test(normalized)) {
            fail(start, `number ${JSON.stringify(value)}: only plain decimal numbers are supported (no hex, exponents, suffixes or kb/mb multipliers)`);
        } else push("word", start, pos, value, expandable ? { expandable, expandAt } : {});
        return pos;
    };

    let pos = 0;
    while (pos < script.length) {
        const start = pos;
        const c = script[pos];
        const next = script[pos + 1];
        if (isWhitespace(c)) { pos++; continue; }
        if (c === "\r" || c === "\n") {
            pos += c === "\r" && next === "\n" ? 2 : 1;
            if (inHash()) push("semi", start, pos, "\n");
            else push("newline", start, pos, "\n");
            continue;
        }
        if (c === "`") {
            if (next === "\r" || next === "\n") { pos += next === "\r" && script[pos + 2] === "\n" ? 3 : 2; continue; } // line continuation
            if (next !== undefined && isDotNetWhiteSpace(next)) { pos += 2; continue; } // escaped white space between tokens
            if (next === undefined) fail(start, "a backtick at the end of the script escapes nothing");
            pos = word(start);
            continue;
        }
        if (c === "#") {
            while (pos < script.length && !isNewline(script[pos])) pos++;
            push("comment", start, pos, script.slice(start + 1, pos));
            continue;
        }
        if (c === "<" && next === "#") {
            const close = script.indexOf("#>", pos + 2);
            if (close < 0) fail(start, "unterminated block comment: <# has no closing #>");
            pos = close + 2;
            push("comment", start, pos, script.slice(start + 2, close));
            continue;
        }
        if (isSingleQuote(c)) {
            const s = singleQuoted(pos + 1, pos);
            pos = s.end;
            push("string", start, pos, s.value, { quote: "single" });
            continue;
        }
        if (isDoubleQuote(c)) {
            const s = doubleQuoted(pos + 1, pos);
            pos = s.end;
            push("string", start, pos, s.value, { quote: "double", ...(s.expandable ? { expandable: true, expandAt: s.expandAt } : {}) });
            continue;
        }
        if (c === "@") {
            if (next === "{") { pos += 2; braces.push("hash"); push("punct", start, pos, "@{"); continue; }
            if (next === "(") { pos += 2; push("punct", start, pos, "@("); continue; }
            if (isSingleQuote(next) || isDoubleQuote(next)) { pos = hereString(start); continue; }
            if (next !== undefined && /[\p{L}\p{N}_]/u.test(next)) {
                pos++;
                while (pos < script.length && VARIABLE_CHAR.test(script[pos])) pos++;
                push("variable", start, pos, script.slice(start + 1, pos), { splat: true });
                continue;
            }
            pos = word(start);
            continue;
        }
        if (c === "$") {
            if (next === "(") { pos += 2; push("punct", start, pos, "$("); continue; }
            if (next === "{") {
                const close = script.indexOf("}", pos + 2);
                if (close < 0) fail(start, "unterminated ${…} variable name");
                pos = close + 1;
                push("variable", start, pos, script.slice(start + 2, close));
                continue;
            }
            if (next !== undefined && VARIABLE_CHAR.test(next) && next !== ":") {
                pos++;
                while (pos < script.length && VARIABLE_CHAR.test(script[pos])) pos++;
                // `$x:` ends a drive-qualified name only with a name after it; a trailing colon is not part of it.
                while (script[pos - 1] === ":") pos--;
                if (endsWord(script[pos]) || "=.[".includes(script[pos]) || (inHash() && script[pos] === "=")) {
                    push("variable", start, pos, script.slice(start + 1, pos));
                    continue;
                }
                pos = start;
            }
            pos = word(start);
            continue;
        }
        if (isDash(c)) {
            if (next !== undefined && (/\p{L}/u.test(next) || next === "_" || next === "?")) {
                // A parameter (ScanParameter): up to white space, a line break, `{}();,|&.[` or a colon (which ends it).
                let p = pos + 1;
                while (!endsParameter(script[p]) && script[p] !== ":" && !isSingleQuote(script[p]) && !isDoubleQuote(script[p])) p++;
                if (isSingleQuote(script[p]) || isDoubleQuote(script[p])) { pos = word(start); continue; } // quotes are never part of a parameter
                const name = script.slice(pos + 1, p);
                const colon = script[p] === ":";
                pos = colon ? p + 1 : p;
                push("parameter", start, pos, name, colon ? { colon } : {});
                continue;
            }
            pos = word(start);
            continue;
        }
        if (c === ";") { pos++; push("semi", start, pos, ";"); continue; }
        if (c === "|") {
            if (next === "|") { pos += 2; push("punct", start, pos, "||"); continue; }
            pos++;
            push("pipe", start, pos, "|");
            continue;
        }
        if (c === "&" || c === "(" || c === ")" || c === "," || c === "{" || c === "}" || (c === "=" && (inHash() || endsWord(next)))) {
            if (c === "&" && next === "&") { pos += 2; push("punct", start, pos, "&&"); continue; }
            if (c === "{") braces.push("block");
            if (c === "}") braces.pop();
            pos++;
            push("punct", start, pos, c);
            continue;
        }
        if (c === ">" || (c === "<" && next !== "#")) { pos++; push("punct", start, pos, c); continue; }
        if (c === "\0") fail(start, "a NUL character outside a quoted string");
        pos = word(start);
    }
    return tokens;

    /** `@'`/`@"` here-string starting at `start`; returns the offset after its closing `'@`/`"@`. */
    function hereString(start: number): number {
        const single = isSingleQuote(script[start + 1]);
        let p = start + 2;
        while (isWhitespace(script[p])) p++;
        if (!isNewline(script[p])) fail(p, `nothing may follow the ${script.slice(start, start + 2)} of a here-string on its line`);
        p += script[p] === "\r" && script[p + 1] === "\n" ? 2 : 1;
        const bodyStart = p;
        const closes = (at: number) => (single ? isSingleQuote(script[at]) : isDoubleQuote(script[at])) && script[at + 1] === "@";
        // The body ends at a line break followed directly by the closing quote and `@`; an empty body closes at once.
        let bodyEnd = -1;
        let after = -1;
        if (closes(bodyStart)) { bodyEnd = bodyStart; after = bodyStart + 2; }
        for (let i = bodyStart; bodyEnd < 0 && i < script.length; i++) {
            if (isNewline(script[i])) {
                const nl = script[i] === "\r" && script[i + 1] === "\n" ? 2 : 1;
                if (closes(i + nl)) { bodyEnd = i; after = i + nl + 2; }
                else i += nl - 1;
            }
        }
        if (bodyEnd < 0) fail(start, `unterminated here-string: ${script.slice(start, start + 2)} has no ${script[start + 1]}@ at the start of a line`);
        const raw = script.slice(bodyStart, bodyEnd);
        if (single) {
            push("string", start, after, raw, { quote: "here-single" });
        } else {
            let value = "";
            let expandAt: number | undefined;
            for (let i = 0; i < raw.length; i++) {
                if (raw[i] === "`" && i + 1 < raw.length) {
                    const e = backtick(raw, i + 1);
                    value += e.value;
                    i += e.length;
                } else {
                    if (raw[i] === "$" && VARIABLE_START.test(raw[i + 1] ?? "") && expandAt === undefined) expandAt = bodyStart + i;
                    value += raw[i];
                }
            }
            push("string", start, after, value, { quote: "here-double", ...(expandAt !== undefined ? { expandable: true, expandAt } : {}) });
        }
        return after;
    }
}
