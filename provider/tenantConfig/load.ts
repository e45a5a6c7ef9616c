/**
 * Loading a tenant's declaration from files: the baseline and the tenant file read, parsed and merged, each problem
 * named with its file and line (a {@link TenantConfigError}).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ItemProvenance, mergeDeclarations } from "./merge";
import { ConfigProblem, ParsedConfigFile, TenantConfigError, formatPath, parseConfigFile } from "./parse";
import { FileDeclaration, FileRole, TenantDeclaration } from "./schema";

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
