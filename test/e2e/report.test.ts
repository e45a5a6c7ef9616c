/**
 * `clientpolicy report` end to end: a project folder with three tenant stacks on a private file:// backend, the real
 * Pulumi CLI through the Automation API's local workspaces, a real emulator. Known out-of-band changes are made
 * through the emulator's PowerShell endpoint and the reports compared field by field; one tenant then gets a wrong
 * secret and one an unreachable endpoint (exit codes 0 / 2 / 3); 30 % injected throttling must produce no false drift;
 * the state files are never written by a drift report.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { tempDir } from "../../testkit/projectFolder";
import { startTestEmulator, type TestTenant } from "../../testkit/emulator";
import { reportSchema, type Report } from "../../api/report";
import { clientpolicy, createFleet, fleetSeed, fleetTenantId, type Fleet } from "../../testkit/reportFleet";

const SECRET = "fleet-secret-" + crypto.randomBytes(6).toString("hex");
const WRONG = "wrong-secret-" + crypto.randomBytes(6).toString("hex");
const STACKS = ["s1", "s2", "s3"];

describe("clientpolicy report (real CLI, three tenants)", function () {
    this.timeout(900_000);
    let emu: TestTenant;
    /** s3's tenant lives on its own emulator, stopped later to make it unreachable. */
    let emu3: TestTenant;
    let fleet: Fleet;
    let out: string;

    before(async () => {
        emu = await startTestEmulator({ seed: fleetSeed(3, SECRET), clientSecret: SECRET });
        emu3 = await startTestEmulator({ seed: fleetSeed(3, SECRET), clientSecret: SECRET, tenantId: fleetTenantId(3) });
        fleet = await createFleet(STACKS.map((stack, i) => ({
            stack, endpoint: i === 2 ? emu3.url : emu.url, tenantId: fleetTenantId(i + 1), clientId: "demo-client", clientSecret: SECRET,
            // Few attempts, so the unreachable tenant gives up quickly.
            extraConfig: i === 2 ? { maxAttempts: "2" } : undefined,
        })));
        out = tempDir("clientpolicy-report-out-");
    });
    after(async () => {
        fleet?.dispose();
        await emu?.stop();
        await emu3?.stop().catch(() => undefined); // already stopped by the unreachable-tenant test
        if (out) fs.rmSync(out, { recursive: true, force: true });
    });

    const hashes = () => STACKS.map((s) => crypto.createHash("sha256").update(fs.readFileSync(fleet.stateFile(s))).digest("hex"));

    async function report(name: string, ...args: string[]): Promise<{ code: number; md: string; json: Report; stderr: string }> {
        const dir = path.join(out, name);
        const r = await clientpolicy(["report", "--dir", fleet.workDir, "--format", "md,json", "--out", dir, "--parallel", "3", ...args], fleet.env);
        assert.ok(fs.existsSync(path.join(dir, "report.json")), `no report written (exit ${r.code}):\n${r.stderr}`);
        const json = JSON.parse(fs.readFileSync(path.join(dir, "report.json"), "utf8"));
        assert.equal(reportSchema.safeParse(json).success, true, "the JSON report matches its schema");
        const md = fs.readFileSync(path.join(dir, "report.md"), "utf8");
        for (const text of [md, JSON.stringify(json), r.stderr, r.stdout]) {
            assert.ok(!text.includes(SECRET) && !text.includes(WRONG), "no secret in any output");
        }
        return { code: r.code, md, json, stderr: r.stderr };
    }

    it("a fleet in sync: exit 0, every tenant clean, state untouched", async () => {
        const before = hashes();
        const r = await report("clean", "--mode", "drift", "--all");
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.json.tenants.map((t) => [t.stack, t.status]), [["s1", "clean"], ["s2", "clean"], ["s3", "clean"]]);
        assert.deepEqual(r.json.stacks, STACKS);
        assert.match(r.stderr, /\[3\/3\] s\d: clean/, "progress on stderr");
        assert.deepEqual(hashes(), before);
    });

    it("out-of-band changes: exit 2, property-level drift per tenant, aggregated, with impact; state untouched", async () => {
        await emu.powershell("Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $True", fleetTenantId(1));
        await emu.powershell("Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $True", fleetTenantId(2));
        await emu.powershell('Set-CsClientPolicy -Identity OfflineIM -Description "Edited by hand"', fleetTenantId(1));
        const before = hashes();
        const r = await report("drift", "--mode", "drift", "--all");
        assert.equal(r.code, 2, r.stderr);
        assert.deepEqual(hashes(), before, "refresh --preview-only never writes state");
        const [s1, s2, s3] = r.json.tenants;
        assert.deepEqual(s1.changes.map((c) => ({ kind: c.kind, op: c.op, type: c.type, identity: c.identity, props: c.properties.map((p) => [p.path, p.before, p.after]), impact: c.impact?.text })), [
            { kind: "drift", op: "update", type: "ClientPolicy", identity: "Global", props: [["enableIMAutoArchiving", false, true]], impact: "5 users of 7 whose effective settings change" },
            { kind: "drift", op: "update", type: "ClientPolicy", identity: "Tag:OfflineIM", props: [["description", "No offline IM archiving", "Edited by hand"]], impact: "0 users of 7 whose effective settings change (Tag:OfflineIM applies to 2 users, but no client setting they get changes)" },
        ]);
        assert.deepEqual(s2.changes.map((c) => [c.identity, c.properties.map((p) => [p.path, p.before, p.after])]), [["Global", [["enableIMAutoArchiving", false, true]]]]);
        assert.deepEqual([s1.status, s2.status, s3.status], ["changed", "changed", "clean"]);
        assert.deepEqual({ ...r.json.counts }, { tenants: 3, clean: 1, changed: 2, error: 0, new: 0, create: 0, update: 3, delete: 0, replace: 0, drift: 3, pending: 0, both: 0, suppressed: 0 });
        assert.match(r.md, /- \*\*drift\*\* `Global\.enableIMAutoArchiving`: `false` → `true` — 2 tenants \(reaches 10 users whose effective settings change\)/);
        assert.match(r.md, /- \*\*drift\*\* `Tag:OfflineIM\.description`: `"No offline IM archiving"` → `"Edited by hand"` — 1 tenant \(reaches 0 users whose effective settings change\)/);
        assert.match(r.md, /\| 3 \| 1 \| 2 \| 0 \| 0 \| 0 \| 3 \| 0 \| 0 \| 0 \|/);
        assert.match(r.md, /^<!-- clientpolicy-report mode=drift project=fleet-[0-9a-f]+ stacks=[0-9a-f]{16} -->\n/);
        assert.equal(r.json.run.cliVersion, "v3.274.1");
    });

    it("--shard i/3 runs stable subsets; report merge of the 3 gives the unsharded report", async () => {
        const whole = await report("unsharded", "--mode", "drift", "--all");
        const files: string[] = [];
        const seen: string[] = [];
        for (const i of [1, 2, 3]) {
            const part = await report(`shard-${i}`, "--mode", "drift", "--all", "--shard", `${i}/3`);
            assert.deepEqual(part.json.shard, { index: i, count: 3 });
            seen.push(...part.json.stacks);
            files.push(path.join(out, `shard-${i}`, "report.json"));
        }
        assert.deepEqual(seen.sort(), STACKS, "the shards partition the stacks");
        const mergedDir = path.join(out, "merged");
        const m = await clientpolicy(["report", "merge", ...files, "--format", "md,json", "--out", mergedDir], fleet.env);
        assert.equal(m.code, whole.code, m.stderr);
        const merged = JSON.parse(fs.readFileSync(path.join(mergedDir, "report.json"), "utf8")) as Report;
        const strip = (r: Report) => r.tenants.map(({ durationMs: _d, ...t }) => t);
        assert.deepEqual(strip(merged), strip(whole.json));
        assert.deepEqual(merged.counts, whole.json.counts);
        assert.deepEqual(merged.stacks, whole.json.stacks);
        // The two are different runs: only the footer's run line (start time and duration) may differ. The merged
        // one spans the shards: it starts with the earliest shard and lasts until the last one ended.
        const runLine = /^<sub>.*<\/sub>$/m;
        const mergedMd = fs.readFileSync(path.join(mergedDir, "report.md"), "utf8");
        assert.equal(mergedMd.replace(runLine, "<sub>run</sub>"), whole.md.replace(runLine, "<sub>run</sub>"));
        const shards = files.map((f) => JSON.parse(fs.readFileSync(f, "utf8")) as Report);
        const first = Math.min(...shards.map((s) => Date.parse(s.run.startedAt)));
        const last = Math.max(...shards.map((s) => Date.parse(s.run.startedAt) + s.run.durationMs));
        assert.equal(merged.run.startedAt, new Date(first).toISOString());
        assert.equal(merged.run.durationMs, last - first);
    });

    it("accepted drift and --write-accept: accepted findings move to suppressed; an expired rule is reported", async () => {
        const accept = path.join(out, "accept.yaml");
        fs.writeFileSync(accept, `rules:
  - { scope: fleet, policy: Global, property: enableIMAutoArchiving, reason: Archive pilot, owner: ops@example.com, expires: 2999-12-31 }
  - { scope: tenant, stacks: [s1], policy: "Tag:*", property: description, reason: old, owner: ops@example.com, expires: 2000-01-01 }
`);
        const proposed = path.join(out, "proposed.yaml");
        const r = await report("accept", "--mode", "drift", "--stacks", "s1,s2", "--accept", accept, "--write-accept", proposed, "--fail-on", "drift");
        assert.equal(r.code, 2, "the OfflineIM description drift is not accepted (its rule expired)");
        assert.deepEqual(r.json.tenants.map((t) => [t.stack, t.status, t.changes.map((c) => c.identity), t.suppressed.map((s) => s.identity)]),
            [["s1", "changed", ["Tag:OfflineIM"], ["Global"]], ["s2", "clean", [], ["Global"]]]);
        assert.deepEqual(r.json.accept.expired.map((x) => x.index), [1]);
        assert.match(r.md, /2 drift finding\(s\) accepted by/);
        assert.match(fs.readFileSync(proposed, "utf8"), /policy: Tag:OfflineIM\n\s+property: description/);
    });

    it("30 % injected throttling: no false drift", async () => {
        await emu.setFaults({ fault429: 0.3 });
        try {
            const r = await report("throttled", "--mode", "drift", "--all");
            for (const t of r.json.tenants) {
                if (t.status === "error") {
                    assert.equal(t.error!.kind, "throttled", `${t.stack}: ${t.error!.message}`);
                    continue;
                }
                const found = t.changes.map((c) => `${c.identity}.${c.properties.map((p) => p.path).join(",")}`);
                const expected = { s1: ["Global.enableIMAutoArchiving", "Tag:OfflineIM.description"], s2: ["Global.enableIMAutoArchiving"], s3: [] }[t.stack];
                assert.deepEqual(found, expected, t.stack);
            }
            assert.ok(r.json.counts.error < 3, "the retries must get most tenants through");
        } finally {
            await emu.setFaults({ fault429: 0 });
        }
    });

    it("plan and full: pending changes from the code, both where code and tenant moved the same property", async () => {
        const program = path.join(fleet.workDir, "index.ts");
        const original = fs.readFileSync(program, "utf8");
        fs.writeFileSync(program, original.replace('description: "No offline IM archiving"', 'description: "Offline IM off"'));
        try {
            const plan = await report("plan", "--mode", "plan", "--stacks", "s3");
            assert.equal(plan.code, 2, plan.stderr);
            assert.deepEqual(plan.json.tenants[0].changes.map((c) => [c.kind, c.op, c.identity, c.properties.map((p) => [p.path, p.before, p.after])]),
                [["pending", "update", "Tag:OfflineIM", [["description", "No offline IM archiving", "Offline IM off"]]]]);
            const full = await report("full", "--mode", "full", "--stacks", "s1");
            assert.equal(full.code, 2, full.stderr + JSON.stringify(full.json.tenants[0].error));
            const props = full.json.tenants[0].changes.flatMap((c) => c.properties.map((p) => [c.identity, p.path, p.kind, p.before, p.after, p.tenant]));
            assert.deepEqual(props, [
                ["Global", "enableIMAutoArchiving", "drift", false, true, undefined],
                ["Tag:OfflineIM", "description", "both", "No offline IM archiving", "Offline IM off", "Edited by hand"],
            ]);
            assert.match(full.md, /\| `description` \| `"No offline IM archiving"` \| `"Offline IM off"` \(tenant: `"Edited by hand"`\) \|/);
        } finally {
            fs.writeFileSync(program, original);
        }
    });

    it("a wrong secret and an unreachable tenant: exit 3, each an error with its reason, never drift", async () => {
        // The tenant side changes: t02 rotates its app secret (the stack's is now wrong), s3's tenant API goes away.
        await emu.handle!.registry.setSecret(fleetTenantId(2), "demo-client", WRONG);
        const url3 = emu3.url;
        await emu3.stop();
        const before = hashes();
        const r = await report("partial", "--mode", "drift", "--all", "--mask", "t0[0-9]\\.example");
        assert.equal(r.code, 3, r.stderr);
        assert.deepEqual(hashes(), before);
        const [s1, s2, s3] = r.json.tenants;
        assert.equal(s1.status, "changed", JSON.stringify(s1.error));
        assert.deepEqual([s2.status, s2.error?.kind, s2.changes.length], ["error", "auth", 0]);
        assert.deepEqual([s3.status, s3.error?.kind, s3.changes.length], ["error", "unreachable", 0]);
        assert.ok(s3.error!.message.includes(url3.replace("http://", "")), s3.error!.message);
        assert.ok(!JSON.stringify(r.json).includes("t02.example") && !r.md.includes("t01.example"), "--mask applies to every output");
        assert.match(r.md, /\| s2 \| auth \| /);
        assert.match(r.md, /\| s3 \| unreachable \| /);
        // Errors are not drift: with only drift failing the run, the exit code is 2 (s1), never 0 or 3.
        const drift = await report("partial-drift", "--mode", "drift", "--stacks", "s2,s3", "--fail-on", "drift");
        assert.equal(drift.code, 0, "errors alone are no drift");
    });

    it("bad flags and a bad accept file fail with exit 1 and a message naming them, before any run", async () => {
        const bad = await clientpolicy(["report", "--mode", "drift", "--stacks", "nope", "--dir", fleet.workDir], fleet.env);
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /--stacks: "nope" is not one of s1, s2, s3/);
        const accept = path.join(out, "bad-accept.yaml");
        fs.writeFileSync(accept, "rules:\n  - scope: fleet\n    policy: Global\n");
        const r = await clientpolicy(["report", "--mode", "drift", "--all", "--dir", fleet.workDir, "--accept", accept], fleet.env);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /bad-accept\.yaml: rules\[0\]\.property: /);
        assert.ok(!r.stderr.includes("    at "), "no stack trace");
        // Where the report goes is checked before the runs too (not after minutes of them).
        const both = await clientpolicy(["report", "--mode", "drift", "--all", "--dir", fleet.workDir, "--format", "md,json"], fleet.env);
        assert.equal(both.code, 1);
        assert.match(both.stderr, /--format md,json: without --out only one format can be printed/);
        assert.equal(both.stdout, "", "nothing printed");
        const notAFolder = path.join(out, "not-a-folder");
        fs.writeFileSync(notAFolder, "x");
        const o = await clientpolicy(["report", "--mode", "drift", "--all", "--dir", fleet.workDir, "--format", "md", "--out", notAFolder], fleet.env);
        assert.equal(o.code, 1);
        assert.match(o.stderr, /--out .*not-a-folder: is a file, not a folder/);
        assert.doesNotMatch(o.stderr, /stack\(s\)/, "no stack ran");
        const w = await clientpolicy(["report", "--mode", "drift", "--all", "--dir", fleet.workDir, "--write-accept", path.join(out, "no-such-dir", "a.yaml")], fleet.env);
        assert.equal(w.code, 1);
        assert.match(w.stderr, /--write-accept .*a\.yaml: its folder .*no-such-dir does not exist/);
        assert.doesNotMatch(w.stderr, /stack\(s\)/, "no stack ran");
    });
});
