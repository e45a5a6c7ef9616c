/**
 * The config repo as a library: `baseline.yaml` (the fleet standard) + `tenants/<stack>.yaml` (one tenant's
 * overrides, additions and removals) → one validated, merged {@link TenantDeclaration}, which `TenantPolicies` turns
 * into resources and `clientpolicy config show` prints. {@link writeTenantYaml} writes the same format
 * (`clientpolicy export` and `clientpolicy convert` use it). Format and merge rules: docs/config-repo.md.
 *
 * ```ts
 * const { declaration } = loadTenantDeclaration({ baseline: "baseline.yaml", tenant: `tenants/${pulumi.getStack()}.yaml` });
 * new TenantPolicies("tenant", { declaration });
 * ```
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Document, LineCounter, Scalar, isMap, isSeq, parseDocument, visit } from "yaml";
import type { z } from "zod";
import { settingsByProperty } from "../../api/catalogue";
import { ValidationError } from "../errors";
import { ItemProvenance, mergeDeclarations } from "./merge";
import {
    ConfigFileInput, FileDeclaration, FileRole, TenantDeclaration, baselineFileSchema, canonicalFile, configFileSchema, tenantFileSchema,
} from "./schema";

export * from "./schema";
export { mergeDeclarations } from "./merge";
export type { ItemOrigin, ItemProvenance, MergeProblem, MergeResult } from "./merge";

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

/** What {@link loadTenantDeclaration} reads: file paths (relative to `cwd`, default the process's). */
export interface LoadOptions {
    /** The fleet standard; omit for a tenant file on its own. */
    baseline?: string;
    /** The tenant's own file. */
    tenant: string;
    cwd?: string;
}

/** The merged declaration of a tenant, each item's provenance, and the files it was read from. */
export interface LoadedDeclaration {
    declaration: TenantDeclaration;
    provenance: ItemProvenance[];
    files: { baseline?: string; tenant: string };
}

function readFile(file: string, display: string, role: FileRole): ParsedConfigFile {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        return { ok: false, problems: [{ file: display, path: "(file)", message: code === "ENOENT" ? `not found; expected the ${role} file here` : `cannot be read (${code ?? (e as Error).message})` }] };
    }
    return parseConfigFile(text, display, role);
}

/**
 * Reads, validates and merges a baseline and a tenant file. Throws {@link TenantConfigError} listing every problem of
 * both files (syntax, fields, settings, identities, duplicates, merge rules) at once; returns the merged declaration
 * and each item's provenance otherwise. Synchronous, so a Pulumi program can call it at the top level.
 */
export function loadTenantDeclaration(options: LoadOptions): LoadedDeclaration {
    const cwd = options.cwd ?? process.cwd();
    // Paths in messages: relative to the working directory when the file is under it, else absolute.
    const display = (f: string) => {
        const abs = path.resolve(cwd, f);
        const rel = path.relative(process.cwd(), abs);
        return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : abs;
    };
    const problems: ConfigProblem[] = [];
    const base = options.baseline === undefined ? undefined : readFile(path.resolve(cwd, options.baseline), display(options.baseline), "baseline");
    const tenant = readFile(path.resolve(cwd, options.tenant), display(options.tenant), "tenant");
    if (base && !base.ok) problems.push(...base.problems);
    if (!tenant.ok) problems.push(...tenant.problems);
    if (problems.length) {
        // Also check the merge rules on what is well-formed, so one run lists every problem.
        const b = base === undefined ? { policies: [], grants: [] } : base.ok ? base.file : base.partial;
        const t = tenant.ok ? tenant.file : tenant.partial;
        if (b && t && (base !== undefined || !(t.remove?.policies.length || t.remove?.grants.length))) {
            const seen = new Set(problems.map((p) => `${p.file}\u0000${p.path}`));
            for (const p of mergeDeclarations(b, t).problems) {
                const path = formatPath(p.path);
                if (!seen.has(`${display(options.tenant)}\u0000${path}`)) problems.push({ file: display(options.tenant), path, message: p.message });
            }
        }
        throw new TenantConfigError(problems);
    }
    const baseFile: FileDeclaration = base?.ok ? base.file : { policies: [], grants: [] };
    const tenantFile = (tenant as { ok: true; file: FileDeclaration }).file;
    if (!base && tenantFile.remove && (tenantFile.remove.policies.length || tenantFile.remove.grants.length)) {
        throw new TenantConfigError([{ file: display(options.tenant), path: "remove", message: "removes baseline items, but no baseline file was given" }]);
    }
    const merged = mergeDeclarations(baseFile, tenantFile);
    if (merged.problems.length) {
        throw new TenantConfigError(merged.problems.map((p) => ({ file: display(options.tenant), path: formatPath(p.path), message: p.message })));
    }
    return {
        declaration: merged.declaration, provenance: merged.provenance,
        files: { ...(options.baseline !== undefined ? { baseline: display(options.baseline) } : {}), tenant: display(options.tenant) },
    };
}

/**
 * The config repo layout: `<dir>/baseline.yaml` (optional: a repo may have none) and `<dir>/tenants/<stack>.yaml`.
 * Same result and errors as {@link loadTenantDeclaration}.
 */
export function loadConfigRepo(dir: string, stack: string): LoadedDeclaration {
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
        throw new TenantConfigError([{ file: dir, path: "(stack)", message: `"${stack}" is not a stack name (letters, digits, "-", "_", ".")` }]);
    }
    const baseline = path.join(dir, "baseline.yaml");
    return loadTenantDeclaration({
        ...(fs.existsSync(baseline) ? { baseline } : {}),
        tenant: path.join(dir, "tenants", `${stack}.yaml`),
    });
}

/** Options of {@link writeTenantYaml}. */
export interface WriteOptions {
    /** Comment lines written at the top (without `#`), e.g. where and when the declaration came from. */
    header?: readonly string[];
}

/**
 * Serializes a declaration (or a tenant file with `remove`) as config-repo YAML that {@link parseConfigFile} reads back
 * to the same declaration: policies (identity, description, adopt, settings in catalogue order), grants (policy,
 * users, adopt), then `remove`. Optional fields are written only when set.
 */
export function writeTenantYaml(declaration: TenantDeclaration | FileDeclaration, options: WriteOptions = {}): string {
    const order = [...settingsByProperty().keys()];
    const rank = new Map(order.map((k, i) => [k, i]));
    const out: Record<string, unknown> = {};
    out.policies = declaration.policies.map((p) => {
        const item: Record<string, unknown> = { identity: p.identity };
        if (p.description !== undefined) item.description = p.description;
        if (p.adopt !== undefined) item.adopt = p.adopt;
        const keys = Object.keys(p.settings).sort((a, b) => (rank.get(a) ?? 1e9) - (rank.get(b) ?? 1e9) || a.localeCompare(b));
        item.settings = Object.fromEntries(keys.map((k) => [k, p.settings[k]]));
        return item;
    });
    out.grants = declaration.grants.map((g) => {
        const item: Record<string, unknown> = { policy: g.policy, users: [...g.users] };
        if (g.adopt !== undefined) item.adopt = g.adopt;
        return item;
    });
    const remove = (declaration as FileDeclaration).remove;
    if (remove && (remove.policies.length || remove.grants.length)) {
        out.remove = {
            ...(remove.policies.length ? { policies: [...remove.policies] } : {}),
            ...(remove.grants.length ? { grants: [...remove.grants] } : {}),
        };
    }
    const doc = new Document(out);
    // Quote strings that YAML 1.1 readers would take for something else (`00:30:00` is a base-60 number there).
    visit(doc, {
        Scalar(_key, node) {
            if (typeof node.value === "string" && /^[\d:.+-]+$/.test(node.value)) node.type = Scalar.QUOTE_DOUBLE;
        },
    });
    if (options.header?.length) doc.commentBefore = options.header.map((l) => ` ${l}`).join("\n");
    return doc.toString({ lineWidth: 0 });
}

export { baselineFileSchema, tenantFileSchema };
