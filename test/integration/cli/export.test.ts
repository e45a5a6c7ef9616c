/**
 * `clientpolicy export` and `clientpolicy cmdlets` as a user runs them: the real command (a child process running
 * cli/main.ts) against a real emulator over HTTP. Export: every setting kind in canonical form, unset settings left
 * out, adopt on every resource, grants per policy by SIP address, YAML that the config-repo loader reads back to the
 * tenant's content, and no write to the tenant. Both subcommands (export, cmdlets): `--help`, and bad flags exit 1
 * naming the flag.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startTestEmulator, TestTenant, REPO_ROOT } from "../../../testkit/emulator";
import { parse as parseYaml } from "yaml";
import { OWNER_ANNOTATION, Routes } from "../../../api/contract";
import { RICH_GLOBAL, dumpTenant, generatedUser, putPolicy, seedRichTenant } from "../../../testkit/tenantFixtures";
import { call } from "../../../testkit/tenantApi";

interface CliResult { code: number; stdout: string; stderr: string }

/** Runs `clientpolicy <args>` (cli/main.ts through ts-node) with `env` added. */
function clientpolicy(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    for (const k of ["CLIENTPOLICY_ENDPOINT", "CLIENTPOLICY_TENANT_ID", "CLIENTPOLICY_CLIENT_ID"]) if (!(k in env)) delete childEnv[k];
    if (!("CLIENTPOLICY_CLIENT_SECRET" in env)) delete childEnv.CLIENTPOLICY_CLIENT_SECRET;
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(REPO_ROOT, "cli", "main.ts"), ...args],
            { cwd: REPO_ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => { stdout += d; });
        child.stderr.on("data", (d) => { stderr += d; });
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
}

describe("clientpolicy export (real emulator over HTTP)", function () {
    this.timeout(120_000);
    let tenant: TestTenant;
    let outDir: string;
    const flags = () => ["--endpoint", tenant.url, "--tenant", tenant.tenantId, "--client-id", tenant.clientId];
    const secretEnv = () => ({ CLIENTPOLICY_CLIENT_SECRET: tenant.clientSecret });

    before(async () => {
        tenant = await startTestEmulator({ users: 100 });
        await seedRichTenant(tenant, { extraTags: 2, grantedUsers: 40 });
    });
    after(async () => { await tenant?.stop(); });
    beforeEach(() => { outDir = fs.mkdtempSync(path.join(os.tmpdir(), "cpac-export-")); });
    afterEach(() => { fs.rmSync(outDir, { recursive: true, force: true }); });

    it("writes a TypeScript program: every policy with adopt, canonical settings, unset ones left out; no write to the tenant", async () => {
        const before = await tenant.stats();
        const r = await clientpolicy(["export", ...flags(), "--include-grants"], secretEnv());
        assert.equal(r.code, 0, r.stderr);
        const ts = r.stdout;
        assert.match(ts, /^\/\/ Exported by `clientpolicy export` from tenant contoso\.example at http:\/\/127\.0\.0\.1:\d+ on \d{4}-\d\d-\d\dT/);
        assert.match(ts, /import \* as cp from "clientpolicy-as-code";/);
        for (const identity of ["Global", "site:Redmond", "Tag:OfflineIM", "Tag:Sales EU", "Tag:Empty", "Tag:Team 001", "Tag:Team 002"]) {
            assert.ok(ts.includes(`identity: ${JSON.stringify(identity)},\n    adopt: true,`), `${identity} with adopt:\n${ts}`);
        }
        const globalBlock = ts.slice(ts.indexOf('new cp.ClientPolicy("global"'), ts.indexOf("});", ts.indexOf('new cp.ClientPolicy("global"')));
        assert.match(globalBlock, /enableIMAutoArchiving: false,/);
        assert.match(globalBlock, /displayPhoto: "PhotosFromADOnly",/);
        assert.match(globalBlock, /hotdeskingTimeout: "00:07:30",/);
        assert.match(globalBlock, /maximumNumberOfContacts: 750,/);
        assert.match(globalBlock, /dgRefreshInterval: "02:00:00",/);
        assert.ok(globalBlock.includes(`imWarning: ${JSON.stringify(RICH_GLOBAL.IMWarning)},`), globalBlock);
        assert.match(globalBlock, /policyEntry: \[\n\s+\{ name: "EnableFeatureX", value: "True" \},\n\s+\{ name: "Limit", value: "5" \},\n\s+\],/);
        assert.doesNotMatch(globalBlock, /enableURL|null|undefined/, "unset settings are left out");
        assert.match(ts, /new cp\.ClientPolicy\("tag-empty", \{\n {4}identity: "Tag:Empty",\n {4}adopt: true,\n\}\);/);
        // Grants: one PolicyGrant per granted policy, referring to the policy, users by SIP address, sorted.
        assert.equal((ts.match(/new cp\.PolicyGrant\(/g) ?? []).length, 4);
        assert.match(ts, /const tagOfflineim = new cp\.ClientPolicy\("tag-offlineim"/);
        assert.match(ts, /new cp\.PolicyGrant\("grant-offlineim", \{\n {4}policyName: tagOfflineim\.identity,\n {4}adopt: true,\n {4}users: \[\n {8}"sip:user00001@contoso\.example",\n {8}"sip:user00005@contoso\.example",/);
        assert.ok(!ts.includes(tenant.clientSecret), "the secret never reaches the output");
        assert.ok(!r.stderr.includes(tenant.clientSecret));
        assert.match(r.stderr, /export: 7 policies, 40 granted users → stdout/);
        assert.equal((await tenant.stats()).writes, before.writes, "export never writes");
    });

    it("leaves grants out unless --include-grants, and --out writes index.ts (refusing to overwrite without --force)", async () => {
        const r = await clientpolicy(["export", ...flags(), "--out", outDir], secretEnv());
        assert.equal(r.code, 0, r.stderr);
        const ts = fs.readFileSync(path.join(outDir, "index.ts"), "utf8");
        assert.doesNotMatch(ts, /PolicyGrant/);
        assert.doesNotMatch(ts, /const /, "no variables when nothing refers to a policy");
        const again = await clientpolicy(["export", ...flags(), "--out", outDir], secretEnv());
        assert.equal(again.code, 1);
        assert.match(again.stderr, /--out: .*index\.ts exists; pass --force/);
        assert.equal((await clientpolicy(["export", ...flags(), "--out", outDir, "--force"], secretEnv())).code, 0);
    });

    it("--format yaml --out writes a config repo: empty baseline, tenants/<stack>.yaml, Pulumi files, package.json; the loader reads back the tenant", async () => {
        const r = await clientpolicy(["export", ...flags(), "--format", "yaml", "--include-grants", "--stack-name", "contoso", "--out", outDir], secretEnv());
        assert.equal(r.code, 0, r.stderr);
        const files = fs.readdirSync(outDir, { recursive: true }).map(String).sort();
        assert.deepEqual(files, [".gitignore", "Pulumi.contoso.yaml", "Pulumi.yaml", "baseline.yaml", "index.ts", "package.json", "tenants", path.join("tenants", "contoso.yaml"), "tsconfig.json"]);
        const text = fs.readFileSync(path.join(outDir, "tenants", "contoso.yaml"), "utf8");
        assert.match(text, /^# Exported by `clientpolicy export` from tenant contoso\.example/);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { parseConfigFile, loadConfigRepo } = require("../../../provider/tenantConfig") as typeof import("../../../provider/tenantConfig");
        const baseline = parseConfigFile(fs.readFileSync(path.join(outDir, "baseline.yaml"), "utf8"), "baseline.yaml", "baseline");
        assert.ok(baseline.ok && baseline.file.policies.length === 0 && baseline.file.grants.length === 0, "an empty baseline");
        const parsed = parseConfigFile(text, "tenants/contoso.yaml", "tenant");
        assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
        const file = parsed.file;
        assert.deepEqual(loadConfigRepo(outDir, "contoso").declaration, { policies: file.policies, grants: file.grants }, "what the program deploys");
        const dump = await dumpTenant(tenant, { withOwners: false });
        assert.deepEqual(file.policies.map((p) => p.identity).sort(), Object.keys(dump.policies).sort());
        assert.ok(file.policies.every((p) => p.adopt === true) && file.grants.every((g) => g.adopt === true));
        const sales = file.policies.find((p) => p.identity === "Tag:Sales EU")!;
        assert.deepEqual(sales.settings, {
            addressBookAvailability: "WebSearchOnly", customStateUrl: "https://intranet.example/presence.xml",
            p2PAppSharingEncryption: "Enforced", policyEntry: [{ name: "Region", value: "EU" }], webServicePollInterval: "00:30:00",
        });
        assert.equal(file.policies.find((p) => p.identity === "Tag:OfflineIM")!.description, "No offline IM 'archiving'");
        const offline = file.grants.find((g) => g.policy === "Tag:OfflineIM")!;
        assert.equal(offline.users.length, 10);
        assert.equal(offline.users[0], generatedUser(tenant, 1));
        assert.equal(file.grants.reduce((n, g) => n + g.users.length, 0), 40);

        // The project files: the connection without its secret, the package pinned as this repository pins it.
        assert.deepEqual(parseYaml(fs.readFileSync(path.join(outDir, "Pulumi.yaml"), "utf8")).runtime, { name: "nodejs", options: { typescript: true } });
        assert.equal(parseYaml(fs.readFileSync(path.join(outDir, "Pulumi.yaml"), "utf8")).name, "tenant-policies");
        const stackFile = fs.readFileSync(path.join(outDir, "Pulumi.contoso.yaml"), "utf8");
        assert.deepEqual(parseYaml(stackFile), { config: { "clientpolicy:endpoint": tenant.url, "clientpolicy:tenantId": "contoso.example", "clientpolicy:clientId": "demo-client" } });
        assert.ok(!stackFile.includes(tenant.clientSecret) && !r.stderr.includes(tenant.clientSecret), "the secret is never written");
        const own = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
        const pkg = JSON.parse(fs.readFileSync(path.join(outDir, "package.json"), "utf8"));
        assert.deepEqual(pkg.dependencies, { "@pulumi/pulumi": own.dependencies["@pulumi/pulumi"], "clientpolicy-as-code": own.version });
        assert.equal(pkg.devDependencies.typescript, own.devDependencies.typescript);
        assert.equal(pkg.main, "index.ts");
        assert.match(fs.readFileSync(path.join(outDir, "index.ts"), "utf8"), /loadTenantDeclaration\(\{\n\s+cwd: __dirname, baseline: "baseline\.yaml", tenant: `tenants\/\$\{pulumi\.getStack\(\)\}\.yaml`/);
        // Owners and next steps on stderr.
        assert.match(r.stderr, /export: {3}Global: nobody \(made by hand\)/);
        assert.match(r.stderr, /export: {3}grant Tag:OfflineIM \(10 users\): 10 nobody \(made by hand\)/);
        assert.match(r.stderr, /pulumi stack init contoso/);

        // A second export into the same folder refuses, naming the files, and writes nothing.
        fs.writeFileSync(path.join(outDir, "baseline.yaml"), "policies: []\n# mine\n");
        const again = await clientpolicy(["export", ...flags(), "--format", "yaml", "--stack-name", "contoso", "--out", outDir], secretEnv());
        assert.equal(again.code, 1);
        assert.match(again.stderr, /--out: .*baseline\.yaml, .*tenants\/contoso\.yaml, .* exist; pass --force/);
        assert.equal(fs.readFileSync(path.join(outDir, "baseline.yaml"), "utf8"), "policies: []\n# mine\n");
        // Without a stack name there is no tenant file name: refused before the tenant is read.
        const before = await tenant.stats();
        const noStack = await clientpolicy(["export", ...flags(), "--format", "yaml", "--out", path.join(outDir, "x")], secretEnv());
        assert.equal(noStack.code, 1);
        assert.match(noStack.stderr, /name the stack with --stack-name/);
        const badStack = await clientpolicy(["export", ...flags(), "--format", "yaml", "--stack-name", "a/b", "--out", path.join(outDir, "x")], secretEnv());
        assert.match(badStack.stderr, /--stack-name must be a stack name/);
        assert.equal((await tenant.stats()).requests, before.requests, "nothing reached the tenant");
        assert.ok(!fs.existsSync(path.join(outDir, "x")));
    });

    it("--format yaml without --out prints the tenant file", async () => {
        const r = await clientpolicy(["export", ...flags(), "--format", "yaml"], secretEnv());
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(Object.keys(parseYaml(r.stdout)), ["policies", "grants"]);
    });

    it("--help documents the flags and exit codes", async () => {
        const r = await clientpolicy(["export", "--help"]);
        assert.equal(r.code, 0);
        for (const f of ["--stack", "--dir", "--endpoint", "--tenant", "--client-id", "--format", "--out", "--include-grants", "CLIENTPOLICY_CLIENT_SECRET", "Exit codes"]) {
            assert.ok(r.stdout.includes(f), `${f} in:\n${r.stdout}`);
        }
    });

    it("bad flags exit 1 with a message naming the flag, before contacting the tenant", async () => {
        const cases: Array<[string[], Record<string, string>, RegExp]> = [
            [["--format", "xml"], secretEnv(), /--format.*xml.*(ts|yaml)/s],
            [["--endpoint", tenant.url, "--tenant", tenant.tenantId], secretEnv(), /missing --client-id/],
            [[...flags()], {}, /missing CLIENTPOLICY_CLIENT_SECRET/],
            [["--endpoint", "ftp://x.example", "--tenant", tenant.tenantId, "--client-id", "c"], secretEnv(), /--endpoint must be an http\(s\) URL/],
            [["--endpoint", tenant.url, "--tenant", "a/../b", "--client-id", "c"], secretEnv(), /--tenant must be a tenant GUID or domain/],
            [["--stack", "dev", ...flags()], secretEnv(), /either --stack .* or --endpoint/],
            [["--dir", "."], secretEnv(), /--dir is the folder of --stack/],
            [["--stack", "dev", "--dir", os.tmpdir()], {}, /--dir: no Pulumi\.yaml in/],
            [["--bogus"], {}, /unknown option '--bogus'/],
        ];
        const before = await tenant.stats();
        for (const [args, env, expected] of cases) {
            const r = await clientpolicy(["export", ...args], env);
            assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, expected, args.join(" "));
            assert.doesNotMatch(r.stderr, /\n\s+at .*\(/, "no stack trace");
        }
        assert.equal((await tenant.stats()).requests, before.requests, "nothing reached the tenant");
    });

    it("cmdlets: --help documents the flags and exit codes; bad flags exit 1 naming the flag", async () => {
        const help = await clientpolicy(["cmdlets", "--help"]);
        assert.equal(help.code, 0);
        for (const f of ["--stack", "--dir", "--out", "--refresh", "Exit codes", "$null"]) assert.ok(help.stdout.includes(f), `${f} in:\n${help.stdout}`);
        const cases: Array<[string[], RegExp]> = [
            [[], /--stack is required/],
            [["--stack", "dev", "--dir", os.tmpdir()], /--dir: no Pulumi\.yaml in/],
            [["--stack", ""], /--stack must name a stack/],
            [["--endpoint", "http://x.example"], /unknown option '--endpoint'/],
        ];
        for (const [args, expected] of cases) {
            const r = await clientpolicy(["cmdlets", ...args]);
            assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, expected, args.join(" "));
            assert.doesNotMatch(r.stderr, /\n\s+at .*\(/, "no stack trace");
        }
    });

    it("a wrong secret fails with the provider's auth message, never echoing the secret", async () => {
        const r = await clientpolicy(["export", ...flags()], { CLIENTPOLICY_CLIENT_SECRET: "wrong-secret-value-123" });
        assert.equal(r.code, 1);
        assert.match(r.stderr, /client secret was rejected for client id demo-client on tenant contoso\.example/);
        assert.ok(!r.stderr.includes("wrong-secret-value-123"));
    });

    it("an unreachable --endpoint fails naming the flag the user typed, not the stack config key", async () => {
        // A loopback port nothing listens on: a server bound to port 0 and closed again.
        const net = await import("node:net");
        const port = await new Promise<number>((resolve) => {
            const srv = net.createServer().listen(0, "127.0.0.1", () => {
                const p = (srv.address() as { port: number }).port;
                srv.close(() => resolve(p));
            });
        });
        const r = await clientpolicy(["export", "--endpoint", `http://127.0.0.1:${port}`, "--tenant", tenant.tenantId, "--client-id", tenant.clientId], { ...secretEnv(), CLIENTPOLICY_MAX_ATTEMPTS: "1" });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /cannot reach the tenant API at http:\/\/127\.0\.0\.1:\d+ .*ECONNREFUSED.*check --endpoint \(or CLIENTPOLICY_ENDPOINT\)/);
        assert.ok(!r.stderr.includes("clientpolicy:endpoint"), r.stderr);
    });
});

describe("clientpolicy export: owners today, and no adopt over another stack's objects without --take-over", function () {
    this.timeout(120_000);
    let tenant: TestTenant;
    let outDir: string;
    const flags = () => ["--endpoint", tenant.url, "--tenant", tenant.tenantId, "--client-id", tenant.clientId];
    const secretEnv = () => ({ CLIENTPOLICY_CLIENT_SECRET: tenant.clientSecret });
    // Hostile text where tenants allow it: a policy name and a resource name (owner ids may hold any printable text).
    const NAME = "Zoë “Sales” ‘EU’ — 名 😀 $(x) `; # <#";
    const POLICY_OWNER = `other-policies/prod@0123456789abcdef/tag-${NAME}`;
    const GRANT_OWNER = "other-policies/prod@0123456789abcdef/grant-x";

    before(async () => {
        tenant = await startTestEmulator({ users: 20 });
        // Made by hand: Tag:Free and a grant of it. Another stack's: Tag:<NAME>, and 3 users of a grant of it.
        await putPolicy(tenant, { Identity: "Tag:Free", EnableURL: true });
        await putPolicy(tenant, { Identity: `Tag:${NAME}`, EnableURL: false, [OWNER_ANNOTATION]: POLICY_OWNER });
        for (let n = 1; n <= 5; n++) {
            const body = n <= 3 ? { PolicyName: NAME, Owner: GRANT_OWNER } : { PolicyName: "Free" };
            const r = await call(tenant, "PUT", Routes.userAssignment(generatedUser(tenant, n)), { body });
            assert.equal(r.status, 200, r.text);
        }
    });
    after(async () => { await tenant?.stop(); });
    beforeEach(() => { outDir = fs.mkdtempSync(path.join(os.tmpdir(), "cpac-export-owners-")); });
    afterEach(() => { fs.rmSync(outDir, { recursive: true, force: true }); });

    it("prints every object's owner and refuses, naming the objects and their owners; nothing is written", async () => {
        for (const format of [["--format", "ts"], ["--format", "yaml", "--stack-name", "prod"]]) {
            const r = await clientpolicy(["export", ...flags(), "--include-grants", ...format, "--out", outDir], secretEnv());
            assert.equal(r.code, 1, r.stderr);
            assert.ok(r.stderr.includes(`export:   Tag:${NAME}: resource "tag-${NAME}" of stack other-policies/prod (stack instance 0123456789abcdef)`), r.stderr);
            assert.match(r.stderr, /export: {3}Tag:Free: nobody \(made by hand\)/);
            assert.ok(r.stderr.includes(`export:   grant Tag:${NAME} (3 users): 3 resource "grant-x" of stack other-policies/prod`), r.stderr);
            assert.match(r.stderr, /error: 2 exported objects are owned by another stack; with adopt: true the first `pulumi up` of this export would take them over/);
            assert.ok(r.stderr.includes(`\n  Tag:${NAME}: resource "tag-${NAME}" of stack other-policies/prod (stack instance 0123456789abcdef)\n`), r.stderr);
            assert.ok(r.stderr.includes(`\n  grant Tag:${NAME} (3 of 3 users): resource "grant-x" of stack other-policies/prod (stack instance 0123456789abcdef)\n`), r.stderr);
            assert.match(r.stderr, /Nothing was written\. .*--take-over/);
            assert.deepEqual(fs.readdirSync(outDir), [], "nothing written");
        }
    });

    it("without grants only policies count; with --take-over the owned objects are declared with adopt and named in the header", async () => {
        const noGrants = await clientpolicy(["export", ...flags()], secretEnv());
        assert.match(noGrants.stderr, /error: 1 exported object is owned by another stack/);

        const r = await clientpolicy(["export", ...flags(), "--include-grants", "--take-over"], secretEnv());
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /--take-over: 2 object\(s\) another stack owns are declared with adopt: true/);
        assert.match(r.stdout, /^\/\/ Owned by other stacks today, taken over by the first `pulumi up`/m);
        assert.ok(r.stdout.includes(`//   Tag:${NAME}: resource "tag-${NAME}" of stack other-policies/prod`), r.stdout);
        assert.ok(r.stdout.includes(`owner today: resource "tag-${NAME}" of stack other-policies/prod (stack instance 0123456789abcdef) (taken over)`), r.stdout);
        assert.equal((r.stdout.match(/adopt: true,/g) ?? []).length, 3 + 2, "every policy (Global, Free, the owned one) and both grants");

        const y = await clientpolicy(["export", ...flags(), "--include-grants", "--take-over", "--format", "yaml", "--stack-name", "prod", "--out", outDir], secretEnv());
        assert.equal(y.code, 0, y.stderr);
        const text = fs.readFileSync(path.join(outDir, "tenants", "prod.yaml"), "utf8");
        assert.ok(text.includes(`#   Tag:${NAME}: resource "tag-${NAME}" of stack other-policies/prod`), text);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { loadConfigRepo } = require("../../../provider/tenantConfig") as typeof import("../../../provider/tenantConfig");
        const decl = loadConfigRepo(outDir, "prod").declaration;
        assert.deepEqual(decl.policies.map((p) => [p.identity, p.adopt]), [["Global", true], ["Tag:Free", true], [`Tag:${NAME}`, true]]);
        assert.deepEqual(decl.grants.map((g) => [g.policy, g.users.length, g.adopt]), [["Tag:Free", 2, true], [`Tag:${NAME}`, 3, true]]);
    });
});
