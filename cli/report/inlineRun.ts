/**
 * A fleet run's program inside the report's own process: every stack's `pulumi preview` or `pulumi refresh
 * --run-program` runs the program through the Automation API's inline-program server (`--client`), so no stack starts
 * a program process (node, @pulumi/pulumi, the program's modules: about 2 s of CPU per stack even as JavaScript).
 *
 * The program must run as Pulumi's runner runs it in the project folder (`@pulumi/pulumi/cmd/run/run.js`): each run
 * loads the program's own modules afresh (its top-level code registers that stack's resources, with that stack's
 * configuration), each under its own path (`__dirname`, relative `require()`s and reads resolve in the project), its
 * TypeScript files as the JavaScript emitted by the fleet's one type check, in the working directory Pulumi gives the
 * project's program; an exported function is called and awaited, and the exports are the stack's outputs. What the
 * program takes from node_modules (@pulumi/pulumi, this package, other libraries) is loaded once and shared by the
 * runs, as one process serves them all. The server, the program and the SDK are the project's own copy of
 * @pulumi/pulumi, which keeps each run's state apart (an AsyncLocalStorage per run), so stacks run side by side.
 *
 * What differs from a program process, and how it is kept out of the report: output the program writes with
 * `console.*` goes to the stack's engine log (as the runner's captured stdout does), not to the report's stdout; a
 * program that calls `process.exit()` fails its own stack with a message naming `--program-process` (rather than
 * ending the report); work the program leaves running after its exports settle (a timer that throws later) is waited
 * for, as a program process's event loop would be, so its error fails its own stack; a program that keeps state in a
 * library's module between runs should be run with `--program-process` (one program process per stack,
 * cli/report/compiledRun.ts).
 *
 * Each run also records the configuration the engine handed the program (secrets decrypted), so the report needs no
 * `pulumi config --show-secrets` of its own for the stack (one CLI start less per stack).
 */
import { AsyncLocalStorage, createHook } from "node:async_hooks";
import * as fs from "node:fs";
import * as nodeModule from "node:module";
import * as path from "node:path";
import * as util from "node:util";
import { mapProgramFrames } from "./stackTraces";

/** The Automation API of the project's @pulumi/pulumi. */
export type Automation = typeof import("@pulumi/pulumi/automation");
type PulumiSdk = typeof import("@pulumi/pulumi");
/** @pulumi/pulumi's `runtime/config` module: the configuration of the current run (`isConfigSecret` is not re-exported). */
interface RuntimeConfig {
    allConfig(): Record<string, string>;
    isConfigSecret(key: string): boolean;
}

/** A stack's configuration as its last program run was given it: values and which keys are secret. */
export interface SeenConfig {
    values: Record<string, string>;
    secretKeys: Set<string>;
}

/** The program of one fleet run, ready to be handed to the Automation API as an inline program. */
export interface InlineProgram {
    /** The project's own Automation API (its copy of @pulumi/pulumi): the server must be the program's SDK. */
    automation: Automation;
    /** The inline program: loads the program's modules afresh and returns its outputs. */
    program: () => Promise<Record<string, unknown> | undefined>;
    /** The configuration handed to the last program run of `stack` since {@link InlineProgram.forget}. */
    configOf(stack: string): SeenConfig | undefined;
    /** Drops what was recorded for `stack` (before a new run of it). */
    forget(stack: string): void;
    /** Restores the working directory, `console` and the module hooks. Idempotent. */
    dispose(): void;
}

/** The parts of Node's CommonJS `Module` used here (not in @types/node's public surface). */
interface LoadedModule {
    id: string;
    filename: string;
    loaded: boolean;
    exports: unknown;
    paths: string[];
    require(request: string): unknown;
    _compile(code: string, filename: string): unknown;
}
interface ModuleStatics {
    new (id: string, parent?: LoadedModule): LoadedModule;
    prototype: LoadedModule;
    _resolveFilename(request: string, parent: LoadedModule): string;
    _nodeModulePaths(dir: string): string[];
    _extensions: Record<string, (module: LoadedModule, filename: string) => void>;
}
const Module = nodeModule.Module as unknown as ModuleStatics;

const TS_EXTENSIONS = [".ts", ".tsx", ".cts"];
const CONSOLE_LEVELS = { log: "info", info: "info", debug: "debug", warn: "warn", error: "warn", trace: "warn" } as const;

/**
 * Whether the project's @pulumi/pulumi can serve inline programs side by side (its Automation API has
 * `previewRefresh` and its runtime a per-run store); the Automation API and SDK when it can.
 */
function projectSdk(programDir: string): { automation: Automation; sdk: PulumiSdk; config: RuntimeConfig; runOf: () => object | undefined } | undefined {
    try {
        const req = nodeModule.createRequire(path.join(programDir, "index.js"));
        const automation = req("@pulumi/pulumi/automation") as Automation;
        const sdk = req("@pulumi/pulumi") as PulumiSdk;
        const state = req("@pulumi/pulumi/runtime/state") as { withLocalStorage?: unknown; getLocalStore?: () => object | undefined };
        if (typeof automation.Stack?.prototype?.previewRefresh !== "function" || typeof state.withLocalStorage !== "function" ||
            typeof state.getLocalStore !== "function") return undefined;
        const config = req("@pulumi/pulumi/runtime/config") as Partial<RuntimeConfig>;
        if (typeof config.allConfig !== "function" || typeof config.isConfigSecret !== "function") return undefined;
        const getLocalStore = state.getLocalStore;
        return { automation, sdk, config: config as RuntimeConfig, runOf: () => getLocalStore() };
    } catch {
        return undefined;
    }
}

/**
 * Prepares the inline program for `entry` (absolute) of the project in `projectDir`, whose program runs in `cwd` and
 * whose TypeScript files' emitted JavaScript is `emitted` (by absolute source path). Undefined when the project's
 * @pulumi/pulumi cannot run inline programs side by side (the caller runs a program process per stack instead).
 * Changes the process's working directory to `cwd` until {@link InlineProgram.dispose}.
 */
export function prepareInlineProgram(projectDir: string, cwd: string, entry: string, emitted: ReadonlyMap<string, string>): InlineProgram | undefined {
    const found = projectSdk(cwd);
    if (!found) return undefined;
    const { automation, sdk, config, runOf } = found;
    const realProject = fs.realpathSync(projectDir);
    const sources = new Map<string, string>();
    for (const [file, text] of emitted) sources.set(fs.realpathSync(file), text);
    const realEntry = fs.realpathSync(entry);
    const seen = new Map<string, SeenConfig>();
    const inRun = new AsyncLocalStorage<string>();
    const timers = trackRunTimers(inRun);

    /** The program's own files are loaded per run; everything in node_modules (and Node's built-ins) once. */
    const ownFile = (file: string) => sources.has(file) ||
        (path.isAbsolute(file) && file.startsWith(realProject + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`));

    const load = (file: string, run: Map<string, LoadedModule>, parent?: LoadedModule): unknown => {
        const cached = run.get(file);
        if (cached) return cached.exports;
        const m = new Module(file, parent);
        m.filename = file;
        m.paths = Module._nodeModulePaths(path.dirname(file));
        m.require = (request: string) => {
            const resolved = Module._resolveFilename(request, m);
            return ownFile(resolved) ? load(resolved, run, m) : Module.prototype.require.call(m, request);
        };
        run.set(file, m);
        if (file.endsWith(".json")) {
            m.exports = JSON.parse(fs.readFileSync(file, "utf8").replace(/^\uFEFF/, ""));
        } else {
            const js = sources.get(file);
            if (js === undefined && TS_EXTENSIONS.includes(path.extname(file))) throw notChecked(file);
            m._compile(js ?? fs.readFileSync(file, "utf8"), file);
        }
        m.loaded = true;
        return m.exports;
    };

    // Resolving `./lib` to lib.ts needs the extension known to Node's resolver; a TypeScript file outside the checked
    // program that something loads through Node's own loader gets the same error as in a program process.
    const extensions = Module._extensions;
    const replaced = new Map<string, ((module: LoadedModule, filename: string) => void) | undefined>();
    for (const ext of TS_EXTENSIONS) {
        if (extensions[ext]) continue;
        replaced.set(ext, extensions[ext]);
        extensions[ext] = (_module, filename) => { throw notChecked(filename); };
    }

    // The program's console output goes to its stack's engine log (the runner's stdout is captured the same way).
    const originalConsole = new Map<string, (...args: unknown[]) => void>();
    for (const [method, level] of Object.entries(CONSOLE_LEVELS)) {
        const c = console as unknown as Record<string, (...args: unknown[]) => void>;
        const original = c[method];
        originalConsole.set(method, original);
        c[method] = (...args: unknown[]) => {
            if (inRun.getStore() === undefined) return original.apply(console, args);
            const log = sdk.log as unknown as Record<string, (message: string) => Promise<void>>;
            void log[level](util.format(...args)).catch(() => undefined);
        };
    }

    const releaseErrorHandlers = keepErrorsInTheirRun(runOf);
    // A program process may end itself; here that would end the report and every stack with it, without a report.
    const exit = process.exit;
    process.exit = ((code?: number | string | null) => {
        const stack = inRun.getStore();
        if (stack === undefined) return exit.call(process, code);
        throw new Error(`the program called process.exit(${code ?? ""}) in stack ${stack || "(unnamed)"}; inside the report's process that would ` +
            "end the whole fleet run, so it fails this stack instead: run the report with --program-process for such a program");
    }) as typeof process.exit;
    const releaseStackTraces = mapProgramFrames({ has: (file) => sources.has(file), text: (file) => sources.get(file) });
    const previousCwd = process.cwd();
    process.chdir(cwd);

    let disposed = false;
    return {
        automation,
        program: async () => {
            const stack = sdk.getStack();
            const values = config.allConfig();
            seen.set(stack, { values, secretKeys: new Set(Object.keys(values).filter((k) => config.isConfigSecret(k))) });
            const outputs = await inRun.run(stack ?? "", async () => {
                let exported = load(realEntry, new Map());
                if (exported instanceof Function) exported = exported();
                return await exported;
            });
            // A program process lives until its event loop is empty, so work the program left running (a timer that
            // throws later) still fails the stack; here the run waits for its own pending timers the same way.
            await timers.settled(stack ?? "", () => disposed);
            return typeof outputs === "object" && outputs !== null ? outputs as Record<string, unknown> : undefined;
        },
        configOf: (stack) => seen.get(stack),
        forget: (stack) => { seen.delete(stack); },
        dispose: () => {
            if (disposed) return;
            disposed = true;
            process.chdir(previousCwd);
            releaseStackTraces();
            timers.dispose();
            releaseErrorHandlers();
            process.exit = exit;
            const c = console as unknown as Record<string, (...args: unknown[]) => void>;
            for (const [method, original] of originalConsole) c[method] = original;
            for (const [ext, previous] of replaced) {
                if (previous) extensions[ext] = previous;
                else delete extensions[ext];
            }
        },
    };
}

/**
 * A timer or immediate as async_hooks hands it to `init` (Node's Timeout and Immediate objects). `_destroyed` is
 * Node's own mark, set when it fires (a timeout; an interval only when cleared) or is cleared: there is no public way
 * to ask, and a `destroy` hook instead would make Node track the collection of every promise of the process (about
 * three times the cost of each `await`, measured). A resource without the mark counts as done.
 */
interface TimerResource { hasRef?: () => boolean; _destroyed?: unknown }

/**
 * The timers and immediates each run's program code created (in the run's async context, `inRun`), while they are
 * pending: `settled(stack)` resolves once none of that run's is pending and referenced, as a program process's event
 * loop empties before it exits. Unreferenced timers (`unref()`: a library's keep-alive) do not hold a run, as they do
 * not hold a process. The wait polls every 20 ms from outside any run and stops when `stop()` says so (the report is
 * over); a run that never settles (an interval never cleared) is ended by the stack's timeout, as a program process
 * that never exits is, and `dispose()` clears whatever the programs left pending.
 */
function trackRunTimers(inRun: AsyncLocalStorage<string>): { settled(stack: string, stop: () => boolean): Promise<void>; dispose(): void } {
    const pending = new Map<number, { stack: string; resource: TimerResource }>();
    const hook = createHook({
        init(asyncId, type, _trigger, resource) {
            if (type !== "Timeout" && type !== "Immediate") return;
            const stack = inRun.getStore();
            if (stack !== undefined) pending.set(asyncId, { stack, resource: resource as TimerResource });
        },
    }).enable();
    /** Whether `stack` has a live referenced timer; forgets the ones that are done, whichever run made them. */
    const busy = (stack: string) => {
        let found = false;
        for (const [id, t] of pending) {
            if (t.resource._destroyed !== false) pending.delete(id);
            else if (t.stack === stack && (t.resource.hasRef?.() ?? true)) found = true;
        }
        return found;
    };
    return {
        settled: (stack, stop) => inRun.exit(() => new Promise<void>((resolve) => {
            const check = () => {
                if (stop() || !busy(stack)) return resolve();
                setTimeout(check, 20).unref();
            };
            check();
        })),
        dispose: () => {
            hook.disable();
            // What the programs left pending ends with the fleet run, as a program process's timers end with it
            // (an interval never cleared would otherwise keep the report's process from exiting).
            for (const { resource } of pending.values()) {
                if (resource._destroyed !== false) continue;
                clearTimeout(resource as unknown as NodeJS.Timeout);
                clearImmediate(resource as unknown as NodeJS.Immediate);
            }
            pending.clear();
        },
    };
}

const PROCESS_ERROR_EVENTS = new Set<string | symbol>(["uncaughtException", "unhandledRejection"]);
type Listener = (...args: unknown[]) => void;

/**
 * Keeps one stack's program errors out of the stacks running beside it. The inline-program server of
 * @pulumi/pulumi (automation/server.js, `LanguageServer.run`) adds a process-wide `uncaughtException` and
 * `unhandledRejection` handler for each run and fails the run on anything they catch, so a program that throws in one
 * stack (a typo in its tenant file) failed every stack running at that moment. Node calls these handlers in the async
 * context of the failing code, and each run has its own store in the SDK's AsyncLocalStorage (`runOf`), so a handler
 * added during a run is wrapped to ignore an error raised in another run; an error raised outside any run still
 * reaches every handler, as before. Returns the function that puts `process.on`/`off` back.
 */
function keepErrorsInTheirRun(runOf: () => object | undefined): () => void {
    const wrapped = new WeakMap<Listener, Listener>();
    const proc = process as unknown as Record<"on" | "addListener" | "off" | "removeListener", (event: string | symbol, listener: Listener) => NodeJS.Process>;
    const originals = { on: proc.on, addListener: proc.addListener, off: proc.off, removeListener: proc.removeListener };
    const add = (original: typeof proc.on) => function (this: NodeJS.Process, event: string | symbol, listener: Listener) {
        const owner = PROCESS_ERROR_EVENTS.has(event) ? runOf() : undefined;
        if (owner === undefined) return original.call(this, event, listener);
        let inRun = wrapped.get(listener);
        if (!inRun) {
            inRun = (...args: unknown[]) => {
                const raisedIn = runOf();
                if (raisedIn !== undefined && raisedIn !== owner) return;
                listener(...args);
            };
            wrapped.set(listener, inRun);
        }
        return original.call(this, event, inRun);
    };
    const remove = (original: typeof proc.off) => function (this: NodeJS.Process, event: string | symbol, listener: Listener) {
        const inRun = PROCESS_ERROR_EVENTS.has(event) ? wrapped.get(listener) : undefined;
        return original.call(this, event, inRun ?? listener);
    };
    proc.on = add(originals.on);
    proc.addListener = add(originals.addListener);
    proc.off = remove(originals.off);
    proc.removeListener = remove(originals.removeListener);
    const own = (Object.keys(originals) as (keyof typeof originals)[]).filter((k) => Object.prototype.hasOwnProperty.call(process, k));
    return () => {
        for (const k of Object.keys(originals) as (keyof typeof originals)[]) {
            if (own.includes(k)) proc[k] = originals[k];
            else delete proc[k];
        }
    };
}

function notChecked(file: string): Error {
    return new Error(`${file} is not part of the program type-checked for this fleet run (only the files the entry point imports are compiled); ` +
        "import it statically from the program, or run the report with --program-process");
}
