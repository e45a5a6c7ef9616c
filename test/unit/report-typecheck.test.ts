/**
 * The fleet's one type check (cli/report/typecheck.ts) leaves the report's process as it found it. ts-node 10's
 * `create()`, which the check asks for the compiler options a run would use, installs @cspotcode/source-map-support
 * process-wide (`Error.prepareStackTrace`, `process.emit`, Node's module resolver); left there, it maps every stack
 * trace the report's process takes afterwards, one for each promise @pulumi/pulumi tracks in every stack's program.
 *
 * Runs in a child process that loads the TypeScript sources through a plain transpiling require hook: this test
 * process runs under ts-node, whose own source-map-support is already installed and would hide the change.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { tempDir } from "../../testkit/projectFolder";
import { ROOT } from "../../testkit/stack";

/** A TypeScript project folder whose node_modules links this repository's @pulumi/pulumi (ts-node 10 beside it). */
function project(): string {
    const dir = tempDir("clientpolicy-typecheck-");
    fs.mkdirSync(path.join(dir, "node_modules", "@pulumi"), { recursive: true });
    fs.symlinkSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi"), path.join(dir, "node_modules", "@pulumi", "pulumi"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: typecheck-hooks\nruntime: nodejs\n");
    fs.writeFileSync(path.join(dir, "index.ts"), "import * as pulumi from \"@pulumi/pulumi\";\nexport const stack: string = pulumi.getStack();\n");
    return dir;
}

/** Checks the program in `dir` in a fresh node process (no ts-node registered) and reports what the check changed. */
function checkInFreshProcess(dir: string): { kind: string; changed: string[] } {
    const script = `
        const fs = require("node:fs");
        const ts = require(${JSON.stringify(path.join(ROOT, "node_modules", "typescript"))});
        require.extensions[".ts"] = (m, file) => m._compile(ts.transpileModule(fs.readFileSync(file, "utf8"),
            { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText, file);
        const Module = require("node:module");
        const { checkProgram } = require(${JSON.stringify(path.join(ROOT, "cli", "report", "typecheck.ts"))});
        // Loading ts-node loads Node's domain module, which replaces process.emit for good (as @pulumi/pulumi's own
        // inline server does): that happens before the snapshot, as in the report, which has loaded the SDK by then.
        require(${JSON.stringify(path.join(ROOT, "node_modules", "ts-node"))});
        const hooks = () => ({ prepareStackTrace: Error.prepareStackTrace, emit: process.emit, resolveFilename: Module._resolveFilename });
        const before = hooks();
        const result = checkProgram(${JSON.stringify(dir)}, { PATH: process.env.PATH }, true);
        const after = hooks();
        const changed = Object.keys(before).filter((k) => before[k] !== after[k]);
        process.stdout.write(JSON.stringify({ kind: result.kind, changed }));
    `;
    const r = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8", env: { PATH: process.env.PATH, NODE_DISABLE_COMPILE_CACHE: "1" } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
}

describe("fleet report: the one type check", () => {
    let dir: string;
    beforeEach(() => { dir = project(); });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("takes back the process-wide hooks ts-node's create() installs (source-map-support), after a passing check", () => {
        const r = checkInFreshProcess(dir);
        assert.equal(r.kind, "ok");
        assert.deepEqual(r.changed, [], "Error.prepareStackTrace, process.emit and Module._resolveFilename are what they were before the check");
    });

    it("and after a failing one", () => {
        fs.writeFileSync(path.join(dir, "index.ts"), "export const n: number = \"not a number\";\n");
        const r = checkInFreshProcess(dir);
        assert.equal(r.kind, "errors");
        assert.deepEqual(r.changed, []);
    });
});
