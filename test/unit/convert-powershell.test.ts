/**
 * `clientpolicy convert` reads scripts as PowerShell does (api/powershell/tokenizer.ts): what sits in a comment stays
 * out, a backtick continues a line only directly before the line break, typographic dashes and quotes (as Microsoft's
 * Lync and Skype for Business pages print them) are dashes and quotes; statements that change nothing in a tenant are
 * noted, not counted as problems; a user query piped into Grant-CsClientPolicy is explained.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { convertScript } from "../../cli/convert/convert";
import { runConvert } from "../../cli/commands/convert";

describe("convert: reads the script as PowerShell does", () => {
    it("commands inside <# … #> stay out: a grant the author disabled does not come out live", () => {
        const r = convertScript([
            "New-CsClientPolicy -Identity OfflineIM -EnableIMAutoArchiving $False",
            "<# disabled until the pilot ends:",
            'Grant-CsClientPolicy -Identity "Ken Myer" -PolicyName OfflineIM',
            "#>",
            'Grant-CsClientPolicy -Identity "Tony Smith" -PolicyName OfflineIM <# inline #> # and a line comment',
        ].join("\n"));
        assert.deepEqual(r.problems, []);
        assert.deepEqual(r.declaration.grants, [{ policy: "Tag:OfflineIM", users: ["Tony Smith"] }]);
        assert.equal(r.commands, 2);
        assert.ok(r.notes.some((n) => n.line === 2 && /commented out/.test(n.message)), JSON.stringify(r.notes));
    });

    it("a backtick followed by a space is not a line continuation: the next line's grant is its own statement", () => {
        const r = convertScript([
            "New-CsClientPolicy -Identity OfflineIM",
            'Grant-CsClientPolicy -Identity "Ken Myer" -PolicyName OfflineIM ` ',
            'Grant-CsClientPolicy -Identity "Tony Smith" -PolicyName OfflineIM',
        ].join("\n"));
        assert.deepEqual(r.problems, []);
        assert.deepEqual(r.declaration.grants, [{ policy: "Tag:OfflineIM", users: ["Ken Myer", "Tony Smith"] }]);
    });

    it("en dashes, em dashes and typographic quotes are valid PowerShell: no forgotten-dash complaint", () => {
        const r = convertScript([
            "Set-CsClientPolicy \u2013Identity Global \u2013EnableIMAutoArchiving $False",
            "New-CsClientPolicy \u2014Identity \u201cOfflineIM\u201d \u2015Description \u2018Ken\u2019\u2019s pilot\u2019",
            "Grant-CsClientPolicy \u2013Identity \u201cKen Myer\u201d \u2013PolicyName \u2018OfflineIM\u2019",
        ].join("\r\n"));
        assert.deepEqual(r.problems, []);
        assert.deepEqual(r.declaration, {
            policies: [
                { identity: "Global", settings: { enableIMAutoArchiving: false } },
                { identity: "Tag:OfflineIM", description: "Ken\u2019s pilot", settings: {} },
            ],
            grants: [{ policy: "Tag:OfflineIM", users: ["Ken Myer"] }],
        });
    });

    it("module imports, preference variables, Write-Host and comments are neutral: noted, exit 0", () => {
        const script = [
            "# Turn off IM archiving for the pilot",
            "Import-Module SkypeForBusiness",
            "Import-Module Lync",
            '$ErrorActionPreference = "Stop"',
            "Set-StrictMode -Version Latest",
            "Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $False | Out-Null",
            'Write-Host "Done."; Write-Host \u201cDone.\u201d',
        ].join("\n");
        const r = convertScript(script);
        assert.deepEqual(r.problems, []);
        assert.equal(r.commands, 1);
        assert.equal(r.converted, 1);
        assert.deepEqual(r.notes.map((n) => n.line), [2, 3, 4, 5, 6, 7, 7]);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "convert-neutral-"));
        const file = path.join(dir, "pilot.ps1");
        fs.writeFileSync(file, script);
        const write = process.stdout.write.bind(process.stdout);
        const writeErr = process.stderr.write.bind(process.stderr);
        let err = "";
        process.stdout.write = (() => true) as typeof process.stdout.write;
        process.stderr.write = ((chunk: string) => { err += chunk; return true; }) as typeof process.stderr.write;
        let code: number;
        try {
            code = runConvert(file, { format: "yaml" });
        } finally {
            process.stdout.write = write;
            process.stderr.write = writeErr;
            fs.rmSync(dir, { recursive: true, force: true });
        }
        assert.equal(code, 0, err);
        assert.match(err, /pilot\.ps1:2: note: Import-Module loads the cmdlets: nothing to declare/);
    });

    it("Write-Host with a subexpression is not neutral (it could run anything)", () => {
        const r = convertScript('Write-Host "removed: $(Remove-CsClientPolicy -Identity Tag:Old)"');
        assert.equal(r.problems.length, 1);
        assert.equal(r.converted, 0);
    });

    it("Get-CsUser … | Grant-CsClientPolicy is explained: which query chose the users and how to list them", () => {
        const r = convertScript([
            "New-CsClientPolicy -Identity OfflineIM",
            'Get-CsUser -OU "ou=Sales,dc=contoso,dc=com" | Grant-CsClientPolicy \u2013PolicyName OfflineIM',
        ].join("\n"));
        assert.equal(r.problems.length, 1);
        const [p] = r.problems;
        assert.equal(p.line, 2);
        assert.doesNotMatch(p.reason, /unknown command/);
        assert.match(p.reason, /users come from a query \(Get-CsUser -OU "ou=Sales,dc=contoso,dc=com"\)/);
        assert.match(p.reason, /Get-CsUser -OU "ou=Sales,dc=contoso,dc=com" \| Select-Object -ExpandProperty SipAddress/);
        assert.match(p.reason, /policy OfflineIM/);
        assert.deepEqual(r.declaration.grants, []);
    });

    it("an unterminated string: the lines before it are converted, the rest is one problem naming where it starts", () => {
        const r = convertScript("Set-CsClientPolicy -Identity Global -EnableURL $True\nSet-CsClientPolicy -Identity Global -Description 'oops\nGrant-CsClientPolicy -Identity u1 -PolicyName X");
        assert.deepEqual(r.declaration.policies, [{ identity: "Global", settings: { enableURL: true } }]);
        assert.equal(r.problems.length, 1);
        assert.deepEqual([r.problems[0].line, r.problems[0].column], [2, 50]);
        assert.match(r.problems[0].reason, /unterminated single-quoted string.*lines 2–3\) was not converted/);
    });
});
