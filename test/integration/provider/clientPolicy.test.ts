import * as assert from "node:assert/strict";
import { AuthError, ConfigError, ConflictError, TransportError } from "../../../provider";
import type { TestTenant } from "../../../testkit/emulator";
import {
    ResourceState, backendName, startTestBackend, clientPolicyProvider as cp, configureFor, policyGrantProvider as pg, preview, refresh, stackConfig,
    tenantPolicy, up,
} from "./harness";

describe(`ClientPolicy provider against ${backendName()}`, function () {
    let t: TestTenant;
    before(async () => {
        t = await startTestBackend({ users: 10 });
        await configureFor(t);
    });
    after(async () => { await t?.stop(); });

    describe("seed scenario: offline IM off globally and for Tag:OfflineIM, granted to Tony Smith", () => {
        let global: ResourceState;
        let offline: ResourceState;
        let tony: ResourceState;

        it("creates Global (take-over), the tag policy and the grant", async () => {
            global = (await up(cp, undefined, { identity: "global", enableIMAutoArchiving: false })).state;
            assert.equal(global.id, "Global");
            assert.equal(global.outputs.enableIMAutoArchiving, false);
            assert.equal(global.outputs.onDelete, "reset Global to documented defaults");
            offline = (await up(cp, undefined, { identity: "OfflineIM", enableIMAutoArchiving: false, description: "No offline IM archiving" })).state;
            assert.equal(offline.id, "Tag:OfflineIM");
            assert.equal(offline.outputs.policyName, "OfflineIM");
            assert.equal(typeof offline.outputs.etag, "string");
            tony = (await up(pg, undefined, { policyName: offline.outputs.identity, user: "Tony Smith" })).state;
            const resolved = tony.outputs.resolvedUsers as Array<Record<string, string>>;
            assert.equal(resolved.length, 1);
            assert.equal(resolved[0].displayName, "Tony Smith");
            assert.match(resolved[0].sipAddress, /^sip:tony\.smith@/);

            assert.equal((await tenantPolicy(t, "Global")).EnableIMAutoArchiving, false);
            assert.equal((await tenantPolicy(t, "Tag:OfflineIM")).Description, "No offline IM archiving");
        });

        it("shows no change for the same program, whatever the spelling of identity, enum case or duration form", async () => {
            for (const identity of ["OfflineIM", "tag:offlineim", "Tag:OfflineIM"]) {
                const d = await preview(cp, offline, { identity, enableIMAutoArchiving: false, description: "No offline IM archiving" });
                assert.equal(d.changes, false, identity);
            }
            assert.equal((await preview(pg, tony, { policyName: "Tag:OfflineIM", user: "tony smith" })).changes, false);
            assert.equal((await preview(cp, global, { identity: "Global", enableIMAutoArchiving: false })).changes, false);
        });

        it("updates in place with the stored ETag", async () => {
            const before = offline.outputs.etag;
            const res = await up(cp, offline, {
                identity: "OfflineIM", enableIMAutoArchiving: false, description: "No offline IM archiving",
                maximumNumberOfContacts: 250, displayPhoto: "photosfromadonly", hotdeskingTimeout: 600,
                policyEntry: [{ name: "OnlineFeedbackURL", value: "https://feedback.example" }],
            });
            assert.equal(res.action, "update");
            offline = res.state;
            assert.notEqual(offline.outputs.etag, before);
            const live = await tenantPolicy(t, "Tag:OfflineIM");
            assert.equal(live.MaximumNumberOfContacts, 250);
            assert.equal(live.DisplayPhoto, "PhotosFromADOnly");
            assert.equal(live.HotdeskingTimeout, "00:10:00");
            assert.deepEqual(live.PolicyEntry, [{ Name: "OnlineFeedbackURL", Value: "https://feedback.example" }]);
            const same = await preview(cp, offline, {
                identity: "OfflineIM", enableIMAutoArchiving: false, description: "No offline IM archiving",
                maximumNumberOfContacts: 250, displayPhoto: "PhotosFromADOnly", hotdeskingTimeout: "00:10:00",
                policyEntry: [{ name: "OnlineFeedbackURL", value: "https://feedback.example" }],
            });
            assert.equal(same.changes, false);
        });

        it("sees drift after an out-of-band cmdlet and puts the declared state back", async () => {
            await t.powershell('Set-CsClientPolicy -Identity "Tag:OfflineIM" -EnableIMAutoArchiving $True');
            const refreshed = (await refresh(cp, offline))!;
            assert.equal(refreshed.outputs.enableIMAutoArchiving, true);
            assert.equal(refreshed.inputs.enableIMAutoArchiving, true, "read() rebuilds inputs so preview --diff shows true => false");
            assert.equal(refreshed.inputs.identity, "Tag:OfflineIM");
            const program = {
                identity: "OfflineIM", enableIMAutoArchiving: false, description: "No offline IM archiving",
                maximumNumberOfContacts: 250, displayPhoto: "PhotosFromADOnly", hotdeskingTimeout: 600,
            };
            const d = await preview(cp, refreshed, program);
            assert.equal(d.changes, true);
            assert.deepEqual(d.replaces, []);
            offline = (await up(cp, refreshed, program)).state;
            assert.equal((await tenantPolicy(t, "Tag:OfflineIM")).EnableIMAutoArchiving, false);
        });

        it("turns a 412 (changed since last read) into advice to run pulumi refresh", async () => {
            await t.powershell('Set-CsClientPolicy -Identity OfflineIM -MaximumNumberOfContacts 10');
            await assert.rejects(up(cp, offline, { identity: "OfflineIM", enableIMAutoArchiving: false }),
                (err: unknown) => err instanceof ConflictError && /pulumi refresh/.test(err.message) && /Tag:OfflineIM/.test(err.message));
            offline = (await refresh(cp, offline))!;
            assert.equal(offline.outputs.maximumNumberOfContacts, 10);
        });

        it("refuses to delete a granted tag policy unless forceDeleteWhenGranted", async () => {
            await assert.rejects(cp.delete!(offline.id, offline.outputs),
                (err: unknown) => err instanceof ConflictError && /1 user/.test(err.message) && /forceDeleteWhenGranted/.test(err.message));
            const res = await up(cp, offline, { ...offline.inputs, forceDeleteWhenGranted: true });
            assert.equal(res.action, "update");
            assert.equal(res.state.outputs.forceDeleteWhenGranted, true);
            const writes = (await t.stats()).writes;
            const unflagged = await up(cp, res.state, { ...offline.inputs, forceDeleteWhenGranted: undefined });
            assert.equal(unflagged.action, "update", "removing the flag is recorded too");
            assert.equal(unflagged.state.outputs.forceDeleteWhenGranted, undefined);
            assert.equal((await t.stats()).writes, writes, "flag-only changes do not write to the tenant");
            await cp.delete!(res.state.id, res.state.outputs);
            assert.equal(await refresh(cp, res.state), undefined, "read() of a deleted policy reports it gone");
            assert.equal(await refresh(pg, tony), undefined, "the grant went with the policy");
        });

        it("resets Global to documented defaults on delete", async () => {
            await cp.delete!(global.id, global.outputs);
            assert.equal((await tenantPolicy(t, "Global")).EnableIMAutoArchiving, true);
        });
    });

    it("reports a policy removed out of band as gone (read → empty id)", async () => {
        const { state } = await up(cp, undefined, { identity: "Tag:Vanishing", enableURL: true, policyEntry: [] });
        assert.equal((await preview(cp, state, { identity: "Tag:Vanishing", enableURL: true })).changes, false, "[] = unset");
        await t.powershell("Remove-CsClientPolicy -Identity Tag:Vanishing");
        assert.equal(await refresh(cp, state), undefined);
        await cp.delete!(state.id, state.outputs); // deleting what is already gone succeeds
    });

    it("requires adopt to take over an existing policy, and previews what adopt changes", async () => {
        await t.powershell("New-CsClientPolicy -Identity Legacy -EnableIMAutoArchiving $True -DisplayPhoto NoPhoto");
        const program = { identity: "Tag:Legacy", enableIMAutoArchiving: false, displayPhoto: "AllPhotos" };
        const before = await t.stats();
        assert.deepEqual((await cp.check!({}, program)).failures, [{
            property: "identity",
            reason: "Tag:Legacy already exists in tenant contoso.example. Set `adopt: true` on this ClientPolicy to take it over " +
                "(its settings are replaced by the ones declared here; the preview lists the changes as adoptChanges)",
        }], "caught by preview");
        await assert.rejects(cp.create({ ...program, __provider: "x" }),
            (err: unknown) => err instanceof ConflictError && /adopt: true/.test(err.message));
        assert.equal((await t.stats()).writes, before.writes, "nothing written");
        const checked = await cp.check!({}, { ...program, adopt: true });
        assert.deepEqual(checked.inputs.adoptChanges, [
            'displayPhoto: "NoPhoto" → "AllPhotos"',
            "enableIMAutoArchiving: true → false",
        ]);
        const { state } = await up(cp, undefined, { ...program, adopt: true });
        assert.equal(state.outputs.adopt, true);
        const live = await tenantPolicy(t, "Tag:Legacy");
        assert.equal(live.EnableIMAutoArchiving, false);
        assert.equal(live.DisplayPhoto, "AllPhotos");
        assert.equal((await preview(cp, state, { ...program, adopt: true })).changes, false);
    });

    it("previews what taking Global over changes, without adopt: hand-set values overwritten or unset, documented defaults left out", async () => {
        await t.powershell("Set-CsClientPolicy -Identity Global -MaximumNumberOfContacts 250 -EnableIMAutoArchiving $True -DisplayPhoto AllPhotos");
        const checked = await cp.check!({}, { identity: "Global", enableIMAutoArchiving: false });
        assert.deepEqual(checked.failures, []);
        // DisplayPhoto AllPhotos (and the other documented defaults a reset Global holds) stay the same for every user.
        assert.deepEqual(checked.inputs.adoptChanges, ["enableIMAutoArchiving: true → false", "maximumNumberOfContacts: 250 → (unset)"]);
        await t.powershell("Set-CsClientPolicy -Identity Global -MaximumNumberOfContacts $null");
    });

    it("replaces when the identity really changes (create new, then delete old)", async () => {
        const a = (await up(cp, undefined, { identity: "Tag:RenameA", enableURL: false })).state;
        const d = await preview(cp, a, { identity: "Tag:RenameB", enableURL: false });
        assert.deepEqual(d.replaces, ["identity"]);
        const b = await up(cp, a, { identity: "Tag:RenameB", enableURL: false });
        assert.equal(b.action, "replace");
        assert.equal(b.state.id, "Tag:RenameB");
        assert.equal(await refresh(cp, a), undefined);
    });

    describe("configuration and credentials", () => {
        afterEach(() => configureFor(t));

        it("lists every missing key with its pulumi config set line, in one error", async () => {
            const saved = { ...process.env };
            for (const k of Object.keys(process.env)) if (k.startsWith("CLIENTPOLICY_")) delete process.env[k];
            try {
                await cp.configure!({ config: stackConfig({ "clientpolicy:endpoint": t.url }) });
                await assert.rejects(cp.read!("Global", {}), (err: unknown) => {
                    assert.ok(err instanceof ConfigError);
                    for (const line of ["pulumi config set clientpolicy:tenantId", "pulumi config set clientpolicy:clientId",
                        "pulumi config set clientpolicy:clientSecret --secret"]) assert.ok(err.message.includes(line), line);
                    assert.ok(!err.message.includes("clientpolicy:endpoint "), "endpoint is set");
                    return true;
                });
            } finally {
                process.env = saved;
            }
        });

        it("says the client secret was rejected (without the secret)", async () => {
            await configureFor(t, { "clientpolicy:clientSecret": "wrong-secret-value-123" });
            await assert.rejects(cp.read!("Global", {}), (err: unknown) =>
                err instanceof AuthError && /client secret was rejected for client id demo-client on tenant contoso\.example/.test(err.message) &&
                !err.message.includes("wrong-secret-value-123") && !err.message.includes(t.clientSecret));
        });

        it("names the endpoint when it cannot be reached", async () => {
            await configureFor(t, { "clientpolicy:endpoint": "http://127.0.0.1:9", "clientpolicy:maxAttempts": "2" });
            await assert.rejects(cp.read!("Global", {}), (err: unknown) =>
                err instanceof TransportError && err.message.includes("http://127.0.0.1:9") && err.retryable);
        });
    });
});
