import * as assert from "node:assert/strict";
import { PartialFailureError, ValidationError } from "../../../provider";
import type { TestTenant } from "../../../testkit/emulator";
import {
    ResourceState, backendName, startTestBackend, clientPolicyProvider as cp, configureFor, policyGrantProvider as pg, preview, refresh, tenantUser, up, viaHost,
} from "./harness";

const sip = (n: number) => `sip:user${String(n).padStart(5, "0")}@contoso.example`;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => sip(from + i));

describe(`PolicyGrant provider against ${backendName()}`, function () {
    let t: TestTenant;
    before(async () => {
        t = await startTestBackend({ users: 10_000 });
        await configureFor(t);
        await up(cp, undefined, { identity: "Tag:Bulk", enableIMAutoArchiving: false });
        await up(cp, undefined, { identity: "Tag:Other", enableIMAutoArchiving: true });
    });
    after(async () => { await t?.stop(); });

    describe("10,000 users", () => {
        let grant: ResourceState;

        it("grants them with the batch API (chunks of 5,000)", async () => {
            grant = (await up(pg, undefined, { policyName: "Bulk", users: range(1, 10_000) })).state;
            assert.equal((grant.outputs.resolvedUsers as unknown[]).length, 10_000);
            assert.equal((await tenantUser(t, sip(1))).ClientPolicy, "Bulk");
            assert.equal((await tenantUser(t, sip(10_000))).ClientPolicy, "Bulk");
            assert.equal((await preview(pg, grant, { policyName: "tag:bulk", users: range(1, 10_000) })).changes, false);
        });

        it("writes only the difference when 100 users change", async () => {
            // First drop users 1–50: 50 unassignments.
            const before = await t.stats();
            const res = await up(pg, grant, { policyName: "Bulk", users: range(51, 10_000) });
            assert.equal(res.action, "update");
            let after = await t.stats();
            assert.ok(after.writes - before.writes <= 50 + 2, `writes for 50 removals: ${after.writes - before.writes}`);
            assert.equal((await tenantUser(t, sip(1))).ClientPolicy, null);
            assert.equal((await tenantUser(t, sip(51))).ClientPolicy, "Bulk");
            // now 50 removed and 50 re-added: 100 users change
            const before2 = after;
            grant = (await up(pg, res.state, { policyName: "Bulk", users: [...range(1, 50), ...range(101, 10_000)] })).state;
            after = await t.stats();
            assert.ok(after.writes - before2.writes <= 100 + 2, `writes for a diff of 100 users: ${after.writes - before2.writes}`);
            assert.equal((await tenantUser(t, sip(60))).ClientPolicy, null);
            assert.equal((await tenantUser(t, sip(1))).ClientPolicy, "Bulk");
            assert.equal((grant.outputs.resolvedUsers as unknown[]).length, 9_950);
        });

        it("unassigns on delete only the users still assigned this policy", async () => {
            const stolen = sip(200);
            await t.powershell(`Grant-CsClientPolicy -Identity "${stolen}" -PolicyName Other`);
            await pg.delete!(grant.id, grant.outputs);
            assert.equal((await tenantUser(t, stolen)).ClientPolicy, "Other", "someone else's later grant is kept");
            assert.equal((await tenantUser(t, sip(1))).ClientPolicy, null);
            assert.equal((await tenantUser(t, sip(9_999))).ClientPolicy, null);
        });
    });

    it("re-grants in place when the policy changes (no replace)", async () => {
        const { state } = await up(pg, undefined, { policyName: "Tag:Bulk", users: ["Ken Myer", "kim.akers@contoso.example"] });
        const d = await preview(pg, state, { policyName: "Tag:Other", users: ["Ken Myer", "kim.akers@contoso.example"] });
        assert.deepEqual(d, { changes: true, replaces: [], deleteBeforeReplace: false });
        const res = await up(pg, state, { policyName: "Tag:Other", users: ["Ken Myer", "kim.akers@contoso.example"] });
        assert.equal(res.action, "update");
        assert.equal((await tenantUser(t, "Ken Myer")).ClientPolicy, "Other");
        assert.equal((await tenantUser(t, "Kim Akers")).ClientPolicy, "Other");
        await pg.delete!(res.state.id, res.state.outputs);
    });

    it("after a rename with aliases (new owner id), an update moves every kept user to the new owner, so destroy unassigns them all", async () => {
        const users = [sip(7001), sip(7002)];
        const { state } = await up(pg, undefined, { policyName: "Bulk", users, owner: "proj/dev/old-name" });
        assert.equal((await tenantUser(t, sip(7001))).ClientPolicyOwner, "proj/dev/old-name");
        // The engine with `aliases`: the same state, the new name's owner id in the inputs, and one more user.
        const res = await up(pg, state, { policyName: "Bulk", users: [...users, sip(7003)], owner: "proj/dev/new-name" });
        assert.equal(res.action, "update");
        for (const u of [...users, sip(7003)]) assert.equal((await tenantUser(t, u)).ClientPolicyOwner, "proj/dev/new-name", u);
        await pg.delete!(res.state.id, res.state.outputs);
        for (const u of [...users, sip(7003)]) assert.equal((await tenantUser(t, u)).ClientPolicy, null, `${u} left granted`);
    });

    it("sees a user unassigned out of band and grants it again", async () => {
        const program = { policyName: "Bulk", users: ["Pilar Ackerman", "Jeff Hay"] };
        const { state } = await up(pg, undefined, program);
        await t.powershell('Grant-CsClientPolicy -Identity "Jeff Hay" -PolicyName $null');
        const refreshed = (await refresh(pg, state))!;
        // Inputs keyed by user, as check() stores them (provider/resources/grantUsers.ts).
        assert.deepEqual(refreshed.inputs.users, { "Pilar Ackerman": "" });
        assert.equal((await preview(pg, refreshed, program)).changes, true);
        const res = await up(pg, refreshed, program);
        assert.equal((await tenantUser(t, "Jeff Hay")).ClientPolicy, "Bulk");
        // The output list follows the keyed inputs' order (canonical identity), not the program's.
        assert.deepEqual(res.state.outputs.users, ["Jeff Hay", "Pilar Ackerman"]);
        await pg.delete!(res.state.id, res.state.outputs);
    });

    it("reports unknown users and two spellings of one user together, at check() (preview) and at create, before writing anything", async () => {
        const before = await t.stats();
        const program = { policyName: "Bulk", users: ["Tony Smith", "nobody@contoso.example", "sip:tony.smith@contoso.example", "Ghost User"] };
        const checkedPreview = await pg.check!({}, program);
        assert.deepEqual(checkedPreview.failures, [
            // The path is in the reason: the engine prints a failure of a nested path as `value {<nil>}`.
            { property: "", reason: 'users[1]: "nobody@contoso.example": no such user in the tenant' },
            { property: "", reason: 'users[2]: "Tony Smith" and "sip:tony.smith@contoso.example" are the same user (sip:tony.smith@contoso.example); list each user once' },
            { property: "", reason: 'users[3]: "Ghost User": no such user in the tenant' },
        ]);
        // create() canonicalises and resolves on its own (never relies on check() having run).
        await assert.rejects(pg.create({ ...program, __provider: "x" }), (err: unknown) => {
            assert.ok(err instanceof ValidationError, String(err));
            assert.match(err.message, /users\[1\]: "nobody@contoso\.example": no such user/);
            assert.match(err.message, /users\[3\]: "Ghost User": no such user/);
            assert.match(err.message, /"Tony Smith" and "sip:tony\.smith@contoso\.example" are the same user/);
            return true;
        });
        assert.equal((await t.stats()).writes, before.writes);
    });

    it("records a partial failure (granted users in state, failed ones named) so the next up retries only those", async () => {
        const { state } = await up(pg, undefined, { policyName: "Bulk", users: [sip(5001), sip(5002)] });
        // A user resolved on an earlier run and deleted from the directory since: the batch fails for that user only.
        const gone = { id: "00000000-0000-0000-0000-00000000dead", sipAddress: "sip:gone@contoso.example", displayName: "Gone", requestedAs: "gone@contoso.example" };
        const stale = {
            ...state,
            inputs: { ...state.inputs, users: { ...(state.inputs.users as Record<string, string>), "gone@contoso.example": "" } },
            outputs: { ...state.outputs, resolvedUsers: [...(state.outputs.resolvedUsers as object[]), gone] },
        };
        const program = { policyName: "Other", users: [sip(5001), sip(5002), "gone@contoso.example"] };
        let partial: PartialFailureError | undefined;
        await assert.rejects(up(pg, stale, program), (err: unknown) => {
            assert.ok(err instanceof PartialFailureError, String(err));
            assert.match(err.message, /1 of 3 user\(s\) could not be granted Other/);
            assert.match(err.message, /"gone@contoso\.example" \(sip:gone@contoso\.example\): UserNotFound/);
            assert.equal(err.id, state.id);
            assert.ok(err.properties.__provider, "partial outputs keep __provider for later read/delete");
            viaHost(err.properties); // the host turns them into a Struct
            partial = err;
            return true;
        });
        assert.deepEqual(partial!.properties.users, [sip(5001), sip(5002)]);
        assert.equal((await tenantUser(t, sip(5001))).ClientPolicy, "Other");
        const after = { ...stale, outputs: partial!.properties };
        assert.equal((await preview(pg, after, program)).changes, true, "the failed user is still to do");
        assert.equal((await preview(pg, after, { policyName: "Other", users: [sip(5001), sip(5002)] })).changes, false);
        await pg.delete!(after.id, after.outputs);
    });

    it("fails clearly when the policy was deleted out of band", async () => {
        const res = await up(pg, undefined, { policyName: "Bulk", users: [sip(6001), sip(6002)] });
        await t.powershell("Remove-CsClientPolicy -Identity Tag:Bulk -Force");
        assert.equal(await refresh(pg, res.state), undefined, "the grants went with the policy");
        await assert.rejects(up(pg, undefined, { policyName: "Bulk", users: [sip(6001)] }),
            (err: unknown) => err instanceof Error && /PolicyNotFound/.test(err.message));
        await up(cp, undefined, { identity: "Tag:Bulk", enableIMAutoArchiving: false });
    });

    describe("in a tenant with two users called Tony Smith", () => {
        before(() => configureFor({ ...t, tenantId: "ambiguous.example" }));
        after(() => configureFor(t));

        it("fails with the ambiguity and the advice to use a SIP address or UPN", async () => {
            await up(cp, undefined, { identity: "Tag:OfflineIM", enableIMAutoArchiving: false });
            const checkedPreview = await pg.check!({}, { policyName: "OfflineIM", user: "Tony Smith" });
            assert.deepEqual(checkedPreview.failures, [{
                property: "user",
                reason: '"Tony Smith" matches 2 users (sip:tony.smith@ambiguous.example, sip:tony.smith2@ambiguous.example); use the SIP address or UPN',
            }]);
            await assert.rejects(pg.create({ policyName: "OfflineIM", user: "Tony Smith" }), (err: unknown) =>
                err instanceof ValidationError && /user: "Tony Smith" matches 2 users/.test(err.message) && /SIP address or UPN/.test(err.message));
            const { state } = await up(pg, undefined, { policyName: "OfflineIM", user: "sip:tony.smith2@ambiguous.example" });
            assert.equal((state.outputs.resolvedUsers as Array<{ sipAddress: string }>)[0].sipAddress, "sip:tony.smith2@ambiguous.example");
        });
    });

    it("converges to exactly the declared state with 20% injected faults (429/503/connection reset)", async function () {
        this.timeout(120_000);
        await t.setFaults({ fault429: 0.07, fault503: 0.07, faultReset: 0.06 });
        try {
            let policy = (await up(cp, undefined, { identity: "Tag:Flaky", enableIMAutoArchiving: false, maximumNumberOfContacts: 100 })).state;
            policy = (await up(cp, policy, { identity: "Tag:Flaky", enableIMAutoArchiving: false, maximumNumberOfContacts: 200 })).state;
            let grant = (await up(pg, undefined, { policyName: "Flaky", users: range(7001, 7020) })).state;
            grant = (await up(pg, grant, { policyName: "Flaky", users: range(7011, 7030) })).state;
            assert.equal((grant.outputs.resolvedUsers as unknown[]).length, 20);
            await t.setFaults({ fault429: 0, fault503: 0, faultReset: 0 });
            assert.equal((await refresh(cp, policy))!.outputs.maximumNumberOfContacts, 200);
            for (const n of [7001, 7010]) assert.equal((await tenantUser(t, sip(n))).ClientPolicy, null);
            for (const n of [7011, 7030]) assert.equal((await tenantUser(t, sip(n))).ClientPolicy, "Flaky");
            assert.equal((await preview(pg, grant, { policyName: "Flaky", users: range(7011, 7030) })).changes, false);
        } finally {
            await t.setFaults({ fault429: 0, fault503: 0, faultReset: 0 });
        }
    });
});
