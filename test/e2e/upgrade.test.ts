/**
 * Upgrading the package under a deployed stack. Users have stacks written by the released package (0.1.0, commit
 * {@link RELEASED}); its state holds the provider's module paths (`clientpolicy-as-code/dist/provider/resources/
 * *.provider`), the owner ids it stamped (`project/stack/resource`) and its outputs. With the current package
 * installed in place of it, the same program, unedited, must refresh, update one setting and destroy, and the tenant
 * must hold what each step says.
 *
 * Between the refresh and the update there is one migration the current package needs: a stack records its instance id
 * in a `StackInstance` resource (provider/resources/stackInstance.ts) that 0.1.0 did not have, and every owner id
 * carries it (`project/stack@instance/resource`). The first preview after the upgrade therefore proposes exactly
 * that — the StackInstance created, each resource updated for its `stackInstance` input, no setting or user — and only
 * after that `up` does `preview --expect-no-changes` pass. The test pins the migration to that shape.
 *
 * The released package is built from the repository's history as npm builds a git dependency (the sources of
 * {@link RELEASED} from `git archive`, `npm pack` running its `prepare`), and kept in a cache folder under the system's
 * temp folder so a rerun skips the build; the current one is packed from a snapshot of the working tree taken when the
 * test starts. Both go into one project folder with plain `npm install`, and every step is a plain `pulumi` command in
 * that folder.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { OWNER_ANNOTATION } from "../../api/contract";
import { TestTenant, startTenant, getPolicy, assignmentOf } from "./helpers";
import {
    folderEnv, installExample, packFromGit, pulumiIn, PulumiResult, snapshotRepository, tempDir, toolPath,
} from "../../testkit/projectFolder";
import { ROOT } from "../../testkit/stack";

/** The commit of the released package 0.1.0. */
const RELEASED = "c03ea40a82d10ca601ca7745248b7d5b046dfeb5";
const PROGRAM = "test/e2e/programs/upgrade";
const STACK = "prod";
const USERS = ["sip:tony.smith@contoso.example", "sip:user00002@contoso.example"];

function ok(r: PulumiResult, what: string): PulumiResult {
    assert.equal(r.code, 0, `${what} exited ${r.code}:\n${r.output}`);
    return r;
}

function run(cmd: string, args: string[], cwd: string): string {
    const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, PATH: toolPath() }, maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed with ${r.status ?? r.signal}:\n${r.stdout}${r.stderr}`);
    return r.stdout;
}

/**
 * The package as {@link RELEASED} built it: its tracked files, its own `prepare` (tsc) during `npm pack`, the
 * repository's node_modules lent for TypeScript (its runtime dependencies equal today's). Cached by commit.
 */
function releasedTarball(): string {
    const cache = path.join(os.tmpdir(), `clientpolicy-upgrade-${RELEASED.slice(0, 12)}`);
    const done = path.join(cache, "tarball");
    if (fs.existsSync(done) && fs.existsSync(fs.readFileSync(done, "utf8"))) return fs.readFileSync(done, "utf8");
    const known = spawnSync("git", ["cat-file", "-e", `${RELEASED}^{commit}`], { cwd: ROOT });
    assert.equal(known.status, 0, `commit ${RELEASED} (the released 0.1.0) is not in this clone; fetch the full history (git fetch --unshallow)`);
    fs.rmSync(cache, { recursive: true, force: true });
    const src = path.join(cache, "src");
    fs.mkdirSync(src, { recursive: true });
    const archive = path.join(cache, "src.tar");
    run("git", ["archive", "--format=tar", "-o", archive, RELEASED], ROOT);
    run("tar", ["-xf", archive, "-C", src], cache);
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(src, "node_modules"));
    const name = run("npm", ["pack", "--silent", "--pack-destination", cache], src).trim().split("\n").pop()!;
    const tarball = path.join(cache, name);
    fs.rmSync(src, { recursive: true, force: true });
    fs.rmSync(archive, { force: true });
    fs.writeFileSync(done, tarball);
    return tarball;
}

/** The version of clientpolicy-as-code installed in a project folder. */
function installedVersion(dir: string): { version: string; hasOwnerFormat: boolean } {
    const pkg = path.join(dir, "node_modules", "clientpolicy-as-code");
    const version = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8")).version as string;
    // The stack-instance resource arrived after 0.1.0: tells the two builds apart (both say 0.1.0).
    return { version, hasOwnerFormat: fs.existsSync(path.join(pkg, "dist", "provider", "resources", "stackInstance.provider.js")) };
}

describe("e2e: a stack deployed with the released package (0.1.0) upgrades to this one without a program edit", function () {
    this.timeout(900_000);
    let tenant: TestTenant;
    let work: string;
    let dir: string;
    let pulumi: ReturnType<typeof pulumiIn>;
    let current: string;
    let upgraded = false;

    before(async () => {
        work = tempDir("clientpolicy-upgrade-");
        current = packFromGit(`file://${snapshotRepository(work)}`, work);
        tenant = await startTenant();
        dir = installExample(PROGRAM, releasedTarball(), work);
        assert.deepEqual(installedVersion(dir), { version: "0.1.0", hasOwnerFormat: false }, "the released package is installed");
        const backend = path.join(work, "backend");
        fs.mkdirSync(backend);
        pulumi = pulumiIn(dir, folderEnv(backend));
    });
    after(async () => {
        await tenant?.stop();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    /** What the tenant holds for the program, read back over its API. */
    async function tenantView() {
        const global = await getPolicy(tenant, "Global");
        const tag = await getPolicy(tenant, "Tag:UpgradePolicy");
        return {
            globalArchiving: global?.EnableIMAutoArchiving,
            tag: tag && { description: tag.Description, archiving: tag.EnableIMAutoArchiving, photo: tag.DisplayPhoto, contacts: tag.MaximumNumberOfContacts },
            owner: tag?.[OWNER_ANNOTATION] as string | undefined,
            assigned: await Promise.all(USERS.map((u) => assignmentOf(tenant, u))),
        };
    }

    it("0.1.0 deploys the stack: Global, a tag policy with settings, a grant", async () => {
        ok(await pulumi("stack", "init", STACK), "stack init");
        ok(await pulumi("config", "set", "--stack", STACK, "clientpolicy:endpoint", tenant.url), "config set endpoint");
        ok(await pulumi("config", "set", "--stack", STACK, "clientpolicy:tenantId", tenant.tenantId), "config set tenantId");
        ok(await pulumi("config", "set", "--stack", STACK, "clientpolicy:clientId", tenant.clientId), "config set clientId");
        ok(await pulumi.withStdin(tenant.clientSecret, "config", "set", "--stack", STACK, "--secret", "clientpolicy:clientSecret"), "config set --secret");
        ok(await pulumi("up", "--yes"), "up with 0.1.0");
        const view = await tenantView();
        assert.deepEqual({ ...view, owner: undefined }, {
            globalArchiving: false, owner: undefined,
            tag: { description: "deployed with 0.1.0", archiving: false, photo: "PhotosFromADOnly", contacts: 250 },
            assigned: ["UpgradePolicy", "UpgradePolicy"],
        });
        // 0.1.0 stamps `project/stack/resource`, without the stack instance.
        assert.equal(view.owner, `clientpolicy-e2e-upgrade/${STACK}/upgrade-policy`);
    });

    it("the current package installed in its place: refresh succeeds and changes nothing in the tenant", async () => {
        const before = await tenantView();
        const writes = (await tenant.stats()).writes;
        run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error", "--omit=optional", current], dir);
        assert.deepEqual(installedVersion(dir), { version: JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version, hasOwnerFormat: true });
        upgraded = true;
        const refresh = ok(await pulumi("refresh", "--yes"), "refresh with the current package");
        assert.doesNotMatch(refresh.output, /\berror\b/i, refresh.output);
        assert.equal((await tenant.stats()).writes, writes, "a refresh writes nothing to the tenant");
        assert.deepEqual(await tenantView(), before);
    });

    it("the first preview proposes only the stack-instance migration: the StackInstance, the resources' instance input", async () => {
        assert.ok(upgraded, "the current package is installed");
        const writes = (await tenant.stats()).writes;
        const r = ok(await pulumi("preview", "--json"), "preview --json with the current package");
        assert.equal((await tenant.stats()).writes, writes, "a preview writes nothing to the tenant");
        type State = { inputs?: Record<string, unknown> };
        const plan = JSON.parse(r.stdout) as { steps: { op: string; urn: string; oldState?: State; newState?: State }[] };
        const changed = plan.steps.filter((st) => st.op !== "same");
        assert.deepEqual(changed.map((st) => `${st.op} ${st.urn.split("::").slice(-2).join("::")}`).sort(), [
            "create pulumi-nodejs:dynamic/clientpolicy:StackInstance::clientpolicy-stack-instance",
            "update pulumi-nodejs:dynamic/clientpolicy:ClientPolicy::global",
            "update pulumi-nodejs:dynamic/clientpolicy:ClientPolicy::upgrade-policy",
            "update pulumi-nodejs:dynamic/clientpolicy:PolicyGrant::tony-smith",
        ], r.stdout);
        for (const st of changed.filter((c) => c.op === "update")) {
            const olds = st.oldState?.inputs ?? {};
            const news = st.newState?.inputs ?? {};
            const differ = [...new Set([...Object.keys(olds), ...Object.keys(news)])]
                .filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])).sort();
            assert.deepEqual(differ, ["stackInstance"], `${st.urn}: ${r.stdout}`);
        }
    });

    it("up applies the migration: owners carry the stack instance, nothing else in the tenant changes; then no changes", async () => {
        assert.ok(upgraded, "the current package is installed");
        const before = await tenantView();
        ok(await pulumi("up", "--yes"), "up (migration) with the current package");
        const after = await tenantView();
        assert.deepEqual({ ...after, owner: undefined }, { ...before, owner: undefined });
        assert.match(after.owner ?? "", new RegExp(`^clientpolicy-e2e-upgrade/${STACK}@[0-9a-f]{16}/upgrade-policy$`));
        const writes = (await tenant.stats()).writes;
        ok(await pulumi("preview", "--diff", "--expect-no-changes"), "preview --expect-no-changes after the migration");
        assert.equal((await tenant.stats()).writes, writes, "a preview writes nothing to the tenant");
    });

    it("an update changes the one setting in place", async () => {
        assert.ok(upgraded, "the current package is installed");
        const before = await tenantView();
        ok(await pulumi("config", "set", "--stack", STACK, "upgrade:maxContacts", "500"), "config set maxContacts");
        const up = ok(await pulumi("up", "--yes", "--diff"), "up with one setting changed");
        assert.match(up.stdout, /maximumNumberOfContacts\s*: 250 => 500/);
        assert.match(up.stdout, /1 updated/);
        assert.doesNotMatch(up.stdout, /replaced|created|deleted/, up.stdout);
        const after = await tenantView();
        assert.deepEqual({ ...after, owner: undefined }, { ...before, owner: undefined, tag: { ...before.tag!, contacts: 500 } });
        assert.equal(after.owner, before.owner, "the stack still owns the policy");
        ok(await pulumi("preview", "--expect-no-changes"), "preview after the update");
    });

    it("destroy removes the tag policy and the grants and resets Global", async () => {
        assert.ok(upgraded, "the current package is installed");
        ok(await pulumi("destroy", "--yes"), "destroy with the current package");
        assert.deepEqual(await tenantView(), { globalArchiving: true, tag: undefined, owner: undefined, assigned: [null, null] });
    });
});
