/**
 * The cmdlet grammar of the five CsClientPolicy cmdlets (New/Set/Get/Remove/Grant-CsClientPolicy) as administrators
 * write them in scripts: `-Name value` and `-Name:value` parameters, positional arguments, quoted strings, `$True`/
 * `$False`/`$null`, numbers and bare words, one command per statement (statements end at a line break or `;`). Characters
 * are read as PowerShell reads them (api/powershell/tokenizer.ts: typographic quotes and dashes, `#` and `<# #>`
 * comments, backtick continuation, here-strings). It is not PowerShell: no variables, pipelines, hashtables or
 * expressions; a statement that uses them fails with line and column.
 * Shared by the emulator's PowerShell endpoint, `clientpolicy convert` and the gateway's stand-in shell.
 * Source: the cmdlet pages in MicrosoftDocs/office-docs-powershell (skype/skype-ps/skype/*-CsClientPolicy.md) and the
 * about_Parsing rules of PowerShell's argument mode.
 */
import { PsArgument, PsCommandNode, PsParseError, PsStatement, PsValue, parsePsScript } from "./powershell/parser";
import { psArgumentString, psCommand, psValue } from "./powershell/emit";

export { PsParseError, type PsValue };

/** One parsed cmdlet statement. */
export interface PsCommand {
    /** 1-based line of the statement's first token. */
    line: number;
    /** The statement's source text (trimmed). */
    text: string;
    cmdlet: string;
    /** Keyed by lower-cased parameter name; `line` and `column` of the parameter name. */
    named: Map<string, { name: string; value: PsValue; column: number; line: number }>;
    positional: Array<{ value: PsValue; column: number; line: number }>;
}

/** The cmdlets the emulator knows, by lower-cased name → canonical name. */
const CMDLETS = new Map(["New", "Set", "Get", "Remove", "Grant"].map((v) => [`${v.toLowerCase()}-csclientpolicy`, `${v}-CsClientPolicy`]));

/** Parses a script; throws {@link PsParseError} for the first statement that does not parse. */
export function parseScript(script: string, options: ParseLineOptions = {}): PsCommand[] {
    return parsePsScript(script).statements.map((s) => commandOf(s, options));
}

/** Options of {@link parseLine}. */
export interface ParseLineOptions {
    /**
     * Further cmdlet names this caller accepts besides the five CsClientPolicy cmdlets (canonical spelling, matched
     * case-insensitively), e.g. `New-CsClientPolicyEntry` for `clientpolicy convert`, `Move-CsUser` for the emulator's
     * drift endpoint.
     */
    extraCmdlets?: readonly string[];
}

/**
 * Parses one statement (`text` numbered as line `line`); `undefined` for a blank or comment-only text; throws
 * {@link PsParseError} naming the column. Text holding more than one statement fails at the second.
 */
export function parseLine(text: string, line: number, options: ParseLineOptions = {}): PsCommand | undefined {
    let parsed;
    try {
        parsed = parsePsScript(text);
    } catch (e) {
        if (e instanceof PsParseError) throw new PsParseError(line + e.line - 1, e.column, e.message.replace(/^line \d+, column \d+: /, ""));
        throw e;
    }
    const [first, second] = parsed.statements;
    if (!first) return undefined;
    const shift = (s: PsStatement): PsStatement => ({ ...s, line: s.line + line - 1 });
    if (second) throw new PsParseError(line + second.line - 1, second.column, "one command per line (a second statement after ; or a line break)");
    return commandOf(shift(first), options, line - 1);
}

/** The {@link PsCommand} of a statement, or a {@link PsParseError} naming what is outside the cmdlet grammar. */
export function commandOf(statement: PsStatement, options: ParseLineOptions = {}, lineShift = 0): PsCommand {
    const fail = (at: { line: number; column: number }, message: string): never => {
        throw new PsParseError(at.line + lineShift, at.column, message);
    };
    if (statement.assignTo) fail(statement.assignTo.token, `unsupported syntax: assignment to $${statement.assignTo.name} (no variables)`);
    if (statement.expression) {
        const e = statement.expression;
        fail(e.token, e.kind === "value" ? `expected a command, got the value ${JSON.stringify(e.token.text)}` : `expected a command, got ${e.kind === "unsupported" ? e.what : `$${e.token.value}`}`);
    }
    const pipeline = statement.pipeline!;
    if (pipeline.length > 1) {
        const bar = pipeline[1].nameToken;
        fail({ line: bar.line, column: Math.max(1, bar.column - 2) }, "unsupported syntax: a pipeline (|); one cmdlet per statement (no expressions, hashtables, arrays or pipelines)");
    }
    const node: PsCommandNode = pipeline[0];
    const word = node.name.toLowerCase();
    const cmdlet = CMDLETS.get(word) ?? options.extraCmdlets?.find((c) => c.toLowerCase() === word);
    if (!cmdlet || node.nameToken.kind !== "word") {
        fail(node.nameToken, `unknown command ${JSON.stringify(node.nameToken.text)}; expected New/Set/Get/Remove/Grant-CsClientPolicy`);
    }
    const cmd: PsCommand = { line: statement.line + lineShift, text: statement.text.trim(), cmdlet: cmdlet!, named: new Map(), positional: [] };
    const els = node.elements;
    const valueOf = (arg: PsArgument): PsValue => {
        switch (arg.kind) {
            case "value": return arg.value;
            case "variable": return fail(arg.token, `unsupported variable $${arg.name}; only $True, $False and $null`);
            case "hashtable": return fail(arg.token, `unsupported syntax in ${JSON.stringify(arg.text)} (no expressions, hashtables, arrays or pipelines)`);
            default: {
                const at = arg.token.expandAt !== undefined ? { line: arg.token.line, column: arg.token.column + (arg.token.expandAt - arg.token.start) } : arg.token;
                if (arg.token.expandable) return fail(at, `variables are not supported inside double-quoted strings or words (${arg.what})`);
                return fail(at, `unsupported syntax in ${JSON.stringify(arg.text)}: ${arg.what} (no expressions, hashtables, arrays or pipelines)`);
            }
        }
    };
    for (let i = 0; i < els.length; i++) {
        const el = els[i];
        if (el.kind === "argument") {
            cmd.positional.push({ value: valueOf(el.argument), column: el.argument.token.column, line: el.argument.token.line + lineShift });
            continue;
        }
        if (!/^[A-Za-z][A-Za-z0-9]*$/.test(el.name)) fail(el.token, `invalid parameter name -${el.name} (letters and digits)`);
        let v: PsValue = true;
        if (el.argument) v = valueOf(el.argument);
        else {
            const next = els[i + 1];
            if (next?.kind === "argument") { v = valueOf(next.argument); i++; }
        }
        if (cmd.named.has(el.name.toLowerCase())) fail(el.token, `parameter -${el.name} given twice`);
        cmd.named.set(el.name.toLowerCase(), { name: el.name, value: v, column: el.token.column, line: el.token.line + lineShift });
    }
    return cmd;
}

// ---------------------------------------------------------------- rendering (the inverse of parseLine)

/**
 * A string as one PowerShell argument token: a bare word when that reads back unchanged (`Global`, `Tag:OfflineIM`,
 * `sip:tony.smith@contoso.example`), otherwise single-quoted with every single-quote character (' and U+2018–U+201B)
 * doubled (api/powershell/emit.ts). Throws a RangeError for a line break (CR, LF, NEL, U+2028, U+2029): callers that
 * send one command per line (the gateway's line protocol) cannot carry one.
 */
export function quotePsString(value: string): string {
    if (/[\r\n\u0085\u2028\u2029]/.test(value)) throw new RangeError("a value with a line break cannot be written on one cmdlet line");
    return psArgumentString(value);
}

/** One value as a cmdlet argument: `$True`, `$False`, `$null`, a number, or a string per {@link quotePsString}. */
export function renderPsValue(value: PsValue): string {
    if (typeof value === "string") return quotePsString(value);
    return psValue(value);
}

/**
 * One cmdlet statement: `cmdlet -Name value …` in the order given. `cmdlet` must be one of the five the grammar knows
 * and every name a parameter name (letters and digits): anything else is a programming error (RangeError). Strings may
 * hold any character, line breaks included (inside quotes); whatever this renders, {@link parseScript} reads back to
 * the same cmdlet, names and values as one statement (property-tested).
 */
export function renderCmdlet(cmdlet: string, params: ReadonlyArray<readonly [name: string, value: PsValue]>): string {
    const canonical = CMDLETS.get(cmdlet.toLowerCase());
    if (!canonical) throw new RangeError(`unknown cmdlet ${JSON.stringify(cmdlet)}; expected New/Set/Get/Remove/Grant-CsClientPolicy`);
    return psCommand(canonical, params);
}
