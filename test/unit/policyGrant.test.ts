import * as assert from "node:assert/strict";
import { check, diff } from "../../provider/resources/policyGrant";
import { UNKNOWN } from "../../provider/schema";

const run = (news: Record<string, unknown>) => check({}, { __provider: "…", ...news });

describe("PolicyGrant check()", () => {
    const BAD: Array<[Record<string, unknown>, string, RegExp]> = [
        [{ user: "Tony Smith" }, "policyName", /is required/],
        [{ policyName: "Global", user: "Tony Smith" }, "policyName", /Global applies by scope and cannot be granted/],
        [{ policyName: "site:Redmond", user: "Tony Smith" }, "policyName", /site:Redmond applies by scope/],
        [{ policyName: "Bad:Name", user: "Tony Smith" }, "policyName", /unknown scope prefix/],
        [{ policyName: "OfflineIM" }, "user", /one of user .* or users .* is required/],
        [{ policyName: "OfflineIM", user: "a", users: ["b"] }, "users", /either user or users, not both/],
        [{ policyName: "OfflineIM", user: "* Smith" }, "user", /wildcards are not accepted/],
        [{ policyName: "OfflineIM", user: "" }, "user", /must be a user identity/],
        [{ policyName: "OfflineIM", user: 42 }, "user", /must be a user identity/],
        [{ policyName: "OfflineIM", users: "Tony Smith" }, "users", /must be a list/],
        [{ policyName: "OfflineIM", users: ["a", "Tony*"] }, "users[1]", /wildcards/],
        [{ policyName: "OfflineIM", users: ["Tony Smith", " tony smith "] }, "users[1]", /duplicates users\[0\] \("Tony Smith"\)/],
        [{ policyName: "OfflineIM", user: "a", polcyName: 1 }, "polcyName", /unknown property; did you mean "policyName"\?/],
    ];
    for (const [news, property, reason] of BAD) {
        it(`rejects ${JSON.stringify(news)}`, async () => {
            const res = await run(news);
            // A list element's failure names its path in the reason: the engine would print `value {<nil>}` for it.
            const f = property.startsWith("users[")
                ? res.failures?.find((x) => x.property === "" && x.reason.startsWith(`${property}: `))
                : res.failures?.find((x) => x.property === property);
            assert.ok(f, JSON.stringify(res.failures));
            assert.match(f.reason, reason);
        });
    }

    it("canonicalises the policy name and trims identities", async () => {
        const res = await run({ policyName: "tag:OfflineIM", users: [" sip:tony@contoso.example ", "Ken Myer"] });
        assert.deepEqual(res, { inputs: { policyName: "OfflineIM", users: ["sip:tony@contoso.example", "Ken Myer"] }, failures: [] });
        assert.deepEqual((await run({ policyName: "OfflineIM", user: "CONTOSO\\tony" })).inputs, { policyName: "OfflineIM", user: "CONTOSO\\tony" });
    });

    it("passes preview-time unknowns through", async () => {
        const res = await run({ policyName: UNKNOWN, users: UNKNOWN });
        assert.deepEqual(res, { inputs: { policyName: UNKNOWN, users: UNKNOWN }, failures: [] });
    });
});

describe("PolicyGrant diff()", () => {
    const users = (...names: string[]) => names.map((n, i) => ({ id: `id-${i}`, sipAddress: `sip:${n}`, displayName: n, requestedAs: n }));
    const OLDS = { policyName: "OfflineIM", users: ["Tony Smith", "Ken Myer"], resolvedUsers: users("Tony Smith", "Ken Myer") };

    it("never replaces, even when the policy and every user change at once (re-granting in place keeps users covered)", async () => {
        for (const news of [
            { policyName: "Tag:Other", users: ["Kim Akers", "Jeff Hay"], adopt: true },
            { policyName: "Other", user: "Kim Akers" },
            { policyName: UNKNOWN, users: UNKNOWN },
        ]) {
            assert.deepEqual(await diff("g", OLDS, news), { changes: true, replaces: [], deleteBeforeReplace: false }, JSON.stringify(news));
        }
    });

    it("shows no change for the same users in another order, case or policy spelling", async () => {
        const d = await diff("g", OLDS, { policyName: "OfflineIM", users: ["ken myer", "Tony Smith"], __provider: "…" });
        assert.equal(d.changes, false);
    });

    const CHANGES: Array<[string, Record<string, unknown>]> = [
        ["a user added", { policyName: "OfflineIM", users: ["Tony Smith", "Ken Myer", "Kim Akers"] }],
        ["a user removed", { policyName: "OfflineIM", users: ["Tony Smith"] }],
        ["another policy", { policyName: "Other", users: ["Tony Smith", "Ken Myer"] }],
        ["an unknown policy", { policyName: UNKNOWN, users: ["Tony Smith", "Ken Myer"] }],
        ["users → user", { policyName: "OfflineIM", user: "Tony Smith" }],
    ];
    for (const [name, news] of CHANGES) {
        it(`updates in place for ${name}`, async () => {
            assert.deepEqual(await diff("g", OLDS, news), { changes: true, replaces: [], deleteBeforeReplace: false });
        });
    }

    it("sees a user missing from state (failed or unassigned out of band) as a change", async () => {
        const drifted = { policyName: "OfflineIM", users: ["Tony Smith"], resolvedUsers: users("Tony Smith") };
        assert.equal((await diff("g", drifted, { policyName: "OfflineIM", users: ["Tony Smith", "Ken Myer"] })).changes, true);
        const single = { policyName: "OfflineIM", resolvedUsers: [] };
        assert.equal((await diff("g", single, { policyName: "OfflineIM", user: "Tony Smith" })).changes, true);
    });
});
