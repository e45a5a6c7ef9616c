import * as assert from "node:assert/strict";
import { parseLine } from "../../api/cmdlets";
import { convertScript, suggest } from "../../cli/convert/convert";
import { renderConvertTypeScript, renderConvertYaml } from "../../cli/convert/render";
import { parseConfigFile } from "../../provider/tenantConfig";

/** The seed article's lines (README intro, ../shared/CSCLIENTPOLICY.md), including its stray-space Grant line. */
const ARTICLE = [
    "Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $False",
    "New-CsClientPolicy -Identity OfflineIM -EnableIMAutoArchiving $False",
    'Grant -CsClientPolicy -Identity "Tony Smith" - PolicyName OfflineIM',
].join("\n");

describe("convert: the seed article", () => {
    it("converts Set Global and New OfflineIM, and reports the Grant line by line with the corrected line", () => {
        const r = convertScript(ARTICLE);
        assert.deepEqual(r.declaration, {
            policies: [
                { identity: "Global", settings: { enableIMAutoArchiving: false } },
                { identity: "Tag:OfflineIM", settings: { enableIMAutoArchiving: false } },
            ],
            grants: [],
        });
        assert.equal(r.problems.length, 1);
        const [p] = r.problems;
        assert.equal(p.line, 3);
        assert.equal(p.column, 1);
        assert.match(p.reason, /unknown command "Grant"/);
        assert.equal(p.suggestion, 'Grant-CsClientPolicy -Identity "Tony Smith" -PolicyName OfflineIM');
        assert.equal(r.commands, 3);
        assert.equal(r.converted, 2);
    });

    it("with the corrected line, everything converts to the article's end state", () => {
        const r = convertScript(ARTICLE.replace('Grant -CsClientPolicy -Identity "Tony Smith" - PolicyName OfflineIM', convertScript(ARTICLE).problems[0].suggestion!));
        assert.deepEqual(r.problems, []);
        assert.deepEqual(r.declaration.grants, [{ policy: "Tag:OfflineIM", users: ["Tony Smith"] }]);
    });

    it("the YAML output parses back as a valid tenant file with the same declaration; the TS program names match TenantPolicies", () => {
        const r = convertScript(ARTICLE.replace(/Grant -CsClientPolicy(.*)- PolicyName/, "Grant-CsClientPolicy$1-PolicyName"));
        const yaml = renderConvertYaml("article.ps1", r);
        const back = parseConfigFile(yaml, "out.yaml", "tenant");
        assert.ok(back.ok, JSON.stringify(back));
        assert.deepEqual({ policies: back.file.policies, grants: back.file.grants }, r.declaration);
        const ts = renderConvertTypeScript("article.ps1", r);
        assert.match(ts, /new cp\.ClientPolicy\("global", \{\n    identity: "Global",\n    enableIMAutoArchiving: false,\n\}\);/);
        assert.match(ts, /export const tagOfflineimPolicy = new cp\.ClientPolicy\("tag-offlineim"/);
        assert.match(ts, /new cp\.PolicyGrant\("grant-offlineim", \{\n    policyName: tagOfflineimPolicy\.identity,\n    users: \["Tony Smith"\],/);
    });
});

describe("convert: lines applied in order", () => {
    it("Set after New merges; $null unsets; Description goes to the policy's description", () => {
        const r = convertScript([
            "New-CsClientPolicy -Identity Sales -DisplayPhoto photosfromadonly -MaximumNumberOfContacts 200",
            'Set-CsClientPolicy Sales -MaximumNumberOfContacts 300 -Description "Sales team" -DisplayPhoto $null',
            "Set-CsClientPolicy -Identity Sales -ConferenceIMIdleTimeout 00:30:00",
        ].join("\n"));
        assert.deepEqual(r.problems, []);
        assert.deepEqual(r.declaration.policies, [
            { identity: "Tag:Sales", description: "Sales team", settings: { conferenceIMIdleTimeout: "00:30:00", maximumNumberOfContacts: 300 } },
        ]);
    });

    it("Grant assigns, a second Grant moves the user, -PolicyName $null unassigns; grants group per policy", () => {
        const r = convertScript([
            "New-CsClientPolicy A",
            "New-CsClientPolicy B",
            "Grant-CsClientPolicy -Identity u1 -PolicyName A",
            "Grant-CsClientPolicy u2 A",
            "Grant-CsClientPolicy -Identity u3 -PolicyName B",
            "Grant-CsClientPolicy -Identity U1 -PolicyName B",
            "Grant-CsClientPolicy -Identity u3 -PolicyName $null",
        ].join("\n"));
        assert.deepEqual(r.problems, []);
        assert.deepEqual(r.declaration.grants, [{ policy: "Tag:A", users: ["u2"] }, { policy: "Tag:B", users: ["U1"] }]);
    });

    it("Remove drops a policy the script created and its grants; on Global it resets Global", () => {
        const r = convertScript([
            "Set-CsClientPolicy -EnableIMAutoArchiving $False",
            "New-CsClientPolicy -Identity Temp -DisableSavingIM $True",
            "Grant-CsClientPolicy -Identity u1 -PolicyName Temp",
            "Remove-CsClientPolicy -Identity Temp",
            "Remove-CsClientPolicy -Identity global",
        ].join("\n"));
        assert.deepEqual(r.problems, []);
        assert.deepEqual(r.declaration, { policies: [{ identity: "Global", settings: {} }], grants: [] });
        assert.ok(r.notes.some((n) => n.line === 5 && /resets Global/.test(n.message)));
    });

    it("Set on a policy the script did not create declares it with adopt: true, with a note", () => {
        const r = convertScript("Set-CsClientPolicy -Identity site:Redmond -DisableEmoticons $True");
        assert.deepEqual(r.declaration.policies, [{ identity: "site:Redmond", adopt: true, settings: { disableEmoticons: true } }]);
        assert.match(r.notes[0].message, /adopt: true/);
    });

    it("PolicyEntry: entries from New-CsClientPolicyEntry added, replaced, removed and cleared", () => {
        const r = convertScript([
            '$a = New-CsClientPolicyEntry -Name "OnlineFeedbackURL" -Value "https://feedback.example"',
            "$b = New-CsClientPolicyEntry -Name Key2 -Value v2",
            "New-CsClientPolicy -Identity P",
            "Set-CsClientPolicy -Identity P -PolicyEntry @{Add=$a}",
            "Set-CsClientPolicy -Identity P -PolicyEntry @{Add=$b}",
            "Set-CsClientPolicy -Identity P -PolicyEntry @{Remove=$a}",
            "New-CsClientPolicy -Identity Q -PolicyEntry $a",
            "New-CsClientPolicy -Identity R -PolicyEntry $a",
            "Set-CsClientPolicy -Identity R -PolicyEntry $null",
        ].join("\n"));
        assert.deepEqual(r.problems, []);
        assert.deepEqual(r.declaration.policies.map((p) => p.settings), [
            { policyEntry: [{ name: "Key2", value: "v2" }] },
            { policyEntry: [{ name: "OnlineFeedbackURL", value: "https://feedback.example" }] },
            {},
        ]);
    });

    it("backtick line continuations join lines; a problem carries the line and column of what is wrong", () => {
        const r = convertScript("New-CsClientPolicy -Identity A `\n  -DisableSavingIM $True\nSet-CsClientPolicy -Identity A `\n  -Nope 1");
        assert.deepEqual(r.declaration.policies, [{ identity: "Tag:A", settings: { disableSavingIM: true } }]);
        assert.deepEqual([r.problems[0].line, r.problems[0].column], [4, 3]);
        assert.equal(r.problems[0].text, "Set-CsClientPolicy -Identity A -Nope 1");
    });
});

describe("convert: what cannot be converted is listed, never dropped", () => {
    const cases: Array<[string, RegExp, number?]> = [
        ["Remove-CsClientPolicy -Identity Legacy", /did not create/],
        ["Grant-CsClientPolicy -Identity u9 -PolicyName $null", /did not grant/],
        ["Set-CsClientPolicy -Identity Global -EnableIMAutoArchving $False", /not a parameter.*did you mean -EnableIMAutoArchiving/, 37],
        ["Set-CsClientPolicy -Identity Global -MaximumNumberOfContacts 5000", /must be an integer 0–1000, got 5000/, 37],
        ["Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving yes", /must be a boolean.*\$True or \$False/],
        ["New-CsClientPolicy -Identity Global", /cannot be created/],
        ["New-CsClientPolicy -Identity Tag:*", /not a valid policy identity/],
        ["Grant-CsClientPolicy -Identity u1 -PolicyName Global", /cannot be granted/],
        ["Set-CsClientPolicy -Instance $p", /variable|-Instance/],
        ["Get-CsClientPolicy | Remove-CsClientPolicy", /unsupported syntax/],
        ["Set-CsClientPolicy -Identity Global EnableURL $False", /unexpected argument "EnableURL"/],
        ["Set-CsClientPolicy -Identity X -PolicyEntry @{Add=$undefined}", /not an entry defined earlier/],
        ["Set-CsClientPolicy -Identity X -PolicyEntry 'text'", /New-CsClientPolicyEntry/],
        ["Invoke-Something -X 1", /unknown command/],
        ["Set-CsClientPolicy -Identity Global -Tenant 00000000-0000-0000-0000-000000000000 -EnableURL $True", /-Tenant selects a tenant/],
    ];
    for (const [line, reason, column] of cases) {
        it(`${line}`, () => {
            const r = convertScript(`# header\n${line}`);
            assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
            assert.equal(r.problems[0].line, 2);
            assert.match(r.problems[0].reason, reason);
            if (column !== undefined) assert.equal(r.problems[0].column, column);
            assert.equal(r.converted, 0);
        });
    }

    it("New of a policy the script already created fails like the cmdlet, naming the first line", () => {
        const r = convertScript("New-CsClientPolicy A\nNew-CsClientPolicy -Identity tag:a");
        assert.match(r.problems[0].reason, /already created at line 1/);
    });

    it("a misspelt parameter or a forgotten dash gets a corrected line", () => {
        assert.equal(suggest("Set-CsClientPolicy -Identity Global -EnableIMAutoArchving $False"), "Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $False");
        assert.equal(suggest("Remove-CsClientPolicy -Identity Nope"), undefined);
        assert.equal(suggest("Set-CsClientPolicy -Identity Global EnableIMAutoArchiving $False"), "Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $False");
        // A parameter name inside a quoted value is text, not a forgotten dash.
        assert.equal(suggest("Set-CsClientPolicy -Identity Global -Description 'see EnableURL' EnableURL $True"), "Set-CsClientPolicy -Identity Global -Description 'see EnableURL' -EnableURL $True");
    });

    it("a 200-line generated script with deliberate errors: every error reported by its line, every other line converted", () => {
        // Deterministic generator: 20 policies, 150 grants, sets and comments, and a deliberate error every 9th line.
        const lines: string[] = [];
        const expectedBad: number[] = [];
        let seed = 7;
        const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
        const bad = [
            (i: number) => `Set-CsClientPolicy -Identity P${i % 20} -MaximumNumberOfContacts 99999`,
            (i: number) => `Grant -CsClientPolicy -Identity "User ${i}" - PolicyName P${i % 20}`,
            (i: number) => `Set-CsClientPolicy -Identity P${i % 20} -DisplayPhto NoPhoto`,
            (i: number) => `Remove-CsClientPolicy -Identity Unknown${i}`,
            () => `Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $maybe`,
        ];
        for (let i = 0; i < 20; i++) lines.push(`New-CsClientPolicy -Identity P${i} -EnableIMAutoArchiving $False`);
        while (lines.length < 200) {
            const n = lines.length + 1;
            if (n % 9 === 0) {
                lines.push(bad[rand(bad.length)](n));
                expectedBad.push(n);
            } else if (n % 13 === 0) {
                lines.push("# a comment");
            } else if (n % 7 === 0) {
                lines.push(`Set-CsClientPolicy -Identity P${rand(20)} -MaximumNumberOfContacts ${rand(1000)}`);
            } else {
                lines.push(`Grant-CsClientPolicy -Identity "sip:user${n}@contoso.example" -PolicyName P${rand(20)}`);
            }
        }
        assert.equal(lines.length, 200);
        const r = convertScript(lines.join("\r\n"));
        assert.deepEqual(r.problems.map((p) => p.line), expectedBad);
        for (const p of r.problems) {
            assert.ok(p.column >= 1 && p.reason.length > 10, JSON.stringify(p));
            if (/^Grant -CsClientPolicy/.test(p.text)) assert.match(p.suggestion!, /^Grant-CsClientPolicy -Identity "User \d+" -PolicyName P\d+$/);
        }
        const comments = lines.filter((l) => l.startsWith("#")).length;
        assert.equal(r.commands, 200 - comments);
        assert.equal(r.converted, r.commands - expectedBad.length);
        assert.equal(r.declaration.policies.length, 20);
        const granted = r.declaration.grants.reduce((n, g) => n + g.users.length, 0);
        assert.equal(granted, lines.filter((l) => l.startsWith("Grant-CsClientPolicy")).length);
        // The declaration is a valid tenant file.
        assert.ok(parseConfigFile(renderConvertYaml("gen.ps1", r), "gen.yaml", "tenant").ok);
    });
});

describe("convert: the shared grammar", () => {
    it("accepts New-CsClientPolicyEntry only when the caller asks (the emulator does not)", () => {
        assert.throws(() => parseLine("New-CsClientPolicyEntry -Name a -Value b", 1), /unknown command/);
        assert.equal(parseLine("new-csclientpolicyentry -Name a -Value b", 1, { extraCmdlets: ["New-CsClientPolicyEntry"] })!.cmdlet, "New-CsClientPolicyEntry");
    });
});

describe("convert: the TypeScript output", () => {
    it("type-checks against the package's own types (every setting kind, description, PolicyEntry, grants)", function () {
        this.timeout(180_000);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const ts = require("typescript") as typeof import("typescript");
        const fs = require("node:fs") as typeof import("node:fs");
        const os = require("node:os") as typeof import("node:os");
        const path = require("node:path") as typeof import("node:path");
        const r = convertScript([
            '$a = New-CsClientPolicyEntry -Name "OnlineFeedbackURL" -Value "https://feedback.example"',
            "Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $False -ConferenceIMIdleTimeout 00:30:00",
            'New-CsClientPolicy -Identity OfflineIM -Description "No offline IM" -PolicyEntry @{Add=$a} -TracingLevel light',
            "New-CsClientPolicy -Identity site:Redmond -DisplayPhoto NoPhoto -MaximumNumberOfContacts 300",
            'Grant-CsClientPolicy -Identity "Tony Smith" -PolicyName OfflineIM',
            "Grant-CsClientPolicy -Identity u2 -PolicyName Elsewhere",
        ].join("\n"));
        assert.deepEqual(r.problems, []);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "convert-ts-"));
        try {
            const file = path.join(dir, "index.ts");
            fs.writeFileSync(file, renderConvertTypeScript("s.ps1", r));
            const root = path.resolve(__dirname, "..", "..");
            const program = ts.createProgram([file], {
                strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS,
                moduleResolution: ts.ModuleResolutionKind.Node10, ignoreDeprecations: "6.0", esModuleInterop: true, baseUrl: root,
                paths: { "clientpolicy-as-code": [path.join(root, "provider", "index.ts")] }, typeRoots: [path.join(root, "node_modules", "@types")], types: ["node"],
            });
            const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file);
            assert.deepEqual(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")), []);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
