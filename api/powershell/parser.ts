/**
 * Statements of a PowerShell script from {@link tokenize}'s tokens: the shape of a script of cmdlet calls, as the
 * PowerShell Language Specification 3.0 describes it (§8.1 statements end at a line break or `;`; §8.2 pipelines of
 * commands separated by `|`; §8.2.1 command arguments: `-Name value`, `-Name:value`, positional arguments; §7.11
 * assignment `$x = …`; §2.3.5.5 hash literals `@{ key = value; … }`). It keeps what it does not model (subexpressions,
 * script blocks, arrays, expandable strings) as `unsupported` arguments, so each caller decides how to refuse them and
 * can name the column.
 */
import { PsParseError, PsToken, tokenize } from "./tokenizer";

export { PsParseError, type PsToken } from "./tokenizer";

/** A literal argument value. `true` also stands for a switch given without a value. */
export type PsValue = string | number | boolean | null;

/** One argument of a command (or the right side of an assignment). */
export type PsArgument =
    | { readonly kind: "value"; readonly value: PsValue; readonly token: PsToken }
    | { readonly kind: "variable"; readonly name: string; readonly token: PsToken }
    | { readonly kind: "hashtable"; readonly entries: ReadonlyArray<{ key: string; values: PsArgument[]; token: PsToken }>; readonly token: PsToken; readonly text: string }
    | { readonly kind: "unsupported"; readonly what: string; readonly token: PsToken; readonly text: string };

/** A `-Name` (with its `-Name:value` argument, if given with a colon) or an argument, in source order. */
export type PsElement =
    | { readonly kind: "parameter"; readonly name: string; readonly token: PsToken; readonly argument?: PsArgument }
    | { readonly kind: "argument"; readonly argument: PsArgument };

/** One command of a pipeline: its name token (a word or a quoted string) and its elements. */
export interface PsCommandNode {
    readonly name: string;
    readonly nameToken: PsToken;
    readonly elements: readonly PsElement[];
    /** Source text of the command. */
    readonly text: string;
}

/** One statement. Exactly one of `pipeline` and `expression` is set. */
export interface PsStatement {
    /** 1-based line and column of the statement's first token. */
    readonly line: number;
    readonly column: number;
    /** Source offsets of the statement. */
    readonly start: number;
    readonly end: number;
    /** Source text (line continuations kept as written). */
    readonly text: string;
    /** `$name = …`: the variable assigned. */
    readonly assignTo?: { readonly name: string; readonly token: PsToken };
    /** Commands separated by `|`. */
    readonly pipeline?: readonly PsCommandNode[];
    /** A statement that is a value, not a command (`'text'`, `$x`, `(1)`, or the right side of `$x = 'Stop'`). */
    readonly expression?: PsArgument;
    /** Comments in the statement's extent are not included; see {@link PsScript.comments}. */
}

/** A parsed script. */
export interface PsScript {
    readonly statements: readonly PsStatement[];
    readonly comments: readonly PsToken[];
}

const OPEN = new Set(["(", "@(", "$(", "{", "@{"]);
const CLOSE = new Set([")", "}"]);

/** Parses a script into statements. Throws {@link PsParseError} only where the tokenizer cannot read the script. */
export function parsePsScript(script: string): PsScript {
    const all = tokenize(script);
    const comments = all.filter((t) => t.kind === "comment");
    const tokens = all.filter((t) => t.kind !== "comment");
    const statements: PsStatement[] = [];
    let i = 0;
    while (i < tokens.length) {
        if (tokens[i].kind === "newline" || tokens[i].kind === "semi") { i++; continue; }
        // A statement runs to the first line break or `;` outside brackets.
        const begin = i;
        let depth = 0;
        while (i < tokens.length) {
            const t = tokens[i];
            if (depth === 0 && (t.kind === "newline" || t.kind === "semi")) break;
            if (t.kind === "punct" && OPEN.has(t.value)) depth++;
            else if (t.kind === "punct" && CLOSE.has(t.value)) depth = Math.max(0, depth - 1);
            i++;
        }
        statements.push(statement(script, tokens.slice(begin, i)));
    }
    return { statements, comments };
}

function statement(script: string, toks: PsToken[]): PsStatement {
    const first = toks[0];
    const last = toks[toks.length - 1];
    const base = { line: first.line, column: first.column, start: first.start, end: last.end, text: script.slice(first.start, last.end) };
    let body = toks;
    let assignTo: PsStatement["assignTo"];
    if (first.kind === "variable" && !first.splat && toks[1]?.kind === "punct" && toks[1].value === "=") {
        assignTo = { name: first.value, token: first };
        body = toks.slice(2);
        if (body.length === 0) {
            return { ...base, assignTo, expression: { kind: "unsupported", what: "an assignment without a value", token: toks[1], text: "" } };
        }
    }
    const head = body[0];
    if (head.kind === "word" && !head.expandable) {
        return { ...base, ...(assignTo ? { assignTo } : {}), pipeline: pipeline(script, body) };
    }
    // Not a command: one value (`'Stop'`, `$x`, `5`), or something this parser does not model.
    const args = argumentsOf(script, body);
    const expression: PsArgument = args.length === 1 && args[0].kind === "argument"
        ? args[0].argument
        : { kind: "unsupported", what: "an expression", token: head, text: script.slice(head.start, body[body.length - 1].end) };
    return { ...base, ...(assignTo ? { assignTo } : {}), expression };
}

function pipeline(script: string, toks: PsToken[]): PsCommandNode[] {
    const out: PsCommandNode[] = [];
    let depth = 0;
    let begin = 0;
    for (let i = 0; i <= toks.length; i++) {
        const t = toks[i];
        if (t && t.kind === "punct" && OPEN.has(t.value)) depth++;
        else if (t && t.kind === "punct" && CLOSE.has(t.value)) depth = Math.max(0, depth - 1);
        if (i === toks.length || (depth === 0 && t.kind === "pipe")) {
            const part = toks.slice(begin, i);
            if (part.length > 0) {
                const nameToken = part[0];
                out.push({
                    name: nameToken.value, nameToken, elements: argumentsOf(script, part.slice(1)),
                    text: script.slice(nameToken.start, part[part.length - 1].end),
                });
            } else if (t) {
                // `| x` at the start or `a || b`: an empty pipeline element; keep it visible as an unsupported command.
                out.push({ name: "", nameToken: t, elements: [], text: "" });
            }
            begin = i + 1;
        }
    }
    return out;
}

/** The elements of a command (or the tokens of a value) in order. */
function argumentsOf(script: string, toks: PsToken[]): PsElement[] {
    const out: PsElement[] = [];
    let i = 0;
    const one = (): PsArgument => {
        const t = toks[i++];
        switch (t.kind) {
            case "string":
                if (t.expandable) return { kind: "unsupported", what: "a double-quoted string with a variable or $(…) (PowerShell would expand it)", token: t, text: t.text };
                return { kind: "value", value: t.value, token: t };
            case "word":
                if (t.expandable) return { kind: "unsupported", what: "a variable or $(…) inside a word (PowerShell would expand it)", token: t, text: t.text };
                return { kind: "value", value: t.value, token: t };
            case "number":
                return { kind: "value", value: Number(t.value), token: t };
            case "variable": {
                const lower = t.value.toLowerCase();
                if (!t.splat && (lower === "true" || lower === "false" || lower === "null")) {
                    return { kind: "value", value: lower === "null" ? null : lower === "true", token: t };
                }
                if (t.splat) return { kind: "unsupported", what: "splatting (@name)", token: t, text: t.text };
                return { kind: "variable", name: t.value, token: t };
            }
            case "punct": {
                if (!OPEN.has(t.value)) return { kind: "unsupported", what: `the operator ${t.value}`, token: t, text: t.text };
                // A bracketed group, to its matching close.
                let depth = 1;
                const begin = i;
                while (i < toks.length && depth > 0) {
                    const u = toks[i++];
                    if (u.kind === "punct" && OPEN.has(u.value)) depth++;
                    else if (u.kind === "punct" && CLOSE.has(u.value)) depth--;
                }
                const end = depth === 0 ? i - 1 : i;
                const text = script.slice(t.start, (toks[i - 1] ?? t).end);
                if (depth !== 0) return { kind: "unsupported", what: `an unclosed ${t.value}`, token: t, text };
                if (t.value === "@{") return hashtable(script, t, toks.slice(begin, end), text);
                const what = t.value === "{" ? "a script block { … }" : t.value === "@(" ? "an array @(…)" : t.value === "$(" ? "a subexpression $(…)" : "an expression (…)";
                return { kind: "unsupported", what, token: t, text };
            }
            default:
                return { kind: "unsupported", what: `${JSON.stringify(t.text)}`, token: t, text: t.text };
        }
    };
    while (i < toks.length) {
        const t = toks[i];
        if (t.kind === "parameter") {
            i++;
            if (t.colon) {
                if (i >= toks.length) {
                    out.push({ kind: "parameter", name: t.value, token: t, argument: { kind: "unsupported", what: `a value after -${t.value}:`, token: t, text: "" } });
                } else out.push({ kind: "parameter", name: t.value, token: t, argument: withArray(one()) });
            } else out.push({ kind: "parameter", name: t.value, token: t });
            continue;
        }
        out.push({ kind: "argument", argument: withArray(one()) });
    }
    return out;

    /** `a,b` is an array argument (§7.3): kept as one unsupported argument. */
    function withArray(arg: PsArgument): PsArgument {
        if (!(toks[i]?.kind === "punct" && toks[i].value === ",")) return arg;
        while (toks[i]?.kind === "punct" && toks[i].value === ",") {
            i++;
            if (i < toks.length) one();
        }
        return { kind: "unsupported", what: "an array (values separated by commas)", token: arg.token, text: script.slice(arg.token.start, toks[i - 1].end) };
    }
}

/** `@{ Key = value[, value…]; … }` with literal, variable keys' values; anything else is unsupported. */
function hashtable(script: string, open: PsToken, inner: PsToken[], text: string): PsArgument {
    const entries: Array<{ key: string; values: PsArgument[]; token: PsToken }> = [];
    const parts: PsToken[][] = [[]];
    for (const t of inner) {
        if (t.kind === "semi" || t.kind === "newline") parts.push([]);
        else parts[parts.length - 1].push(t);
    }
    for (const part of parts) {
        if (part.length === 0) continue;
        const [key, eq, ...rest] = part;
        if (!(key.kind === "word" || key.kind === "string") || !(eq?.kind === "punct" && eq.value === "=") || rest.length === 0) {
            return { kind: "unsupported", what: "a hashtable other than @{ Key = value }", token: open, text };
        }
        const values: PsArgument[] = [];
        for (let j = 0; j < rest.length; j++) {
            if (j % 2 === 1) {
                if (!(rest[j].kind === "punct" && rest[j].value === ",")) return { kind: "unsupported", what: "a hashtable value other than a list of values", token: rest[j], text };
                continue;
            }
            const [el] = argumentsOf(script, [rest[j]]);
            if (el.kind !== "argument") return { kind: "unsupported", what: "a hashtable value other than a list of values", token: rest[j], text };
            values.push(el.argument);
        }
        entries.push({ key: key.value, values, token: key });
    }
    return { kind: "hashtable", entries, token: open, text };
}

/** Re-exported for callers that only tokenize. */
export { tokenize };
