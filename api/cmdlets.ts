/**
 * The cmdlet grammar of the five CsClientPolicy cmdlets (New/Set/Get/Remove/Grant-CsClientPolicy) as administrators
 * write them in scripts: `-Name value` and `-Name:value` parameters, positional arguments, single- and double-quoted
 * strings (doubled quotes and backtick escapes), `$True`/`$False`/`$null`, numbers and bare words. It is not
 * PowerShell: no variables, pipelines, hashtables or expressions, and a line that uses them fails with line and column.
 * Shared by the emulator's PowerShell endpoint, `clientpolicy convert` and the gateway's stand-in shell.
 * Source: the cmdlet pages in MicrosoftDocs/office-docs-powershell (skype/skype-ps/skype/*-CsClientPolicy.md) and the
 * about_Parsing rules of PowerShell's argument mode.
 */

/** A cmdlet argument value. `true` also stands for a switch given without a value. */
export type PsValue = string | number | boolean | null;

/** One parsed cmdlet line. */
export interface PsCommand {
    line: number;
    text: string;
    cmdlet: string;
    /** Keyed by lower-cased parameter name. */
    named: Map<string, { name: string; value: PsValue; column: number }>;
    positional: Array<{ value: PsValue; column: number }>;
}

/** A line that cannot be parsed, with its 1-based line and column. */
export class PsParseError extends Error {
    constructor(readonly line: number, readonly column: number, message: string) {
        super(`line ${line}, column ${column}: ${message}`);
        this.name = "PsParseError";
    }
}

/** The cmdlets the emulator knows, by lower-cased name → canonical name. */
const CMDLETS = new Map(["New", "Set", "Get", "Remove", "Grant"].map((v) => [`${v.toLowerCase()}-csclientpolicy`, `${v}-CsClientPolicy`]));
const VARIABLES: Record<string, PsValue> = { true: true, false: false, null: null };
const NUMBER_RE = /^-?\d+(\.\d+)?$/;

/** Parses a script; throws {@link PsParseError} for the first line that does not parse. */
export function parseScript(script: string): PsCommand[] {
    const out: PsCommand[] = [];
    script.split(/\r?\n/).forEach((raw, i) => {
        const cmd = parseLine(raw, i + 1);
        if (cmd) out.push(cmd);
    });
    return out;
}

/** Options of {@link parseLine}. */
export interface ParseLineOptions {
    /**
     * Further cmdlet names this caller accepts besides the five CsClientPolicy cmdlets (canonical spelling, matched
     * case-insensitively), e.g. `New-CsClientPolicyEntry` for `clientpolicy convert`. The emulator passes none.
     */
    extraCmdlets?: readonly string[];
}

/** Parses one line; `undefined` for a blank or comment-only line; throws {@link PsParseError} naming the column. */
export function parseLine(text: string, line: number, options: ParseLineOptions = {}): PsCommand | undefined {
    let pos = 0;
    const fail = (message: string, at = pos): never => {
        throw new PsParseError(line, at + 1, message);
    };
    const skipSpace = () => {
        while (pos < text.length && /\s/.test(text[pos])) pos++;
    };
    const atEnd = () => pos >= text.length || text[pos] === "#";
    // As in PowerShell's argument mode, `#` starts a comment only at the start of a token: `Sales#1` is one word.
    const bareWord = () => {
        const start = pos;
        while (pos < text.length && !/[\s'"]/.test(text[pos])) pos++;
        return text.slice(start, pos);
    };
    const quoted = (q: string): string => {
        const start = pos++;
        let value = "";
        for (;;) {
            if (pos >= text.length) fail(`unterminated ${q === "'" ? "single" : "double"}-quoted string`, start);
            const c = text[pos++];
            if (c === q && text[pos] === q) { value += q; pos++; }
            else if (c === q) return value;
            else if (q === '"' && c === "`" && pos < text.length) value += text[pos++];
            else if (q === '"' && c === "$") fail("variables are not supported inside double-quoted strings", pos - 1);
            else value += c;
        }
    };
    const value = (): PsValue => {
        const c = text[pos];
        if (c === "'" || c === '"') return quoted(c);
        const start = pos;
        if (c === "$") {
            pos++;
            const name = bareWord();
            if (!(name.toLowerCase() in VARIABLES)) fail(`unsupported variable $${name}; only $True, $False and $null`, start);
            return VARIABLES[name.toLowerCase()];
        }
        const word = bareWord();
        if (word === "") fail(`unexpected character ${JSON.stringify(c)}`, start);
        // `@` only opens a hashtable or array at the start (`@{…}`, `@(…)`); inside a word it is a character (`Sales@EU`).
        if (/^@|[(){};|,]/.test(word)) fail(`unsupported syntax in ${JSON.stringify(word)} (no expressions, hashtables, arrays or pipelines)`, start);
        return NUMBER_RE.test(word) ? Number(word) : word;
    };

    skipSpace();
    if (atEnd()) return undefined;
    const cmdStart = pos;
    const word = bareWord().toLowerCase();
    const cmdlet = CMDLETS.get(word) ?? options.extraCmdlets?.find((c) => c.toLowerCase() === word);
    if (!cmdlet) fail(`unknown command ${JSON.stringify(text.slice(cmdStart, pos))}; expected New/Set/Get/Remove/Grant-CsClientPolicy`, cmdStart);
    const cmd: PsCommand = { line, text: text.trim(), cmdlet: cmdlet!, named: new Map(), positional: [] };
    for (;;) {
        skipSpace();
        if (atEnd()) return cmd;
        const start = pos;
        if (text[pos] === "-" && /[A-Za-z]/.test(text[pos + 1] ?? "")) {
            pos++;
            const m = /^[A-Za-z][A-Za-z0-9]*/.exec(text.slice(pos))!;
            pos += m[0].length;
            let v: PsValue = true;
            if (text[pos] === ":") {
                pos++;
                v = value();
            } else if (pos < text.length && !/\s/.test(text[pos])) {
                fail(`unexpected character ${JSON.stringify(text[pos])} after parameter -${m[0]}`);
            } else {
                skipSpace();
                if (!atEnd() && !(text[pos] === "-" && /[A-Za-z]/.test(text[pos + 1] ?? ""))) v = value();
            }
            if (cmd.named.has(m[0].toLowerCase())) fail(`parameter -${m[0]} given twice`, start);
            cmd.named.set(m[0].toLowerCase(), { name: m[0], value: v, column: start + 1 });
        } else {
            cmd.positional.push({ value: value(), column: start + 1 });
        }
    }
}

// ---------------------------------------------------------------- rendering (the inverse of parseLine)

/** A bare word PowerShell's argument mode reads back as the same string: no quotes, spaces, `$`, `#`, `@` first, digits first. */
const BARE_WORD_RE = /^[A-Za-z][A-Za-z0-9_.:\\@-]*$/;
/** Characters PowerShell also treats as single quotes (its tokenizer accepts the typographic ones). */
const TYPOGRAPHIC_SINGLE_QUOTES = /[\u2018\u2019\u201a\u201b]/;
/** Characters that end or expand a double-quoted string: `"`, the typographic double quotes, `` ` `` and `$`. */
const DOUBLE_QUOTED_SPECIAL = /["\u201c\u201d\u201e`$]/g;

/**
 * A string as one PowerShell argument token: a bare word when that reads back unchanged (`Global`, `Tag:OfflineIM`,
 * `sip:tony.smith@contoso.example`), otherwise single-quoted with every `'` doubled (about_Quoting_Rules). A string
 * holding a typographic single quote (which PowerShell would take as a closing quote) is double-quoted instead, with
 * `` ` `` before `"`, `` ` ``, `$` and the typographic double quotes. Throws a RangeError for a line break: a cmdlet
 * line cannot hold one that {@link parseScript} (one command per line) reads back.
 */
export function quotePsString(value: string): string {
    if (/[\r\n]/.test(value)) throw new RangeError("a value with a line break cannot be written on one cmdlet line");
    if (BARE_WORD_RE.test(value) && !/^(true|false|null)$/i.test(value)) return value;
    if (TYPOGRAPHIC_SINGLE_QUOTES.test(value)) return `"${value.replace(DOUBLE_QUOTED_SPECIAL, (c) => "`" + c)}"`;
    return `'${value.replace(/'/g, "''")}'`;
}

/** One value as a cmdlet argument: `$True`, `$False`, `$null`, a number, or a string per {@link quotePsString}. */
export function renderPsValue(value: PsValue): string {
    if (value === null) return "$null";
    if (value === true) return "$True";
    if (value === false) return "$False";
    if (typeof value === "number") {
        const text = String(value);
        if (!NUMBER_RE.test(text)) throw new RangeError(`cannot write ${text} as a cmdlet argument (plain decimal numbers only)`);
        return text;
    }
    return quotePsString(value);
}

/**
 * One cmdlet line: `cmdlet -Name value …` in the order given. `cmdlet` must be one of the five the grammar knows and
 * every name a parameter name (letters and digits): anything else is a programming error (RangeError). Whatever this
 * renders, {@link parseLine} reads back to the same cmdlet, names and values (tested).
 */
export function renderCmdlet(cmdlet: string, params: ReadonlyArray<readonly [name: string, value: PsValue]>): string {
    const canonical = CMDLETS.get(cmdlet.toLowerCase());
    if (!canonical) throw new RangeError(`unknown cmdlet ${JSON.stringify(cmdlet)}; expected New/Set/Get/Remove/Grant-CsClientPolicy`);
    const parts = [canonical];
    for (const [name, value] of params) {
        if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw new RangeError(`invalid parameter name ${JSON.stringify(name)}`);
        parts.push(`-${name}`, renderPsValue(value));
    }
    return parts.join(" ");
}
