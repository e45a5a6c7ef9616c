/**
 * The PowerShell tokenizer against hand-written cases taken from PowerShell's language specification and source
 * (CharTraits.cs, tokenizer.cs), and the PowerShell emitter (api/powershell/emit.ts, and the `clientpolicy cmdlets`
 * plan built on it) proven against hostile text with fast-check: every value reads back as exactly the value it was,
 * in exactly one token / statement, and a comment never lets text out onto a line of code.
 */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { parseScript, renderCmdlet } from "../../api/cmdlets";
import { commentText, psComment, psString, psValue } from "../../api/powershell/emit";
import { parsePsScript } from "../../api/powershell/parser";
import { PsParseError, tokenize } from "../../api/powershell/tokenizer";
import { StepMetadata, planToCmdlets } from "../../cli/cmdlets/plan";
import { hostile } from "../../testkit/hostile";

const RUNS = { numRuns: 1500 };

const kinds = (s: string) => tokenize(s).map((t) => [t.kind, t.value]);

describe("PowerShell tokenizer: characters as PowerShell reads them", () => {
    it("typographic single quotes ' \u2018 \u2019 \u201a \u201b are interchangeable: any ends the string, any two in a row are one (the second)", () => {
        assert.deepEqual(kinds("\u2018Ken Myer\u2019"), [["string", "Ken Myer"]]);
        assert.deepEqual(kinds("'it\u2019\u2019s'"), [["string", "it\u2019s"]]);
        assert.deepEqual(kinds("\u201ax\u201b"), [["string", "x"]]);
        assert.deepEqual(kinds("'a\u2018''"), [["string", "a'"]], "two quote characters in a row stand for the second");
        assert.deepEqual(kinds("'x\u2019;Remove-CsClientPolicy"), [["string", "x"], ["semi", ";"], ["word", "Remove-CsClientPolicy"]],
            "a typographic quote ends an ASCII-quoted string: the rest is code");
    });

    it("typographic double quotes \" \u201c \u201d \u201e: the same, with backtick escapes", () => {
        assert.deepEqual(kinds("\u201cKen Myer\u201d"), [["string", "Ken Myer"]]);
        assert.deepEqual(kinds("\u201ea\u201d\u201db\""), [["string", "a\u201db"]]);
        assert.deepEqual(kinds('"a`"b`t`u{263A}"'), [["string", 'a"b\t\u263a']]);
        assert.equal(tokenize('"$x"')[0].expandable, true);
        assert.equal(tokenize('"cost: $ 5"')[0].expandable, undefined, "a $ before a space expands nothing");
    });

    it("dashes - \u2013 \u2014 \u2015 start parameters and negative numbers", () => {
        assert.deepEqual(kinds("Set-CsClientPolicy \u2013Identity Global \u2014EnableURL:$True \u2015Force -x \u20135"), [
            ["word", "Set-CsClientPolicy"], ["parameter", "Identity"], ["word", "Global"], ["parameter", "EnableURL"], ["variable", "True"],
            ["parameter", "Force"], ["parameter", "x"], ["number", "-5"]]);
        assert.equal(tokenize("-Name:")[0].colon, true);
        assert.deepEqual(kinds("a\u2013b -'x'"), [["word", "a\u2013b"], ["word", "-x"]], "inside a word a dash is a character; quotes are never part of a parameter");
    });

    it("comments: # to the end of the line (only CR/LF end it), <# … #> across lines; # inside a word is a character", () => {
        assert.deepEqual(kinds("a # b <# c\nd"), [["word", "a"], ["comment", " b <# c"], ["newline", "\n"], ["word", "d"]]);
        assert.deepEqual(kinds("# c\u2028Remove-CsClientPolicy x\u0085y"), [["comment", " c\u2028Remove-CsClientPolicy x\u0085y"]],
            "U+2028 and NEL do not end a comment in PowerShell");
        assert.deepEqual(kinds("<# Grant-CsClientPolicy\n -Identity x #>Get-CsClientPolicy"), [["comment", " Grant-CsClientPolicy\n -Identity x "], ["word", "Get-CsClientPolicy"]]);
        assert.deepEqual(kinds("Sales#1 a<#b"), [["word", "Sales#1"], ["word", "a<#b"]]);
        assert.throws(() => tokenize("a\n<# open"), (e: unknown) => e instanceof PsParseError && e.line === 2 && e.column === 1);
    });

    it("a backtick continues the line only directly before CR/LF; backtick + space is white space and the line still ends", () => {
        assert.deepEqual(kinds("a `\nb"), [["word", "a"], ["word", "b"]]);
        assert.deepEqual(kinds("a `\r\nb"), [["word", "a"], ["word", "b"]]);
        assert.deepEqual(kinds("a ` \nb"), [["word", "a"], ["newline", "\n"], ["word", "b"]]);
        assert.deepEqual(kinds("a` b"), [["word", "a b"]], "inside a word, backtick + space is an escaped space");
        assert.equal(parsePsScript("Grant-CsClientPolicy -Identity x ` \n -PolicyName y").statements.length, 2);
    });

    it("white space: NBSP, NEL, U+2028, U+2029 separate tokens; only CR, LF, CRLF and ; end a statement", () => {
        assert.deepEqual(kinds("a\u00a0b\u0085c\u2028d\u2029e"), [["word", "a"], ["word", "b"], ["word", "c"], ["word", "d"], ["word", "e"]]);
        assert.deepEqual(parsePsScript("a\rb\r\nc;d|e").statements.map((s) => s.pipeline!.map((c) => c.name)), [["a"], ["b"], ["c"], ["d", "e"]]);
    });

    it("here-strings @'…'@ and @\"…\"@: the closing quote must start a line", () => {
        assert.deepEqual(kinds("@'\nit's $x `n\n'@"), [["string", "it's $x `n"]]);
        assert.deepEqual(kinds("@\"\na`tb\r\n\"@ x"), [["string", "a\tb"], ["word", "x"]]);
        assert.deepEqual(kinds("@\u2018\nx '@ y\n\u2019@"), [["string", "x '@ y"]]);
        assert.throws(() => tokenize("@'x'@"), /nothing may follow/);
        assert.throws(() => tokenize("@'\nx'@"), /unterminated here-string/);
    });

    it("words: quoted parts join a word, backtick escapes, and & ( ) , ; { | } end one", () => {
        assert.deepEqual(kinds("a'b c'd x`$y"), [["word", "ab cd"], ["word", "x$y"]]);
        assert.deepEqual(kinds("a,b"), [["word", "a"], ["punct", ","], ["word", "b"]]);
        assert.throws(() => tokenize("5kb"), /plain decimal/);
    });
});

describe("PowerShell emitter: hostile text reads back as exactly itself", () => {
    it("psString: one single-quoted string token with the same value, whatever the characters", () => {
        fc.assert(fc.property(hostile(), (s) => {
            const tokens = tokenize(psString(s));
            assert.equal(tokens.length, 1);
            assert.equal(tokens[0].kind, "string");
            assert.equal(tokens[0].value, s);
        }), RUNS);
    });

    it("a cmdlet line between two others: exactly three statements, the middle one with the same values", () => {
        const value = fc.oneof(hostile(), fc.constantFrom(null, true, false), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0) && /^-?\d+(\.\d+)?$/.test(String(n))));
        fc.assert(fc.property(hostile(), value, hostile(), (identity, v, description) => {
            const line = renderCmdlet("Set-CsClientPolicy", [["Identity", identity], ["IMWarning", v], ["Description", description]]);
            const script = `Get-CsClientPolicy\n${line}\nRemove-CsClientPolicy -Identity Tag:Last`;
            const cmds = parseScript(script);
            assert.deepEqual(cmds.map((c) => c.cmdlet), ["Get-CsClientPolicy", "Set-CsClientPolicy", "Remove-CsClientPolicy"], script);
            assert.deepEqual([...cmds[1].named.values()].map((p) => [p.name, p.value]), [["Identity", identity], ["IMWarning", v], ["Description", description]]);
            assert.equal(cmds[1].positional.length, 0);
            assert.equal(cmds[2].named.get("identity")!.value, "Tag:Last");
        }), RUNS);
    });

    it("psComment: one comment token on one line, no line break of any kind, nothing lost (unescaping gives the text back)", () => {
        const unescape = (t: string) => t.replace(/\\(\\|u([0-9a-f]{4}))/g, (_m, c: string, hex?: string) => (hex ? String.fromCharCode(parseInt(hex, 16)) : "\\"));
        fc.assert(fc.property(hostile(24), (s) => {
            const comment = psComment(s);
            assert.doesNotMatch(comment, /[\r\n\u0085\u2028\u2029\0]/);
            const tokens = tokenize(`${comment}\nRemove-CsClientPolicy -Identity Tag:Next`);
            assert.deepEqual(tokens.slice(0, 2).map((t) => t.kind), ["comment", "newline"]);
            assert.equal(tokens[0].text, comment);
            assert.equal(parsePsScript(`${comment}\nGet-CsClientPolicy`).statements.length, 1);
            assert.ok(comment === "#" || comment.startsWith("# "), "never #requires");
            assert.equal(unescape(commentText(s)), s);
        }), RUNS);
    });

    it("$True, $False, $null and numbers", () => {
        assert.deepEqual([psValue(true), psValue(false), psValue(null), psValue(-5), psValue(1.5)], ["$True", "$False", "$null", "-5", "1.5"]);
        assert.throws(() => psValue(1e21), /plain decimal/);
    });
});

describe("clientpolicy cmdlets: names from the program never become code", () => {
    const T = "pulumi-nodejs:dynamic/clientpolicy:";
    const step = (op: string, type: string, name: string, news?: Record<string, unknown>, olds?: Record<string, unknown>): StepMetadata =>
        ({ op, urn: `urn:pulumi:dev::proj::${T}${type}::${name}`, type: `${T}${type}`, new: news ? { inputs: news } : null, old: olds ? { outputs: olds } : null });

    it("a resource name with a line break stays in its comment, never a runnable Remove-CsClientPolicy -Force line", async () => {
        const name = "old\nRemove-CsClientPolicy -Identity Tag:Sales -Force\n#";
        const plan = await planToCmdlets([step("delete", "ClientPolicy", name, undefined, { identity: "Tag:Old" })], async () => undefined);
        const cmds = parseScript(plan.lines.join("\n"));
        assert.deepEqual(cmds.map((c) => c.text), ["Remove-CsClientPolicy -Identity Tag:Old"]);
    });

    it("hostile resource names, identities, users, settings and PolicyEntry text: the script runs exactly the planned commands", async () => {
        // PolicyEntry names are non-empty (check() refuses an empty one before any preview).
        await fc.assert(fc.asyncProperty(hostile(), hostile(), hostile(), hostile(), hostile(16, 1), async (name, policy, user, description, entry) => {
            const identity = `Tag:${policy}`;
            const plan = await planToCmdlets([
                step("delete", "ClientPolicy", name, undefined, { identity }),
                step("create", "ClientPolicy", name, { identity: "Tag:P", description, policyEntry: [{ name: entry, value: entry }] }),
                step("delete", "PolicyGrant", name, undefined, { policyName: "P", users: [user] }),
            ], async () => undefined);
            const script = plan.lines.join("\n");
            const statements = parsePsScript(script).statements;
            assert.equal(statements.length, plan.commands, script);
            const simple = statements.filter((s) => !s.assignTo && !s.text.includes("@{Add=$entry}")).map((s) => parseScript(s.text)[0]);
            assert.deepEqual(simple.map((c) => [c.cmdlet, [...c.named.values()].map((p) => p.value)]), [
                ["Remove-CsClientPolicy", [identity]],
                ["New-CsClientPolicy", ["Tag:P", description]],
                ["Grant-CsClientPolicy", [user, null]],
            ]);
            const assignment = statements.find((s) => s.assignTo)!;
            assert.equal(assignment.assignTo!.name, "entry");
            const values = assignment.pipeline![0].elements.filter((e) => e.kind === "argument").map((e) => (e.kind === "argument" && e.argument.kind === "value" ? e.argument.value : undefined));
            assert.deepEqual(values, [entry, entry]);
        }), { numRuns: 500 });
    });
});
