/**
 * Hostile-Unicode property tests of the gateway's commands as data (fast-check): for generated policy names, user
 * identities and setting strings over an alphabet that always holds PowerShell's quotes and dashes, line breaks, NUL,
 * NEL, U+2028/U+2029, `$()`, backtick, `;`, `|`, braces and `#`,
 * - the request line the gateway writes is one line, and each command binds (api/powershell/binder.ts, as the stand-in
 *   and the module's host loop bind it) to exactly the typed values the gateway meant;
 * - the filter literal (`quoteFilterLiteral`, the TypeScript twin of the module's `ConvertTo-CpQuotedLiteral`) reads
 *   back through the PowerShell tokenizer (api/powershell/tokenizer.ts) as exactly one single-quoted string token
 *   holding the value, and the whole filter as `ClientPolicy -eq <that string>` and nothing else;
 * - the module's quoting function, transliterated from its PowerShell (UTF-16 code units, the five code points it
 *   doubles read from the generated text), gives the same literal as the twin.
 */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { bindCommand } from "../../api/powershell/binder";
import { tokenize } from "../../api/powershell/tokenizer";
import { clientPolicyFilter, quoteFilterLiteral, readClientPolicyFilter } from "../../api/powershell/table";
import { renderModule } from "../../gateway/module";
import type { ShellRequest } from "../../api/powershell/protocol";
import { Ps } from "../../gateway/commands";

/** Characters that end strings, start statements, expand or break lines in PowerShell, or end lines elsewhere. */
const HOSTILE = ["'", "\u2019", "\u2018", "\u201a", "\u201b", '"', "\u201c", "\u201d", "\u201e", "\u2013", "\u2014", "\u2015",
    "\r", "\n", "\0", "\u0085", "\u2028", "\u2029", "$(", ")", "`", ";", "|", "}", "{", "#", "$", "@", "<#", "#>", " "];

/** Text over the hostile alphabet mixed with any code points (lone surrogates included). */
const hostileText = (minLength = 0) => fc.array(fc.oneof(
    { arbitrary: fc.constantFrom(...HOSTILE), weight: 3 },
    { arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 3 }), weight: 2 },
), { minLength, maxLength: 24 }).map((parts) => parts.join(""));

const RUNS = { numRuns: 400 };

describe("gateway protocol: hostile Unicode", () => {
    it("every command the gateway sends is one JSON line that binds to exactly the values it was built from", () => {
        fc.assert(fc.property(hostileText(1), hostileText(1), hostileText(), hostileText(1), fc.boolean(), fc.integer({ min: 0, max: 23 * 3600 + 59 * 60 + 59 }),
            (name, user, text, entryName, flag, seconds) => {
                const hh = String(Math.floor(seconds / 3600)).padStart(2, "0");
                const ts = `${hh}:${String(Math.floor(seconds / 60) % 60).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
                const identity = `Tag:${name}`;
                const commands = [
                    Ps.getPolicy(identity),
                    Ps.setPolicy(identity, { Description: text, EnableURL: flag, ConferenceIMIdleTimeout: ts, MaximumNumberOfContacts: seconds % 1001, PolicyEntry: [{ Name: entryName, Value: text }], CustomStateUrl: null }),
                    Ps.grant(user, name),
                    Ps.grant(user, null),
                    Ps.getUser(user),
                    Ps.usersWithPolicy(identity),
                    Ps.removePolicy(identity),
                ];
                const line = JSON.stringify({ id: 7, commands, stopOnError: true } satisfies ShellRequest);
                // StreamReader.ReadLine (the module) and node:readline (the stand-in) end a line only at CR or LF.
                assert.doesNotMatch(line, /[\r\n]/);
                const received = (JSON.parse(line) as ShellRequest).commands;
                const [get, set, grant, unassign, getUser, withPolicy, remove] = received.map((c) => bindCommand(c));
                const str = (b: ReturnType<typeof bindCommand>, p: string) => {
                    const v = b.args.get(p)!.value;
                    assert.ok(v.type === "string" || v.type === "clientPolicyFilter", `${p} is a string`);
                    return v.value;
                };
                assert.equal(str(get, "Identity"), identity);
                assert.equal(str(set, "Identity"), identity);
                assert.equal(str(set, "Description"), text);
                assert.deepEqual(set.args.get("EnableURL")!.value, { type: "bool", value: flag });
                assert.deepEqual(set.args.get("ConferenceIMIdleTimeout")!.value, { type: "timespan", seconds, text: ts });
                assert.deepEqual(set.args.get("MaximumNumberOfContacts")!.value, { type: "uint", value: seconds % 1001 });
                assert.deepEqual(set.args.get("PolicyEntry")!.value, { type: "policyEntries", value: [{ Name: entryName, Value: text }] });
                assert.deepEqual(set.args.get("CustomStateUrl")!.value, { type: "null" });
                assert.equal(str(grant, "Identity"), user);
                assert.equal(str(grant, "PolicyName"), name);
                assert.deepEqual(unassign.args.get("PolicyName")!.value, { type: "null" });
                assert.equal(str(getUser, "Identity"), user);
                assert.equal(str(withPolicy, "Filter"), identity);
                assert.equal(readClientPolicyFilter(withPolicy.filterExpression!), identity, "the filter expression says the same policy");
                assert.deepEqual(remove.args.get("Force")!.value, { type: "switch" });
                assert.deepEqual([get, set, grant, getUser, withPolicy, remove].map((b) => b.cmdlet.name),
                    ["Get-CsClientPolicy", "Set-CsClientPolicy", "Grant-CsClientPolicy", "Get-CsUser", "Get-CsUser", "Remove-CsClientPolicy"]);
            }), RUNS);
    });

    it("the filter literal is exactly one single-quoted string token holding the value, and the filter nothing but ClientPolicy -eq it", () => {
        fc.assert(fc.property(hostileText(), (value) => {
            const literal = tokenize(quoteFilterLiteral(value));
            assert.equal(literal.length, 1, JSON.stringify(literal));
            assert.equal(literal[0].kind, "string");
            assert.equal(literal[0].quote, "single");
            assert.equal(literal[0].value, value);
            const filter = tokenize(clientPolicyFilter(value)).map((t) => [t.kind, t.value]);
            assert.deepEqual(filter, [["word", "ClientPolicy"], ["parameter", "eq"], ["string", value]]);
        }), RUNS);
    });

    it("the module's quoting function (its PowerShell, transliterated) gives the twin's literal", () => {
        const module = renderModule();
        const codes = /\$script:CpSingleQuotes = @\(([^)]*)\)/.exec(module)![1].split(",").map((c) => Number(c.trim()));
        const body = /function ConvertTo-CpQuotedLiteral\(\[string\]\$Value\) \{\r\n([\s\S]*?)\r\n\}/.exec(module)![1];
        // The function as generated: append an opening 0x27, each UTF-16 char (doubled when its code is a quote), a closing 0x27.
        assert.equal(body, [
            "    $sb = New-Object System.Text.StringBuilder",
            "    [void]$sb.Append([char]0x27)",
            "    foreach ($c in $Value.ToCharArray()) {",
            "        [void]$sb.Append($c)",
            "        if ($script:CpSingleQuotes -contains [int]$c) { [void]$sb.Append($c) }",
            "    }",
            "    [void]$sb.Append([char]0x27)",
            "    return $sb.ToString()",
        ].join("\r\n"));
        const transliterated = (value: string) => {
            let out = "'";
            for (let i = 0; i < value.length; i++) {
                out += value[i];
                if (codes.includes(value.charCodeAt(i))) out += value[i];
            }
            return out + "'";
        };
        fc.assert(fc.property(hostileText(), (value) => assert.equal(transliterated(value), quoteFilterLiteral(value))), RUNS);
    });
});
