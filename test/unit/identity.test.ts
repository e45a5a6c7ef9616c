import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { SETTINGS, SettingDef, camelName, formatTimeSpan, settingsByProperty } from "../../api/catalogue";
import { foldIdentity, isIdentityError, parsePolicyIdentity, samePolicy, sameIdentity } from "../../api/identity";
import { validateSettings } from "../../provider/validate";
import type { CamelName } from "../../provider/settings";

const ROOT = path.resolve(__dirname, "..", "..");

describe("policy identity parsing (as the provider uses it)", () => {
    const OK: Array<[string, string, string]> = [
        ["Global", "Global", "GLOBAL"], ["global", "Global", "GLOBAL"], [" GLOBAL ", "Global", "GLOBAL"],
        ["OfflineIM", "Tag:OfflineIM", "TAG:OFFLINEIM"], ["tag:OfflineIM", "Tag:OfflineIM", "TAG:OFFLINEIM"],
        ["TAG:OfflineIM", "Tag:OfflineIM", "TAG:OFFLINEIM"], ["site:Redmond", "site:Redmond", "SITE:REDMOND"],
        ["Site:Redmond", "site:Redmond", "SITE:REDMOND"], ["Sales Policy.v2", "Tag:Sales Policy.v2", "TAG:SALES POLICY.V2"],
        // Names Skype for Business accepts from PowerShell (../shared/CSCLIENTPOLICY.md §3): @, #, $, %, unicode.
        ["Sales@EU", "Tag:Sales@EU", "TAG:SALES@EU"], ["Tag:R&D #1 $x 100%", "Tag:R&D #1 $x 100%", "TAG:R&D #1 $X 100%"],
        ["site:Zürich", "site:Zürich", "SITE:ZÜRICH"], ["-lead", "Tag:-lead", "TAG:-LEAD"],
    ];
    for (const [input, canonical, key] of OK) {
        it(`parses ${JSON.stringify(input)}`, () => {
            const id = parsePolicyIdentity(input);
            assert.ok(!isIdentityError(id));
            assert.equal(id.canonical, canonical);
            assert.equal(id.key, key);
        });
    }
    for (const bad of ["", "Tag:", "site:", "Tag:Global", "x:y", "a/b", "*", "Tag:*", "a\\b", ".", "Tag:..", "Tag: lead", "tab\tname", "n".repeat(257)]) {
        it(`rejects ${JSON.stringify(bad)}`, () => assert.ok(isIdentityError(parsePolicyIdentity(bad))));
    }
});

describe("identity folding: .NET StringComparison.OrdinalIgnoreCase (foldIdentity)", () => {
    const same: Array<[string, string, string]> = [
        ["ASCII letters", "sip:Tony.Smith@Contoso.Example", "SIP:TONY.SMITH@CONTOSO.EXAMPLE"],
        ["Latin-1 letters", "zürich", "ZÜRICH"],
        ["Greek final sigma and sigma: both upper-case to Σ", "οδος", "ΟΔΟΣ"],
        ["final sigma against medial sigma", "\u03c2", "\u03c3"],
        ["Cyrillic", "иван", "ИВАН"],
        ["dotted capital İ folds to itself", "\u0130", "\u0130"],
        ["ypogegrammeni to its simple (title-case) upper case, not the expansion ΑΙ", "\u1fb3", "\u1fbc"],
    ];
    for (const [what, a, b] of same) it(`equal: ${what}`, () => assert.ok(sameIdentity(a, b), `${a} / ${b}`));

    const distinct: Array<[string, string, string]> = [
        ["Kelvin sign U+212A is not K", "\u212a", "K"],
        ["Kelvin sign U+212A is not k", "\u212a", "k"],
        ["Ångström sign U+212B is not Å", "\u212b", "\u00c5"],
        ["ß does not expand to SS", "\u00df", "SS"],
        ["ß is not capital sharp s U+1E9E", "\u00df", "\u1e9e"],
        ["Turkish dotless ı is not I", "\u0131", "I"],
        ["Turkish dotless ı is not i", "\u0131", "i"],
        ["dotted capital İ is not i", "\u0130", "i"],
        ["long s ſ is not S", "\u017f", "s"],
        ["the ligature ﬁ does not expand to FI", "\ufb01", "fi"],
        ["ΑΙ is not the ypogegrammeni letter", "\u0391\u0399", "\u1fb3"],
    ];
    for (const [what, a, b] of distinct) it(`distinct: ${what}`, () => assert.ok(!sameIdentity(a, b), `${a} / ${b}`));

    it("never changes the length in code points (a one-to-one mapping, no expansions)", () => {
        for (const s of ["\u00df", "\ufb03", "\u0149", "\u1f80\u1fb7", "\u0390"]) assert.equal([...foldIdentity(s)].length, [...s].length, s);
    });

    it("names a Kelvin-sign policy apart from a K policy, and σ/ς policies as one", () => {
        assert.ok(!samePolicy("Tag:\u212aiosk", "Tag:Kiosk"));
        assert.ok(samePolicy("Tag:ΟΔΟΣ", "οδοσ"));
        assert.notEqual((parsePolicyIdentity("Tag:\u212aiosk") as { key: string }).key, (parsePolicyIdentity("Kiosk") as { key: string }).key);
    });
});

describe("resource property names from the catalogue", () => {
    /** The compiler checks `camel` is CamelName<W>; the test checks the run-time rule agrees. */
    function same<const W extends string>(wire: W, camel: CamelName<W>) {
        assert.equal(camelName(wire), camel);
    }
    it("derives the same camelCase names at type level and at run time", () => {
        same("EnableIMAutoArchiving", "enableIMAutoArchiving");
        same("IMWarning", "imWarning");
        same("IMLatencySpinnerDelay", "imLatencySpinnerDelay");
        same("DGRefreshInterval", "dgRefreshInterval");
        same("MAPIPollInterval", "mapiPollInterval");
        same("SPSearchCenterExternalURL", "spSearchCenterExternalURL");
        same("P2PAppSharingEncryption", "p2PAppSharingEncryption");
        same("TabURL", "tabURL");
        same("DisableICE", "disableICE");
        same("EnableSQMData", "enableSQMData");
        same("MaxPhotoSizeKB", "maxPhotoSizeKB");
        same("Description", "description");
    });

    it("names every catalogue setting uniquely at run time", () => {
        const names = SETTINGS.map((d) => camelName(d.name));
        assert.equal(new Set(names).size, SETTINGS.length, "two settings share a camelCase name");
        assert.deepEqual([...settingsByProperty().keys()], names);
    });

    it("types every catalogue setting: the run-time names and values type-check against ClientPolicySettings (typed keys cover the catalogue)", function () {
        this.timeout(120_000);
        // A fully populated settings object built at run time from the catalogue (names by camelName, one valid value
        // per setting); the run-time validator must accept it ...
        const full = Object.fromEntries(SETTINGS.map((d) => [camelName(d.name), validValue(d)]));
        assert.deepEqual(validateSettings(full), []);
        assert.deepEqual(Object.keys(full), SETTINGS.map((d) => camelName(d.name)));
        // ... and the compiler must accept it as `Required<ClientPolicySettings>` (every typed key present, no key the
        // types lack, each value of its type), reject a wrong-typed value for every setting, and find every setting
        // as an output of the ClientPolicy class. Generated, so no setting can be left out by hand.
        const diagnostics = typeCheck(generatedTypeTest(full));
        assert.deepEqual(diagnostics, []);
    });
});

/** A value the catalogue accepts for `d`, in input form. */
function validValue(d: SettingDef): unknown {
    switch (d.kind) {
        case "boolean": return true;
        case "enum": return d.values![d.values!.length - 1];
        case "uint": return d.max;
        case "timespan": return formatTimeSpan(d.max!);
        case "string": return "x";
        case "policyEntry": return [{ name: "a", value: "b" }];
    }
}

/** A value of the wrong type for `d` (the compiler must reject it). */
function wrongValue(d: SettingDef): unknown {
    switch (d.kind) {
        case "boolean": return "true";
        case "enum": return "__not_one_of_the_values__";
        case "uint": return "1";
        case "timespan": return true;
        case "string": return 1;
        case "policyEntry": return [{ Name: "a", Value: "b" }];
    }
}

/** TypeScript source asserting the run-time catalogue against the resource's types. */
function generatedTypeTest(full: Record<string, unknown>): string {
    const schema = JSON.stringify(path.join(ROOT, "provider", "settings"));
    const resource = JSON.stringify(path.join(ROOT, "provider", "resources", "clientPolicy"));
    const lines = [
        `import type { ClientPolicySettings, ClientPolicySettingOutputs } from ${schema};`,
        `import type { ClientPolicy } from ${resource};`,
        `export const full: Required<ClientPolicySettings> = ${JSON.stringify(full)};`,
        `export const outputs: Required<ClientPolicySettingOutputs> = ${JSON.stringify(full)};`,
        `type Listed = ${Object.keys(full).map((k) => JSON.stringify(k)).join(" | ")};`,
        `type NotOutputs = Exclude<Listed, keyof ClientPolicy>;`,
        `export const everySettingIsAnOutput: [NotOutputs] extends [never] ? true : { missing: NotOutputs } = true;`,
    ];
    const seconds = SETTINGS.filter((d) => d.kind === "timespan").map((d) => `${JSON.stringify(camelName(d.name))}: ${d.min}`);
    lines.push(`export const durationsInSeconds: ClientPolicySettings = { ${seconds.join(", ")} };`);
    SETTINGS.forEach((d, i) => {
        lines.push("// @ts-expect-error a wrong-typed value must not compile");
        lines.push(`export const wrong${i}: ClientPolicySettings = { ${JSON.stringify(camelName(d.name))}: ${JSON.stringify(wrongValue(d))} };`);
    });
    return lines.join("\n") + "\n";
}

/** Type-checks `source` with the project's compiler options; returns the diagnostics as text. */
function typeCheck(source: string): string[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "typed-keys-"));
    try {
        const file = path.join(dir, "typedKeys.ts");
        fs.writeFileSync(file, source);
        const config = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile);
        const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
        const program = ts.createProgram([file], { ...options, noEmit: true, types: [], rootDir: undefined });
        return ts.getPreEmitDiagnostics(program).map((d) => {
            const where = d.file && d.start !== undefined ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : "";
            const line = d.file && d.start !== undefined ? source.split("\n")[d.file.getLineAndCharacterOfPosition(d.start).line]?.slice(0, 160) : "";
            return `${where}${ts.flattenDiagnosticMessageText(d.messageText, "\n").slice(0, 400)}${line ? `\n    ${line}` : ""}`;
        });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
