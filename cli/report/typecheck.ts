/**
 * The fleet's program type-checked once, as every stack's run would check it.
 *
 * Each stack of a fleet runs the same program. Pulumi's Node.js runner (`@pulumi/pulumi/cmd/run`) loads TypeScript
 * programs through ts-node, which type-checks the program again in every run unless `PULUMI_NODEJS_TRANSPILE_ONLY`
 * is `true` (or the tsconfig sets `noCheck`): 1.2–1.4 s of CPU per stack for the same answer. A fleet run checks
 * the program here once, with the TypeScript, ts-node and compiler options the runner would use, reports every error
 * with its file and line before any stack runs, and then runs the stacks transpile-only.
 *
 * What is checked matches what ts-node checks when it loads the program: the entry point and every non-declaration
 * source file it reaches outside node_modules (ts-node compiles exactly those), syntactic and semantic diagnostics
 * plus the compiler-option and global ones, minus the diagnostics ts-node ignores (its defaults 6059, 18002, 18003 and
 * `ignoreDiagnostics`). The compiler options come from ts-node itself when the runner would load ts-node ≥ 10
 * (`create()` reads the tsconfig, or ts-node's defaults for the Node version when there is none, exactly as the run
 * does); with the ts-node 7 that @pulumi/pulumi vendors they are the tsconfig's, or TypeScript's defaults.
 */
import * as fs from "node:fs";
import { createRequire, Module } from "node:module";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";

/** The outcome of {@link checkProgram}. */
export type CheckResult =
    /**
     * The program type-checks; stacks can run transpile-only. `emitted` (when asked for with `emit`) is the
     * JavaScript of every checked file, by absolute source path, with an inline source map; absent when the program
     * is an ES module package (its files need Node's ESM loader, which a CommonJS extension hook cannot serve).
     */
    | { kind: "ok"; entry: string; files: number; typescript: string; emitted?: Map<string, string> }
    /** Type errors, formatted `file(line,col): error TSnnnn: message` with paths relative to the project. */
    | { kind: "errors"; entry: string; diagnostics: string[]; text: string }
    /** Nothing to check here (a JavaScript program, `typescript: false`, or the user chose transpile-only). */
    | { kind: "skipped"; reason: string }
    /** The check itself could not run (TypeScript not found, …): the stacks keep type-checking themselves. */
    | { kind: "unavailable"; reason: string };

/** The subset of the TypeScript compiler API used here (the program's own TypeScript, any version ≥ 3.8). */
type TS = typeof import("typescript");

/** ts-node's defaults plus what run.js passes; the diagnostics ts-node never reports. */
const TS_NODE_IGNORED = [6059, 18002, 18003];

/**
 * The project's settings file (`Pulumi.yaml`, else `Pulumi.yml`) and its parsed document (null for an empty file), or
 * undefined when the folder has neither.
 */
export function readProjectFile(projectDir: string): { file: string; doc: unknown } | undefined {
    const file = ["Pulumi.yaml", "Pulumi.yml"].map((f) => path.join(projectDir, f)).find((f) => fs.existsSync(f));
    return file ? { file, doc: parseYaml(fs.readFileSync(file, "utf8")) as unknown } : undefined;
}

/** Runtime options of a nodejs project (Pulumi.yaml `runtime.options`) and its `main`. */
function projectSettings(projectDir: string): { typescript: boolean; tsconfig?: string; main?: string } {
    const doc = (readProjectFile(projectDir)?.doc as Record<string, unknown> | null | undefined) ?? {};
    const runtime = doc.runtime;
    const options = (typeof runtime === "object" && runtime !== null ? (runtime as { options?: Record<string, unknown> }).options : undefined) ?? {};
    return {
        // The language host's default is true: .ts sources run through ts-node.
        typescript: options.typescript !== false,
        tsconfig: typeof options.tsconfig === "string" ? options.tsconfig : undefined,
        main: typeof doc.main === "string" ? doc.main : undefined,
    };
}

/** Whether the package.json that governs `dir` declares `"type": "module"` (its .ts files are ES modules). */
function isModulePackage(dir: string): boolean {
    for (let d = dir; ; d = path.dirname(d)) {
        const pkg = path.join(d, "package.json");
        if (isFile(pkg)) return (JSON.parse(fs.readFileSync(pkg, "utf8")) as { type?: unknown }).type === "module";
        if (path.dirname(d) === d) return false;
    }
}

function isFile(p: string): boolean {
    try { return fs.statSync(p).isFile(); } catch { return false; }
}

function isDir(p: string): boolean {
    try { return fs.statSync(p).isDirectory(); } catch { return false; }
}

/** Extensions Node tries for a required path once ts-node is registered (ts-node prefers the .js of a pair). */
const EXTENSIONS = [".js", ".ts", ".tsx", ".mts", ".cts"];

/** The file `require(p)` loads with ts-node registered: the path, the path plus an extension, a folder's main or index. */
function resolveFile(p: string, depth = 0): string | undefined {
    if (isFile(p)) return p;
    for (const ext of EXTENSIONS) if (isFile(p + ext)) return p + ext;
    if (!isDir(p) || depth > 2) return undefined;
    const pkg = path.join(p, "package.json");
    if (isFile(pkg)) {
        const main = (JSON.parse(fs.readFileSync(pkg, "utf8")) as { main?: unknown }).main;
        if (typeof main === "string") {
            const found = resolveFile(path.join(p, main), depth + 1);
            if (found) return found;
        }
    }
    for (const ext of EXTENSIONS) if (isFile(path.join(p, "index" + ext))) return path.join(p, "index" + ext);
    return undefined;
}

/**
 * The program's entry file as run.js finds it: `main` of Pulumi.yaml (a file, or a folder), else the folder's
 * package.json `exports` (string or `"."`) or `main`, else `index`.
 */
function entryFile(projectDir: string, main: string | undefined): { programDir: string; entry?: string } {
    const target = path.resolve(projectDir, main ?? ".");
    const programDir = isDir(target) ? target : projectDir;
    if (!isDir(target)) return { programDir, entry: resolveFile(target) };
    const pkg = path.join(target, "package.json");
    if (isFile(pkg)) {
        const json = JSON.parse(fs.readFileSync(pkg, "utf8")) as { exports?: unknown; main?: unknown };
        const exp = json.exports;
        const dot = typeof exp === "object" && exp !== null ? (exp as Record<string, unknown>)["."] : undefined;
        const dotPath = typeof dot === "string" ? dot
            : typeof dot === "object" && dot !== null ? (["default", "require", "import"].map((k) => (dot as Record<string, unknown>)[k]).find((v) => typeof v === "string") as string | undefined)
                : undefined;
        const candidate = typeof exp === "string" ? exp : dotPath ?? (typeof json.main === "string" ? json.main : undefined);
        if (candidate && fs.existsSync(path.join(target, candidate))) return { programDir, entry: resolveFile(path.join(target, candidate)) };
    }
    return { programDir, entry: resolveFile(target) };
}

/** The parts of ts-node used here, and where it was loaded from. */
interface TsNode {
    path: string;
    create?: (o: object) => { config: { options: object; errors: readonly unknown[] } };
    VERSION?: string;
}

/** What the runner loads: TypeScript and ts-node as resolved from the program's @pulumi/pulumi, else its vendored copies. */
function runnerModules(programDir: string): { ts: TS; tsPath: string; tsNode?: TsNode } {
    const fromProgram = createRequire(path.join(programDir, "noop.js"));
    const pulumiDir = path.dirname(fromProgram.resolve("@pulumi/pulumi/package.json"));
    // @pulumi/pulumi/tsutils.js requires "typescript" and "ts-node" from its own folder.
    const fromPulumi = createRequire(path.join(pulumiDir, "tsutils.js"));
    let tsPath: string;
    try { tsPath = fromPulumi.resolve("typescript"); } catch { tsPath = path.join(pulumiDir, "vendor", "typescript@3.8.3", "typescript.js"); }
    let tsNode: TsNode | undefined;
    try {
        const tsNodePath = fromPulumi.resolve("ts-node");
        tsNode = { ...(fromPulumi(tsNodePath) as Omit<TsNode, "path">), path: tsNodePath };
    } catch { tsNode = undefined; }
    return { ts: fromPulumi(tsPath) as TS, tsPath, tsNode };
}

/**
 * Compiler options as run.js and ts-node compute them: run.js overrides target/module/moduleResolution/sourceMap
 * under the tsconfig's own compilerOptions; ts-node ≥ 10 adds its defaults and fix-ups (read from `create()`).
 */
function compilerOptions(ts: TS, tsPath: string, tsNode: TsNode | undefined, programDir: string, tsconfigPath: string): { options: import("typescript").CompilerOptions; errors: import("typescript").Diagnostic[] } {
    const skipProject = !fs.existsSync(tsconfigPath);
    let fromTsconfig: Record<string, unknown> = {};
    if (!skipProject) {
        const read = ts.parseConfigFileTextToJson(tsconfigPath, fs.readFileSync(tsconfigPath, "utf8"));
        fromTsconfig = ((read.config ?? {}) as { compilerOptions?: Record<string, unknown> }).compilerOptions ?? {};
    }
    const [major, minor] = ts.version.split(".").map(Number);
    const nodeNext = major > 4 || (major === 4 && minor >= 7);
    const runOptions = {
        target: "ES2020", module: nodeNext ? "nodenext" : "commonjs", moduleResolution: nodeNext ? "nodenext" : "node", sourceMap: "true",
        ...fromTsconfig,
    };
    if (tsNode?.create) {
        const create = tsNode.create;
        const service = withoutProcessHooks(tsNode.path, () => create({ cwd: programDir, compiler: tsPath, transpileOnly: true, project: tsconfigPath, skipProject, compilerOptions: runOptions }));
        return { options: service.config.options as import("typescript").CompilerOptions, errors: [...service.config.errors] as import("typescript").Diagnostic[] };
    }
    // ts-node 7 (vendored): the tsconfig as TypeScript reads it, run.js's options on top.
    const base = skipProject ? { compilerOptions: {} } : (ts.readConfigFile(tsconfigPath, ts.sys.readFile).config ?? {});
    const parsed = ts.parseJsonConfigFileContent({ ...base, compilerOptions: { ...base.compilerOptions, ...runOptions }, files: [], include: [] }, ts.sys, programDir, undefined, skipProject ? undefined : tsconfigPath);
    return { options: { ...parsed.options, noEmit: true }, errors: parsed.errors.filter((d) => d.code !== 18002 && d.code !== 18003) };
}

/**
 * Runs `f` (ts-node's `create()`) and takes back the process-wide hooks it installs on the way: ts-node 10 installs
 * @cspotcode/source-map-support, which replaces `Error.prepareStackTrace`, `process.emit` and Node's module resolver
 * for the whole process. Only the compiler options are wanted here; left installed, the hook maps every stack trace
 * the report's process takes afterwards, and @pulumi/pulumi takes one for every promise it tracks (`debuggablePromise`:
 * about 0.6 s of CPU in a 20-stack fleet run whose programs run in the report's process). When `f` replaced any of
 * them, the library's own `uninstall()` (the copy ts-node loaded) undoes its hooks and whatever is still replaced is
 * put back; hooks that were there before (this process itself runs under ts-node) are left as they were.
 */
function withoutProcessHooks<T>(tsNodePath: string, f: () => T): T {
    const mod = Module as unknown as { _resolveFilename: unknown };
    const before = { prepareStackTrace: Error.prepareStackTrace, emit: process.emit, resolveFilename: mod._resolveFilename };
    try {
        return f();
    } finally {
        if (Error.prepareStackTrace !== before.prepareStackTrace || process.emit !== before.emit || mod._resolveFilename !== before.resolveFilename) {
            try {
                (createRequire(tsNodePath)("@cspotcode/source-map-support") as { uninstall?: () => void }).uninstall?.();
            } catch { /* another ts-node: put back below */ }
            Error.prepareStackTrace = before.prepareStackTrace;
            process.emit = before.emit;
            mod._resolveFilename = before.resolveFilename;
        }
    }
}

/**
 * Type-checks the fleet's program in `projectDir` once. `PULUMI_NODEJS_TRANSPILE_ONLY` set by the user (either
 * value) or a tsconfig with `noCheck` means the user chose how the runs check: nothing is checked here.
 */
export function checkProgram(dir: string, env: NodeJS.ProcessEnv = process.env, emit = false): CheckResult {
    const projectDir = path.resolve(dir);
    const settings = projectSettings(projectDir);
    if (!settings.typescript) return { kind: "skipped", reason: "Pulumi.yaml sets runtime.options.typescript: false" };
    if (env.PULUMI_NODEJS_TRANSPILE_ONLY !== undefined) return { kind: "skipped", reason: `PULUMI_NODEJS_TRANSPILE_ONLY=${env.PULUMI_NODEJS_TRANSPILE_ONLY} is set` };
    const { programDir, entry } = entryFile(projectDir, settings.main);
    if (!entry) return { kind: "unavailable", reason: `no program entry point found in ${programDir}` };
    if (!/\.[mc]?tsx?$/.test(entry)) return { kind: "skipped", reason: `${path.relative(projectDir, entry)} is not TypeScript` };
    let modules: ReturnType<typeof runnerModules>;
    try {
        modules = runnerModules(programDir);
    } catch (e) {
        return { kind: "unavailable", reason: `@pulumi/pulumi or TypeScript not found from ${programDir}: ${(e as Error).message.split("\n")[0]}` };
    }
    const { ts } = modules;
    // run.js resolves the tsconfig path against the program folder it changed into.
    const tsconfigPath = path.resolve(programDir, settings.tsconfig ?? env.PULUMI_NODEJS_TSCONFIG_PATH ?? "tsconfig.json");
    if (!settings.tsconfig && env.PULUMI_NODEJS_TSCONFIG_PATH === undefined && fs.existsSync(tsconfigPath)) {
        const raw = ts.parseConfigFileTextToJson(tsconfigPath, fs.readFileSync(tsconfigPath, "utf8")).config as { compilerOptions?: { noCheck?: unknown } } | undefined;
        if (raw?.compilerOptions?.noCheck === true) return { kind: "skipped", reason: `${path.relative(projectDir, tsconfigPath)} sets noCheck` };
    }
    let options: import("typescript").CompilerOptions;
    let configErrors: import("typescript").Diagnostic[];
    try {
        ({ options, errors: configErrors } = compilerOptions(ts, modules.tsPath, modules.tsNode, programDir, tsconfigPath));
    } catch (e) {
        // ts-node refuses a broken tsconfig in every run too: report it once, like a type error.
        const text = (e as Error).message;
        return { kind: "errors", entry: path.relative(projectDir, entry), diagnostics: [text], text };
    }
    // Emitting changes only output options: ts-node's own emit settings (outDir `$$ts-node$$`, no declarations) with
    // the source map inlined, so each file's JavaScript carries its map; the diagnostics are the same.
    const emitOptions = { ...options, noEmit: false, sourceMap: false, inlineSourceMap: true, inlineSources: true, declaration: false, declarationMap: false, emitDeclarationOnly: false };
    const program = ts.createProgram({ rootNames: [entry], options: emit ? emitOptions : { ...options, noEmit: true } });
    const inNodeModules = /[\\/]node_modules[\\/]/;
    const files = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !inNodeModules.test(f.fileName));
    const all: import("typescript").Diagnostic[] = [...configErrors, ...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
    for (const f of files) all.push(...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f));
    const ignored = new Set([...TS_NODE_IGNORED, ...String(env.TS_NODE_IGNORE_DIAGNOSTICS ?? "").split(",").map((s) => Number(s.trim())).filter((n) => n > 0)]);
    const errors = all.filter((d) => !ignored.has(d.code) && d.category === ts.DiagnosticCategory.Error);
    if (errors.length === 0) {
        const ok = { kind: "ok" as const, entry: path.relative(projectDir, entry), files: files.length, typescript: ts.version };
        if (!emit || isModulePackage(programDir)) return ok;
        const emitted = new Map<string, string>();
        const result = program.emit(undefined, (fileName, text, _bom, _onError, sources) => {
            if (/\.[mc]?js$/.test(fileName) && sources?.length === 1) emitted.set(path.resolve(sources[0].fileName), fileName.endsWith(".mjs") ? "" : text);
        });
        // A file that could not be emitted, or emitted as an ES module (.mts), leaves the runs to ts-node, as before.
        if (result.emitSkipped || files.some((f) => !emitted.get(path.resolve(f.fileName)))) return ok;
        return { ...ok, emitted };
    }
    const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => projectDir, getNewLine: () => "\n" };
    const diagnostics = errors.map((d) => ts.formatDiagnostics([d], host).trimEnd());
    return { kind: "errors", entry: path.relative(projectDir, entry), diagnostics, text: diagnostics.join("\n") };
}
