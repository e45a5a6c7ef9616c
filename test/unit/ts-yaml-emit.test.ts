/**
 * The TypeScript and YAML that `clientpolicy export` and `clientpolicy convert` write, proven against hostile text
 * with fast-check: the emitted program is parsed with the TypeScript compiler API (no syntax errors, exactly the
 * statements expected, every string literal with exactly the tenant's value, comments that hide no code), and the
 * YAML is parsed back with the `yaml` library to the same values.
 */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import ts from "typescript";
import { parse as parseYaml, parseDocument } from "yaml";
import { foldIdentity, parsePolicyIdentity } from "../../api/identity";
import { tsComment, tsLiteral, tsString } from "../../cli/emit/typescript";
import { ConvertResult } from "../../cli/convert/convert";
import { renderConvertTypeScript, renderConvertYaml } from "../../cli/convert/render";
import { TenantSnapshot } from "../../cli/export/read";
import { nameResources, renderTypeScript, renderYaml } from "../../cli/export/render";
import { hostile } from "../../testkit/hostile";

const RUNS = { numRuns: 200 };

/** Parses a program; fails on any syntax error. */
function parseProgram(text: string): ts.SourceFile {
    const out = ts.transpileModule(text, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS } });
    assert.deepEqual((out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")), [], text);
    return ts.createSourceFile("index.ts", text, ts.ScriptTarget.ES2022, true);
}

/** Every string literal of a program, in source order. */
function stringLiterals(sf: ts.SourceFile): string[] {
    const out: string[] = [];
    const visit = (n: ts.Node) => {
        if (ts.isStringLiteral(n)) out.push(n.text);
        ts.forEachChild(n, visit);
    };
    visit(sf);
    return out;
}

/** Every comment of a program (scanner trivia), as written. */
function comments(text: string): string[] {
    const scanner = ts.createScanner(ts.ScriptTarget.ES2022, false, ts.LanguageVariant.Standard, text);
    const out: string[] = [];
    for (let k = scanner.scan(); k !== ts.SyntaxKind.EndOfFileToken; k = scanner.scan()) {
        if (k === ts.SyntaxKind.SingleLineCommentTrivia || k === ts.SyntaxKind.MultiLineCommentTrivia) out.push(scanner.getTokenText());
    }
    return out;
}

/** The canonical identity of a tag policy name (the tenant trims and normalises names). */
const canonical = (name: string) => (parsePolicyIdentity(`Tag:${name}`) as { canonical: string }).canonical;

/** A policy name: hostile text that is a valid identity name (non-empty after trimming, no `*`, …). */
const policyName = hostile(16, 1).filter((s) => !("error" in parsePolicyIdentity(`Tag:${s}`)));
/** Names that stay distinct as identities. */
const policyNames = fc.uniqueArray(policyName, { minLength: 1, maxLength: 3, selector: (s) => canonical(s).toLowerCase() });

describe("TypeScript emitter", () => {
    it("a string literal, a JSON-like value and a comment: one statement, exactly the value, a comment hiding nothing", () => {
        fc.assert(fc.property(hostile(), hostile(), (s, c) => {
            const program = `${tsComment(c)}\nexport const v = ${tsString(s)};\n${tsComment(c)}\nexport const w = ${tsLiteral({ a: [s, 1, null, true], [`${s} key`]: { name: s } }, "")};\n`;
            const sf = parseProgram(program);
            assert.equal(sf.statements.length, 2);
            assert.deepEqual(stringLiterals(sf), [s, s, `${s} key`, s]);
            assert.deepEqual(comments(program), [tsComment(c), tsComment(c)]);
        }), RUNS);
    });

    it("clientpolicy export --format ts: a U+2028 in a policy name cannot end a // comment", () => {
        // Our identity rule refuses line breaks, but the emitter must not rely on it: a snapshot read through the
        // gateway from a real server holds whatever names the server has, so the identity is built unchecked here.
        const decl = nameResources(snapshot([{ name: "x\u2028export const pwned = 1;", description: "d" }], [], { unchecked: true }));
        const sf = parseProgram(renderTypeScript(decl));
        assert.ok(!sf.statements.some((s) => ts.isVariableStatement(s) && s.getText().includes("pwned")), renderTypeScript(decl));
    });

    it("clientpolicy export --format ts, hostile policy names, descriptions and users: exactly the declared statements and values", () => {
        fc.assert(fc.property(policyNames, hostile(), hostile(16, 1),
            (names, description, user) => {
                const snap = snapshot(names.map((name) => ({ name, description })), [{ name: names[0], users: [user] }]);
                const decl = nameResources(snap);
                const text = renderTypeScript(decl);
                const sf = parseProgram(text);
                // import + one statement per policy + one per grant.
                assert.equal(sf.statements.length, 1 + names.length + 1, text);
                // Exactly these literals, in order: the module, each policy's resource name, identity and description,
                // then the grant's resource name and user (values may coincide, e.g. a user spelled as the description).
                assert.deepEqual(stringLiterals(sf), [
                    "clientpolicy-as-code",
                    ...decl.policies.flatMap((p, i) => [p.resourceName, canonical(names[i]), description]),
                    decl.grants[0].resourceName, user,
                ], text);
                for (const c of comments(text)) assert.doesNotMatch(c, /[\n\r\u2028\u2029]/);
            }), RUNS);
    });

    it("clientpolicy export --format ts, hostile owner ids (another stack's, taken over): the owners stay in comments", () => {
        fc.assert(fc.property(policyNames, hostile(), hostile(16, 1), hostile(), (names, owner, user, grantOwner) => {
            const snap = snapshot(names.map((name) => ({ name, description: "d", owner: `proj/prod@0123456789abcdef/${owner}` })),
                [{ name: names[0], users: [user], owners: [`other/dev/${grantOwner}`] }]);
            const text = renderTypeScript(nameResources(snap));
            const sf = parseProgram(text);
            assert.equal(sf.statements.length, 1 + names.length + 1, text);
            assert.match(text, /^\/\/ Owned by other stacks today/m, "the take-over is said in the header");
            for (const c of comments(text)) assert.doesNotMatch(c, /[\n\r\u2028\u2029]/);
        }), RUNS);
    });

    it("clientpolicy convert --format ts: hostile script text in the header (reasons, suggested lines) stays in comments", () => {
        fc.assert(fc.property(hostile(), hostile(), hostile(), (reason, suggestion, source) => {
            const result: ConvertResult = {
                declaration: { policies: [{ identity: "Tag:P", description: reason, settings: {} }], grants: [{ policy: "Tag:P", users: [suggestion] }] },
                problems: [{ line: 1, column: 1, text: suggestion, reason, suggestion }], notes: [], commands: 1, converted: 0,
            };
            const text = renderConvertTypeScript(source, result);
            const sf = parseProgram(text);
            assert.equal(sf.statements.length, 3, text);
            assert.deepEqual(stringLiterals(sf).slice(1), ["tag-p", "Tag:P", reason, "grant-p", suggestion]);
        }), RUNS);
    });
});

describe("YAML emitter (the `yaml` library)", () => {
    it("clientpolicy export --format yaml: hostile names, descriptions, users and header text parse back to the same values", () => {
        fc.assert(fc.property(policyNames, hostile(), hostile(16, 1), hostile(),
            (names, description, user, tenant) => {
                const snap = { ...snapshot(names.map((name) => ({ name, description })), [{ name: names[0], users: [user] }]), tenantId: tenant };
                const text = renderYaml(nameResources(snap));
                const doc = parseDocument(text);
                assert.deepEqual(doc.errors, [], text);
                const back = parseYaml(text) as { policies: Array<{ identity: string; description?: string }>; grants: Array<{ users: string[] }> };
                assert.deepEqual(Object.keys(back), ["policies", "grants"]);
                assert.deepEqual(back.policies.map((p) => [p.identity, p.description]), names.map((n) => [canonical(n), description]));
                assert.deepEqual(back.grants[0].users, [user]);
                assert.ok(doc.commentBefore?.includes("Exported by"));
            }), RUNS);
    });

    it("clientpolicy export --format yaml, hostile owner ids in the header: the file parses back to the same declaration", () => {
        fc.assert(fc.property(policyNames, hostile(), hostile(16, 1), (names, owner, user) => {
            const snap = snapshot(names.map((name) => ({ name, description: "d", owner: `proj/prod@0123456789abcdef/${owner}` })),
                [{ name: names[0], users: [user], owners: [`other/dev/${owner}`] }]);
            const text = renderYaml(nameResources(snap));
            const doc = parseDocument(text);
            assert.deepEqual(doc.errors, [], text);
            const back = parseYaml(text) as { policies: Array<{ identity: string }>; grants: Array<{ users: string[] }> };
            assert.deepEqual(Object.keys(back), ["policies", "grants"]);
            assert.deepEqual(back.policies.map((p) => p.identity), names.map(canonical));
            assert.deepEqual(back.grants[0].users, [user]);
            assert.ok(doc.commentBefore?.includes("Owned by other stacks today"));
        }), RUNS);
    });

    it("clientpolicy convert --format yaml: hostile header text stays in the comment", () => {
        fc.assert(fc.property(hostile(), hostile(), (reason, source) => {
            const result: ConvertResult = {
                declaration: { policies: [{ identity: "Global", description: reason, settings: {} }], grants: [] },
                problems: [{ line: 1, column: 1, text: reason, reason, suggestion: reason }], notes: [], commands: 1, converted: 0,
            };
            const text = renderConvertYaml(source, result);
            assert.deepEqual(parseDocument(text).errors, [], text);
            assert.deepEqual(parseYaml(text), { policies: [{ identity: "Global", description: reason, settings: {} }], grants: [] });
        }), RUNS);
    });
});

function snapshot(policies: Array<{ name: string; description: string; owner?: string }>, grants: Array<{ name: string; users: string[]; owners?: string[] }>,
    options: { unchecked?: boolean } = {}): TenantSnapshot {
    const id = (name: string) => {
        if (options.unchecked) return { scope: "tag", name, canonical: `Tag:${name}`, key: `TAG:${foldIdentity(name)}` };
        const p = parsePolicyIdentity(`Tag:${name}`);
        if ("error" in p) throw new Error(p.error);
        return p;
    };
    return {
        endpoint: "http://127.0.0.1:1", tenantId: "contoso.example", readAt: new Date(0), grantsIncluded: true,
        policies: policies.map((p) => ({ identity: id(p.name), settings: { description: p.description, enableURL: true }, owner: p.owner ?? null })),
        grants: grants.map((g) => ({ policy: id(g.name), users: g.users, owners: g.owners ?? g.users.map(() => null) })),
    } as unknown as TenantSnapshot;
}
