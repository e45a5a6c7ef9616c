/**
 * The one place that writes PowerShell text from data: string literals, `$null`/`$True`/`$False`, numbers, cmdlet
 * lines and `#` comments. Each output reads back through ./tokenizer.ts (which follows PowerShell's own tokenizer) as
 * exactly the value it was written from, and never as a second token or statement (property-tested with hostile
 * Unicode in test/unit/ps-emit.test.ts).
 *
 * Rules relied on (PowerShell Language Specification 3.0 §2.3.5.2; tokenizer.cs `ScanStringLiteral`, CharTraits.cs
 * `IsSingleQuote`): inside a single-quoted string nothing expands (`$`, backtick, `#`, line breaks are plain characters)
 * and the string ends at any of the five single-quote characters ' U+2018 U+2019 U+201A U+201B unless it is doubled,
 * two in a row standing for the second. So doubling every one of the five is a complete escape.
 */
/** A literal argument value. */
export type PsLiteral = string | number | boolean | null;

const SINGLE_QUOTES = /['\u2018\u2019\u201a\u201b]/g;

/** `value` as a single-quoted PowerShell string: every single-quote character doubled; reads back as exactly `value`. */
export function psString(value: string): string {
    return `'${value.replace(SINGLE_QUOTES, (q) => q + q)}'`;
}

/**
 * A word PowerShell's argument mode reads back as the same string: ASCII letters first, then letters, digits and
 * `_ . : \ @ -` (`Global`, `Tag:OfflineIM`, `sip:tony.smith@contoso.example`, `CONTOSO\tony`). Nothing in it ends a
 * word, quotes, escapes, expands or opens a comment, and it cannot be read as a parameter, number or variable.
 */
const BARE_WORD = /^[A-Za-z][A-Za-z0-9_.:\\@-]*$/;

/** A string as one argument: a bare word when that reads back unchanged (and is not True/False/Null), else {@link psString}. */
export function psArgumentString(value: string): string {
    return BARE_WORD.test(value) && !/^(true|false|null)$/i.test(value) ? value : psString(value);
}

/** A number as PowerShell reads it back: plain decimal notation only (no exponent, NaN or Infinity). */
export function psNumber(value: number): string {
    const text = String(value);
    if (!/^-?\d+(\.\d+)?$/.test(text)) throw new RangeError(`cannot write ${text} as a PowerShell number (plain decimal numbers only)`);
    return text;
}

/** One value as a cmdlet argument: `$True`, `$False`, `$null`, a number, or a string per {@link psArgumentString}. */
export function psValue(value: PsLiteral): string {
    if (value === null) return "$null";
    if (value === true) return "$True";
    if (value === false) return "$False";
    if (typeof value === "number") return psNumber(value);
    if (typeof value === "string") return psArgumentString(value);
    throw new TypeError(`cannot write a ${typeof value} as a PowerShell literal`);
}

/** A cmdlet name: Verb-Noun in ASCII letters. */
const CMDLET_NAME = /^[A-Za-z]+-[A-Za-z]+$/;
/** A parameter name: ASCII letters and digits, a letter first. */
const PARAMETER_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

/**
 * One command: `Cmdlet -Name value …`. A `true` value of a name listed in `switches` is written as the bare switch
 * (`-Force`). Names that are not plain Verb-Noun / parameter names are a programming error (RangeError).
 */
export function psCommand(cmdlet: string, params: ReadonlyArray<readonly [name: string, value: PsLiteral]>, switches: readonly string[] = []): string {
    if (!CMDLET_NAME.test(cmdlet)) throw new RangeError(`invalid cmdlet name ${JSON.stringify(cmdlet)}`);
    const parts = [cmdlet];
    for (const [name, value] of params) {
        if (!PARAMETER_NAME.test(name)) throw new RangeError(`invalid parameter name ${JSON.stringify(name)}`);
        if (value === true && switches.some((s) => s.toLowerCase() === name.toLowerCase())) parts.push(`-${name}`);
        else parts.push(`-${name}`, psValue(value));
    }
    return parts.join(" ");
}

/** `$name = <command>` for a variable name of ASCII letters, digits and `_`. */
export function psAssignment(variable: string, command: string): string {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) throw new RangeError(`invalid variable name ${JSON.stringify(variable)}`);
    return `$${variable} = ${command}`;
}

/**
 * Characters a comment must not carry as they are. PowerShell ends a `#` comment only at CR or LF (tokenizer.cs
 * `ScanToEndOfCommentLine`), but editors, diff views and other tools also break lines at NEL U+0085, U+2028 and U+2029,
 * and a reviewer must see the same lines PowerShell runs; the other C0/C1 controls (NUL, ESC, …) and the bidi
 * controls can hide or reorder what a reader sees. All of them are written as `\uXXXX`; a backslash is doubled so the
 * escape cannot be faked.
 */
const COMMENT_UNSAFE = /[\\\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** Text made safe inside a one-line comment (PowerShell `#`, TypeScript `//`, YAML `#`): see {@link COMMENT_UNSAFE}. */
export function commentText(text: string): string {
    return text.replace(COMMENT_UNSAFE, (c) => (c === "\\" ? "\\\\" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
}

/**
 * A `#` comment line holding `text` on one line, whatever its characters. Starts with `# ` (a space after the `#`), so
 * it is never a `#requires` statement or a signature block marker.
 */
export function psComment(text: string): string {
    return `# ${commentText(text)}`.trimEnd();
}
