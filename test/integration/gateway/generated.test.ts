/**
 * The gateway's commands and generated PowerShell: golden commands (typed values, `null`, TimeSpans, PolicyEntry, the
 * filter value), the filter literal's quoting, what the committed module and JEA files hold (that they are their
 * generators' output is test/unit/generated.test.ts's check), no evaluation of text as code anywhere in the module or the gateway's sources, and a syntax check of every
 * generated file with the tree-sitter PowerShell grammar (tree-sitter-powershell 0.26.4 on npm, prebuilt for Linux,
 * macOS and Windows). That grammar refuses one valid form, a comma list as a command argument
 * (`Export-ModuleMember -Function a, b`), so the module writes `@('a', 'b')` instead.
 */
import * as assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { SETTINGS } from "../../../api/catalogue";
import { clientPolicyFilter, CMDLET_TABLE, quoteFilterLiteral, readClientPolicyFilter } from "../../../api/powershell/table";
import { renderRoleCapability, renderSessionConfiguration } from "../../../gateway/jea";
import { MODULE_PATH, renderModule } from "../../../gateway/module";
import { describeCommand } from "../../../api/powershell/protocol";
import { Ps, settingArgument } from "../../../gateway/commands";

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

const ROOT = path.join(__dirname, "..", "..", "..");
const JEA_DIR = path.join(ROOT, "gateway", "jea");
/** What evaluates text as code in PowerShell (and `iex`, Invoke-Expression's alias). */
const EVALUATORS = /Invoke-Expression|\biex\b|\[scriptblock\]::Create|ScriptBlock\]::Create|Add-Type|\.InvokeScript|NewScriptBlock/i;

function sourcesUnder(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? sourcesUnder(p) : /\.(ts|psm1|psrc|pssc|ps1)$/.test(e.name) ? [p] : [];
    });
}

describe("gateway: generated PowerShell", () => {
    before(loadGrammar);

    it("sends commands as data: cmdlet, typed parameters and output form, nothing to quote (golden)", () => {
        assert.deepEqual(Ps.getPolicy("Tag:O'Brien team"), { cmdlet: "Get-CsClientPolicy", params: { Identity: { kind: "string", value: "Tag:O'Brien team" } }, output: "policy" });
        assert.deepEqual(Ps.listPolicies(), { cmdlet: "Get-CsClientPolicy", params: {}, output: "policy" });
        assert.deepEqual(Ps.setPolicy("Tag:OfflineIM", { EnableIMAutoArchiving: false, Description: "It's \"quoted\" $HOME `tick`", ConferenceIMIdleTimeout: "00:05:00", MaximumNumberOfContacts: 250, DisplayPhoto: "PhotosFromADOnly", CustomStateUrl: null }), {
            cmdlet: "Set-CsClientPolicy", output: "none", params: {
                Identity: { kind: "string", value: "Tag:OfflineIM" }, EnableIMAutoArchiving: { kind: "bool", value: false },
                Description: { kind: "string", value: "It's \"quoted\" $HOME `tick`" }, ConferenceIMIdleTimeout: { kind: "timespan", value: "00:05:00" },
                MaximumNumberOfContacts: { kind: "int", value: 250 }, DisplayPhoto: { kind: "string", value: "PhotosFromADOnly" }, CustomStateUrl: { kind: "null" },
            },
        });
        assert.deepEqual(Ps.newPolicy("Tag:X", { PolicyEntry: [{ Name: "OnlineFeedbackURL", Value: "https://feedback.example/?a=1&b='2'" }, { Name: "Two", Value: "" }] }).params.PolicyEntry,
            { kind: "policyEntries", value: [{ Name: "OnlineFeedbackURL", Value: "https://feedback.example/?a=1&b='2'" }, { Name: "Two", Value: "" }] });
        assert.deepEqual(settingArgument("PolicyEntry", []), { kind: "null" }, "an empty list clears it");
        assert.deepEqual(settingArgument("PolicyEntry", null), { kind: "null" });
        assert.deepEqual(settingArgument("Description", "null"), { kind: "string", value: "null" });
        assert.deepEqual(settingArgument("Description", "two\nlines"), { kind: "string", value: "two\nlines" }, "a line break is data, not the end of a command");
        assert.deepEqual(Ps.removePolicy("Tag:Old"), { cmdlet: "Remove-CsClientPolicy", params: { Identity: { kind: "string", value: "Tag:Old" }, Force: { kind: "switch" } }, output: "none" });
        assert.deepEqual(Ps.grant("Tony O'Neil", null), { cmdlet: "Grant-CsClientPolicy", params: { Identity: { kind: "string", value: "Tony O'Neil" }, PolicyName: { kind: "null" } }, output: "none" });
        const captured = "Tag:x\u2019}|Out-Null;Remove-CsClientPolicy -Identity Global -Force;#";
        assert.deepEqual(Ps.usersWithPolicy(captured), { cmdlet: "Get-CsUser", params: { Filter: { kind: "clientPolicyFilter", value: captured } }, output: "user" });
        assert.equal(describeCommand(Ps.grant("a\u2028b", "P")), 'Grant-CsClientPolicy -Identity "a\\u2028b" -PolicyName "P"', "the display form is one line");
    });

    it("the filter literal doubles every PowerShell single-quote character and reads back as the one value", () => {
        assert.equal(clientPolicyFilter("Tag:OfflineIM"), "ClientPolicy -eq 'Tag:OfflineIM'");
        assert.equal(quoteFilterLiteral("x\u2019}|Out-Null;#"), "'x\u2019\u2019}|Out-Null;#'");
        assert.equal(quoteFilterLiteral("'\u2018\u2019\u201a\u201b"), "'''\u2018\u2018\u2019\u2019\u201a\u201a\u201b\u201b'");
        for (const v of ["Tag:x\u2019}|Out-Null;Remove-CsClientPolicy -Identity Global -Force;#'", "''", "\u201b", "a\u201c\u201db"]) {
            assert.equal(readClientPolicyFilter(clientPolicyFilter(v)), v);
        }
        assert.equal(readClientPolicyFilter("ClientPolicy -eq 'x\u2019; Remove-CsClientPolicy Global'"), undefined, "a lone quote ends the literal");
    });

    it("the shipped module parses and carries the cmdlet table", () => {
        const committed = readFileSync(MODULE_PATH, "utf8");
        const names = commands(committed);
        assert.ok(names.includes("Export-ModuleMember"));
        for (const d of SETTINGS) assert.ok(committed.includes(`$o['${d.name}'] = `), `projection of ${d.name}`);
        for (const c of CMDLET_TABLE) {
            assert.ok(committed.includes(`    @{ Name = '${c.name}'; Outputs = `), `table entry of ${c.name}`);
            for (const p of c.params) assert.ok(committed.includes(`        @{ Name = '${p.name}'; Type = '${p.type}'; Nullable = $${p.nullable} }`), `${c.name} -${p.name}`);
        }
        assert.match(committed, /\$raw = @\(& \$cmd @params\)/, "the cmdlet is called by splatting");
        assert.match(committed, /\$cmd = Get-Command -Name \$Bound\.def\.Name /, "the command comes from the table");
        assert.match(committed, /\$script:CpSingleQuotes = @\(0x0027, 0x2018, 0x2019, 0x201A, 0x201B\)/);
        assert.equal(parser.parse(committed).rootNode.descendantsOfType("function_statement").length, 18, "16 functions plus ConvertTo-CpSite and ConvertTo-CpPool");
    });

    it("nothing evaluates text as code: not the module, not the JEA files, not the gateway's or the binder's sources", () => {
        assert.doesNotMatch(renderModule(), EVALUATORS);
        assert.doesNotMatch(renderRoleCapability() + renderSessionConfiguration(), EVALUATORS);
        const files = [...sourcesUnder(path.join(ROOT, "gateway")), ...sourcesUnder(path.join(ROOT, "api", "powershell"))];
        assert.ok(files.length >= 15, `found ${files.length} files`);
        for (const f of files) {
            // This list names the evaluators only to say they are absent; the test file is not under gateway/.
            assert.doesNotMatch(readFileSync(f, "utf8"), EVALUATORS, f);
        }
    });

    it("the JEA files parse and expose only the table's cmdlets and parameters", () => {
        const psrc = readFileSync(path.join(JEA_DIR, "RoleCapabilities", "ClientPolicyGateway.psrc"), "utf8");
        const pssc = readFileSync(path.join(JEA_DIR, "ClientPolicyGateway.pssc"), "utf8");
        commands(psrc);
        commands(pssc);
        const visible = [...psrc.matchAll(/^ {8}Name = '([^']+)'$/gm)].map((m) => m[1]);
        assert.deepEqual(visible, ["Get-CsClientPolicy", "New-CsClientPolicy", "Set-CsClientPolicy", "Remove-CsClientPolicy", "Grant-CsClientPolicy", "New-CsClientPolicyEntry", "Get-CsUser"]);
        const section = (name: string) => {
            const m = new RegExp(`Name = '${name}'\\r\\n {8}Parameters = @\\(\\r\\n([\\s\\S]*?)\\r\\n {8}\\)`).exec(psrc);
            assert.ok(m, name);
            return m[1];
        };
        // ValidateSet/ValidatePattern refuse $null, so what the gateway sends as $null is declared by name only.
        assert.match(section("Grant-CsClientPolicy"), /@\{ Name = 'PolicyName' \}$/, "unassigning (-PolicyName $null) passes JEA");
        assert.match(section("Grant-CsClientPolicy"), /@\{ Name = 'Identity'; ValidatePattern = '\^\[\^\*\\r\\n\]\{1,1024\}\$' \}/);
        const set = section("Set-CsClientPolicy");
        for (const d of SETTINGS) assert.ok(set.includes(`@{ Name = '${d.name}' }`), `clearing ${d.name} (Set-CsClientPolicy -${d.name} $null) passes JEA`);
        assert.doesNotMatch(set.replace(/^.*'Identity'.*$/m, ""), /Validate/, "no Set-CsClientPolicy setting is constrained in a way $null fails");
        const created = section("New-CsClientPolicy");
        assert.match(created, /@\{ Name = 'DisplayPhoto'; ValidateSet = 'NoPhoto', 'PhotosFromADOnly', 'AllPhotos' \}/, "a create (never $null) keeps its constraints");
        assert.match(section("Get-CsUser"), /@\{ Name = 'Filter'; ValidatePattern = '\^ClientPolicy -eq \[''\\u2018-\\u201B\]/);
        assert.match(pssc, /SessionType = 'RestrictedRemoteServer'/);
        assert.match(pssc, /RunAsVirtualAccount = \$true/);
        assert.match(renderSessionConfiguration({ group: "CONTOSO\\Gw", gmsa: "CONTOSO\\gw-gmsa$", transcripts: "D:\\t" }), /GroupManagedServiceAccount = 'CONTOSO\\gw-gmsa\$'/);
    });
});
