/**
 * Secret hygiene through the real CLI: a run with secret users
 * (`users` from a secret config value, i.e. a secret Output) and a secret imWarning,
 * then a grep of every state file (backend dir, with history and backups), the
 * workspace, the collected CLI output and the emulator's data dir for each secret:
 * the client secret, the users' SIP addresses and display names, the warning text.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { ExampleStack, setSecretConfig } from "../../testkit/stack";
import { TestTenant, startTenant, openStack, collector, getPolicy, assignmentOf } from "./helpers";
import { GENERIC, expectFailure, policy, grant, setResources } from "./generic";
import { filesUnder } from "../../testkit/files";

const WARNING = "Secret-IM-warning 5e1f: do not share the merger codename";
const SECRET_USERS = ["sip:user00017@contoso.example", "Pilar Ackerman", "user00023@contoso.example"];
/** What must never appear in clear: every spelling and every name the tenant resolves them to. */
const NEEDLES = [
    WARNING, "merger codename",
    "user00017", "User 00017", "Pilar Ackerman", "pilar.ackerman", "user00023", "User 00023",
];


/** `needle` → the files (or "CLI output") holding it. */
function grep(needles: string[], files: string[], extra: Record<string, string>): Map<string, string[]> {
    const hits = new Map<string, string[]>();
    const add = (n: string, where: string) => hits.set(n, [...(hits.get(n) ?? []), where]);
    for (const f of files) {
        const text = fs.readFileSync(f).toString("utf8");
        for (const n of needles) if (text.toLowerCase().includes(n.toLowerCase())) add(n, f);
    }
    for (const [where, text] of Object.entries(extra)) for (const n of needles) if (text.toLowerCase().includes(n.toLowerCase())) add(n, where);
    return hits;
}

describe("e2e: no secret in state, CLI output or the emulator's files (real CLI)", function () {
    this.timeout(900_000);
    let tenant: TestTenant;
    let h: ExampleStack;
    const out = collector();

    before(async () => {
        tenant = await startTenant({ users: 50 });
        h = await openStack(tenant, GENERIC, { folder: true });
    });
    after(async () => {
        await h?.dispose();
        await tenant?.stop();
    });

    it("up, preview --diff, refresh, an update and destroy with secret users and a secret imWarning", async () => {
        await setSecretConfig(h, "gen:secretUsers", JSON.stringify(SECRET_USERS));
        await setSecretConfig(h, "gen:secretWarning", JSON.stringify(WARNING));
        await setResources(h, [
            policy("p", { identity: "Tag:SecretPolicy", maximumNumberOfContacts: 10 }, { secretArgs: { imWarning: "secretWarning" } }),
            grant("g", {}, { policyFrom: "p", secretArgs: { users: "secretUsers" } }),
        ]);
        await h.stack.preview({ onOutput: out.onOutput, diff: true });
        const up = await h.stack.up({ onOutput: out.onOutput, diff: true });
        assert.equal(up.summary.result, "succeeded");
        assert.equal((await getPolicy(tenant, "Tag:SecretPolicy"))!.IMWarning, WARNING);
        assert.equal(await assignmentOf(tenant, "Pilar Ackerman"), "SecretPolicy");
        assert.equal(await assignmentOf(tenant, "sip:user00023@contoso.example"), "SecretPolicy");

        await h.stack.preview({ onOutput: out.onOutput, diff: true });
        await h.stack.refresh({ onOutput: out.onOutput });
        // An update of the secret list (one user fewer) shows a diff of secret values only.
        await setSecretConfig(h, "gen:secretUsers", JSON.stringify(SECRET_USERS.slice(0, 2)));
        await h.stack.preview({ onOutput: out.onOutput, diff: true });
        await h.stack.up({ onOutput: out.onOutput, diff: true });
        assert.equal(await assignmentOf(tenant, "sip:user00023@contoso.example"), null);
        const exported = JSON.stringify(await h.stack.exportStack());
        assert.ok(exported.includes("resolvedUsers"), "state holds resolvedUsers (as a secret)");

        // A too-long secret imWarning fails preview without echoing it.
        const long = WARNING + " / padding ".repeat(30);
        await setSecretConfig(h, "gen:secretWarning", JSON.stringify(long));
        const failed = await expectFailure(h, "preview");
        assert.match(failed, /imWarning/, failed);
        out.onOutput(failed);
        await setSecretConfig(h, "gen:secretWarning", JSON.stringify(WARNING));
        await h.stack.destroy({ onOutput: out.onOutput });
        assert.equal(await getPolicy(tenant, "Tag:SecretPolicy"), undefined);
    });

    it("grep: 0 hits for the client secret, secret users and the secret warning in state, workspace and CLI output", () => {
        const files = [...filesUnder(h.backendDir), ...filesUnder(h.workDir)];
        assert.ok(files.some((f) => f.endsWith(`${h.stack.name}.json`)), "the state file is among the grepped files");
        assert.ok(files.some((f) => f.includes(`${path.sep}history${path.sep}`)), "the update history is among the grepped files");
        const hits = grep([tenant.clientSecret, ...NEEDLES], files, { "CLI output": out.text() });
        assert.deepEqual(Object.fromEntries(hits), {}, "secret values found in clear");
    });

    it("grep: the emulator's data dir holds no client secret, and no secret outside the tenant's own records", () => {
        // The tenant's rows in the emulator's SQLite database are the tenant itself: its users and (until destroy) the
        // policy's IMWarning, as the real service has them, and its app registrations (client id and secret, the way
        // the identity provider has them). The database is checked through its content (its raw pages are not a
        // format to grep); every other file of the data dir is grepped as bytes.
        const files = filesUnder(tenant.dataDir);
        const database = path.resolve(tenant.tenantFile);
        const isDatabase = (f: string) => [database, `${database}-wal`, `${database}-shm`].includes(path.resolve(f));
        assert.ok(files.some(isDatabase), "the tenant database is in the data dir");
        const others = files.filter((f) => !isDatabase(f));
        const otherHits = grep([tenant.clientSecret, WARNING, "merger codename"], others, {});
        assert.deepEqual(Object.fromEntries(otherHits), {}, `secret found in ${others.join(", ")}`);
        const stored = tenant.stored()!;
        assert.ok(stored.apps.some((a) => a.clientSecret === tenant.clientSecret), "the app registry holds the secret (the check below can fail)");
        const withoutApps = JSON.stringify({ ...stored, apps: [] });
        assert.ok(!withoutApps.includes(tenant.clientSecret), "the client secret is stored by the emulator outside its app registry");
        // After destroy the policy is gone, so its warning is not in the tenant's rows either.
        assert.ok(!withoutApps.includes(WARNING), "the deleted policy's warning stays in the tenant's stored rows");
    });
});
