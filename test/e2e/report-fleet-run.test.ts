/**
 * How a fleet run executes, end to end with the real Pulumi CLI and a real emulator: the program is type-checked once
 * before any stack runs (a type error fails the run once, naming file and line), every stack then runs its emitted
 * JavaScript (no TypeScript loaded) as if in the project folder, in the report's process (by default) or in a program
 * process per stack (`--program-process`), and the processes of a run (the `clientpolicy` process, any program
 * process, each dynamic-provider host) share Node's compile cache without rejecting each other's entries.
 *
 * The rejection counter: Node writes a compile-cache entry back to disk when it is new or was rejected (compiled under
 * another V8 flag hash or from other source), and leaves an accepted entry's file untouched. A second identical run
 * therefore rewrites exactly the entries some process of it rejected; the test counts the existing entry files whose
 * inode, size or mtime changed (`NODE_DEBUG_NATIVE=COMPILE_CACHE` prints "was rejected" for the same events, but
 * only on each process's own stderr, which the engine does not hand back whole).
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { ROOT } from "../../testkit/stack";
import { tempDir } from "../../testkit/projectFolder";
import { startTestEmulator, type TestTenant } from "../../testkit/emulator";
import { CHILDREN_CACHE } from "../../cli/report/run";
import { clientpolicy, createFleet, fleetSeed, fleetTenantId, type Fleet } from "../../testkit/reportFleet";

const SECRET = "fleet-secret-" + crypto.randomBytes(6).toString("hex");
const STACKS = ["r1", "r2"];

/**
 * The fleet's program, with a probe: each run writes to `$FLEET_PROBE_DIR/<stack>` how it was loaded (the runner's
 * TypeScript switch, whether ts-node is registered) and where it runs (`__filename`, the working directory), and
 * reads a file next to itself by `__dirname` as the config-repo programs do.
 */
const PROGRAM = `import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as cp from "clientpolicy-as-code";
if (process.env.FLEET_PROBE_DIR) {
    fs.writeFileSync(path.join(process.env.FLEET_PROBE_DIR, pulumi.getStack()), JSON.stringify({
        typescript: process.env.PULUMI_NODEJS_TYPESCRIPT ?? null,
        tsNode: (process as unknown as Record<symbol, unknown>)[Symbol.for("ts-node.register.instance")] !== undefined,
        filename: __filename,
        cwd: process.cwd(),
        nextToIt: fs.existsSync(path.join(__dirname, "Pulumi.yaml")),
        tenantId: new pulumi.Config("clientpolicy").require("tenantId"),
        where: (new Error("where").stack ?? "").split("\\n")[1],
    }));
}
console.log("program-console-line " + pulumi.getStack());
if (process.env.FLEET_THROW === pulumi.getStack()) throw new Error("thrown in " + pulumi.getStack());
if (process.env.FLEET_LATE_ERROR === pulumi.getStack()) setTimeout(() => { throw new Error("late boom in " + pulumi.getStack()); }, 1500);
new cp.ClientPolicy("global", { identity: "Global", enableIMAutoArchiving: false });
`;

/** Every file under `dir` with what changes when Node rewrites it (a new file replaces the old by rename). */
function snapshot(dir: string): Map<string, string> {
    const files = new Map<string, string>();
    for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const file = path.join(entry.parentPath, entry.name);
        const st = fs.statSync(file);
        files.set(file, `${st.ino}:${st.size}:${st.mtimeMs}`);
    }
    return files;
}

describe("clientpolicy report: the fleet run (real CLI)", function () {
    this.timeout(900_000);
    let emu: TestTenant;
    let fleet: Fleet;
    let probe: string;
    let out: string;

    before(async () => {
        emu = await startTestEmulator({ seed: fleetSeed(STACKS.length, SECRET), clientSecret: SECRET });
        fleet = await createFleet(STACKS.map((stack, i) => ({ stack, endpoint: emu.url, tenantId: fleetTenantId(i + 1), clientId: "demo-client", clientSecret: SECRET })), { program: PROGRAM });
        probe = tempDir("clientpolicy-fleet-probe-");
        out = tempDir("clientpolicy-fleet-out-");
    });
    after(async () => {
        fleet?.dispose();
        await emu?.stop();
        for (const d of [probe, out]) if (d) fs.rmSync(d, { recursive: true, force: true });
    });

    const report = (env: NodeJS.ProcessEnv, ...args: string[]) =>
        clientpolicy(["report", "--dir", fleet.workDir, "--format", "json", "--out", path.join(out, crypto.randomBytes(4).toString("hex")), ...args], { ...fleet.env, ...env });
    // The packaged bin, as users run it (scripts/install-self.sh packs these sources): the report's own process then
    // has no ts-node registered, so the probe can tell whether anything loaded TypeScript for the program.
    const bin = path.join(ROOT, "node_modules", "clientpolicy-as-code", "dist", "cli", "main.js");
    const packaged = (env: NodeJS.ProcessEnv, ...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [bin, "report", "--dir", fleet.workDir, ...args], { env: { ...fleet.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (d) => (stdout += d));
        child.stderr!.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });

    it("a type error fails the run once, naming file and line, before any stack runs", async () => {
        const index = path.join(fleet.workDir, "index.ts");
        const good = fs.readFileSync(index, "utf8");
        const state = STACKS.map((s) => fs.readFileSync(fleet.stateFile(s)));
        fs.writeFileSync(path.join(fleet.workDir, "limits.ts"), "export const maxContacts: number = \"many\";\n");
        fs.writeFileSync(index, `import { maxContacts } from "./limits";\n${good}const n: string = maxContacts;\n`);
        try {
            const r = await report({ FLEET_PROBE_DIR: probe }, "--mode", "plan", "--all");
            assert.equal(r.code, 1, `exit 1 (the tool failed, no report):\n${r.stderr}`);
            const lines = r.stderr.split("\n");
            const at = (needle: string) => lines.filter((l) => l.includes(needle));
            assert.equal(at("limits.ts(1,14): error TS2322").length, 1, `the imported file's error once:\n${r.stderr}`);
            const last = good.split("\n").length + 1;
            assert.equal(at(`index.ts(${last},7): error TS2322`).length, 1, `the entry's error once, with its line:\n${r.stderr}`);
            assert.match(r.stderr, /does not type-check .*no stack was run/);
            assert.doesNotMatch(r.stderr, / started \(running:/, "no stack was started");
            assert.deepEqual(fs.readdirSync(probe), [], "no program ran");
            STACKS.forEach((s, i) => assert.ok(fs.readFileSync(fleet.stateFile(s)).equals(state[i]), `${s}: state untouched`));
        } finally {
            fs.writeFileSync(index, good);
            fs.rmSync(path.join(fleet.workDir, "limits.ts"));
        }
    });

    for (const [how, flags, said] of [
        ["in the report's process, side by side", [], /program index\.ts type-checked once .* stacks run its JavaScript in this process/],
        ["in a program process per stack (--program-process)", ["--program-process"], /program index\.ts type-checked once .* stacks run its compiled JavaScript \(\.clientpolicy/],
    ] as const) {
        it(`a program that type-checks runs as JavaScript ${how}: in the project folder, with its own stack's configuration, no TypeScript loaded, nothing left behind`, async () => {
            const before = fs.readdirSync(fleet.workDir).sort();
            const cwd = process.cwd();
            for (const f of fs.readdirSync(probe)) fs.rmSync(path.join(probe, f));
            // What a killed --program-process run leaves behind: removed by the next run, whatever its mode.
            const killed = path.join(fleet.workDir, ".clientpolicy", "run-killed");
            fs.mkdirSync(killed, { recursive: true });
            fs.writeFileSync(path.join(killed, "owner.pid"), `${spawnSync(process.execPath, ["-e", ""]).pid}\n`);
            // Both stacks at once: each run must see its own stack's configuration.
            const r = await packaged({ FLEET_PROBE_DIR: probe }, "--format", "json", "--mode", "plan", "--all", "--parallel", "2", ...flags);
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stderr, said);
            assert.match(r.stderr, /running: r1, r2|running: r2, r1/, "the stacks ran side by side");
            const project = fs.realpathSync(fleet.workDir);
            STACKS.forEach((s, i) => {
                const seen = JSON.parse(fs.readFileSync(path.join(probe, s), "utf8")) as Record<string, unknown>;
                // The stack trace's frame in the program: its TypeScript line (the inline source map), not the JavaScript's.
                const line = PROGRAM.split("\n").findIndex((l) => l.includes("new Error(\"where\")")) + 1;
                assert.match(String(seen.where), new RegExp(`index\\.ts:${line}:\\d+\\)?$`), `${s}: the program's frame ${seen.where} is line ${line} of index.ts`);
                delete seen.where;
                assert.deepEqual(seen, { typescript: null, tsNode: false, filename: path.join(project, "index.ts"), cwd: project, nextToIt: true, tenantId: fleetTenantId(i + 1) }, `${s}: how its program ran`);
            });
            assert.doesNotMatch(r.stdout, /program-console-line/, "the program's console output is not part of the report");
            assert.equal(JSON.parse(r.stdout).counts.clean, 2, "the report on stdout is whole JSON");
            assert.equal(process.cwd(), cwd);
            assert.deepEqual(fs.readdirSync(fleet.workDir).sort(), before, "nothing is left in the project folder");
        });
    }

    for (const [how, flags] of [["in the report's process", []], ["in a program process per stack", ["--program-process"]]] as const) {
        it(`an error thrown by a program's timer after its exports settle fails that stack, not the others (${how})`, async () => {
            const r = await packaged({ FLEET_LATE_ERROR: "r2" }, "--format", "json", "--mode", "drift", "--all", "--parallel", "2", ...flags);
            assert.equal(r.code, 3, `exit 3 (a tenant errored):\n${r.stderr}`);
            const json = JSON.parse(r.stdout) as { tenants: Array<{ stack: string; status: string; error?: { message: string } }> };
            const byStack = new Map(json.tenants.map((t) => [t.stack, t]));
            assert.equal(byStack.get("r1")?.status, "clean", JSON.stringify(byStack.get("r1")));
            assert.equal(byStack.get("r2")?.status, "error", JSON.stringify(byStack.get("r2")));
            assert.match(byStack.get("r2")!.error!.message, /late boom in r2/);
            assert.doesNotMatch(byStack.get("r2")!.error!.message, /One or more errors occurred|Unhandled exception/, "without the inline server's wrappers");
        });
    }

    for (const [how, flags] of [["in the report's process", []], ["in a program process per stack", ["--program-process"]]] as const) {
        it(`a program that throws: the stack's error is the message and where in the program it was thrown (${how})`, async () => {
            const r = await packaged({ FLEET_THROW: "r1" }, "--format", "json", "--mode", "drift", "--all", "--parallel", "2", ...flags);
            assert.equal(r.code, 3, `exit 3 (a tenant errored):\n${r.stderr}`);
            const json = JSON.parse(r.stdout) as { tenants: Array<{ stack: string; status: string; error?: { message: string } }> };
            const byStack = new Map(json.tenants.map((t) => [t.stack, t]));
            assert.equal(byStack.get("r2")?.status, "clean", JSON.stringify(byStack.get("r2")));
            const line = PROGRAM.split("\n").findIndex((l) => l.includes("FLEET_THROW")) + 1;
            assert.equal(byStack.get("r1")!.error!.message, `Error: thrown in r1\n(thrown at index.ts:${line})`);
        });
    }

    for (const [how, extra] of [["the report's process and each provider host", []], ["with --program-process, the program processes too", ["--program-process"]]] as const) {
        it(`the processes of a run accept each other's compile-cache entries (${how}): a second run rewrites none`, async () => {
            // The packaged bin: under the ts-node the other tests use, TypeScript is compiled into the cache before the
            // CLI's first line runs.
            const cache = tempDir("clientpolicy-fleet-ncc-");
            const run = () => packaged({ NODE_COMPILE_CACHE: cache }, "--format", "json", "--out", path.join(out, crypto.randomBytes(4).toString("hex")), "--mode", "drift", "--stacks", "r1", ...extra);
            try {
                const first = await run();
                assert.equal(first.code, 0, first.stderr);
                const before = snapshot(cache);
                assert.ok(before.size > 500, `the first run filled the cache (${before.size} entries)`);
                // In-process programs: the provider host (the only node process under the CLI) caches in a folder of
                // its own, without the V8 flag preload; program processes share the report's folder, with it
                // (cli/report/run.ts compileCacheEnv).
                const children = fs.existsSync(path.join(cache, CHILDREN_CACHE)) ? snapshot(path.join(cache, CHILDREN_CACHE)).size : 0;
                if (extra.length === 0) assert.ok(children > 100, `the provider host cached in ${CHILDREN_CACHE}/ (${children} entries)`);
                else assert.equal(children, 0, `program processes and provider hosts cache in the report's folder`);
                const second = await run();
                assert.equal(second.code, 0, second.stderr);
                const after = snapshot(cache);
                const rewritten = [...before].filter(([f, v]) => after.has(f) && after.get(f) !== v).map(([f]) => path.relative(cache, f));
                // One entry is still rewritten per `clientpolicy` run (not per stack; which module it is has not been
                // identified: the bin alone rewrites none). Processes that compile under different V8 flag hashes in
                // one folder reject each other's entries by the hundred on every stack.
                assert.ok(rewritten.length <= 1, `${rewritten.length} of ${before.size} entries rejected and rewritten by the second run: ${rewritten.slice(0, 5).join(", ")}`);
            } finally {
                fs.rmSync(cache, { recursive: true, force: true });
            }
        });
    }
});
