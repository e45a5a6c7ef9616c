/**
 * Ownership through every Pulumi state operation, with the real CLI typed as users type it (`pulumi stack rename`,
 * `pulumi state move`, `pulumi up --yes`, …) in the program's folder on a file:// backend, against one emulator tenant.
 * After each step the tenant is read back (policies' and users' owners), the state is inspected (`pulumi stack
 * export`), and everything outside the scenario's own objects — what anyone else owns — must be exactly as before.
 * Each scenario uses its own policies and users, so they share the tenant without depending on each other.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { CONFIG_KEYS, CONFIG_NAMESPACE } from "../../provider/config";
import { ExampleStack, setSecretConfig } from "../../testkit/stack";
import { runPulumi } from "../../testkit/pulumiProcess";
import { call, grantPath, policyPath, userPath } from "../../testkit/tenantApi";
import { TestTenant, getPolicy, openStack, startTenant } from "./helpers";
import { Entry, GENERIC, STACK_INSTANCE_TYPE, grant, policy, setResources, tenantPolicies } from "./generic";

const POLICY_TYPE = "pulumi-nodejs:dynamic/clientpolicy:ClientPolicy";
const GRANT_TYPE = "pulumi-nodejs:dynamic/clientpolicy:PolicyGrant";
const INSTANCE = "[0-9a-f]{16}";
const user = (n: number) => `sip:user${String(n).padStart(5, "0")}@contoso.example`;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("e2e: ownership through Pulumi state operations (real CLI)", function () {
    this.timeout(900_000);
    let tenant: TestTenant;
    const stacks: ExampleStack[] = [];
    /** Everything the CLI printed in this suite. */
    const cliLog: string[] = [];

    before(async () => { tenant = await startTenant({ users: 40, inProcess: false }); });
    after(async () => {
        for (const h of stacks) await h.dispose();
        await tenant?.stop();
    });

    // ------------------------------------------------------------------ the CLI

    function envOf(h: ExampleStack): Record<string, string> {
        return (h.stack.workspace as unknown as { envVars: Record<string, string> }).envVars;
    }

    /** Runs `pulumi <args>` in the stack's folder with its backend and passphrase, as a user's shell would. */
    async function pulumi(h: ExampleStack, args: string[]): Promise<{ code: number; text: string }> {
        const r = await runPulumi(h.workDir, { ...process.env, ...envOf(h) }, args);
        const text = `${r.stdout}\n${r.stderr}`;
        cliLog.push(text);
        return { code: r.code, text };
    }

    async function ok(h: ExampleStack, args: string[]): Promise<string> {
        const r = await pulumi(h, args);
        assert.equal(r.code, 0, `pulumi ${args.join(" ")} failed:\n${r.text}`);
        return r.text;
    }

    async function fails(h: ExampleStack, args: string[]): Promise<string> {
        const r = await pulumi(h, args);
        assert.notEqual(r.code, 0, `pulumi ${args.join(" ")} should have failed:\n${r.text}`);
        return r.text;
    }

    async function open(): Promise<ExampleStack> {
        const h = await openStack(tenant, GENERIC, { folder: true });
        stacks.push(h);
        return h;
    }

    /** Another stack of the same project folder and backend (what `pulumi state move` needs), connected to the tenant. */
    async function sibling(a: ExampleStack, stackName: string): Promise<ExampleStack> {
        const stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir: a.workDir }, { envVars: envOf(a) });
        const h: ExampleStack = { stack, projectName: a.projectName, backendDir: a.backendDir, workDir: a.workDir, dispose: async () => undefined };
        const connection: Record<string, string> = { endpoint: tenant.url, tenantId: tenant.tenantId, clientId: tenant.clientId, clientSecret: tenant.clientSecret };
        for (const spec of CONFIG_KEYS) {
            if (spec.secret) await setSecretConfig(h, `${CONFIG_NAMESPACE}:${spec.key}`, connection[spec.key]);
            else await stack.setConfig(`${CONFIG_NAMESPACE}:${spec.key}`, { value: connection[spec.key] });
        }
        return h;
    }

    interface StateResource { urn: string; type: string; id?: string; inputs?: Record<string, any>; outputs?: Record<string, any> }

    /** `pulumi stack export`: the stack's resources and pending operations. */
    async function exported(h: ExampleStack, stackName = h.stack.name): Promise<{ raw: any; resources: StateResource[]; pending: unknown[] }> {
        const raw = JSON.parse(await ok(h, ["stack", "export", "--stack", stackName]));
        return { raw, resources: raw.deployment.resources ?? [], pending: raw.deployment.pending_operations ?? [] };
    }

    function named(resources: StateResource[], name: string): StateResource | undefined {
        return resources.find((r) => r.urn.endsWith(`::${name}`) && r.type !== "pulumi:pulumi:Stack");
    }

    async function urnOf(h: ExampleStack, name: string, stackName = h.stack.name): Promise<string> {
        const r = named((await exported(h, stackName)).resources, name);
        assert.ok(r, `${name} in the state of ${stackName}`);
        return r.urn;
    }

    async function instanceOf(h: ExampleStack, stackName = h.stack.name): Promise<string> {
        const r = (await exported(h, stackName)).resources.find((x) => x.type === STACK_INSTANCE_TYPE);
        assert.ok(r?.outputs?.instance, `the stack instance in the state of ${stackName}`);
        return r.outputs.instance;
    }

    // ------------------------------------------------------------------ the tenant

    async function userOwner(u: string): Promise<{ policy: string | null; owner: string | null }> {
        const r = await call(tenant, "GET", userPath(u));
        assert.equal(r.status, 200, r.text);
        return { policy: r.json.ClientPolicy ?? null, owner: r.json.ClientPolicyOwner ?? null };
    }

    async function policyOwner(identity: string): Promise<string | null | undefined> {
        const p = await getPolicy(tenant, identity);
        return p === undefined ? undefined : (p["@owner"] ?? null);
    }

    async function writes(): Promise<number> {
        return (await tenant.stats()).writes;
    }

    /** Every policy and user of the tenant as stored, keyed `policy <identity>` / `user <sip>` (lower case). */
    function snapshot(): Map<string, string> {
        const s = tenant.stored();
        assert.ok(s, "tenant stored");
        const m = new Map<string, string>();
        for (const p of Object.values(s.policies)) m.set(`policy ${p.identity.toLowerCase()}`, JSON.stringify({ owner: p.owner, etag: p.etag, settings: p.settings }));
        for (const u of s.users) m.set(`user ${u.sipAddress.toLowerCase()}`, JSON.stringify({ policy: u.clientPolicy, owner: u.clientPolicyOwner }));
        return m;
    }

    /**
     * A scenario's own objects; `othersUnchanged()` asserts that nothing else in the tenant changed since the scenario
     * started (nothing anyone else owns).
     */
    function scenario(policies: string[], users: string[]) {
        const baseline = snapshot();
        const mine = new Set([...policies.map((p) => `policy ${p.toLowerCase()}`), ...users.map((u) => `user ${u.toLowerCase()}`)]);
        return {
            othersUnchanged(where: string) {
                const now = snapshot();
                const changed = [...new Set([...baseline.keys(), ...now.keys()])].filter((k) => !mine.has(k) && baseline.get(k) !== now.get(k));
                assert.deepEqual(changed, [], `${where}: objects outside this scenario changed`);
            },
        };
    }

    // ------------------------------------------------------------------ scenarios

    it("stack rename: the next up re-stamps the policy and every user assignment; a new stack reusing the old name cannot take them", async () => {
        const users = [user(1), user(2)];
        const sc = scenario(["Tag:Renamed"], users);
        const a = await open();
        const oldName = a.stack.name;
        await setResources(a, [
            policy("p", { identity: "Tag:Renamed", enableIMAutoArchiving: false }),
            grant("g", { policyName: "Renamed", users }, { policyFrom: "p" }),
        ]);
        await ok(a, ["up", "--yes", "--stack", oldName]);
        const first = await userOwner(users[0]);
        assert.equal(first.policy, "Renamed");
        assert.match(first.owner!, new RegExp(`^${a.projectName}/${oldName}@${INSTANCE}/g$`), "owner ids carry the stack instance");
        const instance = /@([0-9a-f]{16})\//.exec(first.owner!)![1];
        sc.othersUnchanged("up");

        const newName = `${oldName}-prod`;
        await ok(a, ["stack", "rename", newName, "--stack", oldName]);
        const before = await writes();
        await ok(a, ["up", "--yes", "--stack", newName]);
        const written = await writes() - before;
        for (const u of users) {
            assert.deepEqual(await userOwner(u), { policy: "Renamed", owner: `${a.projectName}/${newName}@${instance}/g` }, u);
        }
        assert.equal(await policyOwner("Tag:Renamed"), `${a.projectName}/${newName}@${instance}/p`);
        assert.ok(written <= 3, `a re-stamp only: one policy write and one batch for the users, got ${written} writes`);
        assert.equal(await instanceOf(a, newName), instance, "the stack instance follows the rename");
        sc.othersUnchanged("up after rename");
        await ok(a, ["preview", "--stack", newName, "--expect-no-changes"]);

        // A new stack under the old name (same project, same resource names): not the same owner.
        const b = await sibling(a, oldName);
        await setResources(b, [grant("g", { policyName: "Renamed", users: [users[0]] })]);
        const refused = await fails(b, ["preview", "--stack", oldName]);
        assert.match(refused, new RegExp(`granted by resource "g" of stack ${escape(a.projectName)}/${escape(newName)}`), refused);
        assert.match(refused, /adopt: true/, refused);
        await fails(b, ["up", "--yes", "--skip-preview", "--stack", oldName]);
        assert.deepEqual(await userOwner(users[0]), { policy: "Renamed", owner: `${a.projectName}/${newName}@${instance}/g` }, "B took nothing");
        await ok(b, ["destroy", "--yes", "--stack", oldName]);
        for (const u of users) assert.equal((await userOwner(u)).policy, "Renamed", `B's destroy must not unassign ${u}`);
        sc.othersUnchanged("the new stack under the old name");

        await ok(a, ["destroy", "--yes", "--stack", newName]);
        for (const u of users) assert.equal((await userOwner(u)).policy, null, u);
        assert.equal(await getPolicy(tenant, "Tag:Renamed"), undefined);
        sc.othersUnchanged("destroy");
    });

    it("project rename: state and stack instance follow; the next up re-stamps every object under the new project name, nothing else written", async () => {
        const users = [user(3), user(4)];
        const sc = scenario(["Tag:ProjRenamed"], users);
        const a = await open();
        const name = a.stack.name;
        await setResources(a, [
            policy("p", { identity: "Tag:ProjRenamed", enableIMAutoArchiving: false }),
            grant("g", { policyName: "ProjRenamed", users }, { policyFrom: "p" }),
        ]);
        await ok(a, ["up", "--yes", "--stack", name]);
        const instance = await instanceOf(a);
        assert.equal(await policyOwner("Tag:ProjRenamed"), `${a.projectName}/${name}@${instance}/p`);

        // The project's new name: the stack (and its state) first, then Pulumi.yaml, as `pulumi stack rename` documents.
        const newProject = `${a.projectName}-renamed`;
        await ok(a, ["stack", "rename", `organization/${newProject}/${name}`, "--stack", name]);
        const yaml = path.join(a.workDir, "Pulumi.yaml");
        fs.writeFileSync(yaml, fs.readFileSync(yaml, "utf8").replace(/^name:.*$/m, `name: ${newProject}`));
        const renamed: ExampleStack = { ...a, projectName: newProject };

        const preview = await ok(renamed, ["preview", "--diff", "--stack", name]);
        assert.match(preview, /~ owner/, preview);
        assert.match(preview, /2 to update/, preview);
        assert.doesNotMatch(preview, /to create|to delete|to replace/, preview);
        const before = await writes();
        await ok(renamed, ["up", "--yes", "--stack", name]);
        const written = await writes() - before;
        assert.ok(written <= 3, `a re-stamp only, got ${written} writes`);
        assert.equal(await instanceOf(renamed), instance, "the stack instance follows the project rename");
        assert.equal(await policyOwner("Tag:ProjRenamed"), `${newProject}/${name}@${instance}/p`);
        for (const u of users) assert.deepEqual(await userOwner(u), { policy: "ProjRenamed", owner: `${newProject}/${name}@${instance}/g` }, u);
        const state = await exported(renamed);
        assert.equal(named(state.resources, "g")!.outputs!.owner, `${newProject}/${name}@${instance}/g`, "state records the new owner id");
        sc.othersUnchanged("up after the project rename");
        await ok(renamed, ["preview", "--expect-no-changes", "--stack", name]);

        await ok(renamed, ["destroy", "--yes", "--stack", name]);
        assert.equal(await getPolicy(tenant, "Tag:ProjRenamed"), undefined);
        for (const u of users) assert.equal((await userOwner(u)).policy, null, u);
        sc.othersUnchanged("destroy");
    });

    it("state move: into a never-deployed stack (re-stamped by its up), refused into a stack already using the package, and the documented adopt steps instead", async () => {
        const one = [user(5), user(6)];
        const two = [user(7), user(8)];
        const sc = scenario(["Tag:MoveOne", "Tag:MoveTwo", "Tag:MoveStays", "Tag:MoveOther"], [...one, ...two]);
        const p1 = policy("p1", { identity: "Tag:MoveOne", enableIMAutoArchiving: false });
        const g1 = grant("g1", { policyName: "MoveOne", users: one }, { policyFrom: "p1" });
        const p2 = policy("p2", { identity: "Tag:MoveTwo", displayPhoto: "NoPhoto" });
        const g2 = grant("g2", { policyName: "MoveTwo", users: two }, { policyFrom: "p2" });
        const q = policy("q", { identity: "Tag:MoveStays", enableIMAutoArchiving: true });
        const a = await open();
        const A = a.stack.name;
        const B = `${A}-dest`;
        await setResources(a, [p1, g1, p2, g2, q]);
        await ok(a, ["up", "--yes", "--stack", A]);
        const instA = await instanceOf(a);
        const stays = snapshot().get("policy tag:movestays");

        // 1. Into a stack that never deployed: remove the resources from the source program, move them, `up` there.
        const b = await sibling(a, B);
        await setResources(a, [p2, g2, q]);
        const urns = [await urnOf(a, "p1"), await urnOf(a, "g1")];
        await ok(a, ["state", "move", "--source", A, "--dest", B, "--yes", ...urns]);
        const afterMove = await exported(a, A);
        assert.equal(named(afterMove.resources, "p1"), undefined, "p1 left the source's state");
        assert.ok(named((await exported(b, B)).resources, "g1"), "g1 is in the destination's state");
        await setResources(b, [p1, g1]);
        const before = await writes();
        const upB = await ok(b, ["up", "--yes", "--stack", B]);
        assert.ok(await writes() - before <= 3, "the destination's up only re-stamps");
        assert.doesNotMatch(upB, /interrupted|no record of it/, upB);
        const instB = await instanceOf(b, B);
        assert.notEqual(instB, instA, "each stack has its own instance");
        assert.equal(await policyOwner("Tag:MoveOne"), `${a.projectName}/${B}@${instB}/p1`);
        for (const u of one) assert.deepEqual(await userOwner(u), { policy: "MoveOne", owner: `${a.projectName}/${B}@${instB}/g1` }, u);
        for (const u of two) assert.deepEqual(await userOwner(u), { policy: "MoveTwo", owner: `${a.projectName}/${A}@${instA}/g2` }, u);
        assert.equal(snapshot().get("policy tag:movestays"), stays, "the source's other policy is untouched");
        sc.othersUnchanged("move into a new stack");

        // The source's old program (still declaring the moved resources) cannot take them back now.
        await setResources(a, [p1, g1, p2, g2, q]);
        const old = await fails(a, ["preview", "--stack", A]);
        assert.match(old, new RegExp(`Tag:MoveOne is owned by resource "p1" of stack ${escape(a.projectName)}/${escape(B)}`), old);
        assert.match(old, /adopt: true/, old);
        assert.doesNotMatch(old, /interrupted/, old);
        await setResources(a, [p2, g2, q]);

        // 2. Into a stack that already uses this package with a default provider of its own: Pulumi refuses (each
        // stack's default provider carries that stack's config). (B is no such stack for A any more: its default provider
        // came from A by the first move and kept its id, which Pulumi takes as the same provider.)
        const c = await sibling(a, `${A}-other`);
        const C = c.stack.name;
        const r = policy("r", { identity: "Tag:MoveOther" });
        await setResources(c, [r]);
        await ok(c, ["up", "--yes", "--stack", C]);
        const instC = await instanceOf(c, C);
        const refused = await fails(a, ["state", "move", "--source", A, "--dest", C, "--yes", await urnOf(a, "p2"), await urnOf(a, "g2")]);
        assert.match(refused, /provider urn:pulumi:.*::pulumi:providers:pulumi-nodejs::default already exists in destination stack/, refused);
        assert.ok(named((await exported(a, A)).resources, "g2"), "nothing moved");
        assert.equal(named((await exported(c, C)).resources, "g2"), undefined, "nothing moved");

        // The documented steps: declare them in the destination with `adopt: true` and `up` there; then remove them from
        // the source program and `up` there (its delete sees the new owner and only leaves state).
        await setResources(c, [r, { ...p2, args: { ...p2.args, adopt: true } }, { ...g2, args: { ...g2.args, adopt: true } }]);
        await ok(c, ["up", "--yes", "--stack", C]);
        assert.equal(await policyOwner("Tag:MoveTwo"), `${a.projectName}/${C}@${instC}/p2`);
        for (const u of two) assert.deepEqual(await userOwner(u), { policy: "MoveTwo", owner: `${a.projectName}/${C}@${instC}/g2` }, u);
        await setResources(a, [q]);
        const left = await ok(a, ["up", "--yes", "--stack", A]);
        assert.match(left, new RegExp(`Tag:MoveTwo is now owned by resource "p2" of stack ${escape(a.projectName)}/${escape(C)}`), left);
        assert.equal(await policyOwner("Tag:MoveTwo"), `${a.projectName}/${C}@${instC}/p2`, "the source's delete left the policy alone");
        for (const u of two) assert.deepEqual(await userOwner(u), { policy: "MoveTwo", owner: `${a.projectName}/${C}@${instC}/g2` }, `the source's delete must not unassign ${u}`);
        assert.deepEqual((await exported(a, A)).resources.filter((x) => x.type === POLICY_TYPE || x.type === GRANT_TYPE).map((x) => x.urn.split("::").pop()), ["q"]);
        assert.equal(snapshot().get("policy tag:movestays"), stays, "the source's other policy is untouched");
        sc.othersUnchanged("the adopt steps");

        await ok(c, ["destroy", "--yes", "--stack", C]);
        await ok(b, ["destroy", "--yes", "--stack", B]);
        await ok(a, ["destroy", "--yes", "--stack", A]);
        for (const id of ["Tag:MoveOne", "Tag:MoveTwo", "Tag:MoveStays", "Tag:MoveOther"]) assert.equal(await getPolicy(tenant, id), undefined, id);
        for (const u of [...one, ...two]) assert.equal((await userOwner(u)).policy, null, u);
        sc.othersUnchanged("destroy");
    });

    it("state delete: the program still declaring it takes it back with a warning naming the state operation; removed from the program too, the tenant keeps it", async () => {
        const users = [user(9), user(10)];
        const sc = scenario(["Tag:StateDeleted"], users);
        const a = await open();
        await setResources(a, [
            policy("p", { identity: "Tag:StateDeleted", enableIMAutoArchiving: false }),
            grant("g", { policyName: "StateDeleted", users }, { policyFrom: "p" }),
        ]);
        await ok(a, ["up", "--yes"]);
        const owner = (await userOwner(users[0])).owner;
        await ok(a, ["state", "delete", await urnOf(a, "g"), "--yes"]);
        assert.equal(named((await exported(a)).resources, "g"), undefined);
        for (const u of users) assert.deepEqual(await userOwner(u), { policy: "StateDeleted", owner }, "state delete leaves the tenant alone");

        const back = await ok(a, ["up", "--yes"]);
        assert.match(back, /carries this resource's owner id[\s\S]*no record of it[\s\S]*`pulumi state delete`/, back);
        assert.doesNotMatch(back, /was interrupted/, back);
        assert.match(back, /2 user\(s\)[\s\S]*this run takes them back/, back);
        assert.ok(named((await exported(a)).resources, "g"), "taken back into state");
        for (const u of users) assert.deepEqual(await userOwner(u), { policy: "StateDeleted", owner }, u);
        sc.othersUnchanged("taken back");

        // Letting go: remove it from the program and from state; the users stay assigned, under this grant's id.
        await setResources(a, [policy("p", { identity: "StateDeleted", enableIMAutoArchiving: false, forceDeleteWhenGranted: true })]);
        await ok(a, ["state", "delete", await urnOf(a, "g"), "--yes"]);
        const kept = await ok(a, ["up", "--yes"]);
        assert.doesNotMatch(kept, /no record of it/, kept);
        for (const u of users) assert.deepEqual(await userOwner(u), { policy: "StateDeleted", owner }, u);
        sc.othersUnchanged("let go");
        await ok(a, ["destroy", "--yes"]);
        assert.equal(await getPolicy(tenant, "Tag:StateDeleted"), undefined);
        for (const u of users) assert.equal((await userOwner(u)).policy, null, u);
        sc.othersUnchanged("destroy");
    });

    it("stack rm --force, then a new stack with the same name: refused without adopt: true (an earlier stack), taken over with it", async () => {
        const users = [user(11), user(12)];
        const sc = scenario(["Tag:Removed"], users);
        const resources = (adopt?: boolean): Entry[] => [
            policy("p", { identity: "Tag:Removed", enableIMAutoArchiving: false, ...(adopt ? { adopt } : {}) }),
            grant("g", { policyName: "Removed", users, ...(adopt ? { adopt } : {}) }, { policyFrom: "p" }),
        ];
        const a = await open();
        const name = a.stack.name;
        await setResources(a, resources());
        await ok(a, ["up", "--yes"]);
        const instA = await instanceOf(a);
        await ok(a, ["stack", "rm", "--force", "--yes", "--stack", name]);
        assert.equal(await policyOwner("Tag:Removed"), `${a.projectName}/${name}@${instA}/p`, "stack rm leaves the tenant alone");

        const b = await sibling(a, name);
        await setResources(b, resources());
        const before = await writes();
        const refused = await fails(b, ["preview"]);
        assert.match(refused, new RegExp(`Tag:Removed is owned by resource "p" of an earlier stack named ${escape(a.projectName)}/${escape(name)}`), refused);
        assert.match(refused, /adopt: true/, refused);
        await fails(b, ["up", "--yes", "--skip-preview"]);
        assert.equal(await writes(), before, "nothing written without adopt");
        sc.othersUnchanged("refused");

        await setResources(b, resources(true));
        await ok(b, ["up", "--yes"]);
        const instB = await instanceOf(b);
        assert.notEqual(instB, instA);
        assert.equal(await policyOwner("Tag:Removed"), `${a.projectName}/${name}@${instB}/p`);
        for (const u of users) assert.deepEqual(await userOwner(u), { policy: "Removed", owner: `${a.projectName}/${name}@${instB}/g` }, u);
        sc.othersUnchanged("adopted");
        await ok(b, ["destroy", "--yes"]);
        assert.equal(await getPolicy(tenant, "Tag:Removed"), undefined);
        sc.othersUnchanged("destroy");
    });

    it("pulumi import is refused by Pulumi without a write; the import option says to use adopt: true", async () => {
        const sc = scenario(["Tag:ImportMe"], []);
        await tenant.powershell("New-CsClientPolicy -Identity ImportMe");
        const existing = snapshot().get("policy tag:importme");
        const a = await open();
        const before = await writes();
        const cli = await fails(a, ["import", POLICY_TYPE, "imported", "Tag:ImportMe", "--yes"]);
        assert.equal(await writes(), before, "pulumi import writes nothing");
        assert.equal(named((await exported(a)).resources, "imported"), undefined, "nothing imported into state");
        // Pulumi's dynamic-provider host has no serialized provider to read with (pulumi/pulumi#16175): its own error.
        assert.match(cli, /code must be a string, not undefined/, cli);
        await setResources(a, [policy("imported", { identity: "Tag:ImportMe" }, { import: "Tag:ImportMe" })]);
        const option = await fails(a, ["preview"]);
        assert.match(option, /`import` resource option does not work for dynamic resources[\s\S]*adopt: true/, option);
        assert.equal(snapshot().get("policy tag:importme"), existing);
        sc.othersUnchanged("import");
    });

    it("--target / --exclude: only the targeted resources are checked and written", async () => {
        const users = [user(13), user(14)];
        const sc = scenario(["Tag:Targeted", "Tag:Excluded"], users);
        const a = await open();
        const name = a.stack.name;
        const urn = (type: string, n: string) => `urn:pulumi:${name}::${a.projectName}::${type}::${n}`;
        const resources = (archiving: boolean, grantUsers: string[]): Entry[] => [
            policy("t", { identity: "Tag:Targeted", enableIMAutoArchiving: archiving }),
            policy("x", { identity: "Tag:Excluded", enableIMAutoArchiving: archiving }),
            grant("g", { policyName: "Excluded", users: grantUsers }, { policyFrom: "x" }),
        ];
        await setResources(a, resources(false, users));
        // A stack's first up: the stack instance is new, so it is targeted too.
        await ok(a, ["up", "--yes", "--target", urn(POLICY_TYPE, "t"), "--target", urn(STACK_INSTANCE_TYPE, "clientpolicy-stack-instance")]);
        const instance = await instanceOf(a);
        assert.equal(await policyOwner("Tag:Targeted"), `${a.projectName}/${name}@${instance}/t`);
        assert.equal(await getPolicy(tenant, "Tag:Excluded"), undefined, "untargeted: not created");
        for (const u of users) assert.equal((await userOwner(u)).policy, null);
        await ok(a, ["up", "--yes"]);
        // Change everything, exclude the policy t.
        await setResources(a, resources(true, [users[0]]));
        await ok(a, ["up", "--yes", "--exclude", urn(POLICY_TYPE, "t")]);
        assert.equal((await getPolicy(tenant, "Tag:Targeted"))!.EnableIMAutoArchiving, false, "excluded: unchanged");
        assert.equal((await getPolicy(tenant, "Tag:Excluded"))!.EnableIMAutoArchiving, true);
        assert.equal((await userOwner(users[1])).policy, null, "the grant's update ran");
        sc.othersUnchanged("exclude");
        await ok(a, ["destroy", "--yes"]);
        sc.othersUnchanged("destroy");
    });
    it("refresh --clear-pending-creates after a killed up: the record is dropped, the next up takes the objects back with a warning naming it", async () => {
        const users = [user(15), user(16)];
        const sc = scenario(["Tag:Pending"], users);
        const a = await open();
        await setResources(a, [
            policy("p", { identity: "Tag:Pending", enableIMAutoArchiving: false }),
            grant("g", { policyName: "Pending", users }, { policyFrom: "p" }),
        ]);
        await ok(a, ["up", "--yes"]);
        const owners = { policy: await policyOwner("Tag:Pending"), user: (await userOwner(users[0])).owner };
        // What a `pulumi up` killed right after the tenant created the grant leaves in state: a pending create, no resource.
        const state = await exported(a);
        const g = named(state.resources, "g")!;
        state.raw.deployment.resources = state.resources.filter((r) => r !== g);
        state.raw.deployment.pending_operations = [{ resource: { ...g, id: "", outputs: {} }, type: "creating" }];
        const file = path.join(a.workDir, "killed.json");
        fs.writeFileSync(file, JSON.stringify(state.raw));
        await ok(a, ["stack", "import", "--file", file]);

        await ok(a, ["refresh", "--clear-pending-creates", "--yes"]);
        const cleared = await exported(a);
        assert.deepEqual(cleared.pending, [], "pending creates cleared");
        assert.equal(named(cleared.resources, "g"), undefined);
        const back = await ok(a, ["up", "--yes"]);
        assert.match(back, /no record of it[\s\S]*`pulumi refresh --clear-pending-creates`[\s\S]*this run takes them back/, back);
        const after = await exported(a);
        assert.equal(after.resources.filter((r) => r.urn.endsWith("::g")).length, 1, "g once in state");
        assert.deepEqual(after.pending, []);
        assert.deepEqual({ policy: await policyOwner("Tag:Pending"), user: (await userOwner(users[0])).owner }, owners, "same owners");
        sc.othersUnchanged("taken back");
        await ok(a, ["destroy", "--yes"]);
        sc.othersUnchanged("destroy");
    });

    it("aliases rename: preview shows only the owner, up re-stamps the policy and every user assignment", async () => {
        const users = [user(17), user(18)];
        const sc = scenario(["Tag:Aliased"], users);
        const a = await open();
        await setResources(a, [
            policy("old-p", { identity: "Tag:Aliased", enableIMAutoArchiving: false }),
            grant("old-g", { policyName: "Aliased", users }, { policyFrom: "old-p" }),
        ]);
        await ok(a, ["up", "--yes"]);
        const instance = await instanceOf(a);
        await setResources(a, [
            policy("new-p", { identity: "Tag:Aliased", enableIMAutoArchiving: false }, { aliases: ["old-p"] }),
            grant("new-g", { policyName: "Aliased", users }, { policyFrom: "new-p", aliases: ["old-g"] }),
        ]);
        const preview = await ok(a, ["preview", "--diff"]);
        assert.match(preview, /2 to update/, preview);
        assert.doesNotMatch(preview, /to create|to delete|to replace/, preview);
        const before = await writes();
        await ok(a, ["up", "--yes"]);
        assert.ok(await writes() - before <= 3, "a re-stamp only");
        assert.equal(await policyOwner("Tag:Aliased"), `${a.projectName}/${a.stack.name}@${instance}/new-p`);
        for (const u of users) assert.deepEqual(await userOwner(u), { policy: "Aliased", owner: `${a.projectName}/${a.stack.name}@${instance}/new-g` }, u);
        sc.othersUnchanged("aliases");
        await ok(a, ["preview", "--expect-no-changes"]);
        await ok(a, ["destroy", "--yes"]);
        for (const u of users) assert.equal((await userOwner(u)).policy, null, u);
        sc.othersUnchanged("destroy");
    });

    it("moving hand-written resources into TenantPolicies: following the printed advice re-stamps them, nothing created or deleted", async () => {
        const users = [user(19), user(20)];
        const sc = scenario(["Tag:IntoComp"], users);
        const a = await open();
        await setResources(a, [
            policy("hand-p", { identity: "Tag:IntoComp", enableIMAutoArchiving: false }),
            grant("hand-g", { policyName: "IntoComp", users }, { policyFrom: "hand-p" }),
        ]);
        await ok(a, ["up", "--yes"]);
        const instance = await instanceOf(a);
        const declaration = {
            policies: [{ identity: "Tag:IntoComp", settings: { enableIMAutoArchiving: false } }],
            grants: [{ policy: "Tag:IntoComp", users }],
        };
        const before = await writes();
        // Follow the advice as printed (`add \`policies: { "Tag:IntoComp": { aliases: [{ name: "hand-p", parent:
        // pulumi.rootStackResource }] } }\` to the \`options\` …`); preview stops at the first failing child, so once per child.
        const options: Record<string, Record<string, { aliases: unknown[] }>> = {};
        for (let round = 0; round < 2; round++) {
            await setResources(a, [tenantPolicies("tenant", { declaration, options })]);
            const advice = await fails(a, ["preview"]);
            assert.equal(await writes(), before);
            const m = /add `(policies|grants): \{ "([^"]+)": \{ aliases: \[\{ name: "([^"]+)", parent: pulumi\.rootStackResource \}\] \} \}` to the `options` of TenantPolicies "tenant"/.exec(advice);
            assert.ok(m, `advice in the component's form:\n${advice}`);
            (options[m[1]] ??= {})[m[2]] = { aliases: [{ name: m[3], parent: "pulumi.rootStackResource" }] };
        }
        assert.deepEqual(options, {
            policies: { "Tag:IntoComp": { aliases: [{ name: "hand-p", parent: "pulumi.rootStackResource" }] } },
            grants: { "Tag:IntoComp": { aliases: [{ name: "hand-g", parent: "pulumi.rootStackResource" }] } },
        });
        await setResources(a, [tenantPolicies("tenant", { declaration, options })]);
        const preview = await ok(a, ["preview"]);
        assert.match(preview, /1 to create/, `only the component itself is new:\n${preview}`);
        assert.match(preview, /2 to update/, preview);
        assert.doesNotMatch(preview, /to delete|to replace/, preview);
        await ok(a, ["up", "--yes"]);
        assert.ok(await writes() - before <= 3, "a re-stamp only");
        assert.equal(await policyOwner("Tag:IntoComp"), `${a.projectName}/${a.stack.name}@${instance}/tenant-tag-intocomp`);
        for (const u of users) assert.deepEqual(await userOwner(u), { policy: "IntoComp", owner: `${a.projectName}/${a.stack.name}@${instance}/tenant-grant-intocomp` }, u);
        sc.othersUnchanged("moved into the component");
        await ok(a, ["destroy", "--yes"]);
        sc.othersUnchanged("destroy");
    });

    it("ignoreChanges users, every user unassigned out of band, refresh: preview is clean and reports the drift; up runs", async () => {
        const users = [user(21), user(22)];
        const sc = scenario(["Tag:Ignored"], users);
        const a = await open();
        await setResources(a, [
            policy("p", { identity: "Tag:Ignored", enableIMAutoArchiving: false }),
            grant("g", { policyName: "Ignored", users }, { policyFrom: "p", ignoreChanges: ["users"] }),
        ]);
        await ok(a, ["up", "--yes"]);
        for (const u of users) await tenant.powershell(`Grant-CsClientPolicy -Identity "${u}" -PolicyName $null`);
        await ok(a, ["refresh", "--yes"]);
        assert.deepEqual(named((await exported(a)).resources, "g")!.outputs!.users, [], "refresh recorded that nobody holds the grant");
        const preview = await ok(a, ["preview", "--expect-no-changes"]);
        assert.match(preview, /no longer assigns Tag:Ignored to any user of this grant/, preview);
        assert.doesNotMatch(preview, /must list at least one user/, preview);
        const up = await ok(a, ["up", "--yes"]);
        assert.match(up, /no longer assigns Tag:Ignored/, up);
        for (const u of users) assert.deepEqual(await userOwner(u), { policy: null, owner: null }, u);
        sc.othersUnchanged("ignoreChanges");
        await ok(a, ["destroy", "--yes"]);
        sc.othersUnchanged("destroy");
    });

    it("preview with settings known only after apply still fails on an existing or another stack's identity and users, and lists adoptChanges as (known after apply)", async () => {
        const foreign = "other-project/other@0123456789abcdef/theirs";
        const sc = scenario(["Tag:HandMadeU", "Tag:ForeignU", "Tag:AdoptU", "Tag:SrcU"], [user(23)]);
        await tenant.powershell("New-CsClientPolicy -Identity HandMadeU\nNew-CsClientPolicy -Identity AdoptU");
        const put = await call(tenant, "PUT", policyPath("Tag:ForeignU"), { body: { Identity: "Tag:ForeignU", "@owner": foreign }, headers: { "if-none-match": "*" } });
        assert.ok(put.status === 200 || put.status === 201, put.text);
        const assigned = await call(tenant, "PUT", grantPath(user(23)), { body: { PolicyName: "ForeignU", Owner: foreign } });
        assert.ok(assigned.status < 300, assigned.text);
        const sc2 = scenario([], []);
        const a = await open();
        const src = policy("src", { identity: "Tag:SrcU" });
        const cases: Array<{ resources: Entry[]; expect: RegExp }> = [
            { resources: [src, policy("x", { identity: "Tag:HandMadeU" }, { argsFrom: { description: "src" } })], expect: /Tag:HandMadeU already exists[\s\S]*adopt: true/ },
            { resources: [src, policy("y", { identity: "Tag:ForeignU" }, { argsFrom: { description: "src" } })], expect: /Tag:ForeignU is owned by resource "theirs" of stack other-project\/other[\s\S]*adopt: true/ },
            { resources: [src, grant("g", { users: [user(23)] }, { policyFrom: "src" })], expect: /user00023@contoso\.example holds Tag:ForeignU, granted by resource "theirs" of stack other-project\/other/ },
        ];
        const before = await writes();
        for (const c of cases) {
            await setResources(a, c.resources);
            const text = await fails(a, ["preview"]);
            assert.match(text, c.expect, text);
        }
        await setResources(a, [src, policy("z", { identity: "Tag:AdoptU", adopt: true, enableIMAutoArchiving: true }, { argsFrom: { description: "src" } })]);
        const adopt = await ok(a, ["preview", "--diff"]);
        assert.match(adopt, /adoptChanges[\s\S]*description: \(unset\) → \(known after apply\)/, adopt);
        assert.match(adopt, /adoptChanges[\s\S]*enableIMAutoArchiving: \(unset\) → true/, adopt);
        assert.equal(await writes(), before, "previews write nothing");
        sc2.othersUnchanged("previews");
        sc.othersUnchanged("previews");
    });

    it("no message of this suite printed a property value as {<nil>}", () => {
        assert.ok(cliLog.length > 0);
        for (const text of cliLog) assert.doesNotMatch(text, /\{<nil>\}/, text);
    });
});
