/**
 * Reading one config-repo file: YAML text → a validated {@link FileDeclaration}, or every problem with its file, YAML
 * path and line/column. Format: docs/config-repo.md.
 */
import { Document, LineCounter, isMap, isSeq, parseDocument } from "yaml";
import type { z } from "zod";
import { ValidationError } from "../errors";
import { ConfigFileInput, FileDeclaration, FileRole, canonicalFile, configFileSchema } from "./schema";

/** One problem in a config file: file, YAML path (`policies[2].settings.displayPhoto`), 1-based line/column, message. */
export interface ConfigProblem {
    file: string;
    /** `policies[2].settings.displayPhoto`; `(top level)` for the document itself, `(syntax)` for YAML syntax. */
    path: string;
    line?: number;
    column?: number;
    /** What was expected (and, for non-free-text values, what came). */
    message: string;
}

/**
 * Every problem found in one or two config files, all at once; nothing is deployed when this is thrown. The message
 * lists each as `file:line:column: path: message`.
 */
export class TenantConfigError extends ValidationError {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(`invalid tenant configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
            problems.map((p) => `  ${formatProblem(p)}`).join("\n"));
    }
}

/** `file:line:column: path: message` (line and column when known). */
export function formatProblem(p: ConfigProblem): string {
    const where = p.line !== undefined ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
    return `${where}: ${p.path}: ${p.message}`;
}

/** `policies[2].settings.displayPhoto` from a zod/YAML path. */
export function formatPath(parts: ReadonlyArray<PropertyKey>): string {
    if (parts.length === 0) return "(top level)";
    let out = "";
    for (const part of parts) {
        if (typeof part === "number") out += `[${part}]`;
        else out += (out ? "." : "") + String(part);
    }
    return out;
}

/** The result of parsing one file: the canonical declaration, or every problem it has. */
export type ParsedConfigFile = { ok: true; file: FileDeclaration } | { ok: false; problems: ConfigProblem[]; partial?: FileDeclaration };

/**
 * Parses and validates one config file's text. `file` is only used in messages. YAML syntax errors carry line and
 * column; validation problems carry the YAML path and, where the node exists, its line and column.
 */
export function parseConfigFile(text: string, file: string, role: FileRole): ParsedConfigFile {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length) {
        return {
            ok: false, problems: doc.errors.map((e) => {
                const pos = e.linePos?.[0];
                return { file, path: "(syntax)", line: pos?.line, column: pos?.col, message: `YAML syntax: ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}` };
            }),
        };
    }
    const raw = doc.toJS() ?? {};
    const parsed = configFileSchema(role).safeParse(raw);
    if (parsed.success) return { ok: true, file: canonicalFile(parsed.data as ConfigFileInput) };
    const problems: ConfigProblem[] = [];
    for (const issue of parsed.error.issues) {
        const keys = issue.code === "unrecognized_keys" ? (issue as z.core.$ZodIssueUnrecognizedKeys).keys : [undefined];
        for (const key of keys) {
            const at = key === undefined ? issue.path : [...issue.path, key];
            problems.push({ file, path: formatPath(at), ...position(doc, lineCounter, at), message: issue.message });
        }
    }
    return { ok: false, problems, partial: lenientFile(raw) };
}

/**
 * The items of an invalid file that are well-formed enough to check the merge rules with (identities, grant users,
 * `remove` lists; settings left out), so merge problems are reported together with the validation problems.
 */
function lenientFile(raw: unknown): FileDeclaration {
    const obj = (raw && typeof raw === "object" && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
    const list = (v: unknown) => (Array.isArray(v) ? v : []);
    const strings = (v: unknown) => list(v).filter((x): x is string => typeof x === "string");
    const policies = list(obj.policies)
        .filter((p): p is { identity: string } => !!p && typeof p === "object" && typeof (p as { identity?: unknown }).identity === "string")
        .map((p) => ({ identity: p.identity, settings: {} }));
    const grants = list(obj.grants)
        .filter((g): g is { policy: string; users: unknown } => !!g && typeof g === "object" && typeof (g as { policy?: unknown }).policy === "string")
        .map((g) => ({ policy: g.policy, users: strings(g.users) }));
    const remove = (obj.remove && typeof obj.remove === "object" ? obj.remove : {}) as Record<string, unknown>;
    return { policies, grants, remove: { policies: strings(remove.policies), grants: strings(remove.grants) } };
}

/** Line and column of the node at `at` (or of its nearest existing parent; a key's own position for map keys). */
function position(doc: Document, lc: LineCounter, at: ReadonlyArray<PropertyKey>): { line?: number; column?: number } {
    for (let n = at.length; n >= 0; n--) {
        const parts = at.slice(0, n) as Array<string | number>;
        const parent = n === 0 ? doc.contents : doc.getIn(parts.slice(0, -1), true);
        let offset: number | undefined;
        if (n > 0 && isMap(parent)) {
            const pair = parent.items.find((p) => (p.key as { value?: unknown })?.value === parts[n - 1]);
            offset = (pair?.key as { range?: [number, number, number] } | undefined)?.range?.[0];
        } else if (n > 0 && isSeq(parent)) {
            offset = (parent.items[parts[n - 1] as number] as { range?: [number, number, number] } | undefined)?.range?.[0];
        } else if (n === 0) {
            offset = (doc.contents as { range?: [number, number, number] } | null)?.range?.[0];
        }
        if (offset !== undefined) {
            const pos = lc.linePos(offset);
            return { line: pos.line, column: pos.col };
        }
    }
    return {};
}
