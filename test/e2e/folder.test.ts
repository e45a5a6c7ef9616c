/**
 * Every folder of examples/ run as users run it: copied to a temp folder, the
 * package installed into it with `npm install` (packed from a git clone whose
 * `prepare` script built dist/), and plain `pulumi` commands in that folder. The
 * CLI starts tools/pulumi-language-nodejs, which runs the program with
 * @pulumi/pulumi's `cmd/run`, compiling TypeScript with ts-node.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { TestTenant, startTenant, getPolicy, assignmentOf, assignmentCount } from "./helpers";
import {
    folderEnv, installExample, packFromGit, pulumiIn, PulumiResult, snapshotRepository, tarballFiles, tempDir,
} from "../../testkit/projectFolder";

const execFileAsync = promisify(execFile);

/** Fails with the command's whole output when it did not exit 0. */
function ok(r: PulumiResult, what: string): PulumiResult {
    assert.equal(r.code, 0, `${what} exited ${r.code}:\n${r.output}`);
    return r;
}

/** Times of the slow steps, printed at the end (the e2e tier's budget matters on CI). */
const timings: string[] = [];
async function timed<T>(label: string, f: () => T | Promise<T>): Promise<T> {
    const start = Date.now();
    try {
        return await f();
    } finally {
        timings.push(`${label}: ${((Date.now() - start) / 1000).toFixed(1)}s`);
    }
}

describe("e2e: examples run with plain pulumi commands in their folder", function () {
    this.timeout(900_000);
    let tenant: TestTenant;
    let work: string;
    let tarball: string;

    before(async () => {
        work = tempDir("clientpolicy-folder-");
        const repo = snapshotRepository(work);
        tarball = await timed("git clone + prepare + npm pack", () => packFromGit(`file://${repo}`, work));
    });
    // A tenant per test, so that a failed test leaves no owned policies behind for the next one.
    beforeEach(async () => { tenant = await startTenant({ users: 5000 }); });
    afterEach(async () => { await tenant?.stop(); });
    after(async () => {
        if (work) fs.rmSync(work, { recursive: true, force: true });
        if (timings.length) console.log(`      timings: ${timings.join(", ")}`);
    });

    it("the package built by prepare in a fresh clone holds dist/ and only what `files` lists", () => {
        const files = tarballFiles(tarball);
        for (const f of ["package/package.json", "package/dist/provider/index.js", "package/dist/provider/index.d.ts", "package/dist/api/catalogue.js"]) {
            assert.ok(files.includes(f), `${f} missing from the tarball`);
        }
        const stray = files.filter((f) => /^package\/(test|emulator|provider|api|scripts|tools|examples|dist\/emulator)\//.test(f));
        assert.deepEqual(stray, [], "sources, tests and the emulator stay out of the package");
    });

    /** A project folder for `example` with its own backend, and a bound `pulumi` runner. */
    async function project(example: string) {
        const dir = await timed(`install ${example}`, () => installExample(example, tarball, work));
        const backend = path.join(work, `${example}-backend`);
        fs.mkdirSync(backend);
        const env = folderEnv(backend);
        const pulumi = pulumiIn(dir, env);
        const connect = async (stack: string, keys: { tenantId?: boolean } = { tenantId: true }) => {
            ok(await pulumi("config", "set", "--stack", stack, "clientpolicy:endpoint", tenant.url), "config set endpoint");
            if (keys.tenantId) {
                ok(await pulumi("config", "set", "--stack", stack, "clientpolicy:tenantId", tenant.tenantId), "config set tenantId");
                ok(await pulumi("config", "set", "--stack", stack, "clientpolicy:clientId", tenant.clientId), "config set clientId");
            }
            // The value goes on stdin, never on the command line.
            ok(await pulumi.withStdin(tenant.clientSecret, "config", "set", "--stack", stack, "--secret", "clientpolicy:clientSecret"), "config set --secret");
        };
        return { dir, env, pulumi, connect };
    }

    it("quickstart: stack init, config (secret encrypted), preview --diff, up, outputs, refresh, about, destroy", async () => {
        const { dir, pulumi, connect } = await project("quickstart");
        ok(await pulumi("stack", "init", "dev"), "stack init");
        await connect("dev");
        const settings = fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8");
        assert.match(settings, /clientpolicy:clientSecret:\s*\n\s*secure: /);
        assert.ok(!settings.includes(tenant.clientSecret), "the secret is stored encrypted");
        const shown = ok(await pulumi("config"), "config");
        assert.match(shown.stdout, /clientpolicy:clientSecret\s+\[secret\]/);

        const writesBefore = (await tenant.stats()).writes;
        const preview = ok(await timed("quickstart preview", () => pulumi("preview", "--diff")), "preview --diff");
        assert.match(preview.stdout, /\+ pulumi-nodejs:dynamic\/clientpolicy:ClientPolicy: \(create\)/);
        assert.match(preview.stdout, /identity\s*: "Tag:OfflineIM"/);
        // The program's 4 objects and the stack's StackInstance (owner ids follow the stack through renames and moves).
        assert.match(preview.stdout, /\+ pulumi-nodejs:dynamic\/clientpolicy:StackInstance: \(create\)/);
        assert.match(preview.stdout, /5 to create/);
        assert.equal((await tenant.stats()).writes, writesBefore, "a preview writes nothing");

        const up = ok(await timed("quickstart up", () => pulumi("up", "--yes")), "up");
        assert.match(up.stdout, /5 created/);
        assert.ok(!up.output.includes(tenant.clientSecret), "the secret never appears in output");
        assert.equal((await getPolicy(tenant, "Global"))!.EnableIMAutoArchiving, false);
        assert.equal((await getPolicy(tenant, "Tag:OfflineIM"))!.Description, "No offline IM archiving");
        assert.equal(await assignmentOf(tenant, "sip:tony.smith@contoso.example"), "OfflineIM");

        const outputs = JSON.parse(ok(await pulumi("stack", "output", "--json"), "stack output").stdout);
        assert.equal(outputs.globalArchiving, false);
        assert.equal(outputs.offlinePolicy, "Tag:OfflineIM");
        assert.match(JSON.stringify(outputs.grantedTo), /sip:tony\.smith@contoso\.example/);
        assert.equal(ok(await pulumi("stack", "output", "offlinePolicy"), "stack output offlinePolicy").stdout.trim(), "Tag:OfflineIM");

        // Drift made by an administrator: refresh sees it, preview --diff shows it, up repairs it.
        await tenant.powershell("Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $True");
        ok(await pulumi("refresh", "--yes"), "refresh");
        const drift = await pulumi("preview", "--diff", "--expect-no-changes");
        assert.notEqual(drift.code, 0, "--expect-no-changes fails when there is drift");
        assert.match(drift.stdout, /enableIMAutoArchiving\s*: true => false/);
        ok(await pulumi("up", "--yes"), "up after drift");
        assert.equal((await getPolicy(tenant, "Global"))!.EnableIMAutoArchiving, false);
        ok(await pulumi("preview", "--diff", "--expect-no-changes"), "preview after repair");

        const about = ok(await pulumi("about"), "about");
        assert.match(about.stdout, /language\s+nodejs\s+3\.274\.1/);
        assert.match(about.stdout, /This project is written in nodejs: executable='[^']*node' version='v22\.[^']*'.*packagemanager='npm'/);
        assert.match(about.stdout, /clientpolicy-as-code\s+0\.1\.0/);
        assert.match(about.stdout, /@pulumi\/pulumi\s+3\.270\.0/);

        ok(await timed("quickstart destroy", () => pulumi("destroy", "--yes")), "destroy");
        assert.equal(await getPolicy(tenant, "Tag:OfflineIM"), undefined);
        assert.equal(await assignmentOf(tenant, "Tony Smith"), null);
        assert.equal((await getPolicy(tenant, "Global"))!.EnableIMAutoArchiving, true);

        // A program error: non-zero exit, and the message names the file and line.
        const index = path.join(dir, "index.ts");
        const program = fs.readFileSync(index, "utf8");
        const lines = program.split("\n").length;
        fs.writeFileSync(index, `${program}\nthrow new Error("tenant list is empty");\n`);
        const broken = await pulumi("preview");
        assert.notEqual(broken.code, 0);
        assert.match(broken.output, /tenant list is empty/);
        assert.match(broken.output, new RegExp(`index\\.ts:${lines + 1}\\b`), broken.output);

        // A failed check(): non-zero exit with the provider's message, nothing sent to the tenant.
        const invalidProgram = program.replace(`enableIMAutoArchiving: false,\n    description`, `enableIMAutoArchiving: false,\n    maximumNumberOfContacts: 5000,\n    description`);
        assert.notEqual(invalidProgram, program);
        fs.writeFileSync(index, invalidProgram);
        const before = await tenant.stats();
        const invalid = await pulumi("up", "--yes");
        assert.notEqual(invalid.code, 0);
        assert.match(invalid.output, /maximumNumberOfContacts\b[^\n]*must be an integer 0–1000, got 5000/);
        assert.equal((await tenant.stats()).writes, before.writes);
        fs.writeFileSync(index, program);
        ok(await pulumi("destroy", "--yes"), "destroy after the failed up");
        ok(await pulumi("stack", "rm", "--yes"), "stack rm");
    });

    it("bulk-grant: config from the command line, thousands of users granted and unassigned", async () => {
        const { pulumi, connect } = await project("bulk-grant");
        ok(await pulumi("stack", "init", "dev"), "stack init");
        await connect("dev");
        const up = ok(await timed("bulk-grant up", () => pulumi("up", "--yes")), "up");
        assert.match(up.stdout, /grantedCount\s*: 3000/);
        assert.equal(await assignmentCount(tenant, "Tag:NoOfflineIM"), 3000);
        ok(await pulumi("config", "set", "bulk-grant:limit", "2500"), "config set limit");
        const trimmed = ok(await pulumi("up", "--yes"), "up with a limit");
        assert.match(trimmed.stdout, /1 updated/);
        assert.equal(await assignmentCount(tenant, "Tag:NoOfflineIM"), 2500);
        assert.equal(JSON.parse(ok(await pulumi("stack", "output", "--json"), "stack output").stdout).grantedCount, 2500);
        ok(await pulumi("destroy", "--yes"), "destroy");
        assert.equal(await getPolicy(tenant, "Tag:NoOfflineIM"), undefined);
    });

    it("multi-tenant: three stacks (contoso, fabrikam, northwind) from one folder, each its committed settings file + baseline.yaml + tenants/<stack>.yaml", async () => {
        // A smaller directory than beforeEach's: this test deploys three tenants (contoso, fabrikam, northwind).
        await tenant.stop();
        tenant = await startTenant({ users: 5 });
        const { dir, env, pulumi, connect } = await project("multi-tenant");
        const at = (name: string): TestTenant => ({ ...tenant, tenantId: `${name}.example`, token: () => tenant.tokenFor(`${name}.example`) });
        for (const name of ["contoso", "fabrikam", "northwind"]) {
            ok(await pulumi("stack", "init", name), `stack init ${name}`);
            await connect(name, { tenantId: false });
            const up = ok(await timed(`multi-tenant up ${name}`, () => pulumi("up", "--yes", "--stack", name)), `up ${name}`);
            assert.match(up.stdout, new RegExp(`tenantId\\s*: "${name}\\.example"`));
            // The component's children carry stable names derived from identities.
            assert.match(up.stdout, /clientpolicy:index:TenantPolicies/);
        }
        assert.equal((await getPolicy(at("contoso"), "Tag:LegalHold"))!.DisableSavingIM, true);
        assert.equal(await assignmentOf(at("contoso"), "Tony Smith"), "OfflineIM");
        assert.equal((await getPolicy(at("fabrikam"), "Global"))!.MaximumNumberOfContacts, 500);
        assert.equal(await assignmentOf(at("fabrikam"), "Tony Smith"), "Contractors");
        assert.equal(await getPolicy(at("northwind"), "Tag:OfflineIM"), undefined);
        assert.equal(await assignmentOf(at("northwind"), "Kiosk Lobby"), "Kiosk");
        // The README's fleet report, run in the folder with the package's own bin, exactly as written there.
        const report = await timed("multi-tenant report", () => execFileAsync("npx", ["--no-install", "clientpolicy", "report", "--mode", "drift", "--all", "--format", "md", "--out", "report/"],
            { cwd: dir, env, encoding: "utf8" }).then((r) => ({ code: 0, ...r }), (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" })));
        assert.equal(report.code, 0, `npx --no-install clientpolicy report exited ${report.code}:\n${report.stderr}`);
        assert.match(fs.readFileSync(path.join(dir, "report", "report.md"), "utf8"), /^\| 3 \| 3 \| 0 \| 0 \| 0 \|/m, "3 tenants, 3 clean");
        assert.match(fs.readFileSync(path.join(dir, ".gitignore"), "utf8"), /^report\/$/m, "the report folder is not committed");
        for (const name of ["contoso", "fabrikam", "northwind"]) {
            ok(await pulumi("preview", "--diff", "--expect-no-changes", "--stack", name), `preview ${name}`);
            ok(await pulumi("destroy", "--yes", "--stack", name), `destroy ${name}`);
            assert.equal((await getPolicy(at(name), "Global"))!.EnableIMAutoArchiving, true);
        }
    });
});
