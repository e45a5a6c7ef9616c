/**
 * `clientpolicy report`, the parts that need no Pulumi run: engine events → changes, aggregation, Markdown within its
 * size budget, the JSON schema, accept rules with expiry, shards and merge, exit codes, masking.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { applyAcceptRules, parseAcceptRules, proposeRules } from "../../../cli/report/accept";
import { aggregate } from "../../../cli/report/aggregate";
import { assemble, type ReportMeta } from "../../../cli/report/assemble";
import { exitCodeOf } from "../../../cli/report/exitCodes";
import { checkFormatsOut, checkOutFile, prepareOutDir, readReport, writeOutputs } from "../../../cli/report/io";
import { Masker } from "../../../cli/report/mask";
import { mergeReports } from "../../../cli/report/merge";
import { diffProperties, driftChanges, joinChanges, pendingChanges } from "../../../cli/report/changes";
import { keyedUsers } from "../../../provider/resources/grantUsers";
import { renderMarkdown, reportMarker, setText } from "../../../cli/report/markdown";
import { causeOf, publicText } from "../../../cli/report/text";
import { reportSchema, type TenantReport } from "../../../api/report";
import { pickShard, shardOf, parseShard } from "../../../cli/report/shard";
import { classifyError } from "../../../cli/report/run";
import { withTakeOvers } from "../../../cli/report/takeOver";
import type { Change } from "../../../api/report";
import { generatedFleet, globalDrift, grantDelete, refreshEvents, tagPending, tenant, urn } from "./reportData";

const NO_RULES = { file: null, rules: [] };
const DAY = "2026-11-30";

function meta(stacks: string[], extra: Partial<ReportMeta> = {}): ReportMeta {
    return { mode: "drift", project: "fleet", stacks, startedAt: "2026-11-30T10:00:00.000Z", durationMs: 1, gitSha: null, cliVersion: "v3.274.1", packageVersion: "0.1.0", ...extra };
}

describe("report: engine events → changes", () => {
    it("reads drift from refresh resOutputsEvents: property before → after, bookkeeping ignored, deletions kept", () => {
        const changes = driftChanges(refreshEvents("s1") as any);
        assert.deepEqual(changes.map((c) => [c.op, c.identity, c.properties.map((p) => [p.path, p.before, p.after])]), [
            ["update", "Global", [["enableIMAutoArchiving", false, true]]],
            ["delete", "Tag:OfflineIM", []],
        ]);
        assert.equal(changes[0].kind, "drift");
        assert.equal(changes[0].type, "ClientPolicy");
    });

    it("reads pending changes from preview pre-events, restricted to the engine's diffs, replacements folded", () => {
        const md = (op: string, name: string, oldIn: object, newIn: object, diffs?: string[]) =>
            ({ resourcePreEvent: { metadata: { op, urn: urn("s", "pulumi-nodejs:dynamic/clientpolicy:ClientPolicy", name), type: "pulumi-nodejs:dynamic/clientpolicy:ClientPolicy", old: { inputs: oldIn }, new: { inputs: newIn }, diffs } } });
        const events = [
            md("same", "a", { identity: "Global" }, { identity: "Global" }),
            md("update", "b", { identity: "Tag:B", description: "x", displayPhoto: "NoPhoto" }, { identity: "Tag:B", description: "y", displayPhoto: "PhotosFromADOnly" }, ["description"]),
            md("create-replacement", "c", { identity: "Tag:C" }, { identity: "Tag:D" }, ["identity"]),
            md("replace", "c", { identity: "Tag:C" }, { identity: "Tag:D" }, ["identity"]),
            md("delete-replaced", "c", { identity: "Tag:C" }, { identity: "Tag:D" }),
            md("create", "d", {}, { identity: "Tag:E", users: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }),
            // Not tenant objects, not rows: a component whose create step does not say custom: false (a new stack's
            // preview), the stack instance, another provider's resource.
            { resourcePreEvent: { metadata: { op: "create", urn: urn("s", "clientpolicy:index:TenantPolicies", "tenant"), type: "clientpolicy:index:TenantPolicies", new: { inputs: {} } } } },
            { resourcePreEvent: { metadata: { op: "create", urn: urn("s", "pulumi-nodejs:dynamic/clientpolicy:StackInstance", "i"), type: "pulumi-nodejs:dynamic/clientpolicy:StackInstance", new: { inputs: {} } } } },
            { resourcePreEvent: { metadata: { op: "create", urn: urn("s", "random:index/randomId:RandomId", "r"), type: "random:index/randomId:RandomId", new: { inputs: {} } } } },
        ];
        const changes = pendingChanges(events as any);
        assert.deepEqual(changes.map((c) => [c.name, c.op, c.properties.map((p) => p.path)]), [["b", "update", ["description"]], ["c", "replace", ["identity"]], ["d", "create", ["users"]]]);
        assert.deepEqual(changes[1].properties[0], { path: "identity", before: "Tag:C", after: "Tag:D", kind: "pending" });
    });

    it("joins drift and pending of one property as both, keeping the tenant's value", () => {
        const d = globalDrift("s1", true);
        const p = { ...globalDrift("s1"), kind: "pending" as const, properties: [{ path: "enableIMAutoArchiving", before: false, after: "(known after apply)", kind: "pending" as const }, { path: "description", before: undefined, after: "x", kind: "pending" as const }] };
        const [j] = joinChanges([d], [p]);
        assert.equal(j.kind, "both");
        assert.deepEqual(j.properties.map((x) => [x.path, x.kind, x.tenant]), [["description", "pending", undefined], ["enableIMAutoArchiving", "both", true]]);
    });

    it("classifies failures: never drift, each with a kind", () => {
        assert.equal(classifyError(["AuthError: the tenant refused the app's credentials (401 invalid_client)"], false), "auth");
        assert.equal(classifyError(["TransportError: fetch failed: connect ECONNREFUSED 127.0.0.1:9"], false), "unreachable");
        assert.equal(classifyError(["ThrottledError: throttled (429) after 8 attempts"], false), "throttled");
        assert.equal(classifyError(["Preview failed: the client secret was rejected for client id demo-client on tenant t02.example (check clientpolicy:clientSecret)"], false), "auth");
        assert.equal(classifyError(["anything"], true), "timeout");
        assert.equal(classifyError(["something else broke"], false), "failed");
    });
});

describe("report: aggregation and impact", () => {
    it("shows identical changes once with their tenants, different values apart", () => {
        const tenants = [
            ...Array.from({ length: 37 }, (_, i) => tenant(`s${String(i).padStart(2, "0")}`, [globalDrift(`s${i}`), tagPending(`s${i}`, 3)])),
            tenant("odd", [globalDrift("odd", "weird")]),
            tenant("broken", [], { status: "error", error: { kind: "auth", message: "no" } }),
        ];
        const groups = aggregate(tenants);
        assert.deepEqual(groups.map((g) => [g.object, g.path, g.after, g.stacks.length]), [
            ["Global", "enableIMAutoArchiving", true, 37], ["Tag:OfflineIM", "description", "Offline IM off", 37], ["Global", "enableIMAutoArchiving", "weird", 1],
        ]);
        assert.equal(groups[1].usersReached, 37 * 3, "assignees summed over the tenants");
        const md = renderMarkdown(assemble(tenants, meta(tenants.map((t) => t.stack)), NO_RULES, DAY));
        assert.match(md, /\*\*drift\*\* `Global\.enableIMAutoArchiving`: `false` → `true` — 37 tenants/);
        assert.match(md, /— 37 tenants \(reaches 111 users whose effective settings change\)/);
        assert.match(md, /<details><summary>37 tenants<\/summary>s00, s01/);
    });
});

describe("report: Markdown", () => {
    const tenants = [tenant("a", [globalDrift("a")]), tenant("b", [grantDelete("b")]), tenant("c", []),
        tenant("d", [], { status: "error", error: { kind: "unreachable", message: "fetch failed: ECONNREFUSED" } })];
    const r = assemble(tenants, meta(["a", "b", "c", "d"], { mode: "full" }), NO_RULES, DAY);

    it("puts the marker and summary first, a banner on deletes, errors apart, folded sections per tenant", () => {
        const md = renderMarkdown(r);
        const lines = md.split("\n");
        assert.equal(lines[0], reportMarker(r));
        assert.match(md, /\| 4 \| 1 \| 2 \| 0 \| 1 \| 0 \| 1 \| 1 \| 0 \| 0 \|/);
        assert.match(md, /\[!WARNING\]\n> \*\*1 delete\(s\) and 0 replacement\(s\)\.\*\*\n> - deletes PolicyGrant `Tag:OfflineIM` in b: its users lose `Tag:OfflineIM`/);
        assert.ok(!/Global/.test(md.split("\n").filter((l) => l.startsWith(">")).join("\n")), "the banner names what is deleted, not Global");
        assert.match(md, /\| d \| unreachable \| fetch failed: ECONNREFUSED \|/);
        assert.match(md, /<details><summary><b>a<\/b>: 1 change \(1 drift\): Global\.enableIMAutoArchiving<\/summary>/);
        assert.match(md, /\| ClientPolicy `Global` \| update \| drift \| `enableIMAutoArchiving` \| `false` \| `true` \|/);
        assert.match(md, /1 tenant\(s\) clean\./);
        assert.ok(md.indexOf("| tenants |") < md.indexOf("Changes across tenants"));
        assert.ok(!/WARNING/.test(renderMarkdown(assemble([tenant("a", [globalDrift("a")])], meta(["a"]), NO_RULES, DAY))), "no banner without deletes");
    });

    it("keys the marker on command, project and stack set", () => {
        const m = reportMarker(r);
        assert.equal(reportMarker({ ...r, stacks: ["d", "c", "b", "a"] }), m, "order does not matter");
        assert.notEqual(reportMarker({ ...r, stacks: ["a", "b"] }), m);
        assert.notEqual(reportMarker({ ...r, mode: "plan" }), m);
        assert.notEqual(reportMarker({ ...r, project: "other" }), m);
        assert.match(m, /^<!-- clientpolicy-report mode=full project=fleet stacks=[0-9a-f]{16} -->$/);
    });

    it("keeps 200 tenants' changes within the 60,000-character budget and says what it left out", () => {
        const fleet = generatedFleet(200);
        const big = assemble(fleet, meta(fleet.map((t) => t.stack)), NO_RULES, DAY);
        const full = renderMarkdown(big, { budget: 10_000_000 });
        assert.ok(full.length > 60_000, `the full rendering must exceed the budget for this test to mean anything (${full.length})`);
        const md = renderMarkdown(big, { fullReport: "report.json" });
        assert.ok(md.length <= 60_000, `${md.length} characters`);
        assert.match(md, /_Shortened to fit the comment size budget: left out .+ The full report is in `report\.json`\._/);
        // Still the summary and the aggregated groups.
        assert.match(md, /\| 200 \| 0 \| 172 \| 0 \| 28 \|/);
        assert.match(md, /`Global\.enableIMAutoArchiving`: `false` → `true` — 172 tenants/);
        // Degrades in steps: a budget between the levels keeps property names but no values.
        const names = renderMarkdown(big, { budget: full.length - 1 });
        assert.match(names, /left out before\/after values per tenant \(changed property names kept\)/);
        assert.match(names, /- drift update ClientPolicy `Tag:Contacts`: `maximumNumberOfContacts`, `description`/);
        // A tiny budget still fits, listing fewer groups and tenants, and says so.
        const tiny = renderMarkdown(big, { budget: 3000, fullReport: "report.json" });
        assert.ok(tiny.length <= 3000, `${tiny.length}`);
        assert.match(tiny, /change groups; the tenants beyond the first \d+/);
    });
});

describe("report: JSON and schema", () => {
    it("validates a whole report and rejects a broken one naming file and field", () => {
        const fleet = generatedFleet(20);
        const r = assemble(fleet, meta(fleet.map((t) => t.stack)), NO_RULES, DAY);
        assert.equal(reportSchema.safeParse(JSON.parse(JSON.stringify(r))).success, true);
        assert.equal(r.formatVersion, 1);
        assert.deepEqual(r.counts, { tenants: 20, clean: 0, changed: 18, error: 2, new: 0, create: 0, update: 18 + 6 + 4, delete: 0, replace: 0, drift: 18 + 4, pending: 6, both: 0, suppressed: 0 });
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-json-"));
        try {
            const file = path.join(dir, "bad.json");
            fs.writeFileSync(file, JSON.stringify({ ...r, tenants: [{ ...r.tenants[0], status: "drifted" }] }));
            assert.throws(() => readReport(file), (e: Error) => e.message.startsWith(`${file}: not a clientpolicy report of formatVersion 1: tenants.0.status`));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("is exported by the package entry", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const entry = require("../../../provider") as typeof import("../../../provider");
        assert.equal(entry.reportSchema, reportSchema);
        assert.equal(entry.REPORT_FORMAT_VERSION, 1);
    });

    it("exit codes: 0 clean, 2 changes per --fail-on, 3 errors", () => {
        const clean = assemble([tenant("a", [])], meta(["a"]), NO_RULES, DAY);
        const drift = assemble([tenant("a", [globalDrift("a")])], meta(["a"]), NO_RULES, DAY);
        const pending = assemble([tenant("a", [tagPending("a")])], meta(["a"]), NO_RULES, DAY);
        const partial = assemble([tenant("a", [globalDrift("a")]), tenant("b", [], { status: "error", error: { kind: "auth", message: "x" } })], meta(["a", "b"]), NO_RULES, DAY);
        const all = ["drift", "pending", "error"] as const;
        assert.equal(exitCodeOf(clean, all), 0);
        assert.equal(exitCodeOf(drift, all), 2);
        assert.equal(exitCodeOf(pending, all), 2);
        assert.equal(exitCodeOf(pending, ["drift", "error"]), 0);
        assert.equal(exitCodeOf(partial, all), 3);
        assert.equal(exitCodeOf(partial, ["drift"]), 2);
        assert.equal(exitCodeOf(partial, ["pending"]), 0);
    });

    it("--out and --write-accept are checked before the runs: a file, a missing or read-only folder is an error naming the flag; stale report files go", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-out-"));
        try {
            const file = path.join(dir, "a-file");
            fs.writeFileSync(file, "x");
            assert.throws(() => prepareOutDir(file), /^CliError: --out .*a-file: is a file/);
            assert.throws(() => prepareOutDir(path.join(file, "sub")), /^CliError: --out .*a-file\/sub: is under a file, not a folder/);
            // Under /proc the kernel answers ENOENT to mkdir: an error, not a hang (Node's recursive mkdirSync spins there).
            if (fs.existsSync("/proc/self")) assert.throws(() => prepareOutDir("/proc/clientpolicy-report-out/x"), /--out \/proc\/clientpolicy-report-out\/x: cannot create the folder \(ENOENT\)/);
            const out = path.join(dir, "new", "out");
            prepareOutDir(out);
            assert.ok(fs.statSync(out).isDirectory(), "created, parents too");
            // Yesterday's md,json run; today's writes md only: its report.json would be read as today's.
            for (const f of ["report.md", "report.json", "notes.txt"]) fs.writeFileSync(path.join(out, f), "old");
            prepareOutDir(out);
            assert.deepEqual(fs.readdirSync(out), ["notes.txt"], "only the report's own files are removed");
            assert.throws(() => checkOutFile(path.join(dir, "missing", "accept.yaml"), "--write-accept"), /^CliError: --write-accept .*accept\.yaml: its folder .*missing does not exist/);
            assert.throws(() => checkOutFile(out, "--write-accept"), /is a folder, not a file/);
            checkOutFile(path.join(out, "accept.yaml"), "--write-accept");
            // stdout takes one format; both need a folder.
            assert.throws(() => checkFormatsOut(["md", "json"], undefined), /^CliError: --format md,json: without --out only one format can be printed; add --out DIR to write report\.md and report\.json/);
            checkFormatsOut(["json"], undefined);
            checkFormatsOut(["md", "json"], out);
            if (process.getuid?.() !== 0) {
                fs.chmodSync(out, 0o500);
                assert.throws(() => prepareOutDir(out), /--out .*out: is not writable by this user/);
                assert.throws(() => checkOutFile(path.join(out, "accept.yaml"), "--write-accept"), /is not writable by this user/);
                fs.chmodSync(out, 0o700);
            } else console.log("      (read-only folder cases skipped: root writes to any folder)");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("masks secret values and --mask patterns in Markdown and JSON, escaped forms included", () => {
        const secret = 'p"ss\\word-123';
        const r = assemble([tenant("a", [], { status: "error", error: { kind: "auth", message: `refused secret ${secret} for app-XYZ-42` } })], meta(["a"]), NO_RULES, DAY);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-mask-"));
        try {
            const masker = new Masker([/app-[A-Z]+-\d+/g]);
            masker.addSecret(secret);
            const files = writeOutputs(r, ["md", "json"], dir, masker, 60_000);
            for (const f of files) {
                const text = fs.readFileSync(f, "utf8");
                assert.ok(!text.includes(secret) && !text.includes(JSON.stringify(secret).slice(1, -1)) && !text.includes("app-XYZ-42"), f);
                assert.match(text, /refused secret \[masked\] for \[masked\]/);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("report: accepted drift", () => {
    const rulesText = `rules:
  - scope: tenant
    stacks: [a]
    policy: Global
    property: enableIM*
    reason: Legal hold
    owner: compliance@example.com
    expires: 2026-12-31
  - scope: fleet
    policy: Tag:*
    property: description
    reason: Help desk edits descriptions
    owner: helpdesk@example.com
    expires: 2026-11-29
`;

    it("moves matching drift to suppressed (tenant scope, glob), never pending; expired rules stop matching and are reported", () => {
        const rules = parseAcceptRules(rulesText, "drift-accept.yaml");
        const tagDrift = { ...tagPending("a"), kind: "drift" as const, properties: [{ ...tagPending("a").properties[0], kind: "drift" as const }] };
        const a = applyAcceptRules(tenant("a", [globalDrift("a"), tagPending("a"), tagDrift]), rules, DAY);
        assert.deepEqual(a.suppressed.map((s) => [s.identity, s.rule, s.reason]), [["Global", 0, "Legal hold"]]);
        assert.deepEqual(a.changes.map((c) => [c.kind, c.identity]), [["pending", "Tag:OfflineIM"], ["drift", "Tag:OfflineIM"]], "pending kept; rule 1 expired");
        const b = applyAcceptRules(tenant("b", [globalDrift("b")]), rules, DAY);
        assert.equal(b.suppressed.length, 0, "rule 0 is for stack a only");
        // The day the fleet rule was still valid, it matched.
        assert.equal(applyAcceptRules(tenant("c", [tagDrift]), rules, "2026-11-29").suppressed.length, 1);
        const r = assemble([tenant("a", [globalDrift("a")])], meta(["a"]), rules, DAY);
        assert.equal(r.counts.suppressed, 1);
        assert.equal(r.tenants[0].status, "clean");
        assert.deepEqual(r.accept.expired.map((x) => [x.index, x.expires]), [[1, "2026-11-29"]]);
        const md = renderMarkdown(r);
        assert.match(md, /1 drift finding\(s\) accepted by `drift-accept\.yaml`/);
        assert.match(md, /\*\*1 expired accept rule\(s\)\*\* no longer match: #1 `Tag:\*\.description` \(expired 2026-11-29, owner helpdesk@example\.com\)/);
        assert.equal(exitCodeOf(r, ["drift", "pending", "error"]), 0);
    });

    it("reports every problem of a bad rules file at once, with file and YAML path", () => {
        const bad = `rules:
  - scope: tenant
    policy: Global
    property: x
    reason: ""
    owner: me
    expires: 2026-13-01
  - scope: planet
    policy: Global
    property: x
    reason: r
    owner: o
    expires: 2027-01-01
    extra: 1
`;
        assert.throws(() => parseAcceptRules(bad, "ops/drift-accept.yaml"), (e: Error) => {
            assert.match(e.message, /ops\/drift-accept\.yaml: rules\[0\]\.reason: must say why/);
            assert.match(e.message, /ops\/drift-accept\.yaml: rules\[0\]\.expires: must be a real calendar date/);
            assert.match(e.message, /ops\/drift-accept\.yaml: rules\[0\]\.stacks: is required when scope is tenant/);
            assert.match(e.message, /ops\/drift-accept\.yaml: rules\[1\]\.scope:/);
            assert.match(e.message, /rules\[1\]: .*extra/);
            return true;
        });
        assert.throws(() => parseAcceptRules("rules: [a: b", "x.yaml"), /x\.yaml: not valid YAML/);
    });

    it("--write-accept proposes rules that, once parsed, accept exactly today's drift", () => {
        const tenants = [tenant("a", [globalDrift("a"), tagPending("a")]), tenant("b", [globalDrift("b"), grantDelete("b")])];
        const text = proposeRules(tenants, NO_RULES, DAY);
        // The proposal's placeholders fail until a person fills them in.
        assert.throws(() => parseAcceptRules(text, "proposed.yaml"), /proposed\.yaml: rules\[0\]\.reason: is a placeholder; say why this drift is accepted/);
        const rules = parseAcceptRules(text.replace(/TODO: why this drift is accepted/g, "Pilot").replace(/TODO: who owns this exception/g, "ops@example.com"), "proposed.yaml");
        assert.deepEqual(rules.rules.map((r) => [r.stacks, r.policy, r.property, r.expires]), [[["a"], "Global", "enableIMAutoArchiving", "2026-12-30"], [["b"], "Global", "enableIMAutoArchiving", "2026-12-30"]]);
        const r = assemble(tenants, meta(["a", "b"]), rules, DAY);
        assert.deepEqual(r.tenants.map((t) => [t.stack, t.changes.map((c) => c.kind), t.suppressed.length]), [["a", ["pending"], 1], ["b", ["pending"], 1]]);
    });
});

describe("report: shards and merge", () => {
    it("splits stacks into stable, disjoint, complete shards", () => {
        const stacks = Array.from({ length: 100 }, (_, i) => `tenant-${i}`);
        const shards = [1, 2, 3].map((index) => pickShard(stacks, { index, count: 3 }));
        assert.deepEqual(shards.flat().sort(), [...stacks].sort());
        assert.ok(shards.every((s) => s.length > 15), shards.map((s) => s.length).join(","));
        assert.deepEqual(pickShard(["tenant-5", ...stacks.slice(50)], { index: shardOf("tenant-5", 3), count: 3 }).includes("tenant-5"), true, "a stack's shard ignores the other stacks");
        assert.throws(() => parseShard("4/3"), /--shard: expected i\/n with 1 ≤ i ≤ n ≤ 1000 \(e\.g\. 2\/4\), got "4\/3"/);
        assert.throws(() => parseShard("0/3"), /--shard/);
    });

    it("3 shards merged give the same report as one unsharded run", () => {
        const fleet = generatedFleet(30);
        const rules = parseAcceptRules(`rules:\n  - {scope: fleet, policy: Tag:Contacts, property: description, reason: r, owner: o, expires: 2027-01-01}\n  - {scope: tenant, stacks: [tenant-010], policy: Tag:Contacts, property: maximumNumberOfContacts, reason: r, owner: o, expires: 2027-01-01}\n`, "accept.yaml");
        const stacks = fleet.map((t) => t.stack);
        const whole = assemble(fleet, meta(stacks), rules, DAY);
        const parts = [1, 2, 3].map((index) => {
            const mine = pickShard(stacks, { index, count: 3 });
            return assemble(fleet.filter((t) => mine.includes(t.stack)), meta(mine, { shard: { index, count: 3 } }), rules, DAY);
        });
        const parsed = parts.map((p) => reportSchema.parse(JSON.parse(JSON.stringify(p))));
        const { tenants, meta: m } = mergeReports(parsed, ["1.json", "2.json", "3.json"]);
        const merged = assemble(tenants, { ...m, packageVersion: "0.1.0" }, rules, DAY);
        assert.deepEqual(merged.tenants, JSON.parse(JSON.stringify(whole.tenants)));
        assert.deepEqual(merged.counts, whole.counts);
        assert.deepEqual(merged.stacks, whole.stacks);
        assert.equal(merged.shard, undefined);
        assert.equal(renderMarkdown(merged), renderMarkdown(whole));
        assert.equal(exitCodeOf(merged, ["drift", "pending", "error"]), exitCodeOf(whole, ["drift", "pending", "error"]));
        assert.ok(whole.counts.suppressed > 0, "the rules matched something");
        assert.throws(() => mergeReports([parsed[0], parsed[0]], ["1.json", "1b.json"]), /1b\.json: stack tenant-\d+ is also in 1\.json; shards must not overlap/);
        assert.throws(() => mergeReports([parsed[0], { ...parsed[1], mode: "plan" }], ["1.json", "2.json"]), /2\.json: mode plan differs from 1\.json's drift/);
        // Every shard of the run, or no report: a missing shard's tenants would vanish from a report reading "clean".
        assert.throws(() => mergeReports([parsed[1]], ["2.json"]), /report merge: shard\(s\) 1\/3, 3\/3 missing \(got 2\/3\)/);
        assert.throws(() => mergeReports([parsed[0], parsed[2]], ["1.json", "3.json"]), /shard\(s\) 2\/3 missing/);
        assert.throws(() => mergeReports([parsed[0], { ...parsed[1], shard: { index: 2, count: 4 } }, parsed[2]], ["1.json", "2.json", "3.json"]), /2\.json: shard 2\/4, but 1\.json is 1\/3/);
        assert.throws(() => mergeReports([parsed[0], { ...parsed[1], shard: undefined }, parsed[2]], ["1.json", "2.json", "3.json"]), /2\.json: not a shard report/);
    });
});

describe("report: causes, readable changes, accept pins and the closing context", () => {
    it("keeps a failure's cause whole, once, without wrappers, stack frames, request ids, routes or machine paths", () => {
        const project = "/runner/_work/repo/fleet";
        const program = [
            `Running program '${project}/index.ts' failed with an unhandled exception:`,
            `TenantConfigError: ${project}/tenants/contoso.yaml:2:1: polices: is not a field here; expected policies, grants, remove`,
            `    at loadTenantDeclaration (${project}/node_modules/clientpolicy-as-code/dist/provider/tenantConfig/index.js:194:15)`,
            `    at Object.<anonymous> (${project}/index.ts:14:34)`,
        ].join("\n");
        assert.equal(causeOf([program], project),
            "TenantConfigError: tenants/contoso.yaml:2:1: polices: is not a field here; expected policies, grants, remove");
        const provider = "AuthError: the tenant rejected the app's credentials (POST /t01.example/oauth2/v2.0/token: 401 invalid_client) (request-id 9f1c2d): " +
            "AuthError: the tenant rejected the app's credentials (POST /t01.example/oauth2/v2.0/token: 401 invalid_client) (request-id 9f1c2d)";
        assert.equal(causeOf([provider, "error: preview failed"]), "AuthError: the tenant rejected the app's credentials (401 invalid_client)");
        // The engine's step wrapper says "Preview" in drift mode's refresh too; the report's status already says it failed.
        assert.equal(causeOf(["Preview failed: cannot reach the tenant API at http://127.0.0.1:1 (ECONNREFUSED)"]), "cannot reach the tenant API at http://127.0.0.1:1 (ECONNREFUSED)");
        assert.equal(publicText("cannot read /home/ci/work/x/Pulumi.yaml at http://127.0.0.1:8443/t01/policies"), "cannot read Pulumi.yaml at http://127.0.0.1:8443/t01/policies");
    });

    it("a plain throw in the program: the message, then where in the program's own files it was thrown", () => {
        const project = "/runner/_work/repo/fleet";
        const frames = [
            `    at loadAll (${project}/node_modules/some-lib/index.js:3:9)`,
            `    at build (${project}/lib/tenants.ts:41:13)`,
            `    at Object.<anonymous> (${project}/index.ts:7:1)`,
        ];
        // The inline-program server's wrapper (the report's process) and the runner's (a program process) read alike.
        const inline = [`Unhandled exception: Error: no tenants declared`, ...frames].join("\n");
        const runner = [`Running program '${project}/index.ts' failed with an unhandled exception:`, "Error: no tenants declared", ...frames].join("\n");
        for (const m of [inline, runner]) assert.equal(causeOf([m], project), "Error: no tenants declared\n(thrown at lib/tenants.ts:41)");
        // The inline server's summary of the run's errors repeats them.
        assert.equal(causeOf([inline, "One or more errors occurred: no tenants declared"], project), "Error: no tenants declared\n(thrown at lib/tenants.ts:41)");
        assert.equal(causeOf([inline, "One or more errors occurred. Check logs for more details"], project), "Error: no tenants declared\n(thrown at lib/tenants.ts:41)");
        // A message that names its own location, frames only in libraries, or no project folder: nothing is added.
        assert.equal(causeOf([`Error: tenants/a.yaml:2:1: bad\n${frames[2]}`], project), "Error: tenants/a.yaml:2:1: bad");
        assert.equal(causeOf([`Error: boom\n${frames[0]}`], project), "Error: boom");
        assert.equal(causeOf([inline]), "Error: no tenants declared");
    });

    it("a grant's users are a set: removing one of 3,000 names exactly that user", () => {
        const users = Array.from({ length: 3000 }, (_, i) => `sip:user${String(i + 1).padStart(5, "0")}@t01.example`);
        const [p] = diffProperties({ users }, { users: users.filter((u) => u !== "sip:user01500@t01.example") }, "pending");
        assert.deepEqual(p, { path: "users", before: ["sip:user01500@t01.example"], after: [], set: true, kind: "pending" });
        assert.equal(setText(p), "unassign 1 user: `sip:user01500@t01.example`; assign 0");
        // resolvedUsers folds into users: names, never object ids.
        const resolved = (names: string[]) => names.map((n, i) => ({ id: `oid-${i}-${n}`, sipAddress: n, displayName: n, requestedAs: n }));
        const drift = diffProperties({ users: ["a", "b"], resolvedUsers: resolved(["sip:a", "sip:b"]) }, { users: ["a"], resolvedUsers: resolved(["sip:a"]) }, "drift");
        assert.deepEqual(drift.map((x) => x.path), ["users"]);
        const onlyResolved = diffProperties({ resolvedUsers: resolved(["sip:a", "sip:b"]) }, { resolvedUsers: resolved(["sip:a"]) }, "drift");
        assert.deepEqual(onlyResolved, [{ path: "users", before: ["sip:b"], after: [], set: true, kind: "drift" }]);
    });

    it("a grant's users keyed by user (inputs since the keyed shape) or listed (older state) read as the same set", () => {
        const users = Array.from({ length: 3000 }, (_, i) => `sip:user${String(i + 1).padStart(5, "0")}@t01.example`);
        const newer = [...users.filter((u) => u !== "sip:user01500@t01.example"), "sip:new@t01.example"];
        const expected = { path: "users", before: ["sip:user01500@t01.example"], after: ["sip:new@t01.example"], set: true, kind: "pending" };
        // keyed → keyed, and a list in state (0.1.0) → keyed from check().
        assert.deepEqual(diffProperties({ users: keyedUsers(users) }, { users: keyedUsers(newer) }, "pending"), [expected]);
        assert.deepEqual(diffProperties({ users }, { users: keyedUsers(newer) }, "pending"), [expected]);
        // The same set in the other shape is no change; a secret stays a secret.
        assert.deepEqual(diffProperties({ users }, { users: keyedUsers(users) }, "pending"), []);
        const secret = { "4dabf18193072939515e22adc298d4e7": "1b47061264138c4ac30d75fd1eb44270", value: "x" };
        assert.deepEqual(diffProperties({ users }, { users: secret }, "pending"), [{ path: "users", before: users, after: "[secret]", kind: "pending" }]);
    });

    it("accept rules may pin the accepted value; a placeholder reason or owner fails", () => {
        const rule = (value: string) => parseAcceptRules(`rules:\n  - { scope: fleet, policy: Global, property: enableIMAutoArchiving, ${value}reason: Pilot, owner: ops@example.com, expires: 2999-01-01 }\n`, "drift-accept.yaml");
        assert.equal(applyAcceptRules(tenant("a", [globalDrift("a", true)]), rule("value: true, "), DAY).suppressed.length, 1);
        assert.equal(applyAcceptRules(tenant("a", [globalDrift("a", true)]), rule("value: false, "), DAY).suppressed.length, 0, "another value is reported again");
        assert.equal(applyAcceptRules(tenant("a", [globalDrift("a", true)]), rule(""), DAY).suppressed.length, 1);
        assert.throws(() => parseAcceptRules("rules:\n  - { scope: fleet, policy: Global, property: x, reason: \"TODO: explain\", owner: TBD, expires: 2999-01-01 }\n", "drift-accept.yaml"),
            (e: Error) => /rules\[0\]\.reason: is a placeholder/.test(e.message) && /rules\[0\]\.owner: is a placeholder/.test(e.message));
    });

    it("per-tenant summaries name the changed properties; the Markdown ends with commit, run time and the next command", () => {
        const r = assemble([tenant("a", [globalDrift("a")]), tenant("b", [])], meta(["a", "b"], { gitSha: "0123456789abcdef0123", durationMs: 42_000 }), NO_RULES, DAY);
        const md = renderMarkdown(r);
        assert.match(md, /<b>a<\/b>: 1 change \(1 drift\): Global\.enableIMAutoArchiving<\/summary>/);
        const tail = md.trimEnd().split("\n").slice(-3).join("\n");
        assert.match(tail, /commit `0123456789ab` · run 2026-11-30 10:00:00 UTC, 42 s/);
        assert.match(tail, /\*\*Next:\*\* `pulumi up --stack a` puts the tenant back to the code/);
        const two = renderMarkdown(assemble([tenant("a", [globalDrift("a")]), tenant("b", [globalDrift("b")])], meta(["a", "b"]), NO_RULES, DAY));
        assert.match(two, /\*\*Next:\*\* `pulumi up --stack a` \(and the same for the other 1 drifted stack\(s\)\) puts the tenant back to the code/);
    });

    it("an object the tenant changed and the code changes too is marked: `up` will stop here until refreshed, with the tenant's values", () => {
        const drift = { ...globalDrift("s1", true), urn: tagPending("s1").urn, identity: "Tag:OfflineIM", name: "offline-im" };
        const [j] = joinChanges([drift], [tagPending("s1")]);
        assert.equal(j.refreshFirst, true);
        const grant = { ...grantDelete("s1"), kind: "drift" as const, op: "update" as const, properties: [{ path: "users", before: ["sip:b"], after: [], set: true, kind: "drift" as const }] };
        const [g] = joinChanges([grant], [{ ...grant, kind: "pending", properties: [{ path: "users", before: [], after: ["sip:c"], set: true, kind: "pending" }] }]);
        assert.equal(g.refreshFirst, undefined, "a grant has no ETag: up does not stop there");
        const r = assemble([tenant("s1", [j]), tenant("s2", [tagPending("s2")])], meta(["s1", "s2"], { mode: "full" }), NO_RULES, DAY);
        const md = renderMarkdown(r);
        assert.match(md, /`Tag:OfflineIM\.description`: `"No offline IM archiving"` → `"Offline IM off"` — 1 tenant[^\n]*\n  ⚠️ `up` will stop here until refreshed: the tenant has `enableIMAutoArchiving` `true`\n  in s1/);
        assert.match(md, /<b>s1<\/b>: [^\n]*⚠️ up will stop here until refreshed<\/summary>/);
        assert.match(md, /\| ClientPolicy `Tag:OfflineIM` \| update \| both \| \| \| ⚠️ `up` will stop here until refreshed: the tenant has `enableIMAutoArchiving` `true` \| \|/);
        assert.match(md, /\*\*Next:\*\* `pulumi refresh --run-program --stack s1` before `pulumi up`/);
        assert.doesNotMatch(md.split("<b>s2</b>")[1], /will stop here/, "s2's same description change is not marked");
    });

    it("a report of an older version (no new-tenant count) still merges", () => {
        const r = assemble([tenant("a", [])], meta(["a"]), NO_RULES, DAY);
        const { new: _n, ...oldCounts } = r.counts;
        assert.equal(reportSchema.parse({ ...r, counts: oldCounts }).counts.new, 0);
    });
});

describe("report: take-overs (a create of a policy the tenant already has)", () => {
    const create = (stack: string, identity: string, properties: Array<[string, unknown]>): Change => ({
        kind: "pending", op: "create", urn: urn(stack, "pulumi-nodejs:dynamic/clientpolicy:ClientPolicy", identity.toLowerCase()), type: "ClientPolicy",
        name: identity.toLowerCase(), identity, properties: properties.map(([path, after]) => ({ path, after, kind: "pending" as const })),
    });
    // The tenant's Global was set by hand: contacts 250, saving IM disabled, offline IM archiving on; two settings hold
    // their documented defaults (unset, they keep them: not listed).
    const tenantPolicies = [
        { Identity: "Global", MaximumNumberOfContacts: 250, DisableSavingIM: true, EnableIMAutoArchiving: true, DisplayPhoto: "AllPhotos", DGRefreshInterval: "08:00:00" },
        { Identity: "Tag:Kiosk", Description: "kiosks" },
    ];

    it("Global (and an adopted policy) become updates from the tenant's values, undeclared settings unset; a new tag policy stays a create", async () => {
        let reads = 0;
        const list = async () => { reads++; return tenantPolicies as never; };
        const changes = [
            create("a", "Global", [["enableIMAutoArchiving", false], ["adopt", true], ["adoptChanges", ["x"]]]),
            create("a", "Tag:kiosk", [["description", "kiosks"], ["adopt", true]]),
            create("a", "Tag:OfflineIM", [["description", "Offline IM off"]]),
        ];
        const out = await withTakeOvers(changes, list);
        assert.equal(reads, 1, "the tenant's policies are read once");
        assert.deepEqual(out.map((c) => [c.identity, c.op, c.takeOver ?? false]), [["Global", "update", true], ["Tag:kiosk", "update", true], ["Tag:OfflineIM", "create", false]]);
        assert.deepEqual(out[0].properties.map((p) => [p.path, p.before, p.after]),
            [["disableSavingIM", true, undefined], ["enableIMAutoArchiving", true, false], ["maximumNumberOfContacts", 250, undefined]]);
        assert.deepEqual(out[1].properties, [], "the adopted policy already matches: a take-over without setting changes");
        assert.deepEqual(out[2], changes[2]);
        assert.equal(reportSchema.shape.tenants.element.shape.changes.element.safeParse(out[0]).success, true);
        // No ClientPolicy created: no tenant read.
        assert.deepEqual(await withTakeOvers([tagPending("a")], list), [tagPending("a")]);
        assert.equal(reads, 1);
    });

    it("the Markdown names what a take-over overwrites and unsets, per tenant and aggregated", async () => {
        const out = await withTakeOvers([create("a", "Global", [["enableIMAutoArchiving", false]])], async () => tenantPolicies as never);
        const md = renderMarkdown(assemble([tenant("a", out), tenant("b", out.map((c) => ({ ...c, urn: urn("b", "x", "global") })))], meta(["a", "b"], { mode: "plan" }), NO_RULES, DAY), { budget: 60_000 });
        assert.match(md, /- \*\*pending\*\* `Global\.maximumNumberOfContacts`: `250` → unset \(taken over\) — 2 tenants/);
        assert.match(md, /- \*\*pending\*\* `Global\.enableIMAutoArchiving`: `true` → `false` \(taken over\) — 2 tenants/);
        assert.match(md, /\| ClientPolicy `Global` \| take over \| pending \| `disableSavingIM` \| `true` \| unset \|/);
        assert.doesNotMatch(md, /Global` \(ClientPolicy\) created/);
    });
});
