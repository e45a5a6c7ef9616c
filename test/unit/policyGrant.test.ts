import * as assert from "node:assert/strict";
import { policyGrantProvider } from "../../provider";
import { UNKNOWN } from "../../provider/values";
import { keyedUsers } from "../../provider/resources/grantUsers";

const check = (olds: Record<string, unknown>, news: Record<string, unknown>) => policyGrantProvider.check!(olds, news);
const diff = (id: string, olds: Record<string, unknown>, news: Record<string, unknown>) => policyGrantProvider.diff!(id, olds, news);
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
        // A problem only the program sees (the same user in two grants), recorded by the class at a list element.
        [{ policyName: "OfflineIM", users: ["a", "b"], declarationProblem: { property: "users[1]", reason: 'PolicyGrant "g2" and PolicyGrant "g" both grant "b"' } }, "users[1]", /both grant "b"/],
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
        // Stored keyed by user (the trimmed spellings as keys), see "users are a set" below.
        assert.deepEqual(res, { inputs: { policyName: "OfflineIM", users: { "Ken Myer": "", "sip:tony@contoso.example": "" } }, failures: [] });
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

describe("PolicyGrant owner ids (stack instance, re-stamp)", () => {
    const resolved = [{ id: "id-0", sipAddress: "sip:tony", displayName: "Tony Smith", requestedAs: "Tony Smith" }];
    const OLDS = { policyName: "OfflineIM", users: ["Tony Smith"], resolvedUsers: resolved, owner: "proj/test@0123456789abcdef/g" };
    const news = (owner: string, stackInstance: unknown) => ({ policyName: "OfflineIM", users: ["Tony Smith"], owner, stackInstance });

    it("the same owner (name and stack instance) is no change", async () => {
        assert.equal((await diff("g", OLDS, news("proj/test/g", "0123456789abcdef"))).changes, false);
    });

    for (const [what, owner, instance] of [
        ["a stack rename", "proj/prod/g", "0123456789abcdef"],
        ["a project rename", "other/test/g", "0123456789abcdef"],
        ["an aliases rename", "proj/test/g2", "0123456789abcdef"],
        ["a state move into another stack", "proj/b/g", "fedcba9876543210"],
        ["a stack instance not known yet (first up after 0.1.0)", "proj/test/g", UNKNOWN],
    ] as const) {
        it(`an owner change from ${what} is an update (the grant re-stamps its assignments), never a replace`, async () => {
            assert.deepEqual(await diff("g", OLDS, news(owner, instance)), { changes: true, replaces: [], deleteBeforeReplace: false });
        });
    }

    it("state written by 0.1.0 (name-only owner) shows an owner change once, to record the stack instance", async () => {
        const legacy = { ...OLDS, owner: "proj/test/g" };
        assert.equal((await diff("g", legacy, news("proj/test/g", "0123456789abcdef"))).changes, true);
        assert.equal((await diff("g", legacy, { policyName: "OfflineIM", users: ["Tony Smith"], owner: "proj/test/g" })).changes, false);
    });
});

describe("PolicyGrant: an empty user list that came from the tenant", () => {
    it("is drift (accepted, no failure) when the previous inputs hold it too (refresh + ignoreChanges)", async () => {
        const fromRefresh = { policyName: "OfflineIM", users: [] };
        const res = await check(fromRefresh, { __provider: "…", policyName: "OfflineIM", users: [] });
        assert.deepEqual(res.failures, []);
        // ignoreChanges: ["user"] after a refresh that found the single user unassigned: neither user nor users.
        const single = await check(fromRefresh, { __provider: "…", policyName: "OfflineIM" });
        assert.deepEqual(single.failures, []);
        assert.equal((await diff("g", { policyName: "OfflineIM", users: [], resolvedUsers: [] }, { policyName: "OfflineIM", users: [] })).changes, false);
    });

    it("is still a program error when the program writes it", async () => {
        for (const olds of [{}, { policyName: "OfflineIM", users: ["Tony Smith"] }]) {
            const res = await check(olds, { __provider: "…", policyName: "OfflineIM", users: [] });
            assert.match(res.failures?.find((f) => f.property === "users")?.reason ?? "", /must list at least one user/, JSON.stringify(olds));
        }
    });
});

describe("PolicyGrant: users are a set, stored keyed by user", () => {
    const many = Array.from({ length: 3000 }, (_, i) => `sip:user${String(i + 1).padStart(5, "0")}@contoso.example`);
    const resolved = (names: string[]) => names.map((n, i) => ({ id: `id-${i}`, sipAddress: n, displayName: n, requestedAs: n }));
    const outputs = (names: string[]) => ({ policyName: "OfflineIM", users: names, resolvedUsers: resolved(names) });

    it("check() stores one key per user, so removing one user changes one key, never the others' positions", async () => {
        const before = (await run({ policyName: "OfflineIM", users: many.map((u) => ` ${u}`) })).inputs as { users: Record<string, string> };
        const fewer = many.filter((u) => u !== "sip:user01234@contoso.example");
        const after = (await check(before, { __provider: "…", policyName: "OfflineIM", users: [...fewer, "sip:new@contoso.example"] })).inputs as { users: Record<string, string> };
        const keys = (o: Record<string, string>) => new Set(Object.keys(o));
        const removed = [...keys(before.users)].filter((k) => !(k in after.users));
        const added = [...keys(after.users)].filter((k) => !(k in before.users));
        assert.deepEqual([removed, added], [["sip:user01234@contoso.example"], ["sip:new@contoso.example"]]);
        // Every value is the empty string, which the CLI's diff leaves out for unchanged keys.
        assert.deepEqual(new Set([...Object.values(before.users), ...Object.values(after.users)]), new Set([""]));
        // The keyed shape does not depend on the program's order.
        assert.deepEqual((await run({ policyName: "OfflineIM", users: [...many].reverse() })).inputs, { policyName: "OfflineIM", users: keyedUsers(many) });
    });

    it("check() takes the stored keyed shape back (ignoreChanges keeps it) and a list from state before it (0.1.0)", async () => {
        const keyed = { "Tony Smith": "", "sip:ken@contoso.example": "" };
        for (const olds of [{ policyName: "OfflineIM", users: keyed }, { policyName: "OfflineIM", users: ["Tony Smith", "sip:ken@contoso.example"] }]) {
            for (const users of [keyed, ["Tony Smith", "sip:ken@contoso.example"]]) {
                const res = await check(olds, { __provider: "…", policyName: "OfflineIM", users });
                assert.deepEqual(res, { inputs: { policyName: "OfflineIM", users: keyed }, failures: [] }, JSON.stringify({ olds, users }));
            }
        }
    });

    it("diff(): a list in state and the keyed shape of the same set are no change; one user more or less is a change", async () => {
        const list = ["Tony Smith", "Ken Myer"];
        assert.equal((await diff("g", outputs(list), { policyName: "OfflineIM", users: keyedUsers(["ken myer", "Tony Smith"]) })).changes, false);
        assert.equal((await diff("g", outputs(many), { policyName: "OfflineIM", users: keyedUsers(many) })).changes, false);
        assert.equal((await diff("g", outputs(many), { policyName: "OfflineIM", users: keyedUsers(many.slice(1)) })).changes, true);
        assert.equal((await diff("g", outputs(list), { policyName: "OfflineIM", users: keyedUsers([...list, "Kim Akers"]) })).changes, true);
    });

    it("a value known only after apply keeps the list (an unknown has no key)", async () => {
        const res = await run({ policyName: "OfflineIM", users: ["Tony Smith", UNKNOWN] });
        assert.deepEqual(res, { inputs: { policyName: "OfflineIM", users: ["Tony Smith", UNKNOWN] }, failures: [] });
    });

    it("bad values in the keyed shape name the key; the empty set from the tenant is drift in either shape", async () => {
        const res = await check({}, { __provider: "…", policyName: "OfflineIM", users: { "sip:a": "", "Tony*": "", " ": "", "SIP:A ": "" } });
        assert.deepEqual(res.failures?.map((f) => f.reason.replace(/(\]): .*/s, "$1")).sort(), ['users[" "]', 'users["Tony*"]', 'users["sip:a"]']);
        // Keys are read in sorted order (upper case first), whatever order the engine handed the object over in.
        assert.match(res.failures!.find((f) => f.reason.startsWith('users["sip:a"]'))!.reason, /duplicates users\["SIP:A "\] \("SIP:A "\)/);
        const sig = await run({ policyName: "OfflineIM", users: ["4dabf18193072939515e22adc298d4e7"] });
        assert.match(sig.failures?.[0]?.reason ?? "", /^users\[0\]: .*marker of a secret value/);
        for (const olds of [{ users: {} }, { users: [] }]) {
            for (const users of [{}, [], undefined]) {
                const r = await check({ policyName: "OfflineIM", ...olds }, { __provider: "…", policyName: "OfflineIM", users });
                assert.deepEqual(r.failures, [], JSON.stringify({ olds, users }));
            }
        }
    });
});
