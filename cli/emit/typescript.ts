/**
 * The one place that writes TypeScript source from data (the programs `clientpolicy export --format ts` and
 * `clientpolicy convert --format ts` write): string literals, JSON-like values and `//` comments. Each output parses
 * back with the TypeScript compiler as exactly the value it came from, and a comment never ends early
 * (property-tested with hostile Unicode in test/unit/ts-yaml-emit.test.ts).
 *
 * Rules relied on (ECMAScript 2024 §12.3 Line Terminators, §12.4 Comments, §12.9.4 String Literals): a `//` comment
 * runs to the first line terminator, which is LF, CR, U+2028 or U+2029; a string literal may not hold LF or CR, and
 * escapes `\uXXXX` mean the same in TypeScript as in JSON.
 */
import { commentText } from "../../api/powershell/emit";

/** A TypeScript string literal reading as exactly `value`: JSON's escaping, plus U+2028/U+2029 escaped too. */
export function tsString(value: string): string {
    return JSON.stringify(value).replace(/[\u2028\u2029]/g, (c) => (c === "\u2028" ? "\\u2028" : "\\u2029"));
}

/** A property key: bare when it is an ASCII identifier, else a string literal. */
export function tsKey(key: string): string {
    return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : tsString(key);
}

/**
 * A JSON-like value (null, boolean, finite number, string, array, plain object) as a TypeScript expression. Arrays of
 * objects or longer arrays go one item per line when `indent` is given (the indent of the line holding the value).
 */
export function tsLiteral(value: unknown, indent?: string): string {
    if (value === null) return "null";
    if (typeof value === "boolean") return String(value);
    if (typeof value === "number") {
        if (!Number.isFinite(value)) throw new RangeError(`cannot write ${value} as a TypeScript literal`);
        return Object.is(value, -0) ? "0" : String(value);
    }
    if (typeof value === "string") return tsString(value);
    if (Array.isArray(value)) {
        if (value.length === 0) return "[]";
        if (indent === undefined) return `[${value.map((v) => tsLiteral(v)).join(", ")}]`;
        return `[\n${value.map((v) => `${indent}    ${tsLiteral(v, indent + "    ")},`).join("\n")}\n${indent}]`;
    }
    if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
        const entries = Object.entries(value as Record<string, unknown>);
        if (entries.length === 0) return "{}";
        return `{ ${entries.map(([k, v]) => `${tsKey(k)}: ${tsLiteral(v, indent)}`).join(", ")} }`;
    }
    throw new TypeError(`cannot write a ${typeof value} as a TypeScript literal`);
}

/** A `//` comment holding `text` on one line, whatever its characters (line terminators and controls escaped). */
export function tsComment(text: string): string {
    return `// ${commentText(text)}`.trimEnd();
}

/** Comment text made safe for a YAML `#` comment (the `yaml` library writes the `#`): one line, controls escaped. */
export function yamlCommentText(text: string): string {
    return commentText(text);
}
