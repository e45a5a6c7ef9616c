/**
 * Ownership of tenant objects through the real Pulumi CLI: every
 * example of the issue with the result users must get. Each step is a stack config
 * change of test/e2e/programs/generic.
 */
import { strict as assert } from "node:assert";
import { ExampleStack } from "../../testkit/stack";
import { call, policyPath } from "../../testkit/tenantApi";
import { TestTenant, assignmentOf, startTenant, openStack, collector, getPolicy } from "./helpers";
import { GENERIC, changesOf, expectFailure, grant, ownerOf, policy, setResources } from "./generic";
import { TEST_PASSPHRASE } from "../../testkit/stack";
import { assertNoSecrets, emulatorLog } from "../reliability/harness";

const GLOBAL_ARGS = { identity: "Global", enableIMAutoArchiving: false, displayPhoto: "NoPhoto" };

describe("e2e: ownership of tenant objects (real Pulumi CLI)", function () {
    this.timeout(900_000);
    let tenant: TestTenant;
    const stacks: ExampleStack[] = [];
    /** Everything the CLI printed in this suite, for the secret scan at its end. */
    const cliLog: string[] = [];
    let emuLog: () => string = () => "";

    async function failure(...args: Parameters<typeof expectFailure>): Promise<string> {
        const text = await expectFailure(...args);
        cliLog.push(text);
        return text;
    }

    async function open(): Promise<ExampleStack> {
        const h = await openStack(tenant, GENERIC, { folder: true });
        stacks.push(h);
        return h;
    }
    async function writes(): Promise<number> {
        return (await tenant.stats()).writes;
    }
    async function global(): Promise<{ archiving: unknown; photo: unknown; owner: unknown }> {
        const g = (await getPolicy(tenant, "Global"))!;
        return { archiving: g.EnableIMAutoArchiving, photo: g.DisplayPhoto, owner: g["@owner"] ?? null };
    }

    before(async () => {
        tenant = await startTenant({ users: 50, inProcess: false });
        emuLog = emulatorLog(tenant);
    });
    after(async () => {
        for (const h of stacks) await h.dispose();
        await tenant?.stop();
    });

    describe("rename without alias", () => {
        it("fails at preview and at up naming the owner and suggesting aliases, tenant unchanged, 0 writes; with aliases no change", async () => {
            const h = await open();
            await setResources(h, [policy("global", GLOBAL_ARGS)]);
            assert.equal((await h.stack.up({ onOutput: collector(cliLog).onOutput })).summary.result, "succeeded");
            assert.deepEqual(await global(), { archiving: false, photo: "NoPhoto", owner: ownerOf(h, "global") });

            await setResources(h, [policy("global-policy", GLOBAL_ARGS)]);
            const before = await writes();
            for (const op of ["preview", "up"] as const) {
                const text = await failure(h, op);
                assert.match(text, new RegExp(`owned by resource "global" of this stack \\(${ownerOf(h, "global")}\\)`), `${op}:\n${text}`);
                assert.match(text, /aliases: \[\{ name: "global" \}\]/, `${op} suggests aliases:\n${text}`);
                assert.equal(await writes(), before, `${op} must not write`);
                assert.deepEqual(await global(), { archiving: false, photo: "NoPhoto", owner: ownerOf(h, "global") });
            }

            // With aliases the engine keeps the same object: no create, no delete, no setting changes. The only
            // difference is the owner id the tenant records (it names the resource), rewritten by one write.
            await setResources(h, [policy("global-policy", GLOBAL_ARGS, { aliases: ["global"] })]);
            const out = collector(cliLog);
            const pv = await h.stack.preview({ onOutput: out.onOutput, diff: true });
            assert.deepEqual(changesOf(pv.changeSummary), { update: 1 }, `with aliases: only the owner id changes\n${out.text()}`);
            const changedLines = out.text().split("\n").filter((l) => l.includes("=>"));
            assert.deepEqual(changedLines.map((l) => l.trim().split(/\s*:/)[0]), ["~ owner"], out.text());
            const up = await h.stack.up({ onOutput: collector(cliLog).onOutput });
            assert.deepEqual(changesOf(up.summary.resourceChanges), { update: 1 });
            assert.ok(await writes() - before <= 1, "a rename with aliases writes at most the owner annotation");
            assert.deepEqual(await global(), { archiving: false, photo: "NoPhoto", owner: ownerOf(h, "global-policy") });
            const again = await h.stack.preview({ onOutput: collector(cliLog).onOutput });
            assert.deepEqual(changesOf(again.changeSummary), {});
            await h.stack.destroy({ onOutput: collector(cliLog).onOutput });
            assert.deepEqual({ ...(await global()), owner: undefined }, { archiving: true, photo: "AllPhotos", owner: undefined });
        });

        it("with adopt: true the rename succeeds and the old resource's delete leaves Global as declared, with a warning", async () => {
            const h = await open();
            await setResources(h, [policy("global", GLOBAL_ARGS)]);
            await h.stack.up({ onOutput: collector(cliLog).onOutput });
            await setResources(h, [policy("global-policy", { ...GLOBAL_ARGS, adopt: true })]);
            const out = collector(cliLog);
            const up = await h.stack.up({ onOutput: out.onOutput });
            assert.equal(up.summary.result, "succeeded");
            assert.equal(up.summary.resourceChanges?.delete, 1, out.text());
            assert.match(out.text(), /warning: ClientPolicy Global is now owned by resource "global-policy" of this stack[\s\S]*without resetting it/, out.text());
            assert.deepEqual(await global(), { archiving: false, photo: "NoPhoto", owner: ownerOf(h, "global-policy") });
            const pv = await h.stack.preview({ onOutput: collector(cliLog).onOutput });
            assert.deepEqual(changesOf(pv.changeSummary), {});
            await h.stack.destroy({ onOutput: collector(cliLog).onOutput });
            assert.equal((await global()).archiving, true);
        });
    });

    describe("two stacks, one policy", () => {
        let a: ExampleStack;
        let b: ExampleStack;

        it("B adopts A's policy; A's refresh shows the owner drift; A's up fails naming B without writing", async () => {
            a = await open();
            b = await open();
            await setResources(a, [policy("shared", { identity: "Tag:Shared", maximumNumberOfContacts: 100 })]);
            await a.stack.up({ onOutput: collector(cliLog).onOutput });
            assert.equal((await getPolicy(tenant, "Tag:Shared"))!["@owner"], ownerOf(a, "shared"));

            // Without adopt, B's preview fails naming A's resource and stack.
            await setResources(b, [policy("shared", { identity: "Tag:Shared", maximumNumberOfContacts: 900 })]);
            let before = await writes();
            const refused = await failure(b, "preview");
            assert.match(refused, new RegExp(`owned by resource "shared" of stack ${a.projectName}/${a.stack.name}`), refused);
            assert.match(refused, /adopt: true/);
            assert.equal(await writes(), before);

            await setResources(b, [policy("shared", { identity: "Tag:Shared", maximumNumberOfContacts: 900, adopt: true })]);
            await b.stack.up({ onOutput: collector(cliLog).onOutput });
            let shared = (await getPolicy(tenant, "Tag:Shared"))!;
            assert.equal(shared.MaximumNumberOfContacts, 900);
            assert.equal(shared["@owner"], ownerOf(b, "shared"));

            const refreshOut = collector(cliLog);
            const refreshed = await a.stack.refresh({ onOutput: refreshOut.onOutput });
            assert.equal(refreshed.summary.resourceChanges?.update, 1, `refresh must show the drift\n${refreshOut.text()}`);
            const pvOut = collector(cliLog);
            const pv = await a.stack.preview({ onOutput: pvOut.onOutput, diff: true });
            assert.equal(pv.changeSummary.update, 1, pvOut.text());
            assert.match(pvOut.text(), /owner/, pvOut.text());

            before = await writes();
            const failed = await failure(a, "up");
            assert.match(failed, new RegExp(`owned by resource "shared" of stack ${b.projectName}/${b.stack.name}`), failed);
            assert.match(failed, /remove this resource from the program, or set `adopt: true`/);
            assert.equal(await writes(), before, "A's up must not write");
            shared = (await getPolicy(tenant, "Tag:Shared"))!;
            assert.equal(shared.MaximumNumberOfContacts, 900);
        });

        it("A's destroy leaves the policy to B, with a warning; B's next preview shows no changes", async () => {
            const out = collector(cliLog);
            const res = await a.stack.destroy({ onOutput: out.onOutput });
            assert.equal(res.summary.result, "succeeded");
            assert.match(out.text(), new RegExp(`warning: ClientPolicy Tag:Shared is now owned by resource "shared" of stack ${b.projectName}/${b.stack.name}`), out.text());
            const shared = await getPolicy(tenant, "Tag:Shared");
            assert.ok(shared, "A's destroy must not delete B's policy");
            assert.equal(shared!.MaximumNumberOfContacts, 900);

            const pvOut = collector(cliLog);
            const pv = await b.stack.preview({ onOutput: pvOut.onOutput, diff: true, refresh: true });
            assert.deepEqual(changesOf(pv.changeSummary), {}, pvOut.text());
            assert.equal((await getPolicy(tenant, "Tag:Shared"))!.MaximumNumberOfContacts, 900);
            await b.stack.destroy({ onOutput: collector(cliLog).onOutput });
            assert.equal(await getPolicy(tenant, "Tag:Shared"), undefined);
        });
    });

    it("interrupted create: a policy already owned by this resource is taken back with a notice, no program edit", async () => {
        const h = await open();
        // What a `pulumi up` killed after the tenant created the policy leaves behind: the policy with our owner, no state.
        const created = await call(tenant, "PUT", policyPath("Tag:Interrupted"), {
            body: { Identity: "Tag:Interrupted", MaximumNumberOfContacts: 10, "@owner": ownerOf(h, "interrupted") },
            headers: { "if-none-match": "*" },
        });
        assert.ok(created.status === 200 || created.status === 201, `${created.status} ${created.text}`);
        assert.equal((await getPolicy(tenant, "Tag:Interrupted"))!["@owner"], ownerOf(h, "interrupted"));

        await setResources(h, [policy("interrupted", { identity: "Tag:Interrupted", maximumNumberOfContacts: 300 })]);
        const pvOut = collector(cliLog);
        const pv = await h.stack.preview({ onOutput: pvOut.onOutput });
        assert.match(pvOut.text(), /\+\s+pulumi-nodejs:dynamic\/clientpolicy:ClientPolicy interrupted create/, pvOut.text());
        const out = collector(cliLog);
        const up = await h.stack.up({ onOutput: out.onOutput });
        assert.equal(up.summary.result, "succeeded");
        assert.match(out.text(), /carries this resource's owner id[\s\S]*this stack's state has no record of it[\s\S]*pending operations from previous deployment[\s\S]*this run takes it back/, out.text());
        const live = (await getPolicy(tenant, "Tag:Interrupted"))!;
        assert.equal(live.MaximumNumberOfContacts, 300);
        assert.equal(live["@owner"], ownerOf(h, "interrupted"));
        await h.stack.destroy({ onOutput: collector(cliLog).onOutput });
        assert.equal(await getPolicy(tenant, "Tag:Interrupted"), undefined);
    });

    it("one program, one object twice (Global and \"global\") fails before any write, naming both resources", async () => {
        const h = await open();
        await setResources(h, [
            policy("a", { identity: "Global", enableIMAutoArchiving: false }),
            policy("b", { identity: "global", enableIMAutoArchiving: true, displayPhoto: "NoPhoto" }),
        ]);
        const before = await writes();
        const text = await failure(h, "preview");
        assert.match(text, /ClientPolicy "b" and ClientPolicy "a" both declare Global/, text);
        assert.equal(await writes(), before, "preview must not write");
        // The Automation API's `up` always runs with --skip-preview: both declarations fail their check() (the first
        // learns of the second once the program's declarations are done), so neither is written.
        const upText = await failure(h, "up");
        assert.match(upText, /ClientPolicy "b" and ClientPolicy "a" both declare Global/, upText);
        assert.equal(await writes(), before, "an up that skips the preview writes neither declaration");
        assert.notEqual((await global()).photo, "NoPhoto", "the second declaration is never written");
        await h.stack.destroy({ onOutput: collector(cliLog).onOutput });
    });

    it("two grants naming one user: an up that skips the preview grants neither, naming both resources", async () => {
        const h = await open();
        const tag = policy("dup-policy", { identity: "Tag:DupGrant", enableIMAutoArchiving: false });
        await setResources(h, [tag]);
        assert.equal((await h.stack.up({ onOutput: collector(cliLog).onOutput })).summary.result, "succeeded");
        await setResources(h, [
            tag,
            grant("first", { policyName: "DupGrant", users: ["User 00003", "User 00004"] }),
            grant("second", { policyName: "DupGrant", users: ["user 00004"] }),
        ]);
        const upText = await failure(h, "up");
        assert.match(upText, /PolicyGrant "second" and PolicyGrant "first" both grant/, upText);
        for (const user of ["User 00003", "User 00004"]) assert.equal(await assignmentOf(tenant, user), null, `${user} is not granted`);
        await h.stack.destroy({ onOutput: collector(cliLog).onOutput });
    });

    // A describe of its own, declared last: mocha runs a suite's own tests before its nested suites, so a plain
    // `it` here would scan before the nested suites above have run.
    describe("after every test above", () => {
        it("left no secret (client secret, passphrase) in state files, stack settings, CLI output or the emulator log", function () {
            if (cliLog.length === 0) {
                console.log("      (skipped: no test of this suite ran before it, e.g. under --grep; nothing to scan)");
                this.skip();
            }
            assertNoSecrets([tenant.clientSecret, TEST_PASSPHRASE], stacks, cliLog, emuLog());
        });
    });
});
