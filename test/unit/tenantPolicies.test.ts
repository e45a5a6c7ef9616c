import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { tenantItemName } from "../../provider/tenantConfig/names";

describe("TenantPolicies: logical names", () => {
    it("derive from the identity only: readable, case-insensitive, scope-aware", () => {
        assert.equal(tenantItemName("Global", "policy"), "global");
        assert.equal(tenantItemName("site:Redmond", "policy"), "site-redmond");
        assert.equal(tenantItemName("OfflineIM", "policy"), "tag-offlineim");
        assert.equal(tenantItemName("tag:offlineim", "policy"), "tag-offlineim");
        assert.equal(tenantItemName("Tag:OfflineIM", "grant"), "grant-offlineim");
        // A tag named like a site policy's name does not collide with it.
        assert.notEqual(tenantItemName("Tag:site-Redmond", "policy"), tenantItemName("site:Redmond", "policy"));
    });

    it("names that are not plain get a hash of the identity, so two identities never share a name", () => {
        const a = tenantItemName("Tag:Sales#1", "policy");
        const b = tenantItemName("Tag:Sales 1", "policy");
        assert.match(a, /^tag-sales-1-[0-9a-f]{8}$/);
        assert.notEqual(a, b);
        assert.notEqual(a, tenantItemName("Tag:Sales-1", "policy"));
        assert.equal(a, tenantItemName("tag:SALES#1", "policy"));
    });

    it("an invalid identity is a ValidationError naming it", () => {
        assert.throws(() => tenantItemName("Tag:*", "policy"), /TenantPolicies: policy "Tag:\*": .*not a valid policy identity/);
        assert.throws(() => tenantItemName("Global", "grant"), /cannot be granted/);
    });
});

describe("TenantPolicies: declaration checks (Pulumi mocks; the e2e tests deploy examples/multi-tenant for real and check the child names)", () => {
    before(() => {
        pulumi.runtime.setMocks({
            newResource: (args) => {
                return { id: `${args.name}-id`, state: { ...args.inputs, identity: args.inputs.identity } };
            },
            call: () => ({}),
        }, "proj", "stack", false);
    });

    it("one object declared twice (any spelling) fails naming both", async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { TenantPolicies } = require("../../provider/components/tenantPolicies") as typeof import("../../provider/components/tenantPolicies");
        assert.throws(() => new TenantPolicies("dup", { declaration: { policies: [{ identity: "Tag:A", settings: {} }, { identity: "a", settings: {} }], grants: [] } }),
            /policy a and policy Tag:A are the same tenant object/);
    });

    it("a declaration that is not { policies, grants } is a clear error", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { TenantPolicies } = require("../../provider/components/tenantPolicies") as typeof import("../../provider/components/tenantPolicies");
        assert.throws(() => new TenantPolicies("bad", { declaration: { policies: [] } as never }), /args\.declaration must be \{ policies: \[\.\.\.\], grants: \[\.\.\.\] \}/);
    });
});

describe("TenantPolicies: per-child options", () => {
    before(() => {
        pulumi.runtime.setMocks({
            newResource: (args) => {
                return { id: `${args.name}-id`, state: { ...args.inputs } };
            },
            call: () => ({}),
        }, "proj", "stack", false);
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = () => require("../../provider/components/tenantPolicies") as typeof import("../../provider/components/tenantPolicies");
    const declaration = { policies: [{ identity: "Global", settings: {} }, { identity: "Tag:OfflineIM", settings: {}, adopt: false }], grants: [{ policy: "OfflineIM", users: ["Tony Smith"] }] };

    it("a key the declaration does not hold, or an unknown option, is an error naming it", () => {
        const { TenantPolicies } = load();
        assert.throws(() => new TenantPolicies("t1", { declaration, options: { policies: { "Tag:Nope": { adopt: true } } } }),
            /TenantPolicies "t1": options\.policies\["Tag:Nope"\]: the declaration has no policy "Tag:Nope"; it declares "Global", "Tag:OfflineIM"/);
        assert.throws(() => new TenantPolicies("t2", { declaration, options: { grants: { OfflineIM: { protected: true } as never } } }),
            /options\.grants\["OfflineIM"\]\.protected: unknown option/);
        assert.throws(() => new TenantPolicies("t3", { declaration, options: { policies: { global: { adopt: "yes" as never } } } }),
            /options\.policies\["global"\]\.adopt: must be true or false/);
    });
});
