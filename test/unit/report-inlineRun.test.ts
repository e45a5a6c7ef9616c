/**
 * The fleet's in-process program (cli/report/inlineRun.ts) without the engine: what one run loads afresh and what the
 * runs share, how `./lib` finds the type check's JavaScript for lib.ts, and that the report's process gets its
 * working directory, `console` and Node's module hooks back. The engine side (the stacks' CLI runs) is in
 * test/e2e/report-fleet-run.test.ts.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as nodeModule from "node:module";
import * as path from "node:path";
import { prepareInlineProgram } from "../../cli/report/inlineRun";
import { tempDir } from "../../testkit/projectFolder";
import { ROOT } from "../../testkit/stack";

/** A project folder whose node_modules has @pulumi/pulumi (linked to this repository's) and a shared library. */
function project(): string {
    const dir = tempDir("clientpolicy-inline-");
    fs.mkdirSync(path.join(dir, "node_modules", "@pulumi"), { recursive: true });
    fs.symlinkSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi"), path.join(dir, "node_modules", "@pulumi", "pulumi"));
    fs.mkdirSync(path.join(dir, "node_modules", "shared-lib"));
    fs.writeFileSync(path.join(dir, "node_modules", "shared-lib", "index.js"), "exports.loads = (exports.loads || 0) + 1; exports.calls = 0;\n");
    fs.writeFileSync(path.join(dir, "settings.json"), "\uFEFF{ \"name\": \"from-json\" }");
    return dir;
}

describe("fleet report: the program in the report's own process", () => {
    let dir: string;
    beforeEach(() => { dir = project(); });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("each run loads the program's own files afresh (TypeScript as the emitted JavaScript, JSON too) and shares node_modules", async () => {
        const index = path.join(dir, "index.ts");
        const lib = path.join(dir, "lib.ts");
        fs.writeFileSync(index, "// the TypeScript source is never run\n");
        fs.writeFileSync(lib, "// nor this one\n");
        const emitted = new Map([
            [index, `const lib = require("./lib"); const shared = require("shared-lib"); shared.calls++;
                     exports.counter = lib.next(); exports.name = require("./settings.json").name;
                     exports.file = __filename; exports.cwd = process.cwd(); exports.shared = [shared.loads, shared.calls];`],
            [lib, "let n = 0; exports.next = () => ++n;"],
        ]);
        const cwd = process.cwd();
        const inline = prepareInlineProgram(dir, dir, index, emitted);
        assert.ok(inline, "the project's @pulumi/pulumi serves inline programs");
        try {
            const first = await inline.program();
            const second = await inline.program();
            const real = fs.realpathSync(dir);
            assert.deepEqual(first, { counter: 1, name: "from-json", file: path.join(real, "index.ts"), cwd: real, shared: [1, 1] });
            assert.deepEqual(second, { ...first, shared: [1, 2] }, "lib.ts was loaded again (its counter restarts); shared-lib was not");
            assert.equal(require.cache[path.join(real, "index.ts")], undefined, "the program's modules stay out of Node's module cache");
        } finally {
            inline.dispose();
        }
        assert.equal(process.cwd(), cwd, "the working directory is given back");
    });

    it("an exported function is called and awaited, as Pulumi's runner does", async () => {
        const index = path.join(dir, "index.ts");
        fs.writeFileSync(index, "");
        const inline = prepareInlineProgram(dir, dir, index, new Map([[index, "module.exports = async () => ({ answer: await Promise.resolve(42) });"]]));
        try {
            assert.deepEqual(await inline!.program(), { answer: 42 });
        } finally {
            inline!.dispose();
        }
    });

    it("a TypeScript file the type check did not compile fails that run with what to do; dispose gives back console and the .ts hook", async () => {
        const index = path.join(dir, "index.ts");
        fs.writeFileSync(index, "");
        fs.writeFileSync(path.join(dir, "late.ts"), "export const x = 1;\n");
        const extensions = (nodeModule as unknown as { _extensions: Record<string, unknown> })._extensions;
        const hooks = { ts: extensions[".ts"], tsx: extensions[".tsx"] };
        const log = console.log;
        const inline = prepareInlineProgram(dir, dir, index, new Map([[index, "require('./' + 'late');"]]));
        try {
            await assert.rejects(inline!.program(), /late\.ts is not part of the program type-checked for this fleet run.*--program-process/);
        } finally {
            inline!.dispose();
        }
        assert.equal(console.log, log);
        assert.deepEqual({ ts: extensions[".ts"], tsx: extensions[".tsx"] }, hooks);
    });

    it("an error raised in one run reaches only that run's process handlers (the SDK adds them process-wide, one pair per run)", async () => {
        const index = path.join(dir, "index.ts");
        fs.writeFileSync(index, "");
        const state = nodeModule.createRequire(path.join(dir, "index.js"))("@pulumi/pulumi/runtime/state") as
            { withLocalStorage<T>(callback: () => T): T };
        const events = ["unhandledRejection", "uncaughtException"] as const;
        // Mocha's own handlers would fail this test on the errors it raises on purpose: set aside while it runs.
        const aside = events.map((e) => [e, process.rawListeners(e)] as const);
        for (const e of events) process.removeAllListeners(e);
        const on = process.on;
        const ownBefore = Object.prototype.hasOwnProperty.call(process, "off");
        const inline = prepareInlineProgram(dir, dir, index, new Map([[index, ""]]));
        const caught: Record<string, string[]> = { a: [], b: [], outside: [] };
        const handlers: Record<string, (e: unknown) => void> = {};
        try {
            const settled = (["a", "b"] as const).map((run) => state.withLocalStorage(async () => {
                handlers[run] = (e: unknown) => { caught[run].push((e as Error).message); };
                process.on("unhandledRejection", handlers[run]);
                process.on("uncaughtException", handlers[run]);
                await new Promise((resolve) => setTimeout(resolve, 5));
                if (run === "a") {
                    void Promise.reject(new Error("rejected in a"));
                    setTimeout(() => { throw new Error("thrown in a"); }, 0);
                }
                await new Promise((resolve) => setTimeout(resolve, 30));
            }));
            await Promise.all(settled);
            assert.deepEqual(caught, { a: ["rejected in a", "thrown in a"], b: [], outside: [] });
            (process.emit as (event: string, ...args: unknown[]) => boolean)("uncaughtException", new Error("outside any run"), "uncaughtException");
            assert.deepEqual([caught.a.at(-1), caught.b.at(-1)], ["outside any run", "outside any run"], "an error outside every run still reaches each handler");
            for (const run of ["a", "b"]) {
                process.off("unhandledRejection", handlers[run]);
                process.off("uncaughtException", handlers[run]);
            }
            assert.deepEqual(events.map((e) => process.listenerCount(e)), [0, 0], "off removes what on added");
        } finally {
            inline!.dispose();
            for (const e of events) process.removeAllListeners(e);
            for (const [e, listeners] of aside) for (const l of listeners) process.on(e, l as (...args: unknown[]) => void);
        }
        assert.equal(process.on, on, "process.on is given back");
        assert.equal(Object.prototype.hasOwnProperty.call(process, "off"), ownBefore, "process.off is given back as it was");
    });

    it("process.exit() in a program fails that run with what to do, and leaves the report's process running", async () => {
        const index = path.join(dir, "index.ts");
        fs.writeFileSync(index, "");
        const exit = process.exit;
        const inline = prepareInlineProgram(dir, dir, index, new Map([[index, "process.exit(7);"]]));
        try {
            await assert.rejects(inline!.program(), /called process\.exit\(7\).*--program-process/);
        } finally {
            inline!.dispose();
        }
        assert.equal(process.exit, exit, "process.exit is given back");
    });

    it("stack traces point at the program's TypeScript lines (its inline source maps); other traces are left as they were", async () => {
        const ts = require("typescript") as typeof import("typescript");
        const index = path.join(dir, "index.ts");
        const source = [
            "// types vanish from the JavaScript, so its lines differ from these",
            "interface Unused { a: number }",
            "type Alias = string;",
            "export function fail(): never {",
            "    throw new Error(\"from the program\");",
            "}",
            "export const stack: Alias = (() => { try { fail(); } catch (e) { return (e as Error).stack ?? \"\"; } })();",
            "",
        ].join("\n");
        fs.writeFileSync(index, source);
        const js = ts.transpileModule(source, { fileName: index, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, inlineSourceMap: true, inlineSources: true } }).outputText;
        const emittedLine = js.split("\n").findIndex((l) => l.includes("throw new Error")) + 1;
        assert.notEqual(emittedLine, 5, "the fixture's JavaScript moved the throw to another line");
        const before = Error.prepareStackTrace;
        const elsewhere = () => new Error("not the program").stack;
        const unmapped = elsewhere();
        const inline = prepareInlineProgram(dir, dir, index, new Map([[index, js]]));
        try {
            const { stack } = await inline!.program() as { stack: string };
            const real = fs.realpathSync(index);
            assert.match(stack, /^Error: from the program\n/);
            assert.ok(stack.includes(`at fail (${real}:5:11)`), stack);
            assert.ok(stack.includes(`(${real}:7:`) || stack.includes(`at ${real}:7:`), stack);
            assert.ok(!stack.includes(`${real}:${emittedLine}:`), `no frame keeps the JavaScript's line: ${stack}`);
            assert.equal(elsewhere()!.split("\n")[1], unmapped!.split("\n")[1], "a frame outside the program is formatted as before");
        } finally {
            inline!.dispose();
        }
        assert.equal(Error.prepareStackTrace, before, "Error.prepareStackTrace is given back");
    });

    it("a run ends once the timers its program left running have fired, as a program process's event loop empties; unreferenced ones do not hold it", async () => {
        const index = path.join(dir, "index.ts");
        fs.writeFileSync(index, "");
        const g = globalThis as unknown as { lateTicks?: string[] };
        g.lateTicks = [];
        const program = `setTimeout(() => { globalThis.lateTicks.push("timer"); setImmediate(() => globalThis.lateTicks.push("immediate")); }, 150);
                         setTimeout(() => globalThis.lateTicks.push("unref'd"), 60000).unref();
                         exports.done = true;`;
        const inline = prepareInlineProgram(dir, dir, index, new Map([[index, program]]));
        try {
            const started = Date.now();
            assert.deepEqual(await inline!.program(), { done: true });
            assert.deepEqual(g.lateTicks, ["timer", "immediate"], "the run waited for the timer and the immediate it set");
            assert.ok(Date.now() - started < 30_000, "the unreferenced timer did not hold the run");
        } finally {
            inline!.dispose();
            delete g.lateTicks;
        }
    });

    it("a project without its own @pulumi/pulumi runs a program process per stack instead", () => {
        const bare = tempDir("clientpolicy-inline-bare-");
        try {
            fs.writeFileSync(path.join(bare, "index.ts"), "");
            assert.equal(prepareInlineProgram(bare, bare, path.join(bare, "index.ts"), new Map()), undefined);
        } finally {
            fs.rmSync(bare, { recursive: true, force: true });
        }
    });
});
