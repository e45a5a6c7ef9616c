/**
 * Documentation that runs. Every fenced block of README.md and docs/*.md whose info string says `runnable`
 * (```` ```sh runnable ````, or ```` ```ts runnable file=index.ts ````, which is written to that file in the current
 * folder) is run, in document order, as one bash script per document (`set -euo pipefail`: the first failing command
 * fails the test, naming its block). The script runs in a fresh home folder holding a git clone of this working tree
 * at `~/clientpolicy-as-code` with its packages installed and dist/ built (what the README asks for before the
 * recipe), the real Pulumi CLI on PATH, and nothing else: no backend, passphrase or tenant in the environment.
 * Shell, TypeScript and PowerShell blocks that are not runnable (the gateway needs Windows) are listed in the output.
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parsePolicyIdentity } from "../../api/identity";
import { readStoredTenants } from "../../emulator/sqliteStore";
import { snapshotRepository, tempDir, toolPath } from "../../testkit/projectFolder";
import { ROOT } from "../../testkit/stack";

/** One fenced block of a Markdown file. */
export interface DocBlock {
    file: string;
    line: number;
    lang: string;
    runnable: boolean;
    /** For a runnable TypeScript block: the file it is written to. */
    target?: string;
    body: string;
}

/** The key the emulator stores a policy under (`PolicyIdentity.key`). */
const keyOf = (identity: string) => (parsePolicyIdentity(identity) as { key: string }).key;

const CODE_LANGS = new Set(["sh", "bash", "shell", "ts", "typescript", "powershell", "ps1"]);

/** The fenced blocks of `text` (``` or ~~~ fences, three or more), with their 1-based opening line. */
export function fencedBlocks(file: string, text: string): DocBlock[] {
    const lines = text.split("\n");
    const blocks: DocBlock[] = [];
    for (let i = 0; i < lines.length; i++) {
        const open = /^(`{3,}|~{3,})\s*(\S*)\s*(.*)$/.exec(lines[i]);
        if (!open) continue;
        const fence = open[1];
        const start = i;
        const body: string[] = [];
        const closes = (line: string) => new RegExp(`^\\${fence[0]}{${fence.length},}\\s*$`).test(line);
        for (i++; i < lines.length && !closes(lines[i]); i++) body.push(lines[i]);
        const words = open[3].split(/\s+/).filter(Boolean);
        const target = words.find((w) => w.startsWith("file="))?.slice("file=".length);
        blocks.push({ file, line: start + 1, lang: open[2], runnable: words.includes("runnable"), target, body: body.join("\n") + "\n" });
    }
    return blocks;
}

/** The bash script that runs a document's runnable blocks in order; each block announces itself on stderr first. */
export function sessionScript(blocks: DocBlock[]): string {
    const parts = ["set -euo pipefail"];
    for (const b of blocks.filter((x) => x.runnable)) {
        parts.push(`printf '%s\\n' ${JSON.stringify(`::block ${b.file}:${b.line}`)} >&2`);
        if (b.lang === "ts" || b.lang === "typescript") {
            assert.ok(b.target, `${b.file}:${b.line}: a runnable TypeScript block needs file=<name>`);
            assert.ok(!b.body.includes("__DOC_BLOCK_END__"));
            parts.push(`cat > ${JSON.stringify(b.target)} <<'__DOC_BLOCK_END__'\n${b.body}__DOC_BLOCK_END__`);
        } else {
            assert.ok(["sh", "bash", "shell"].includes(b.lang), `${b.file}:${b.line}: runnable blocks are sh or ts, not ${b.lang}`);
            parts.push(b.body);
        }
    }
    return parts.join("\n") + "\n";
}

function documents(): string[] {
    const docs = fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`);
    return ["README.md", ...docs.sort()];
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): void {
    const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
}

/** Runs `script` with bash in its own process group; kills what it left running (the emulator) afterwards. */
function runSession(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string; lastBlock: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn("bash", ["-c", script], { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        let lastBlock = "(none)";
        const echo = !!process.env.E2E_VERBOSE;
        child.stdout.on("data", (d: Buffer) => { output += d; if (echo) process.stdout.write(d); });
        child.stderr.on("data", (d: Buffer) => {
            const text = d.toString();
            for (const m of text.matchAll(/^::block (.+)$/gm)) lastBlock = m[1];
            output += text;
            if (echo) process.stderr.write(d);
        });
        child.on("error", reject);
        // The emulator a document starts in the background keeps stderr open: stop the group when bash exits.
        child.on("exit", () => { try { process.kill(-child.pid!, "SIGTERM"); } catch { /* the group is gone */ } });
        child.on("close", (code) => resolve({ code, output, lastBlock }));
    });
}

describe("e2e: the documentation's runnable blocks run as written", function () {
    this.timeout(1_800_000);
    let work: string;
    let home: string;
    let env: NodeJS.ProcessEnv;

    before(() => {
        work = tempDir("clientpolicy-docs-");
        home = path.join(work, "home");
        fs.mkdirSync(home);
        // The clone the README asks for: a git clone of the working tree, packages installed, dist/ built.
        const repo = snapshotRepository(work);
        const clone = path.join(home, "clientpolicy-as-code");
        run("git", ["clone", "-q", `file://${repo}`, clone], work);
        run("cp", ["-al", path.join(ROOT, "node_modules"), path.join(clone, "node_modules")], work);
        run(path.join(ROOT, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], clone, { ...process.env, PATH: toolPath() });
        const npmCache = spawnSync("npm", ["config", "get", "cache"], { encoding: "utf8", env: { ...process.env, PATH: toolPath() } }).stdout.trim();
        // The machine's environment (proxy and CA settings included) minus everything that would stand in for a step
        // of the documentation: no backend, passphrase, tenant connection or Pulumi home of this repository.
        env = { ...process.env };
        for (const key of Object.keys(env)) {
            if (/^(PULUMI_|CLIENTPOLICY_|npm_)/.test(key)) delete env[key];
        }
        // `pulumi login --local` means file://~, and Pulumi expands `~` with the account's home from the password
        // database (os/user), not $HOME: as written, the session's stacks would land in the real ~/.pulumi of whoever
        // runs the tests, and a second run would meet them ("stack 'organization/offline-im/dev' already exists").
        // A `pulumi` ahead on PATH gives `login --local` its meaning for this stand-in home; everything else passes.
        const shim = path.join(work, "shim");
        fs.mkdirSync(shim);
        const realPulumi = spawnSync("sh", ["-c", "command -v pulumi"], { encoding: "utf8", env: { ...process.env, PATH: toolPath() } }).stdout.trim();
        fs.writeFileSync(path.join(shim, "pulumi"), [
            "#!/bin/sh",
            `if [ "$#" -eq 2 ] && [ "$1" = login ] && [ "$2" = --local ]; then exec '${realPulumi}' login "file://$HOME"; fi`,
            `exec '${realPulumi}' "$@"`, "",
        ].join("\n"), { mode: 0o755 });
        Object.assign(env, {
            PATH: `${shim}${path.delimiter}${toolPath()}`,
            HOME: home,
            TMPDIR: work,
            PULUMI_HOME: path.join(home, ".pulumi"),
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            NO_COLOR: "1",
            // npm's cache of the machine (packages the repository's install fetched), preferred over the registry.
            npm_config_cache: npmCache,
            npm_config_prefer_offline: "true",
            npm_config_audit: "false",
            npm_config_fund: "false",
            npm_config_update_notifier: "false",
        });
    });
    after(() => { if (work && !process.env.E2E_KEEP) fs.rmSync(work, { recursive: true, force: true }); });

    it("lists the blocks that are not run here", () => {
        const skipped: string[] = [];
        for (const doc of documents()) {
            for (const b of fencedBlocks(doc, fs.readFileSync(path.join(ROOT, doc), "utf8"))) {
                if (!b.runnable && CODE_LANGS.has(b.lang)) skipped.push(`${b.file}:${b.line} (${b.lang})`);
            }
        }
        console.log(`      not run here (${skipped.length} blocks): ${skipped.join(", ")}`);
        assert.ok(fencedBlocks("README.md", fs.readFileSync(path.join(ROOT, "README.md"), "utf8")).some((b) => b.runnable));
    });

    it("docs/*.md: each document's runnable blocks in a session of their own (docs/emulator.md: the emulator from a clone, drift by hand)", async () => {
        const ran: string[] = [];
        for (const doc of documents().filter((d) => d !== "README.md")) {
            const blocks = fencedBlocks(doc, fs.readFileSync(path.join(ROOT, doc), "utf8"));
            if (!blocks.some((b) => b.runnable)) continue;
            const r = await runSession(sessionScript(blocks), home, env);
            assert.equal(r.code, 0, `the block at ${r.lastBlock} failed (exit ${r.code}):\n${r.output.slice(-6000)}`);
            ran.push(doc);
        }
        console.log(`      ran: ${ran.join(", ")}`);
        assert.ok(ran.includes("docs/emulator.md"));
        // The drift made through the PowerShell endpoint is in the tenant (the emulator stopped: read its database).
        const contoso = readStoredTenants(path.join(home, "emulator-drift")).find((t) => t.id === "contoso.example")!;
        const global = contoso.policies[keyOf("Global")];
        assert.ok(global, `Global among ${Object.keys(contoso.policies).join(", ")}`);
        assert.equal(global.settings.EnableURL, true);
        assert.equal(global.settings.MaximumNumberOfContacts, 250);
    });

    it("README.md: the own-tenant recipe from an empty folder to `pulumi up`, then examples/quickstart in place", async () => {
        const blocks = fencedBlocks("README.md", fs.readFileSync(path.join(ROOT, "README.md"), "utf8"));
        const started = Date.now();
        const r = await runSession(sessionScript(blocks), home, env);
        assert.equal(r.code, 0, `the block at ${r.lastBlock} failed (exit ${r.code}):\n${r.output.slice(-6000)}`);
        console.log(`      README.md session: ${((Date.now() - started) / 1000).toFixed(0)} s`);
        assert.ok(fs.existsSync(path.join(home, ".pulumi", "stacks", "offline-im")), "the recipe's stack is in the stand-in home's ~/.pulumi");

        // What the tenants hold now (the emulator stopped: read its database).
        const tenants = new Map(readStoredTenants(path.join(home, "emulator-data")).map((t) => [t.id, t]));
        const contoso = tenants.get("contoso.example")!;
        assert.equal(contoso.policies[keyOf("Global")].settings.EnableIMAutoArchiving, false);
        assert.equal(contoso.policies[keyOf("Tag:OfflineIM")].settings.EnableIMAutoArchiving, false);
        const granted = contoso.users.filter((u) => u.clientPolicy === "OfflineIM").map((u) => u.displayName).sort();
        assert.deepEqual(granted, ["Ken Myer", "Pilar Ackerman", "Tony Smith"]);
        // examples/quickstart, run in place in the clone: Global's offline IM off, Tony Smith granted.
        const fabrikam = tenants.get("fabrikam.example")!;
        assert.equal(fabrikam.policies[keyOf("Global")].settings.EnableIMAutoArchiving, false);
        assert.deepEqual(fabrikam.users.filter((u) => u.clientPolicy === "OfflineIM").map((u) => u.displayName), ["Tony Smith"]);
        assert.match(r.output, /sip:tony\.smith@fabrikam\.example/, "pulumi stack output grantedTo");
        const installed = path.join(home, "clientpolicy-as-code", "examples", "quickstart", "node_modules", "clientpolicy-as-code");
        assert.ok(!fs.lstatSync(installed).isSymbolicLink(), "the example installs a real copy of the package");

        // The recipe's program with a typo, then with a bad enum value: the compiler stops preview, naming each.
        const project = path.join(home, "offline-im");
        const program = fs.readFileSync(path.join(project, "index.ts"), "utf8");
        const preview = (edited: string) => {
            assert.notEqual(edited, program);
            fs.writeFileSync(path.join(project, "index.ts"), edited);
            const p = spawnSync("pulumi", ["preview"], { cwd: project, env: { ...env, PULUMI_CONFIG_PASSPHRASE: "choose a passphrase" }, encoding: "utf8" });
            assert.notEqual(p.status, 0);
            return p.stdout + p.stderr;
        };
        assert.match(preview(program.replace("enableIMAutoArchiving: false }", "enableIMAutoArchving: false }")),
            /index\.ts\(4,\d+\): error TS2561: [^\n]*'enableIMAutoArchving'/);
        assert.match(preview(program.replace("enableIMAutoArchiving: false }", `enableIMAutoArchiving: false, displayPhoto: "Some" }`)),
            /index\.ts\(4,\d+\): error TS2322: Type '"Some"' is not assignable/);
    });
});
