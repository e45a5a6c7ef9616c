/**
 * cli/cmdlets/plan.ts without I/O: engine step events (as the Automation API reports them) and a live-policy lookup
 * in, cmdlet lines out. Covers what the e2e round trip cannot run through the emulator (PolicyEntry, Global reset,
 * replacements, forced delete) and what must never be guessed (values unknown before apply, secrets).
 */
import * as assert from "node:assert/strict";
import { parseScript } from "../../api/cmdlets";
import { StepMetadata, planToCmdlets, stepsFromEvents } from "../../cli/cmdlets/plan";
import { UNKNOWN } from "../../provider/values";
import { keyedUsers } from "../../provider/resources/grantUsers";

const T = "pulumi-nodejs:dynamic/clientpolicy:";
const urn = (type: string, name: string) => `urn:pulumi:dev::proj::${T}${type}::${name}`;
const step = (op: string, type: "ClientPolicy" | "PolicyGrant", name: string, news?: Record<string, unknown>, olds?: Record<string, unknown>): StepMetadata =>
    ({ op, urn: urn(type, name), type: `${T}${type}`, new: news ? { inputs: news } : null, old: olds ? { outputs: olds } : null });
const live = (policies: Record<string, Record<string, unknown>>) => async (identity: string) =>
    policies[identity] ? { Identity: identity, ...policies[identity] } : undefined;
const commands = (lines: string[]) => lines.filter((l) => !l.startsWith("#"));

describe("cmdlets plan (pending plan → cmdlet lines)", () => {
    it("keeps only our resources' changing steps, in event order", () => {
        const events = [
            { resourcePreEvent: { metadata: step("same", "ClientPolicy", "a") } },
            { resourcePreEvent: { metadata: { ...step("update", "ClientPolicy", "x"), type: "pulumi:providers:pulumi-nodejs" } } },
            { diagnosticEvent: {} },
            { resourcePreEvent: { metadata: step("create", "PolicyGrant", "g") } },
            { resourcePreEvent: { metadata: step("replace", "ClientPolicy", "r") } },
            { resourcePreEvent: { metadata: step("delete-replaced", "ClientPolicy", "r") } },
        ];
        assert.deepEqual(stepsFromEvents(events as never).map((s) => `${s.op} ${s.urn.split("::").pop()}`), ["create g", "delete-replaced r"]);
    });

    it("Set lists only parameters that differ from the live policy ($null unsets); New when it does not exist", async () => {
        const plan = await planToCmdlets([
            step("create", "ClientPolicy", "global", { identity: "Global", enableURL: false, maxPhotoSizeKB: 30, hotdeskingTimeout: 600 }),
            step("update", "ClientPolicy", "t", { identity: "Tag:T", displayPhoto: "nophoto" }),
        ], live({ Global: { EnableURL: true, MaxPhotoSizeKB: 30, TracingLevel: "Light" }, "Tag:T": { DisplayPhoto: "NoPhoto" } }));
        assert.deepEqual(commands(plan.lines), [
            "Set-CsClientPolicy -Identity Global -EnableURL $False -HotdeskingTimeout '00:10:00' -TracingLevel $null",
        ]);
        assert.ok(plan.lines.includes("#   settings already as declared (the update records this stack as the owner only)"));
        const created = await planToCmdlets([step("create", "ClientPolicy", "n", { identity: "n", enableURL: true })], live({}));
        assert.deepEqual(commands(created.lines), ["New-CsClientPolicy -Identity Tag:n -EnableURL $True"]);
    });

    it("PolicyEntry: the list replaced as real PowerShell (New-CsClientPolicyEntry, @{Add=…}), with a note", async () => {
        const plan = await planToCmdlets([step("update", "ClientPolicy", "t", { identity: "Tag:T", policyEntry: [{ name: "A", value: "it's" }] })],
            live({ "Tag:T": { PolicyEntry: [{ Name: "Old", Value: "1" }] } }));
        assert.deepEqual(plan.lines.slice(1), [
            "Set-CsClientPolicy -Identity Tag:T -PolicyEntry $null",
            "$entry = New-CsClientPolicyEntry -Name A -Value 'it''s'",
            "Set-CsClientPolicy -Identity Tag:T -PolicyEntry @{Add=$entry}",
        ]);
        assert.equal(plan.commands, 3);
        assert.match(plan.notes.join("\n"), /PolicyEntry is written as New-CsClientPolicyEntry/);
    });

    it("deletes: Remove (with -Force when forceDeleteWhenGranted; Global is a reset), grants unassigned by SIP address", async () => {
        const plan = await planToCmdlets([
            step("delete", "PolicyGrant", "g", undefined, { policyName: "T", users: ["Tony Smith"], resolvedUsers: [{ id: "1", sipAddress: "sip:tony@x.example", requestedAs: "Tony Smith" }] }),
            step("delete", "ClientPolicy", "t", undefined, { identity: "Tag:T", forceDeleteWhenGranted: true }),
            step("delete", "ClientPolicy", "global", undefined, { identity: "Global" }),
        ], live({}));
        assert.deepEqual(commands(plan.lines), [
            "Grant-CsClientPolicy -Identity sip:tony@x.example -PolicyName $null",
            "Remove-CsClientPolicy -Identity Tag:T -Force $True",
            "Remove-CsClientPolicy -Identity Global",
        ]);
        assert.match(plan.lines.join("\n"), /resets it to the documented defaults/);
    });

    it("grant updates: new users granted, dropped ones unassigned; a changed policy re-grants everyone", async () => {
        const olds = { policyName: "A", users: ["u1", "u2"], resolvedUsers: [{ sipAddress: "sip:u1@x", requestedAs: "u1" }, { sipAddress: "sip:u2@x", requestedAs: "u2" }] };
        const same = await planToCmdlets([step("update", "PolicyGrant", "g", { policyName: "A", users: ["U1", "u3"] }, olds)], live({}));
        assert.deepEqual(commands(same.lines), ["Grant-CsClientPolicy -Identity u3 -PolicyName A", "Grant-CsClientPolicy -Identity sip:u2@x -PolicyName $null"]);
        const moved = await planToCmdlets([step("update", "PolicyGrant", "g", { policyName: "Tag:B", users: ["u1"] }, olds)], live({}));
        assert.deepEqual(commands(moved.lines), ["Grant-CsClientPolicy -Identity u1 -PolicyName B", "Grant-CsClientPolicy -Identity sip:u2@x -PolicyName $null"]);
        // Inputs as check() stores them, keyed by user: the same lines.
        const keyed = await planToCmdlets([step("update", "PolicyGrant", "g", { policyName: "A", users: keyedUsers(["U1", "u3"]) }, olds)], live({}));
        assert.deepEqual(commands(keyed.lines), commands(same.lines));
    });

    it("never guesses: unknown or secret values leave a comment and a note instead of a line", async () => {
        const plan = await planToCmdlets([
            step("create", "ClientPolicy", "p", { identity: UNKNOWN }),
            step("create", "PolicyGrant", "g", { policyName: UNKNOWN, users: ["u"] }),
            step("update", "ClientPolicy", "q", { identity: "Tag:Q", imWarning: "[secret]", enableURL: true }),
        ], live({ "Tag:Q": {} }));
        assert.deepEqual(commands(plan.lines), ["Set-CsClientPolicy -Identity Tag:Q -EnableURL $True"]);
        assert.equal(plan.notes.length, 3);
        assert.match(plan.notes.join("\n"), /imWarning is secret/);
    });

    it("every line it writes outside PolicyEntry parses back with the shared grammar", async () => {
        const plan = await planToCmdlets([
            step("create", "ClientPolicy", "x", { identity: "Tag:Sales 'EU'", description: "a \u2019 b $x `y`", maximumNumberOfContacts: 5 }),
            step("create", "PolicyGrant", "g", { policyName: "Sales 'EU'", users: ["O'Brien, Pat", "sip:pat@x.example"] }),
        ], live({}));
        const lines = commands(plan.lines);
        const parsed = parseScript(lines.join("\n"));
        assert.equal(parsed.length, lines.length);
        assert.equal(parsed[0].named.get("description")!.value, "a \u2019 b $x `y`");
        assert.equal(parsed[1].named.get("identity")!.value, "O'Brien, Pat");
        assert.equal(parsed[1].named.get("policyname")!.value, "Sales 'EU'");
    });

    it("an empty plan says so", async () => {
        assert.deepEqual((await planToCmdlets([], live({}))).lines, ["# no changes: the tenant already matches the program"]);
    });

    it("an empty plan of recorded state only (--no-refresh) never claims the tenant matches", async () => {
        assert.deepEqual((await planToCmdlets([], live({}), { tenantRead: false })).lines,
            ["# no changes compared with the stack's recorded state (the tenant was not read)"]);
    });
});
