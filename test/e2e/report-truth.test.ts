/**
 * `clientpolicy report` never tells a reviewer something false: a config-repo fleet (baseline.yaml +
 * tenants/<stack>.yaml, the examples/multi-tenant program) on a private file:// backend, the real Pulumi CLI and a
 * real emulator. After a secret rotation the drift report reads every tenant; a tenant-file typo, a missing tenant
 * file and a provider error keep their cause with project-relative paths; a plan whose tenant could not be checked is
 * an error; a tenant file without a stack is a new tenant; creates, grant user sets and reaches read as a person
 * reads them; a policy made by hand is reported as unmanaged until an accept rule silences it.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tempDir } from "../../testkit/projectFolder";
import { ROOT } from "../../testkit/stack";
import { startTestEmulator, type TestTenant } from "../../testkit/emulator";
import { reportSchema, type Report } from "../../api/report";
import { clientpolicy, createFleet, fleetSeed, fleetTenantId, MULTI_TENANT_BASELINE, MULTI_TENANT_PROGRAM, setSecret, type Fleet } from "../../testkit/reportFleet";

const SECRET = "truth-secret-" + crypto.randomBytes(6).toString("hex");
const ROTATED = "rotated-secret-" + crypto.randomBytes(6).toString("hex");
const WRONG = "wrong-secret-" + crypto.randomBytes(6).toString("hex");

/** s1's tenant file: a team policy granted to three users. */
const S1_FILE = `policies:
  - identity: Tag:Team
    description: Team chat rules
    settings:
      enableIMAutoArchiving: true
grants:
  - policy: Team
    users:
      - sip:user00001@t01.example
      - sip:user00002@t01.example
      - sip:user00003@t01.example
`;
const S2_FILE = "policies: []\n";

describe("clientpolicy report tells the truth (real CLI, config-repo fleet)", function () {
    this.timeout(900_000);
    let emu: TestTenant;
    let fleet: Fleet;
    let out: string;

    before(async () => {
        emu = await startTestEmulator({ seed: fleetSeed(3, SECRET), clientSecret: SECRET });
        fleet = await createFleet(["s1", "s2"].map((stack, i) => ({
            stack, endpoint: emu.url, tenantId: fleetTenantId(i + 1), clientId: "demo-client", clientSecret: SECRET,
        })), { program: MULTI_TENANT_PROGRAM, files: { "baseline.yaml": MULTI_TENANT_BASELINE, "tenants/s1.yaml": S1_FILE, "tenants/s2.yaml": S2_FILE } });
        out = tempDir("clientpolicy-report-truth-");
    });
    after(async () => {
        fleet?.dispose();
        await emu?.stop();
        if (out) fs.rmSync(out, { recursive: true, force: true });
    });

    const file = (rel: string) => path.join(fleet.workDir, rel);

    async function report(name: string, ...args: string[]): Promise<{ code: number; md: string; json: Report; stderr: string }> {
        const dir = path.join(out, name);
        const r = await clientpolicy(["report", "--dir", fleet.workDir, "--format", "md,json", "--out", dir, "--parallel", "2", ...args], fleet.env);
        assert.ok(fs.existsSync(path.join(dir, "report.json")), `no report written (exit ${r.code}):\n${r.stderr}`);
        const json = JSON.parse(fs.readFileSync(path.join(dir, "report.json"), "utf8"));
        const parsed = reportSchema.safeParse(json);
        assert.equal(parsed.success, true, `the JSON report matches its schema: ${JSON.stringify(parsed.error?.issues)}`);
        const md = fs.readFileSync(path.join(dir, "report.md"), "utf8");
        for (const text of [md, JSON.stringify(json)]) {
            for (const secret of [SECRET, ROTATED, WRONG]) assert.ok(!text.includes(secret), "no secret in any output");
            // No machine paths and no per-run noise in what a pull request shows.
            for (const machine of [fleet.workDir, ROOT, os.tmpdir() + "/", fleet.backendDir]) assert.ok(!text.includes(machine), `no machine path (${machine}) in:\n${text}`);
            assert.ok(!/request-id/i.test(text), `no request id in:\n${text}`);
        }
        return { code: r.code, md, json, stderr: r.stderr };
    }

    const tenantOf = (r: { json: Report }, stack: string) => {
        const t = r.json.tenants.find((x) => x.stack === stack);
        assert.ok(t, `${stack} is in the report`);
        return t;
    };

    it("after a secret rotation the drift report reads every tenant with today's config", async () => {
        await emu.handle!.registry.setSecret(fleetTenantId(1), "demo-client", ROTATED);
        await setSecret(fleet, "s1", "clientpolicy:clientSecret", ROTATED);
        const r = await report("rotated", "--mode", "drift", "--stacks", "s1,s2");
        assert.deepEqual(r.json.tenants.map((t) => [t.stack, t.status, t.error?.message]), [["s1", "clean", undefined], ["s2", "clean", undefined]]);
        assert.equal(r.code, 0, r.stderr);
    });

    it("a policy made by hand is reported as unmanaged with the command to take it in; an accept rule silences it", async () => {
        await emu.powershell('New-CsClientPolicy -Identity HandMade -Description "made by hand"', fleetTenantId(1));
        try {
            const r = await report("unmanaged", "--mode", "drift", "--stacks", "s1,s2");
            assert.equal(r.code, 2, r.stderr);
            const s1 = tenantOf(r, "s1");
            assert.deepEqual(s1.changes.map((c) => [c.kind, c.op, c.identity, c.unmanaged]), [["drift", "create", "Tag:HandMade", true]]);
            assert.match(s1.changes[0].hint!, /clientpolicy export --stack s1/);
            assert.equal(tenantOf(r, "s2").status, "clean", "another tenant's stack is not blamed");
            assert.match(r.md, /\*\*unmanaged\*\* `Tag:HandMade` \(ClientPolicy\) exists in the tenant but no stack manages it — 1 tenant/);
            assert.match(r.md, /to take it in: `clientpolicy export --stack/);
            const accept = path.join(out, "accept-handmade.yaml");
            fs.writeFileSync(accept, "rules:\n  - { scope: tenant, stacks: [s1], policy: Tag:HandMade, property: \"*\", reason: Pilot by the help desk, owner: ops@example.com, expires: 2999-12-31 }\n");
            const quiet = await report("unmanaged-accepted", "--mode", "drift", "--stacks", "s1,s2", "--accept", accept);
            assert.equal(quiet.code, 0, quiet.stderr);
            assert.deepEqual(tenantOf(quiet, "s1").suppressed.map((s) => s.identity), ["Tag:HandMade"]);
            assert.match(quiet.md, /1 drift finding\(s\) accepted by `accept-handmade\.yaml`/, "the rule file by its name, not the runner's path");
        } finally {
            await emu.powershell("Remove-CsClientPolicy -Identity HandMade", fleetTenantId(1));
        }
    });

    it("plan and full: a hand-made policy the code adopts is a take-over from the tenant's values (undeclared settings unset), not a create", async () => {
        await emu.powershell('New-CsClientPolicy -Identity Kiosk -Description "kiosks" -MaximumNumberOfContacts 100', fleetTenantId(2));
        fs.writeFileSync(file("tenants/s2.yaml"), "policies:\n  - identity: Tag:Kiosk\n    adopt: true\n    description: kiosks\n    settings:\n      enableIMAutoArchiving: false\n");
        try {
            for (const mode of ["plan", "full"]) {
                const r = await report(`adopt-${mode}`, "--mode", mode, "--stacks", "s2");
                assert.equal(r.code, 2, r.stderr);
                const kiosk = tenantOf(r, "s2").changes.find((c) => c.identity === "Tag:Kiosk");
                assert.deepEqual([kiosk?.op, kiosk?.takeOver], ["update", true], `${mode}: ${JSON.stringify(kiosk)}`);
                assert.deepEqual(kiosk!.properties.map((p) => [p.path, p.before, p.after]),
                    [["enableIMAutoArchiving", undefined, false], ["maximumNumberOfContacts", 100, undefined]], mode);
                assert.match(r.md, /`Tag:Kiosk\.maximumNumberOfContacts`: `100` → unset \(taken over\) — 1 tenant/, mode);
            }
        } finally {
            fs.writeFileSync(file("tenants/s2.yaml"), S2_FILE);
            await emu.powershell("Remove-CsClientPolicy -Identity Kiosk", fleetTenantId(2));
        }
    });

    it("creates list their settings and users, a new policy's reach says so, a grant's users are a set, components are no rows", async () => {
        fs.writeFileSync(file("tenants/s1.yaml"), `policies:
  - identity: Tag:Team
    description: Team chat rules
    settings:
      enableIMAutoArchiving: true
  - identity: Tag:Interns
    description: Interns read only
    settings:
      disableSavingIM: true
grants:
  - policy: Team
    users:
      - sip:user00001@t01.example
      - sip:user00003@t01.example
  - policy: Interns
    users:
      - sip:user00004@t01.example
`);
        try {
            const r = await report("readable", "--mode", "plan", "--stacks", "s1");
            assert.equal(r.code, 2, r.stderr);
            const s1 = tenantOf(r, "s1");
            assert.ok(s1.changes.every((c) => c.type === "ClientPolicy" || c.type === "PolicyGrant"), `no component rows: ${s1.changes.map((c) => c.type)}`);
            const create = s1.changes.find((c) => c.type === "ClientPolicy" && c.op === "create");
            assert.ok(create, JSON.stringify(s1.changes));
            assert.equal(create.identity, "Tag:Interns");
            assert.deepEqual(create.properties.map((p) => [p.path, p.after]).filter(([k]) => k === "description" || k === "disableSavingIM"),
                [["description", "Interns read only"], ["disableSavingIM", true]]);
            assert.equal(create.impact?.text, "new policy");
            const grantCreate = s1.changes.find((c) => c.type === "PolicyGrant" && c.op === "create");
            assert.deepEqual(grantCreate?.properties.find((p) => p.path === "users")?.after, ["sip:user00004@t01.example"]);
            const grantUpdate = s1.changes.find((c) => c.type === "PolicyGrant" && c.op === "update");
            assert.deepEqual(grantUpdate?.properties.map((p) => [p.path, p.before, p.after, p.set]), [["users", ["sip:user00002@t01.example"], [], true]]);
            assert.match(r.md, /unassign 1 user: `sip:user00002@t01\.example`; assign 0/);
            assert.match(r.md, /`Tag:Interns` \(ClientPolicy\) created with .*`description` `"Interns read only"`.*`disableSavingIM` `true`.*\(new policy\)/);
            assert.match(r.md, /`Tag:Interns` \(PolicyGrant\) created with `users`: assign 1 user: `sip:user00004@t01\.example`/);
            assert.ok(!/PolicyNotFound|TenantPolicies|\/policies\//.test(r.md), r.md);
            assert.match(r.md, /<summary><b>s1<\/b>: 3 changes \(3 pending\): Tag:Interns \(create\), Tag:Team\.users<\/summary>/);
        } finally {
            fs.writeFileSync(file("tenants/s1.yaml"), S1_FILE);
        }
    });

    it("every failure keeps its cause, with paths relative to the project: a tenant-file typo, a missing tenant file, a provider error", async () => {
        fs.writeFileSync(file("tenants/s2.yaml"), "polices: []\n");
        try {
            const typo = await report("typo", "--mode", "drift", "--stacks", "s1,s2");
            assert.equal(typo.code, 3, typo.stderr);
            const s2 = tenantOf(typo, "s2");
            assert.equal(s2.status, "error");
            assert.match(s2.error!.message, /^tenants\/s2\.yaml:1:1: polices: is not a field here; expected policies, grants, remove/m, s2.error!.message);
            assert.ok(!/Running program|unhandled exception/.test(s2.error!.message), s2.error!.message);
            assert.match(typo.md, /\| s2 \| failed \| [^\n]*tenants\/s2\.yaml:1:1: polices: is not a field here/);
            assert.equal(tenantOf(typo, "s1").status, "clean");
            fs.rmSync(file("tenants/s2.yaml"));
            const missing = await report("missing", "--mode", "drift", "--stacks", "s2");
            const m2 = tenantOf(missing, "s2");
            assert.equal(m2.status, "error");
            assert.match(m2.error!.message, /tenants\/s2\.yaml/, m2.error!.message);
            assert.match(m2.error!.message, /no such file|not found|does not exist|cannot read/i, m2.error!.message);
        } finally {
            fs.writeFileSync(file("tenants/s2.yaml"), S2_FILE);
        }
        await setSecret(fleet, "s2", "clientpolicy:clientSecret", WRONG);
        try {
            const auth = await report("auth", "--mode", "drift", "--stacks", "s2");
            assert.equal(auth.code, 3, auth.stderr);
            const s2 = tenantOf(auth, "s2");
            assert.equal(s2.error?.kind, "auth", s2.error?.message);
            assert.match(s2.error!.message, /clientpolicy:clientSecret/);
            const lines = s2.error!.message.split("\n");
            assert.equal(new Set(lines).size, lines.length, `each line once: ${s2.error!.message}`);
            assert.ok(!/:\s*$/m.test(s2.error!.message), `no dangling colon: ${s2.error!.message}`);
        } finally {
            await setSecret(fleet, "s2", "clientpolicy:clientSecret", SECRET);
        }
    });

    it("a plan whose tenant could not be checked (not configured, credentials rejected) is an error, never clean", async () => {
        // A new policy in s2: its preview check needs the tenant, so the preview itself warns that it could not check.
        fs.writeFileSync(file("tenants/s2.yaml"), "policies:\n  - identity: Tag:Unverified\n    settings:\n      enableIMAutoArchiving: true\n");
        try {
            const rm = await fleet.pulumi("config", "rm", "clientpolicy:endpoint", "--stack", "s2");
            assert.equal(rm.code, 0, rm.output);
            try {
                const r = await report("unconfigured-plan", "--mode", "plan", "--stacks", "s1,s2");
                assert.equal(r.code, 3, r.stderr);
                const s2 = tenantOf(r, "s2");
                assert.deepEqual([s2.status, s2.error?.kind], ["error", "config"]);
                assert.match(s2.error!.message, /could not be checked.*missing clientpolicy:endpoint/s);
                // From the preview's own warning: the provider skipped its tenant checks and said why.
                assert.match(s2.error!.message, /the preview skipped the tenant checks \(not configured: missing clientpolicy:endpoint/, s2.error!.message);
                assert.equal(tenantOf(r, "s1").status, "clean");
            } finally {
                const set = await fleet.pulumi("config", "set", "clientpolicy:endpoint", emu.url, "--stack", "s2");
                assert.equal(set.code, 0, set.output);
            }
            await setSecret(fleet, "s2", "clientpolicy:clientSecret", WRONG);
            try {
                const r = await report("rejected-plan", "--mode", "plan", "--stacks", "s2");
                assert.equal(r.code, 3, r.stderr);
                assert.deepEqual([tenantOf(r, "s2").status, tenantOf(r, "s2").error?.kind], ["error", "auth"]);
                assert.match(tenantOf(r, "s2").error!.message, /the preview skipped the tenant checks \(credentials rejected: the client secret was rejected/);
            } finally {
                await setSecret(fleet, "s2", "clientpolicy:clientSecret", SECRET);
            }
        } finally {
            fs.writeFileSync(file("tenants/s2.yaml"), S2_FILE);
        }
    });

    it("a tenant file and stack config without a stack is a new tenant: what it would create and the command; exit 2; nothing written", async () => {
        fs.writeFileSync(file("tenants/newco.yaml"), "policies:\n  - identity: Tag:Newco\n    settings:\n      enableIMAutoArchiving: true\n");
        const config = "config:\n  clientpolicy:tenantId: t03.example\n  clientpolicy:clientId: demo-client\n";
        fs.writeFileSync(file("Pulumi.newco.yaml"), config);
        // The new tenant's Global, set by hand: its first `up` takes Global over and unsets what the code does not declare.
        await emu.powershell("Set-CsClientPolicy -Identity Global -MaximumNumberOfContacts 250 -EnableIMAutoArchiving $True", fleetTenantId(3));
        try {
            // Not configured yet (no endpoint, no secret): still a new tenant; its Global a take-over with the code's values.
            const unread = await report("newco-unread", "--mode", "plan", "--all");
            assert.equal(unread.code, 2, unread.stderr);
            const first = tenantOf(unread, "newco");
            assert.equal(first.status, "new", JSON.stringify(first.error));
            assert.equal(first.onboarding?.tenantNotRead, "its connection is not configured yet: missing clientpolicy:endpoint, clientpolicy:clientSecret");
            // The command sets what is missing (the secret through stdin, never on the command line).
            assert.equal(first.onboarding?.command, "pulumi stack init newco && pulumi config set --stack newco clientpolicy:endpoint 'https://<tenant-api-host>' && " +
                `printf '%s' "$CLIENTPOLICY_CLIENT_SECRET" | pulumi config set --stack newco --secret clientpolicy:clientSecret && pulumi up --stack newco`);
            const unreadGlobal = first.changes.find((c) => c.identity === "Global")!;
            assert.deepEqual([unreadGlobal.op, unreadGlobal.takeOver, unreadGlobal.properties.map((p) => [p.path, p.before, p.after])],
                ["update", true, [["enableIMAutoArchiving", "(not read)", false]]]);
            assert.match(unread.md, /Its tenant was not read \(its connection is not configured yet: missing clientpolicy:endpoint, clientpolicy:clientSecret\), so Global's values today, and which of them the first `up` unsets \(every setting this code does not declare\), are not shown\./);
            assert.match(unread.md, /<b>newco<\/b>: new tenant, no stack yet: 3 resources to create, 1 to take over \(tenant not read\)/);
            assert.match(unread.md, /\| ClientPolicy `Global` \| take over \| pending \| `enableIMAutoArchiving` \| not read \| `false` \|/);
            // Configured (endpoint and secret in the stack file, as plain values for the test): read, so every value shown.
            fs.writeFileSync(file("Pulumi.newco.yaml"), `${config}  clientpolicy:endpoint: ${emu.url}\n  clientpolicy:clientSecret: ${SECRET}\n`);
            const r = await report("newco", "--mode", "plan", "--all");
            assert.equal(r.code, 2, r.stderr);
            const newco = tenantOf(r, "newco");
            assert.equal(newco.status, "new", JSON.stringify(newco.error));
            assert.deepEqual(newco.onboarding, { files: ["Pulumi.newco.yaml", "tenants/newco.yaml"], command: "pulumi stack init newco && pulumi up --stack newco" });
            const identities = newco.changes.filter((c) => c.type === "ClientPolicy").map((c) => [c.op, c.identity]);
            assert.deepEqual(identities, [["update", "Global"], ["create", "Tag:Newco"], ["create", "Tag:OfflineIM"]], JSON.stringify(newco.changes));
            const global = newco.changes.find((c) => c.identity === "Global")!;
            assert.equal(global.takeOver, true);
            // The baseline declares Global's enableIMAutoArchiving false; the hand-set contact limit is unset.
            // The settings a fresh Global holds at their documented defaults (DisplayPhoto AllPhotos, …) are not listed.
            assert.deepEqual(global.properties.map((p) => [p.path, p.before, p.after]), [["enableIMAutoArchiving", true, false], ["maximumNumberOfContacts", 250, undefined]]);
            assert.match(r.md, /`Global\.maximumNumberOfContacts`: `250` → unset \(taken over\) — 1 tenant/);
            assert.equal(r.json.counts.new, 1);
            assert.match(r.md, /<b>newco<\/b>: new tenant, no stack yet: 3 resources to create, 1 to take over<\/summary>/);
            assert.match(r.md, /Create it with `pulumi stack init newco && pulumi up --stack newco`/);
            assert.equal(fs.readFileSync(file("Pulumi.newco.yaml"), "utf8"), `${config}  clientpolicy:endpoint: ${emu.url}\n  clientpolicy:clientSecret: ${SECRET}\n`, "the stack config file is left as it was");
            const ls = await fleet.pulumi("stack", "ls", "--json");
            assert.ok(!ls.output.includes("newco"), "no stack was created in the backend");
            // Configured, but the tenant refuses the secret (a typo in the tenant id or secret): an error, never "new".
            fs.writeFileSync(file("Pulumi.newco.yaml"), `${config}  clientpolicy:endpoint: ${emu.url}\n  clientpolicy:clientSecret: ${WRONG}\n`);
            const refused = await report("newco-refused", "--mode", "plan", "--all");
            assert.equal(refused.code, 3, refused.stderr);
            const third = tenantOf(refused, "newco");
            assert.deepEqual([third.status, third.error?.kind, third.onboarding?.files], ["error", "auth", ["Pulumi.newco.yaml", "tenants/newco.yaml"]]);
            assert.match(third.error!.message, /^new tenant, no stack yet; its tenant could not be read: /);
        } finally {
            fs.rmSync(file("tenants/newco.yaml"));
            fs.rmSync(file("Pulumi.newco.yaml"));
        }
    });

    it("a policy the tenant changed that the code changes too is marked in plan and full mode, with the tenant's values; up stops there", async () => {
        await emu.powershell("Set-CsClientPolicy -Identity Team -EnableIMAutoArchiving $False", fleetTenantId(1));
        fs.writeFileSync(file("tenants/s1.yaml"), S1_FILE.replace("Team chat rules", "Team chat rules, reviewed"));
        try {
            for (const mode of ["plan", "full"]) {
                const r = await report(`refresh-first-${mode}`, "--mode", mode, "--stacks", "s1,s2");
                const team = tenantOf(r, "s1").changes.find((c) => c.type === "ClientPolicy" && c.identity === "Tag:Team");
                assert.equal(team?.refreshFirst, true, `${mode}: ${JSON.stringify(team)}`);
                assert.deepEqual(team.properties.filter((p) => p.kind !== "pending").map((p) => [p.path, p.kind === "both" ? p.tenant : p.after]), [["enableIMAutoArchiving", false]], mode);
                assert.match(r.md, /`Tag:Team\.description`: `"Team chat rules"` → `"Team chat rules, reviewed"` — 1 tenant[^\n]*\n  ⚠️ `up` will stop here until refreshed: the tenant has `enableIMAutoArchiving` `false`/, r.md);
                assert.match(r.md, /\*\*Next:\*\* `pulumi refresh --run-program --stack s1` before `pulumi up`/);
                assert.equal(tenantOf(r, "s2").changes.some((c) => c.refreshFirst), false, "another tenant is not marked");
            }
            // What the mark says is what `up` meets.
            const up = await fleet.pulumi("up", "--yes", "--stack", "s1");
            assert.notEqual(up.code, 0, up.output);
            assert.match(up.output, /Tag:Team was changed outside this stack since it was last read \(ETag mismatch\)/);
        } finally {
            fs.writeFileSync(file("tenants/s1.yaml"), S1_FILE);
            await emu.powershell("Set-CsClientPolicy -Identity Team -EnableIMAutoArchiving $True", fleetTenantId(1));
        }
    });
});
