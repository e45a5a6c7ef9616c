/**
 * The cmdlet line renderer (api/cmdlets.ts: renderCmdlet, quotePsString) against the shared parser: everything it
 * renders parses back with parseScript to the same cmdlet, parameter names and values, including strings with every
 * kind of quote, `$`, backticks, `#`, spaces and non-ASCII text (a seeded random corpus), and PowerShell's quoting
 * rules (single quotes doubled).
 */
import * as assert from "node:assert/strict";
import { PsValue, parseScript, quotePsString, renderCmdlet, renderPsValue } from "../../api/cmdlets";

function roundTrip(cmdlet: string, params: Array<[string, PsValue]>): void {
    const line = renderCmdlet(cmdlet, params);
    const [cmd] = parseScript(line);
    assert.ok(cmd, `nothing parsed from ${line}`);
    assert.equal(cmd.cmdlet.toLowerCase(), cmdlet.toLowerCase(), line);
    assert.equal(cmd.positional.length, 0, line);
    assert.deepEqual([...cmd.named.values()].map((p) => [p.name, p.value]), params, line);
}

/** Small deterministic PRNG (mulberry32) so a failing case can be reproduced. */
function prng(seed: number): () => number {
    return () => {
        seed = (seed + 0x6d2b79f5) | 0;
        let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

describe("cmdlet rendering (renderCmdlet / quotePsString)", () => {
    it("writes PowerShell literals: $True, $False, $null, numbers, bare words and single-quoted strings", () => {
        assert.equal(renderCmdlet("set-csclientpolicy", [["Identity", "Global"], ["EnableIMAutoArchiving", false], ["MaxPhotoSizeKB", 30],
            ["DisplayPhoto", "AllPhotos"], ["IMWarning", null], ["HotdeskingTimeout", "00:05:00"], ["Description", "Tony's policy"]]),
        "Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $False -MaxPhotoSizeKB 30 -DisplayPhoto AllPhotos -IMWarning $null " +
            "-HotdeskingTimeout '00:05:00' -Description 'Tony''s policy'");
        assert.equal(renderPsValue(true), "$True");
        assert.equal(quotePsString("Tag:OfflineIM"), "Tag:OfflineIM");
        assert.equal(quotePsString("sip:tony.smith@contoso.example"), "sip:tony.smith@contoso.example");
        assert.equal(quotePsString("CONTOSO\\tony"), "CONTOSO\\tony");
        assert.equal(quotePsString("Tony Smith"), "'Tony Smith'");
        assert.equal(quotePsString("True"), "'True'", "a bare True would still be a string, but quoting says so");
        assert.equal(quotePsString("42"), "'42'", "a numeric string stays a string");
        assert.equal(quotePsString(""), "''");
        assert.equal(quotePsString("-Force"), "'-Force'", "a leading dash would read as a parameter");
        assert.equal(quotePsString("a$b"), "'a$b'", "no expansion in single quotes");
        assert.equal(quotePsString("it\u2019s"), "'it\u2019\u2019s'", "a typographic single quote closes a single-quoted string in PowerShell: doubled like '");
        assert.equal(quotePsString("\u2018\u201a\u201b'$x\"`"), "'\u2018\u2018\u201a\u201a\u201b\u201b''$x\"`'");
    });

    it("parses back to the same values: every value kind and tricky strings", () => {
        const strings = ["Global", "Tag:Sales EU", "site:Redmond", "O'Brien", "''", "\"quoted\"", "a#b", "#start", "tab\there",
            "$true", "$null", "`backtick`", "@{x=1}", "a;b|c", "(x)", "  padded  ", "ünïcødé 名前", "\u2018smart\u2019 \u201cquotes\u201d",
            "-Identity", "100", "-5", "1.5", "C:\\path\\file.xml", "https://x.example/a?b=c&d=e", ""];
        for (const s of strings) roundTrip("Set-CsClientPolicy", [["Identity", "Tag:X"], ["Description", s]]);
        roundTrip("Grant-CsClientPolicy", [["Identity", "sip:a@b.example"], ["PolicyName", null]]);
        roundTrip("New-CsClientPolicy", [["Identity", "Tag:T"], ["EnableURL", true], ["DisableEmoticons", false], ["MaxPhotoSizeKB", 4294967295], ["RateMyCallDisplayPercentage", 0]]);
        roundTrip("Remove-CsClientPolicy", [["Identity", "Tag:T"], ["Force", true]]);
    });

    it("parses back a seeded random corpus of 2,000 strings drawn from quote, escape and Unicode characters", () => {
        const alphabet = ["a", "Z", "0", " ", "'", "\"", "`", "$", "#", "@", "-", ":", "\\", "{", "}", "(", ")", ";", "|", ",",
            "\u2018", "\u2019", "\u201a", "\u201b", "\u201c", "\u201d", "\u201e", "é", "名", "\t", "=", "*", "?"];
        const rnd = prng(12);
        for (let n = 0; n < 2000; n++) {
            const len = Math.floor(rnd() * 12);
            let s = "";
            for (let i = 0; i < len; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
            roundTrip("Set-CsClientPolicy", [["Identity", "Global"], ["Description", s]]);
        }
    });

    it("refuses what one line cannot carry: line breaks, unknown cmdlets, bad parameter names, non-decimal numbers", () => {
        for (const br of ["\n", "\r", "\u0085", "\u2028", "\u2029"]) assert.throws(() => quotePsString(`a${br}b`), /line break/);
        assert.throws(() => renderCmdlet("Get-Process", []), /unknown cmdlet/);
        assert.throws(() => renderCmdlet("Set-CsClientPolicy", [["-Identity", "x"]]), /invalid parameter name/);
        assert.throws(() => renderPsValue(1e21), /plain decimal/);
        assert.throws(() => renderPsValue(NaN), /plain decimal/);
    });
});
