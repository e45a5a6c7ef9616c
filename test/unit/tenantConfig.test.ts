import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    ConfigProblem, FileDeclaration, TenantConfigError, loadConfigRepo, loadTenantDeclaration, mergeDeclarations, parseConfigFile,
    tenantFileSchema, writeTenantYaml,
} from "../../provider/tenantConfig";

function parsed(text: string, role: "baseline" | "tenant" = "tenant"): FileDeclaration {
    const r = parseConfigFile(text, "t.yaml", role);
    if (!r.ok) assert.fail(`unexpected problems: ${JSON.stringify(r.problems)}`);
    return r.file;
}
function problems(text: string, role: "baseline" | "tenant" = "tenant"): ConfigProblem[] {
    const r = parseConfigFile(text, "t.yaml", role);
    assert.equal(r.ok, false, "expected problems");
    return (r as { problems: ConfigProblem[] }).problems;
}

const BASELINE = `policies:
  - identity: Global
    settings:
      enableIMAutoArchiving: false
      displayPhoto: AllPhotos
      maximumNumberOfContacts: 1000
  - identity: Tag:OfflineIM
    description: No offline IM archiving
    settings:
      enableIMAutoArchiving: false
  - identity: Tag:Kiosk
    settings:
      disableSavingIM: true
grants:
  - policy: OfflineIM
    users: [Tony Smith]
  - policy: Kiosk
    users: [kiosk1@example.com]
`;

describe("tenantConfig: parsing and validation", () => {
    it("canonicalises identities, enum case, durations and PolicyEntry", () => {
        const f = parsed(`policies:
  - identity: global
    settings: { displayPhoto: photosfromadonly, conferenceIMIdleTimeout: 1800, policyEntry: [{ name: a, value: b }] }
  - identity: offlineim
    adopt: true
grants:
  - policy: tag:OfflineIM
    users: [" Tony Smith "]
    adopt: true
`);
        assert.deepEqual(f.policies, [
            { identity: "Global", settings: { conferenceIMIdleTimeout: "00:30:00", displayPhoto: "PhotosFromADOnly", policyEntry: [{ name: "a", value: "b" }] } },
            { identity: "Tag:offlineim", settings: {}, adopt: true },
        ]);
        assert.deepEqual(f.grants, [{ policy: "Tag:OfflineIM", users: ["Tony Smith"], adopt: true }]);
    });

    it("reports every problem at once, each with path, line, column and what was expected", () => {
        const ps = problems(`policies:
  - identity: Global
    settings:
      enableIMAutoArchiving: false
  - identity: Tag:Legal
    settings:
      maximumNumberOfContacts: 5000
      displayPhoto: SomePhotos
      enableIMAutoArchving: true
  - identity: "Tag:*"
    sttings: {}
grants:
  - policy: Global
    users: []
  - policy: Legal
    users: [7]
`);
        const by = new Map(ps.map((p) => [p.path, p]));
        assert.match(by.get("policies[1].settings.maximumNumberOfContacts")!.message, /must be an integer 0–\d+, got 5000/);
        assert.equal(by.get("policies[1].settings.maximumNumberOfContacts")!.line, 7);
        assert.equal(by.get("policies[1].settings.maximumNumberOfContacts")!.column, 7);
        assert.match(by.get("policies[1].settings.displayPhoto")!.message, /one of "NoPhoto", "PhotosFromADOnly", "AllPhotos", got "SomePhotos"/);
        assert.match(by.get("policies[1].settings.enableIMAutoArchving")!.message, /did you mean "enableIMAutoArchiving"/);
        assert.match(by.get("policies[2].identity")!.message, /not a valid policy identity/);
        assert.match(by.get("policies[2].sttings")!.message, /expected identity, description, adopt, settings/);
        assert.match(by.get("grants[0].policy")!.message, /cannot be granted/);
        assert.match(by.get("grants[0].users")!.message, /at least one user/);
        assert.match(by.get("grants[1].users[0]")!.message, /user identity/);
        assert.equal(ps.length, 8);
        assert.ok(ps.every((p) => p.file === "t.yaml" && p.line !== undefined));
    });

    it("reports YAML syntax errors with line and column", () => {
        const [p] = problems("policies:\n  - identity: Global\n    settings: {enableIMAutoArchiving: false\n");
        assert.equal(p.path, "(syntax)");
        assert.equal(typeof p.line, "number");
        assert.equal(typeof p.column, "number");
        assert.match(p.message, /^YAML syntax: /);
        assert.doesNotMatch(p.message, /at line/);
    });

    it("rejects duplicates: one policy twice (any spelling), one grant twice, one user in two grants", () => {
        const ps = problems(`policies:
  - identity: Tag:A
  - identity: a
grants:
  - policy: A
    users: [u1]
  - policy: Tag:A
    users: [U1]
`);
        assert.deepEqual(ps.map((p) => p.path).sort(), ["grants[1].policy", "grants[1].users[0]", "policies[1].identity"]);
    });

    it("allows null (drop a baseline setting) and remove only in tenant files", () => {
        const text = "policies:\n  - identity: Global\n    settings: { displayPhoto: null }\nremove: { policies: [Tag:X] }\n";
        const ps = problems(text, "baseline");
        assert.deepEqual(ps.map((p) => p.path), ["policies[0].settings.displayPhoto", "remove"]);
        assert.match(ps[1].message, /only for tenant files/);
        assert.deepEqual(parsed(text).policies[0].settings, { displayPhoto: null });
    });

    it("rejects description under settings, and a description that is not a string", () => {
        const ps = problems("policies:\n  - identity: Global\n    description: 5\n    settings: { description: x }\n");
        assert.deepEqual(ps.map((p) => p.path).sort(), ["policies[0].description", "policies[0].settings.description"]);
    });

    it("an empty file is an empty declaration; a list at the top level is a problem", () => {
        assert.deepEqual(parsed(""), { policies: [], grants: [] });
        assert.equal(problems("- a\n")[0].path, "(top level)");
    });

    it("exports the zod schema", () => {
        assert.equal(tenantFileSchema.safeParse({ policies: [{ identity: "Global", settings: { enableIMAutoArchiving: "no" } }] }).success, false);
        assert.equal(tenantFileSchema.safeParse({ policies: [{ identity: "Global", settings: { enableIMAutoArchiving: false } }] }).success, true);
    });
});

describe("tenantConfig: merge rules", () => {
    const base = parsed(BASELINE, "baseline");

    it("a tenant overrides single settings of a baseline policy, drops one with null, keeps the rest", () => {
        const t = parsed("policies:\n  - identity: global\n    settings: { displayPhoto: NoPhoto, maximumNumberOfContacts: null, tracingLevel: Light }\n");
        const m = mergeDeclarations(base, t);
        assert.deepEqual(m.problems, []);
        assert.deepEqual(m.declaration.policies[0], {
            identity: "Global", settings: { enableIMAutoArchiving: false, displayPhoto: "NoPhoto", tracingLevel: "Light" },
        });
        assert.deepEqual(m.provenance[0], { kind: "policy", name: "Global", origin: "override", overridden: ["displayPhoto", "tracingLevel"], unset: ["maximumNumberOfContacts"] });
        assert.equal(m.provenance[1].origin, "baseline");
    });

    it("a tenant adds policies and grants, overrides a grant's users and adopt, removes by name", () => {
        const t = parsed(`policies:
  - identity: Tag:Legal
    settings: { disableSavingIM: true }
grants:
  - policy: OfflineIM
    users: [Ann Beebe]
    adopt: true
  - policy: Legal
    users: [legal@example.com]
remove:
  policies: [Kiosk]
`);
        const m = mergeDeclarations(base, t);
        assert.deepEqual(m.problems, []);
        assert.deepEqual(m.declaration.policies.map((p) => p.identity), ["Global", "Tag:OfflineIM", "Tag:Legal"]);
        assert.deepEqual(m.declaration.grants, [
            { policy: "Tag:OfflineIM", users: ["Ann Beebe"], adopt: true },
            { policy: "Tag:Legal", users: ["legal@example.com"] },
        ]);
        assert.deepEqual(m.provenance.map((p) => `${p.kind} ${p.name} ${p.origin}`), [
            "policy Global baseline", "policy Tag:OfflineIM baseline", "grant Tag:OfflineIM override", "policy Tag:Legal addition",
            "grant Tag:Legal addition", "policy Tag:Kiosk removed", "grant Tag:Kiosk removed",
        ].sort((a, b) => order(a) - order(b)));
        const kioskGrant = m.provenance.find((p) => p.kind === "grant" && p.origin === "removed")!;
        assert.match(kioskGrant.reason!, /its policy was removed \(remove\.policies\[0\]\)/);
        function order(s: string) {
            return ["policy Global baseline", "policy Tag:OfflineIM baseline", "policy Tag:Legal addition", "grant Tag:OfflineIM override",
                "grant Tag:Legal addition", "policy Tag:Kiosk removed", "grant Tag:Kiosk removed"].indexOf(s);
        }
    });

    it("removing what the baseline lacks, removing and redeclaring, and a user granted twice after the merge are problems", () => {
        const t = parsed(`policies:
  - identity: Tag:Kiosk
grants:
  - policy: Legal
    users: [tony smith]
remove:
  policies: [Tag:Kiosk, Tag:Nope]
  grants: [Nope]
`);
        const m = mergeDeclarations(base, t);
        assert.deepEqual(m.problems.map((p) => p.path.join(".")), ["remove.policies.0", "remove.policies.1", "remove.grants.0", "grants.0.users.0"]);
        assert.match(m.problems[0].message, /also declares at policies\[0\]/);
        assert.match(m.problems[1].message, /names no policy of the baseline/);
        assert.match(m.problems[3].message, /granted both Tag:OfflineIM and Tag:Legal/);
    });

    it("does not modify its inputs", () => {
        const before = JSON.stringify(base);
        mergeDeclarations(base, parsed("policies:\n  - identity: Global\n    settings: { displayPhoto: null }\n"));
        assert.equal(JSON.stringify(base), before);
    });
});

describe("tenantConfig: files and the serializer", () => {
    let dir: string;
    beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenantcfg-")); });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("loadConfigRepo merges baseline.yaml and tenants/<stack>.yaml", () => {
        fs.mkdirSync(path.join(dir, "tenants"));
        fs.writeFileSync(path.join(dir, "baseline.yaml"), BASELINE);
        fs.writeFileSync(path.join(dir, "tenants", "contoso.yaml"), "remove: { grants: [Kiosk] }\n");
        const loaded = loadConfigRepo(dir, "contoso");
        assert.deepEqual(loaded.declaration.grants.map((g) => g.policy), ["Tag:OfflineIM"]);
        assert.match(loaded.files.tenant, /tenants[/\\]contoso\.yaml$/);
    });

    it("lists the problems of both files at once, naming each file", () => {
        fs.writeFileSync(path.join(dir, "b.yaml"), "policies:\n  - identity: Global\n    settings: { displayPhoto: Nope }\n");
        fs.writeFileSync(path.join(dir, "t.yaml"), "grants:\n  - policy: X\n    users: []\n");
        const err = captureError(() => loadTenantDeclaration({ baseline: "b.yaml", tenant: "t.yaml", cwd: dir }));
        assert.ok(err instanceof TenantConfigError);
        assert.deepEqual(err.problems.map((p) => [path.basename(p.file), p.path]), [["b.yaml", "policies[0].settings.displayPhoto"], ["t.yaml", "grants[0].users"]]);
        assert.match(err.message, /b\.yaml:3:17: policies\[0\]\.settings\.displayPhoto: must be one of/);
        assert.equal(err.stack, "");
    });

    it("merge problems are listed together with validation problems", () => {
        fs.writeFileSync(path.join(dir, "b.yaml"), "policies:\n  - identity: Tag:Kiosk\n");
        fs.writeFileSync(path.join(dir, "t.yaml"), "policies:\n  - identity: Global\n    settings: { displayPhoto: Nope }\nremove:\n  policies: [Tag:Nope]\n");
        const err = captureError(() => loadTenantDeclaration({ baseline: "b.yaml", tenant: "t.yaml", cwd: dir }));
        assert.deepEqual(err.problems.map((p) => p.path), ["policies[0].settings.displayPhoto", "remove.policies[0]"]);
        assert.match(err.problems[1].message, /names no policy of the baseline \(baseline policies: Tag:Kiosk\)/);
    });

    it("a missing tenant file and a bad stack name are clear errors", () => {
        const err = captureError(() => loadConfigRepo(dir, "nope"));
        assert.match(err.message, /tenants[/\\]nope\.yaml: \(file\): not found; expected the tenant file here/);
        assert.match(captureError(() => loadConfigRepo(dir, "../x")).message, /not a stack name/);
    });

    it("writeTenantYaml round-trips through the parser, with a header comment and settings in catalogue order", () => {
        const decl: FileDeclaration = {
            policies: [
                { identity: "Global", settings: { tracingLevel: "Light", enableIMAutoArchiving: false, conferenceIMIdleTimeout: "00:30:00" } },
                { identity: "Tag:Sales#1", description: "Sales: \"quoted\" # not a comment", adopt: true, settings: { policyEntry: [{ name: "k", value: "v: 1" }] } },
            ],
            grants: [{ policy: "Tag:Sales#1", users: ["sip:a@example.com", "Ann Beebe"], adopt: true }],
            remove: { policies: ["Tag:Old"], grants: [] },
        };
        const text = writeTenantYaml(decl, { header: ["exported from contoso.example", "at 2026-11-30"] });
        assert.match(text, /^# exported from contoso\.example\n# at 2026-11-30\n/);
        assert.ok(text.indexOf("enableIMAutoArchiving") < text.indexOf("tracingLevel"));
        assert.deepEqual(parsed(text), decl);
    });
});

function captureError(fn: () => unknown): Error & { problems: ConfigProblem[] } {
    try {
        fn();
    } catch (e) {
        return e as Error & { problems: ConfigProblem[] };
    }
    return assert.fail("expected an error");
}
