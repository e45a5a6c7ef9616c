/**
 * A fleet run's program as JavaScript in a program process per stack (`clientpolicy report --program-process`, or
 * when the program cannot run in the report's process, cli/report/inlineRun.ts): after the one type check
 * (cli/report/typecheck.ts), its emitted JavaScript is written once into a run folder and every stack runs it with
 * `typescript: false`, so no program process loads ts-node or TypeScript (about 1.5–2 s of CPU per stack even
 * transpile-only).
 *
 * The user's Pulumi.yaml is never edited: the run folder `<project>/.clientpolicy/run-XXXXXX/` holds a copy of the
 * project settings with `main: program.js`, `runtime.options.typescript: false` and `stackConfigDir` pointing back
 * at the project's stack files, and the stacks' CLI runs there. It sits inside the project so that everything the
 * language host, the runner and the dynamic-provider host resolve from the program folder (@pulumi/pulumi, the
 * provider package) comes from the project's node_modules as before. `program.js` (cli/report/programLoader.ts)
 * changes into the folder Pulumi gives the project's program and loads every source file under its own path, so
 * `__dirname`, relative imports and file reads, resource names and URNs, and the serialized provider (a `require()`
 * of the installed package) are what a `pulumi preview` in the project folder has. The folder is removed when the
 * run ends (and `.clientpolicy/` with it when nothing else is left in it). A run that was killed cannot remove its folder, so each
 * folder records the process that made it (`owner.pid`) and the next run removes the folders whose process is gone.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify as stringifyYaml } from "yaml";
import { readProjectFile } from "./typecheck";

/** Name of the folder, inside the project, that holds the runs' folders. */
export const RUNS_FOLDER = ".clientpolicy";

/** A prepared run folder; `dispose()` removes it. */
export interface CompiledRun {
    /** The work dir for the stacks' CLI runs (holds the derived Pulumi.yaml). */
    workDir: string;
    dispose(): void;
}

/** The file in a run folder naming the process (pid and start time) that made it. */
const OWNER_FILE = "owner.pid";

/** Whether process `pid` is alive (signal 0 checks without sending; EPERM means it exists under another user). */
function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/**
 * Removes the run folders under `runs` left by runs that were killed (their owner process is gone). A folder without
 * an owner file is being written by a run that just made it, or is not ours: it is left alone.
 */
export function removeAbandonedRuns(runs: string): string[] {
    let entries: string[];
    try {
        entries = fs.readdirSync(runs).filter((e) => e.startsWith("run-"));
    } catch {
        return [];
    }
    const removed: string[] = [];
    for (const entry of entries) {
        const dir = path.join(runs, entry);
        let pid: number;
        try {
            pid = Number.parseInt(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8"), 10);
        } catch {
            continue;
        }
        if (!Number.isSafeInteger(pid) || pid <= 0 || alive(pid)) continue;
        fs.rmSync(dir, { recursive: true, force: true });
        removed.push(dir);
    }
    return removed;
}

/**
 * Removes what killed runs left in the project (`<project>/.clientpolicy/run-*` whose process is gone), and
 * `.clientpolicy/` itself when nothing else is in it. Every fleet run calls it, whichever way it runs the program.
 */
export function cleanAbandonedRuns(projectDir: string): string[] {
    const runs = path.join(projectDir, RUNS_FOLDER);
    const removed = removeAbandonedRuns(runs);
    if (removed.length > 0) {
        try { fs.rmdirSync(runs); } catch { /* not empty: a live run's folder, or something of the user's */ }
    }
    return removed;
}

/** The project's settings file, parsed. */
function readProject(projectDir: string): { file: string; doc: Record<string, unknown> } {
    const read = readProjectFile(projectDir);
    if (!read) throw new Error(`no Pulumi.yaml in ${projectDir}`);
    const { file, doc } = read;
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error(`${path.basename(file)} is not a mapping`);
    return { file, doc: doc as Record<string, unknown> };
}

/**
 * The working directory Pulumi gives a project's program: the folder of `main` when it names a file, `main` itself
 * when it names a folder, else the project folder.
 */
export function programCwd(projectDir: string, main: unknown): string {
    if (typeof main !== "string" || main === "") return projectDir;
    const target = path.resolve(projectDir, main);
    try {
        if (fs.statSync(target).isDirectory()) return target;
    } catch { /* a main that does not exist fails the same way in every run */ }
    return path.dirname(target);
}

/**
 * The source of one of this folder's modules (`programLoader`, `stackTraces`) as Node runs it: the built JavaScript next
 * to this module, else compiled from the TypeScript source.
 */
function moduleSource(name: "programLoader" | "stackTraces"): string {
    const built = path.join(__dirname, `${name}.js`);
    if (fs.existsSync(built)) return fs.readFileSync(built, "utf8");
    // Running from the TypeScript sources (tests, development): the CLI's own TypeScript compiles the module.
    const ts = require("typescript") as typeof import("typescript");
    const source = fs.readFileSync(path.join(__dirname, `${name}.ts`), "utf8");
    return ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
}

/**
 * Writes the run folder for the program in `projectDir` whose entry is `entry` (absolute) and whose files' emitted
 * JavaScript is `emitted` (by absolute source path).
 */
export function prepareCompiledRun(projectDir: string, entry: string, emitted: ReadonlyMap<string, string>): CompiledRun {
    const { doc } = readProject(projectDir);
    const runs = path.join(projectDir, RUNS_FOLDER);
    fs.mkdirSync(runs, { recursive: true });
    removeAbandonedRuns(runs);
    const workDir = fs.mkdtempSync(path.join(runs, "run-"));
    fs.writeFileSync(path.join(workDir, OWNER_FILE), `${process.pid}\n`);
    const dispose = () => {
        fs.rmSync(workDir, { recursive: true, force: true });
        // Empty now unless another run's folder (or something of the user's) is in it; rmdir removes only an empty one.
        try { fs.rmdirSync(runs); } catch { /* not empty */ }
    };
    try {
        const js = path.join(workDir, "js");
        fs.mkdirSync(js);
        const files: Record<string, string> = {};
        let n = 0;
        for (const [source, text] of emitted) {
            const out = path.join(js, `${n++}-${path.basename(source).replace(/\.[^.]*$/, "")}.js`);
            fs.writeFileSync(out, text);
            // Node hands the extension hook the real path of each module.
            files[fs.realpathSync(source)] = out;
        }
        const manifest = { cwd: programCwd(projectDir, doc.main), entry: fs.realpathSync(entry), files };
        fs.writeFileSync(path.join(workDir, "program.json"), JSON.stringify(manifest, null, 2));
        fs.writeFileSync(path.join(workDir, "program.js"), moduleSource("programLoader"));
        fs.writeFileSync(path.join(workDir, "stackTraces.js"), moduleSource("stackTraces"));

        const runtime = doc.runtime;
        const runtimeObject = typeof runtime === "object" && runtime !== null ? runtime as Record<string, unknown> : { name: runtime ?? "nodejs" };
        const options = { ...(runtimeObject.options as Record<string, unknown> | undefined) };
        delete options.tsconfig;
        const stackConfigDir = path.resolve(projectDir, typeof doc.stackConfigDir === "string" ? doc.stackConfigDir : ".");
        const settings = {
            ...doc,
            main: "program.js",
            runtime: { ...runtimeObject, options: { ...options, typescript: false } },
            // Pulumi joins this with the settings file's folder: the project's own stack files, read and written there.
            stackConfigDir: path.relative(workDir, stackConfigDir),
        };
        fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), stringifyYaml(settings));
        return { workDir, dispose };
    } catch (e) {
        dispose();
        throw e;
    }
}
