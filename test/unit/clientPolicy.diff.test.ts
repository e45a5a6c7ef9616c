import * as assert from "node:assert/strict";
import { SETTINGS, camelName } from "../../api/catalogue";
import { changedProperties, inputsFromOutputs, outputsFromWire, parseInputs, wireBody } from "../../provider/resources/clientPolicy.model";
import { diff } from "../../provider/resources/clientPolicy.provider";
import { UNKNOWN } from "../../provider/values";

/** Outputs as stored after a write of Tag:OfflineIM. */
const OLDS = {
    identity: "Tag:OfflineIM", policyName: "OfflineIM", etag: "\"7\"", __provider: "…",
    enableIMAutoArchiving: false, displayPhoto: "PhotosFromADOnly", hotdeskingTimeout: "00:05:00",
    policyEntry: [{ name: "A", value: "B" }], description: "No offline IM",
};
const SAME = {
    identity: "Tag:OfflineIM", enableIMAutoArchiving: false, displayPhoto: "PhotosFromADOnly", hotdeskingTimeout: "00:05:00",
    policyEntry: [{ name: "A", value: "B" }], description: "No offline IM",
};

describe("ClientPolicy diff()", () => {
    const NO_OPS: Array<[string, Record<string, unknown>, Record<string, unknown>?]> = [
        ["identical inputs", SAME],
        ["bare name", { ...SAME, identity: "OfflineIM" }],
        ["lower-case prefix and name", { ...SAME, identity: "tag:offlineim" }],
        ["enum case", { ...SAME, displayPhoto: "photosfromadonly" }],
        ["duration in seconds", { ...SAME, hotdeskingTimeout: 300 }],
        ["undefined setting", { ...SAME, enableURL: undefined }],
        ["null setting", { ...SAME, enableURL: null }],
        ["__provider key", { ...SAME, __provider: "other text" }],
        ["adopt flag (only matters on create)", { ...SAME, adopt: true }],
        ["adoptChanges preview input", { ...SAME, adoptChanges: ["x: 1 → 2"] }],
        ["forceDeleteWhenGranted false vs absent", { ...SAME, forceDeleteWhenGranted: false }],
        ["empty vs unset policyEntry", { ...SAME, policyEntry: [] }, { ...OLDS, policyEntry: undefined }],
    ];
    for (const [name, news, olds = OLDS] of NO_OPS) {
        it(`shows no change for ${name}`, async () => {
            assert.deepEqual(await diff("Tag:OfflineIM", olds, news), { changes: false, replaces: [], deleteBeforeReplace: false });
        });
    }

    it("treats unset and the documented default as different (the tenant reports them differently)", async () => {
        const d = await diff("Global", { identity: "Global" }, { identity: "Global", enableIMAutoArchiving: true });
        assert.equal(d.changes, true);
    });

    it("replaces for identity only, even when every other input changes with it", async () => {
        const everything: Record<string, unknown> = {
            ...SAME, identity: "Tag:Other", enableIMAutoArchiving: true, displayPhoto: "NoPhoto", hotdeskingTimeout: 60,
            policyEntry: [{ name: "C", value: "D" }], description: "changed", maximumNumberOfContacts: 5, adopt: true, forceDeleteWhenGranted: true,
        };
        assert.deepEqual(await diff("Tag:OfflineIM", OLDS, everything), { changes: true, replaces: ["identity"], deleteBeforeReplace: false });
        const { identity: _same, ...sameIdentity } = everything;
        assert.deepEqual(await diff("Tag:OfflineIM", OLDS, { ...sameIdentity, identity: "Tag:OfflineIM" }), { changes: true, replaces: [], deleteBeforeReplace: false });
    });

    it("replaces when the identity changes", async () => {
        for (const identity of ["Tag:Other", "site:Redmond", "Global", UNKNOWN]) {
            const d = await diff("Tag:OfflineIM", OLDS, { ...SAME, identity });
            assert.deepEqual(d.replaces, ["identity"], identity);
        }
    });

    it("updates in place for forceDeleteWhenGranted (delete reads it from state)", async () => {
        const d = await diff("Tag:OfflineIM", OLDS, { ...SAME, forceDeleteWhenGranted: true });
        assert.deepEqual(d, { changes: true, replaces: [], deleteBeforeReplace: false });
    });

    /** A value different from `current` that the catalogue accepts. */
    function another(kind: string, d: (typeof SETTINGS)[number], current: unknown): unknown {
        switch (kind) {
            case "boolean": return current === true ? false : true;
            case "uint": return d.kind === "uint" && current === d.min ? d.max : d.kind === "uint" ? d.min : 0;
            case "timespan": return "00:00:59";
            case "enum": return d.kind === "enum" ? d.values.find((v) => v !== current) ?? null : null;
            case "string": return "changed";
            default: return [{ name: "C", value: "D" }];
        }
    }
    for (const d of SETTINGS) {
        const key = camelName(d.name);
        it(`updates ${key} in place when only it changes`, async () => {
            const news: Record<string, unknown> = { ...SAME, [key]: another(d.kind, d, (SAME as Record<string, unknown>)[key]) };
            const parsed = parseInputs(news);
            assert.deepEqual(parsed.failures, [], "the changed value is a valid one");
            assert.deepEqual(changedProperties(OLDS, parsed.inputs), [key], "exactly this property changed");
            const res = await diff("Tag:OfflineIM", OLDS, news);
            assert.deepEqual(res, { changes: true, replaces: [], deleteBeforeReplace: false });
        });
    }

    it("sees an unset (removed from code) setting as a change", async () => {
        const { description: _d, ...news } = SAME;
        assert.equal((await diff("Tag:OfflineIM", OLDS, news)).changes, true);
    });
});

describe("ClientPolicy wire mapping", () => {
    it("round-trips outputs → inputs → body, leaving unset settings out of the PUT", () => {
        const outs = outputsFromWire({
            Identity: "Tag:OfflineIM", EnableIMAutoArchiving: false, DisplayPhoto: "allphotos", EnableURL: null,
            PolicyEntry: [{ Name: "A", Value: "B" }], HotdeskingTimeout: "00:05:00",
        }, "\"3\"", { adopt: true });
        assert.deepEqual(outs, {
            identity: "Tag:OfflineIM", policyName: "OfflineIM", etag: "\"3\"", enableIMAutoArchiving: false,
            displayPhoto: "AllPhotos", policyEntry: [{ name: "A", value: "B" }], hotdeskingTimeout: "00:05:00", adopt: true,
        });
        const inputs = inputsFromOutputs(outs);
        assert.deepEqual(inputs, {
            identity: "Tag:OfflineIM", enableIMAutoArchiving: false, displayPhoto: "AllPhotos",
            policyEntry: [{ name: "A", value: "B" }], hotdeskingTimeout: "00:05:00", adopt: true,
        });
        assert.deepEqual(wireBody("Tag:OfflineIM", inputs), {
            Identity: "Tag:OfflineIM", DisplayPhoto: "AllPhotos", EnableIMAutoArchiving: false,
            HotdeskingTimeout: "00:05:00", PolicyEntry: [{ Name: "A", Value: "B" }],
        });
    });

    it("marks Global with what delete does", () => {
        assert.equal(outputsFromWire({ Identity: "Global" }, "e").onDelete, "reset Global to documented defaults");
        assert.equal(outputsFromWire({ Identity: "site:Redmond" }, "e").policyName, "site:Redmond");
    });

    it("keeps a tenant value outside the catalogue as reported (read is honest)", () => {
        assert.equal(outputsFromWire({ Identity: "Global", MaximumNumberOfContacts: 5000 }, "e").maximumNumberOfContacts, 5000);
    });
});

describe("ClientPolicy diff(): owner ids with the stack instance", () => {
    const OLDS = { identity: "Tag:X", policyName: "X", etag: "\"1\"", owner: "proj/test@0123456789abcdef/x", tenantOwner: "proj/test@0123456789abcdef/x" };
    it("the same name and instance is no change; a stack rename, an unknown instance or 0.1.0's name-only id is an owner update", async () => {
        assert.equal((await diff("Tag:X", OLDS, { identity: "Tag:X", owner: "proj/test/x", stackInstance: "0123456789abcdef" })).changes, false);
        for (const news of [
            { identity: "Tag:X", owner: "proj/prod/x", stackInstance: "0123456789abcdef" },
            { identity: "Tag:X", owner: "proj/test/x", stackInstance: UNKNOWN },
        ]) {
            assert.deepEqual(await diff("Tag:X", OLDS, news), { changes: true, replaces: [], deleteBeforeReplace: false }, JSON.stringify(news));
        }
        const legacy = { ...OLDS, owner: "proj/test/x", tenantOwner: "proj/test/x" };
        assert.equal((await diff("Tag:X", legacy, { identity: "Tag:X", owner: "proj/test/x", stackInstance: "0123456789abcdef" })).changes, true);
    });
});
