import * as assert from "node:assert/strict";
import { conflictAdvice, describeOwner, isMine, ownerName, parseOwner, withInstance } from "../../provider/ownership";

describe("owner ids with a stack instance", () => {
    const me = "proj/test@0123456789abcdef/g";

    it("parse and format: project/stack@instance/resource; ids from 0.1.0 have no instance", () => {
        assert.deepEqual(parseOwner(me), { project: "proj", stack: "test", instance: "0123456789abcdef", resource: "g" });
        assert.deepEqual(parseOwner("proj/test/a/b"), { project: "proj", stack: "test", resource: "a/b" });
        assert.equal(parseOwner("proj/@x/g"), undefined);
        assert.equal(withInstance("proj/test/g", "0123456789abcdef"), me);
        assert.equal(withInstance("proj/test/g", undefined), "proj/test/g");
        assert.equal(ownerName(me), "proj/test/g");
    });

    it("a stack created later under a reused name is another owner; an id written by 0.1.0 matches by name", () => {
        assert.equal(isMine(me, me), true);
        assert.equal(isMine(null, me), true);
        assert.equal(isMine("proj/test@fedcba9876543210/g", me), false, "an earlier stack of the same name");
        assert.equal(isMine("proj/test/g", me), true, "0.1.0's name-only id");
        assert.equal(isMine("proj/test/other", me), false);
        // Preview of a stack's first up: the instance is not known, so only a name-only id can be this resource's.
        assert.equal(isMine(me, "proj/test/g"), false);
        assert.equal(isMine("proj/test/g", "proj/test/g"), true);
    });

    it("describes an earlier stack of the same name as such, and advises aliases only inside one stack instance", () => {
        assert.match(describeOwner("proj/test@fedcba9876543210/g", me), /of an earlier stack named proj\/test \(stack instance fedcba9876543210/);
        assert.match(describeOwner("proj/test@0123456789abcdef/old", me), /resource "old" of this stack/);
        assert.doesNotMatch(conflictAdvice("proj/test@fedcba9876543210/old", me, "policy"), /aliases/);
        assert.match(conflictAdvice("proj/test@0123456789abcdef/old", me, "policy"), /aliases: \[\{ name: "old" \}\]/);
    });

    it("advice for a TenantPolicies child is in the component's options, not the child's", () => {
        const child = "proj/test@0123456789abcdef/tenant-global";
        const text = conflictAdvice("proj/test@0123456789abcdef/global", child, "policy", { component: "tenant", kind: "policies", key: "Global" });
        assert.match(text, /add `policies: \{ "Global": \{ aliases: \[\{ name: "global", parent: pulumi\.rootStackResource \}\] \} \}` to the `options` of TenantPolicies "tenant"/);
        assert.match(text, /set `policies: \{ "Global": \{ adopt: true \} \}` in the `options` of TenantPolicies "tenant"/);
        assert.doesNotMatch(text, /to its options/);
    });
});
