/**
 * `clientpolicy config show` and `clientpolicy convert` as users run them: the real command in a child process
 * (cli/main.ts through ts-node), checking stdout, stderr, exit codes and written files. No tenant is involved: both
 * read files only.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseConfigFile } from "../../../provider/tenantConfig";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const EXAMPLE = path.join(REPO_ROOT, "examples", "multi-tenant");

interface Run { code: number; stdout: string; stderr: string }

/** Runs `clientpolicy <args>` in `cwd`. */
function clientpolicy(args: string[], cwd = REPO_ROOT): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(REPO_ROOT, "cli", "main.ts"), ...args],
            { cwd, env: { ...process.env, TS_NODE_PROJECT: path.join(REPO_ROOT, "tsconfig.json") }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
}

describe("clientpolicy config show / convert (child process)", function () {
    this.timeout(120_000);
    let dir: string;
    before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp-config-convert-")); });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("config show --help documents the stack, --dir, --format and the exit codes", async () => {
        const r = await clientpolicy(["config", "show", "--help"]);
        assert.equal(r.code, 0);
        assert.match(r.stdout, /Usage: clientpolicy config show \[options\] <stack>/);
        assert.match(r.stdout, /--dir <dir>/);
        assert.match(r.stdout, /--format <format>.*"yaml", "json"/s);
        assert.match(r.stdout, /Exit codes: 0 printed; 1/);
    });

    it("config show prints the merged declaration with provenance (yaml) for each of the example's three tenants", async () => {
        const fabrikam = await clientpolicy(["config", "show", "fabrikam", "--dir", EXAMPLE]);
        assert.equal(fabrikam.code, 0, fabrikam.stderr);
        assert.match(fabrikam.stdout, /# baseline, changed by the tenant file \(changed: enableIMAutoArchiving, maximumNumberOfContacts, tracingLevel; unset: displayPhoto\)\n  - identity: Global/);
        assert.match(fabrikam.stdout, /maximumNumberOfContacts: 500 # tenant/);
        assert.match(fabrikam.stdout, /# from the baseline\n  - identity: Tag:OfflineIM/);
        assert.match(fabrikam.stdout, /# added by the tenant file\n  - identity: Tag:Contractors/);
        assert.match(fabrikam.stdout, /# removed from the baseline:\n#   grant Tag:OfflineIM: tenant file remove\.grants\[0\]/);
        // The printed YAML is itself a valid tenant file.
        assert.ok(parseConfigFile(fabrikam.stdout, "shown.yaml", "tenant").ok);

        const northwind = await clientpolicy(["config", "show", "northwind"], EXAMPLE);
        assert.equal(northwind.code, 0, northwind.stderr);
        assert.match(northwind.stdout, /#   policy Tag:OfflineIM: tenant file remove\.policies\[0\]\n#   grant Tag:OfflineIM: its policy was removed/);
        const contoso = await clientpolicy(["config", "show", "contoso", "--dir", EXAMPLE, "--format", "json"]);
        assert.equal(contoso.code, 0, contoso.stderr);
        const json = JSON.parse(contoso.stdout);
        assert.equal(json.stack, "contoso");
        assert.deepEqual(json.declaration.policies.map((p: { identity: string }) => p.identity), ["Global", "Tag:OfflineIM", "Tag:LegalHold"]);
        assert.deepEqual(json.items.map((i: { origin: string }) => i.origin), ["baseline", "baseline", "addition", "baseline", "addition"]);
    });

    it("config show: every problem of both files on stderr at once, exit 1, nothing on stdout, no stack trace", async () => {
        const repo = path.join(dir, "repo");
        fs.mkdirSync(path.join(repo, "tenants"), { recursive: true });
        fs.writeFileSync(path.join(repo, "baseline.yaml"), "policies:\n  - identity: Global\n    settings:\n      displayPhoto: Some\n");
        fs.writeFileSync(path.join(repo, "tenants", "t1.yaml"), "policies:\n  - identity: Tag:X\n    settings: { enableIMAutoArchving: true }\ngrants:\n  - policy: X\n    users: [a]\n  - policy: X\n    users: [b]\n");
        const r = await clientpolicy(["config", "show", "t1", "--dir", repo]);
        assert.equal(r.code, 1);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /^error: invalid tenant configuration \(3 problems\):/);
        assert.match(r.stderr, /baseline\.yaml:4:7: policies\[0\]\.settings\.displayPhoto: must be one of "NoPhoto", "PhotosFromADOnly", "AllPhotos", got "Some"/);
        assert.match(r.stderr, /t1\.yaml:3:17: policies\[0\]\.settings\.enableIMAutoArchving: is not a client policy setting; did you mean "enableIMAutoArchiving"\?/);
        assert.match(r.stderr, /t1\.yaml:7:5: grants\[1\]\.policy: grants Tag:X again \(first at grants\[0\]\)/);
        assert.doesNotMatch(r.stderr, /\n\s+at /);

        const syntax = path.join(repo, "tenants", "t2.yaml");
        fs.writeFileSync(syntax, "policies:\n  - identity: Global\n    settings: {displayPhoto: NoPhoto\n");
        const s = await clientpolicy(["config", "show", "t2", "--dir", repo]);
        assert.equal(s.code, 1);
        assert.match(s.stderr, /t2\.yaml:\d+:\d+: \(syntax\): YAML syntax: /);

        const missing = await clientpolicy(["config", "show", "nobody", "--dir", repo]);
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /tenants\/nobody\.yaml: \(file\): not found; expected the tenant file here/);
        const badFormat = await clientpolicy(["config", "show", "t1", "--format", "xml"]);
        assert.equal(badFormat.code, 1);
        assert.match(badFormat.stderr, /--format <format>' argument 'xml' is invalid/);
    });

    it("convert --help documents the formats and exit codes 0, 2 and 1", async () => {
        const r = await clientpolicy(["convert", "--help"]);
        assert.equal(r.code, 0);
        assert.match(r.stdout, /Usage: clientpolicy convert \[options\] <script>/);
        assert.match(r.stdout, /0 {2}every command line was converted/);
        assert.match(r.stdout, /2 {2}some lines were not converted/);
        assert.match(r.stdout, /1 {2}the tool failed/);
    });

    it("convert: the seed article exits 2, names line 3 and suggests the corrected Grant line; the YAML is written", async () => {
        const script = path.join(dir, "article.ps1");
        fs.writeFileSync(script, [
            "# The offline-IM article",
            "Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $False",
            "New-CsClientPolicy -Identity OfflineIM -EnableIMAutoArchiving $False",
            'Grant -CsClientPolicy -Identity "Tony Smith" - PolicyName OfflineIM',
            "",
        ].join("\r\n"));
        const out = path.join(dir, "article.yaml");
        const r = await clientpolicy(["convert", script, "--out", out]);
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /article\.ps1:4:1: not converted: unknown command "Grant"/);
        assert.match(r.stderr, /suggested: Grant-CsClientPolicy -Identity "Tony Smith" -PolicyName OfflineIM/);
        assert.match(r.stderr, /2 of 3 command lines converted; 1 problem \(exit 2\)/);
        const yaml = fs.readFileSync(out, "utf8");
        assert.match(yaml, /^# converted from .*article\.ps1 by clientpolicy convert: 2 of 3 command lines\n# NOT converted/);
        const parsed = parseConfigFile(yaml, out, "tenant");
        assert.ok(parsed.ok);
        assert.deepEqual(parsed.file.policies.map((p) => p.identity), ["Global", "Tag:OfflineIM"]);

        fs.writeFileSync(script, fs.readFileSync(script, "utf8").replace('Grant -CsClientPolicy -Identity "Tony Smith" - PolicyName', 'Grant-CsClientPolicy -Identity "Tony Smith" -PolicyName'));
        const fixed = await clientpolicy(["convert", script, "--format", "ts"]);
        assert.equal(fixed.code, 0, fixed.stderr);
        assert.match(fixed.stdout, /import \* as cp from "clientpolicy-as-code";/);
        assert.match(fixed.stdout, /new cp\.PolicyGrant\("grant-offlineim", \{\n {4}policyName: tagOfflineimPolicy\.identity,\n {4}users: \["Tony Smith"\],/);
        assert.match(fixed.stderr, /3 of 3 command lines converted\n$/);
    });

    it("convert: a missing script and a bad --format are exit 1 with the file or flag named", async () => {
        const r = await clientpolicy(["convert", path.join(dir, "nope.ps1")]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^error: .*nope\.ps1: no such file; expected a PowerShell script \(\.ps1\)\n$/);
        const f = await clientpolicy(["convert", path.join(dir, "nope.ps1"), "--format", "json"]);
        assert.equal(f.code, 1);
        assert.match(f.stderr, /argument 'json' is invalid/);
    });
});
