/**
 * The gateway's generated PowerShell: golden lines (quoting of identities and strings with quotes, `$null`, TimeSpans,
 * PolicyEntry), the committed module and JEA files equal to their generators' output, and a syntax check of every
 * generated script and file with the tree-sitter PowerShell grammar (tree-sitter-powershell 0.26.4 on npm, prebuilt
 * for Linux, macOS and Windows). That grammar refuses one valid form, a comma list as a command argument
 * (`Export-ModuleMember -Function a, b`), so the module writes `@('a', 'b')` instead; it also misreads parameter names
 * holding digits (`-P2PAppSharingEncryption`), which the all-settings check leaves out, saying so.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { SETTINGS } from "../../../api/catalogue";
import { renderRoleCapability, renderSessionConfiguration } from "../../../gateway/jea";
import { MODULE_PATH, renderModule } from "../../../gateway/module";
import { Ps, settingArgument } from "../../../gateway/script";

type Node = { type: string; hasError: boolean; text: string; descendantsOfType(t: string): Node[] };
let parser: { parse(src: string): { rootNode: Node } };

async function loadGrammar() {
    const Parser = (await import("tree-sitter")).default as unknown as new () => { setLanguage(l: unknown): void; parse(src: string): { rootNode: Node } };
    const PowerShell = (await import("tree-sitter-powershell" as string)).default;
    parser = new Parser();
    (parser as unknown as { setLanguage(l: unknown): void }).setLanguage(PowerShell);
}

/** Parses a script; fails naming the script when the grammar finds an error. Returns the command names it holds. */
function commands(src: string): string[] {
    const root = parser.parse(src).rootNode;
    assert.equal(root.hasError, false, `PowerShell syntax error in: ${src.slice(0, 300)}`);
    return root.descendantsOfType("command_name").map((n) => n.text);
}

const JEA_DIR = path.join(__dirname, "..", "..", "..", "gateway", "jea");

describe("gateway: generated PowerShell", () => {
    before(loadGrammar);

    it("writes policy commands with identities and strings quoted, $null, TimeSpans and PolicyEntry lists (golden)", () => {
        assert.equal(Ps.getPolicy("Global"), "Get-CsClientPolicy -Identity Global | ConvertTo-CpPolicy");
        assert.equal(Ps.getPolicy("Tag:O'Brien team"), "Get-CsClientPolicy -Identity 'Tag:O''Brien team' | ConvertTo-CpPolicy");
        assert.equal(Ps.setPolicy("Tag:OfflineIM", { EnableIMAutoArchiving: false, Description: "It's \"quoted\" $HOME `tick`", ConferenceIMIdleTimeout: "00:05:00", MaximumNumberOfContacts: 250, DisplayPhoto: "PhotosFromADOnly", CustomStateUrl: null }),
            "Set-CsClientPolicy -Identity Tag:OfflineIM -EnableIMAutoArchiving $False -Description 'It''s \"quoted\" $HOME `tick`' -ConferenceIMIdleTimeout '00:05:00' -MaximumNumberOfContacts 250 -DisplayPhoto PhotosFromADOnly -CustomStateUrl $null | Out-Null");
        assert.equal(Ps.newPolicy("Tag:X", { PolicyEntry: [{ Name: "OnlineFeedbackURL", Value: "https://feedback.example/?a=1&b='2'" }, { Name: "Two", Value: "" }] }),
            "New-CsClientPolicy -Identity Tag:X -PolicyEntry @{Replace=@((New-CsClientPolicyEntry -Name OnlineFeedbackURL -Value 'https://feedback.example/?a=1&b=''2'''),(New-CsClientPolicyEntry -Name Two -Value ''))} | Out-Null");
        assert.equal(settingArgument("PolicyEntry", []), "$null");
        assert.equal(settingArgument("PolicyEntry", null), "$null");
        assert.equal(settingArgument("Description", "null"), "'null'", "a string that reads as a variable name stays a string");
        assert.equal(settingArgument("Description", "\u2019typographic\u2019"), "'\u2019\u2019typographic\u2019\u2019'", "every single-quote character doubled");
        assert.equal(Ps.removePolicy("Tag:Old"), "Remove-CsClientPolicy -Identity Tag:Old -Force | Out-Null");
        assert.equal(Ps.grant("sip:tony.smith@contoso.example", "OfflineIM"), "Grant-CsClientPolicy -Identity sip:tony.smith@contoso.example -PolicyName OfflineIM | Out-Null");
        assert.equal(Ps.grant("Tony O'Neil", null), "Grant-CsClientPolicy -Identity 'Tony O''Neil' -PolicyName $null | Out-Null");
        assert.equal(Ps.usersWithPolicy("Tag:OfflineIM"), "Get-CsUser -Filter {ClientPolicy -eq 'Tag:OfflineIM'} | ConvertTo-CpUser");
        assert.equal(Ps.usersWithPolicy("Tag:O'Brien"), "Get-CsUser -Filter {ClientPolicy -eq 'Tag:O''Brien'} | ConvertTo-CpUser");
        assert.throws(() => settingArgument("Description", "two\nlines"), /line break/);
    });

    it("every generated line parses as PowerShell and holds only the commands it means to run, whatever the values", () => {
        const hostile = ["'; Remove-CsClientPolicy -Identity Global; '", "\"; Remove-CsClientPolicy Global; \"", "$(Remove-CsClientPolicy Global)", "`; x", "a | Out-Host", "}{", "\u2018x\u2019; Remove-CsClientPolicy Global", "@{a=1}", "#comment"];
        for (const v of hostile) {
            assert.deepEqual(commands(Ps.setPolicy(`Tag:${v.replace(/[*:/\\]/g, "")}`, { Description: v })), ["Set-CsClientPolicy", "Out-Null"], v);
            assert.deepEqual(commands(Ps.getUser(v)), ["Get-CsUser", "ConvertTo-CpUser"], v);
            assert.deepEqual(commands(Ps.newPolicy("Tag:X", { PolicyEntry: [{ Name: v, Value: v }] })), ["New-CsClientPolicy", "New-CsClientPolicyEntry", "Out-Null"], v);
            // The filter's script block is parsed as one command too (`ClientPolicy -eq '…'`): still nothing else.
            assert.deepEqual(commands(Ps.usersWithPolicy(`Tag:${v}`)), ["Get-CsUser", "ClientPolicy", "ConvertTo-CpUser"], v);
        }
        // Every setting in its cmdlet form, in one line. The grammar misreads parameter names holding digits
        // (-DisableOneNote12Integration, -P2PAppSharingEncryption: valid PowerShell), so those are left out of this check.
        const digits = SETTINGS.filter((d) => /\d/.test(d.name)).map((d) => d.name);
        if (digits.length > 0) console.log(`      (grammar limitation: not syntax-checked: -${digits.join(", -")})`);
        const all = Object.fromEntries(SETTINGS.filter((d) => !digits.includes(d.name)).map((d) => [d.name, d.kind === "boolean" ? true : d.kind === "uint" ? d.min! : d.kind === "timespan" ? "00:01:00" : d.kind === "enum" ? d.values![0] : d.kind === "policyEntry" ? [{ Name: "n", Value: "v" }] : "text"]));
        assert.equal(commands(Ps.setPolicy("Global", all as never)).length, 3);
    });

    it("the shipped module equals its generator's output and parses (regenerate: clientpolicy gateway module)", () => {
        const committed = readFileSync(MODULE_PATH, "utf8");
        assert.equal(committed, renderModule());
        const names = commands(committed);
        assert.ok(names.includes("Export-ModuleMember"));
        for (const d of SETTINGS) assert.ok(committed.includes(`$o['${d.name}'] = `), `projection of ${d.name}`);
        assert.equal(parser.parse(committed).rootNode.descendantsOfType("function_statement").length, 8);
    });

    it("the JEA files equal their generators' output, parse, and expose only the ClientPolicy cmdlets and Get-CsUser (regenerate: clientpolicy gateway jea)", () => {
        const psrc = readFileSync(path.join(JEA_DIR, "RoleCapabilities", "ClientPolicyGateway.psrc"), "utf8");
        const pssc = readFileSync(path.join(JEA_DIR, "ClientPolicyGateway.pssc"), "utf8");
        assert.equal(psrc, renderRoleCapability());
        assert.equal(pssc, renderSessionConfiguration());
        commands(psrc);
        commands(pssc);
        const visible = [...psrc.matchAll(/^ {8}Name = '([^']+)'$/gm)].map((m) => m[1]);
        assert.deepEqual(visible, ["Get-CsClientPolicy", "New-CsClientPolicy", "Set-CsClientPolicy", "Remove-CsClientPolicy", "Grant-CsClientPolicy", "New-CsClientPolicyEntry", "Get-CsUser"]);
        assert.match(psrc, /@\{ Name = 'DisplayPhoto'; ValidateSet = 'NoPhoto', 'PhotosFromADOnly', 'AllPhotos' \}/);
        assert.match(psrc, /@\{ Name = 'Identity'; ValidatePattern = '\^\[\^\*\\r\\n\]\{1,1024\}\$' \}/);
        assert.match(pssc, /SessionType = 'RestrictedRemoteServer'/);
        assert.match(pssc, /RunAsVirtualAccount = \$true/);
        assert.match(renderSessionConfiguration({ group: "CONTOSO\\Gw", gmsa: "CONTOSO\\gw-gmsa$", transcripts: "D:\\t" }), /GroupManagedServiceAccount = 'CONTOSO\\gw-gmsa\$'/);
    });
});
