import * as assert from "node:assert/strict";
import { startTestEmulator, type TestTenant } from "../../../testkit/emulator";
import { assertError, call, policyPath, tokenOf, userPath } from "./util";
import { fetchRecorded } from "../../../testkit/recorder";

const SEED_ARTICLE = [
    "Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $False",
    "New-CsClientPolicy -Identity OfflineIM",
    "Set-CsClientPolicy -Identity OfflineIM -EnableIMAutoArchiving $False",
    'Grant-CsClientPolicy -Identity "Tony Smith" -PolicyName OfflineIM',
].join("\n");

async function ps(t: TestTenant, script: string, tenant = "contoso.example", type = "application/x-powershell") {
    const res = await fetchRecorded(`${t.url}/_emulator/${tenant}/powershell`, { method: "POST", headers: { "content-type": type }, body: script });
    assert.ok(res.headers.get("request-id"));
    return { status: res.status, json: await res.json() as any };
}

describe("emulator: PowerShell endpoint", () => {
    let t: TestTenant;
    beforeEach(async () => { t = await startTestEmulator({ users: 3 }); });
    afterEach(async () => { await t.stop(); });

    it("runs the seed article's exact lines (display-name identity included)", async () => {
        const out = await t.powershell(SEED_ARTICLE);
        assert.equal(out.succeeded, true, JSON.stringify(out));
        assert.deepEqual(out.results.map((r: any) => [r.line, r.status]), [[1, "Succeeded"], [2, "Succeeded"], [3, "Succeeded"], [4, "Succeeded"]]);
        assert.equal((await call(t, "GET", policyPath("Global"))).json.EnableIMAutoArchiving, false);
        assert.equal((await call(t, "GET", policyPath("Tag:OfflineIM"))).json.EnableIMAutoArchiving, false);
        assert.equal((await call(t, "GET", userPath("sip:tony.smith@contoso.example"))).json.ClientPolicy, "OfflineIM");
        assert.equal((await t.stats()).writes, 4);
    });

    it("handles quoting, numbers, $null, case-insensitive names, comments, Get and Remove -Force", async () => {
        const out = await t.powershell([
            "# comment line",
            "",
            "new-csclientpolicy -identity 'Tag:Quotes' -description 'It''s here' -imwarning \"say \"\"hi\"\" `\"now`\"\" # trailing comment",
            "Set-CsClientPolicy Quotes -MaximumNumberOfContacts 250 -HotdeskingTimeout 00:10:00 -DisplayPhoto photosfromadonly -EnableURL:$true",
            "Set-CsClientPolicy -Identity Quotes -Description $null",
            "Grant-CsClientPolicy -Identity CONTOSO\\ken.myer -PolicyName Quotes",
            "Get-CsClientPolicy -Identity tag:quotes",
            "Get-CsClientPolicy",
            "Remove-CsClientPolicy -Identity Quotes",
            "Remove-CsClientPolicy -Identity Quotes -Force",
            "Grant-CsClientPolicy -Identity 'Tony Smith' -PolicyName $null",
        ].join("\n"));
        const byLine = new Map(out.results.map((r: any) => [r.line, r]));
        const get = (byLine.get(7) as any).output;
        assert.equal(get.Identity, "Tag:Quotes");
        assert.equal(get.IMWarning, 'say "hi" "now"');
        assert.equal(get.Description, null);
        assert.equal(get.MaximumNumberOfContacts, 250);
        assert.equal(get.HotdeskingTimeout, "00:10:00");
        assert.equal(get.DisplayPhoto, "PhotosFromADOnly");
        assert.equal(get.EnableURL, true);
        assert.ok((byLine.get(8) as any).output.length >= 2);
        assert.equal((byLine.get(9) as any).error.code, "PolicyInUse");
        assert.equal((byLine.get(10) as any).status, "Succeeded");
        assert.equal((await call(t, "GET", userPath("Ken Myer"))).json.ClientPolicy, null);
        assert.equal(out.succeeded, false);
        assert.equal(out.results.filter((r: any) => r.status === "Failed").length, 1);
    });

    it("reports failing lines per line and carries on", async () => {
        const out = await t.powershell([
            "Set-CsClientPolicy -Identity Global -MaximumNumberOfContacts 5000",
            "Set-CsClientPolicy -Identity Global -NoSuchSetting 1",
            "Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving 'yes'",
            "New-CsClientPolicy -Identity Global",
            "Grant-CsClientPolicy -Identity 'Nobody' -PolicyName $null",
            "Grant-CsClientPolicy -Identity 'Tony Smith' -PolicyName Global",
            "Remove-CsClientPolicy -Identity Global",
        ].join("\n"));
        assert.deepEqual(out.results.map((r: any) => r.error?.code ?? r.status),
            ["InvalidParameter", "InvalidParameter", "InvalidParameter", "PolicyAlreadyExists", "UserNotFound", "NotAUserPolicy", "Succeeded"]);
        assert.equal(out.results[0].error.target, "MaximumNumberOfContacts");
        assert.equal(out.results[1].error.target, "NoSuchSetting");
        const ambiguous = await t.powershell("Grant-CsClientPolicy -Identity 'Tony Smith' -PolicyName $null", "ambiguous.example");
        assert.equal(ambiguous.results[0].error.code, "AmbiguousIdentity");
    });

    it("fails a line with an argument no positional parameter takes, as PowerShell does, and changes nothing", async () => {
        await t.powershell("New-CsClientPolicy -Identity Positional");
        const archiving = (await call(t, "GET", policyPath("Global"))).json.EnableIMAutoArchiving;
        const writes = (await t.stats()).writes;
        const out = await t.powershell([
            "Set-CsClientPolicy -Identity Global EnableIMAutoArchiving $False",
            "Set-CsClientPolicy Global -EnableURL $True",
            "Set-CsClientPolicy Global 'second value'",
            "Grant-CsClientPolicy 'Tony Smith' Positional",
            "Grant-CsClientPolicy -PolicyName Positional 'Ken Myer' extra",
            "Get-CsClientPolicy -Identity Global $True",
            "Remove-CsClientPolicy Positional 5",
        ].join("\n"));
        assert.deepEqual(out.results.map((r: any) => r.status), ["Failed", "Succeeded", "Failed", "Succeeded", "Failed", "Failed", "Failed"]);
        assert.deepEqual(out.results[0].error, {
            code: "InvalidParameter",
            message: "A positional parameter cannot be found that accepts argument 'EnableIMAutoArchiving'.",
            target: "line 1, column 37",
        });
        assert.equal(out.results[2].error.message, "A positional parameter cannot be found that accepts argument 'second value'.");
        assert.equal(out.results[2].error.target, "line 3, column 27");
        assert.equal(out.results[4].error.message, "A positional parameter cannot be found that accepts argument 'extra'.");
        assert.equal(out.results[5].error.message, "A positional parameter cannot be found that accepts argument 'True'.");
        assert.equal(out.results[6].error.target, "line 7, column 34");
        const global = (await call(t, "GET", policyPath("Global"))).json;
        assert.deepEqual([global.EnableIMAutoArchiving, global.EnableURL], [archiving, true], "the line with the forgotten dash changed nothing");
        assert.equal((await call(t, "GET", userPath("Ken Myer"))).json.ClientPolicy, null);
        assert.equal((await call(t, "GET", userPath("Tony Smith"))).json.ClientPolicy, "Positional");
        assert.equal((await call(t, "GET", policyPath("Positional"))).status, 200);
        assert.equal((await t.stats()).writes, writes + 2);
    });

    it("binds parameter names from the one cmdlet table: -WhatIf changes nothing, names a cmdlet lacks are refused", async () => {
        await t.powershell("New-CsClientPolicy -Identity WhatIfTarget");
        const writes = (await t.stats()).writes;
        const out = await t.powershell([
            "Set-CsClientPolicy -Identity Global -EnableURL $False -WhatIf",
            "New-CsClientPolicy -Identity NeverMade -WhatIf",
            "Remove-CsClientPolicy -Identity WhatIfTarget -Force -WhatIf",
            "Grant-CsClientPolicy -Identity 'Tony Smith' -PolicyName WhatIfTarget -whatif",
            "Get-CsClientPolicy -Identity Global -Force",
            "Grant-CsClientPolicy -Identity 'Tony Smith' -PolicyName WhatIfTarget -EnableURL $True",
            "Set-CsClientPolicy -Identity WhatIfTarget -enableurl $False -Confirm:$false -WhatIf:$false",
        ].join("\n"));
        assert.deepEqual(out.results.map((r: any) => r.status), ["Succeeded", "Succeeded", "Succeeded", "Succeeded", "Failed", "Failed", "Succeeded"]);
        assert.equal(out.results[0].output, 'What if: Performing the operation "Set-CsClientPolicy" on target "Global".');
        assert.equal(out.results[4].error.message, "A parameter cannot be found that matches parameter name 'Force'.");
        assert.equal(out.results[5].error.message, "A parameter cannot be found that matches parameter name 'EnableURL'.");
        assert.equal((await t.stats()).writes, writes + 1, "only the last line (-WhatIf:$false) wrote");
        assert.notEqual((await call(t, "GET", policyPath("Global"))).json.EnableURL, false);
        assert.equal((await call(t, "GET", policyPath("NeverMade"))).status, 404);
        assert.equal((await call(t, "GET", policyPath("WhatIfTarget"))).json.EnableURL, false);
        assert.equal((await call(t, "GET", userPath("Tony Smith"))).json.ClientPolicy, null);
    });

    it("answers 400 naming line and column for an unparseable line, and runs nothing", async () => {
        const cases: Array<[string, number, number]> = [
            ["Set-CsClientPolicy -Identity Global -EnableURL $False\nSet-CsClientPolicy -Identity 'oops", 2, 30],
            ["Invoke-Something -Identity Global", 1, 1],
            ["Set-CsClientPolicy -EnableURL $maybe", 1, 31],
            ["Set-CsClientPolicy -PolicyEntry @{Add=1}", 1, 33],
            ['Set-CsClientPolicy -Description "$env:USER"', 1, 34],
            ["Set-CsClientPolicy -EnableURL $True -EnableURL $False", 1, 37],
        ];
        for (const [script, line, column] of cases) {
            const res = await ps(t, script);
            assert.equal(res.status, 400, script);
            assert.equal(res.json.error.code, "ParseError");
            assert.equal(res.json.error.target, `line ${line}, column ${column}`, `${script}: ${res.json.error.message}`);
            assert.equal(res.json.error.details[0].line, line);
        }
        assert.equal((await call(t, "GET", policyPath("Global"))).json.EnableURL, null);
        assert.equal((await ps(t, "Get-CsClientPolicy", "nowhere.example")).json.error.code, "TenantNotFound");
        assert.equal((await ps(t, "Get-CsClientPolicy", "contoso.example", "application/json")).status, 415);
    });

    it("reads the script as PowerShell does: typographic quotes and dashes, block comments, continuations, here-strings", async () => {
        const out = await t.powershell([
            "Set-CsClientPolicy \u2013Identity Global \u2014EnableURL $True \u2015MaximumNumberOfContacts 250",
            "New-CsClientPolicy -Identity \u2018Tag:It\u2019\u2019s\u2019 -Description \u201cSales \u201d\u201dEU\u201d\u201d\u201d",
            "<# Set-CsClientPolicy -Identity Global -EnableURL $False",
            "   Remove-CsClientPolicy -Identity Global #>",
            "Grant-CsClientPolicy -Identity 'Tony Smith' `",
            "    -PolicyName \"It\u2019s\"",
            "Set-CsClientPolicy -Identity \"It\u2019s\" -IMWarning @'",
            "one 'line' with $x",
            "'@",
            // A here-string spanning lines is read as one value holding a line break, which the tenant refuses (the
            // identity and text rules refuse line breaks in every value, naming the field).
            "Set-CsClientPolicy -Identity \"It\u2019s\" -Description @'",
            "two",
            "lines",
            "'@",
        ].join("\r\n"));
        assert.deepEqual(out.results.map((r: any) => [r.line, r.status]), [[1, "Succeeded"], [2, "Succeeded"], [5, "Succeeded"], [7, "Succeeded"], [10, "Failed"]], JSON.stringify(out));
        assert.equal(out.results[4].error.target, "Description");
        const global = (await call(t, "GET", policyPath("Global"))).json;
        assert.deepEqual([global.EnableURL, global.MaximumNumberOfContacts], [true, 250], "the commented-out line did not run");
        const tag = (await call(t, "GET", policyPath("Tag:It\u2019s"))).json;
        assert.equal(tag.Description, "Sales \u201dEU\u201d");
        assert.equal(tag.IMWarning, "one 'line' with $x");
        assert.equal((await call(t, "GET", userPath("Tony Smith"))).json.ClientPolicy, "It\u2019s");
    });

    it("a backtick followed by a space does not continue the line (the next line is a statement of its own)", async () => {
        const res = await ps(t, "Grant-CsClientPolicy -Identity 'Tony Smith' ` \n  -PolicyName Global");
        assert.equal(res.status, 400);
        assert.equal(res.json.error.target, "line 2, column 3");
    });

    it("refuses a cross-site-postable media type (text/plain), so a web page cannot send cmdlets", async () => {
        const res = await ps(t, "Set-CsClientPolicy -Identity Global -EnableURL $False", "contoso.example", "text/plain");
        assert.equal(res.status, 415);
        assert.match(res.json.error.message, /application\/x-powershell/);
        assert.equal((await call(t, "GET", policyPath("Global"))).json.EnableURL, null);
    });

    it("is not subject to fault injection or authentication", async () => {
        await tokenOf(t);
        await t.setFaults({ fault500: 1 });
        assert.equal((await ps(t, "Get-CsClientPolicy -Identity Global")).status, 200);
        assertError(await call(t, "GET", policyPath("Global")), 500, "InternalServerError");
        await t.setFaults({ fault500: 0 });
    });
});
