/**
 * Reliability: the emulator answers 20 % of requests with a fault — 429 with Retry-After (7 %), 503
 * (7 %), a reset connection (6 %), through its fault injection (emulator/faults.ts, `PUT /_emulator/faults`) — while
 * one program deploys two tenants (one stack per tenant, run at the same time, the way multi-tenant rollouts run).
 * `pulumi up` must converge to exactly the declared state of each tenant; a preview, still under faults, shows no
 * changes; no user is granted twice or left granted; destroy, under faults, leaves both tenants as they started. Then
 * the secret scan.
 *
 * The program is test/e2e/programs/generic (examples/multi-tenant is another suite's); `clientpolicy:maxAttempts` is
 * 10 (docs/configuration.md), so that a request fails for good only after 10 faults in a row (0.2^10).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { ExampleStack, stateFile } from "../../testkit/stack";
import { TestTenant, startTenant, openStack } from "../e2e/helpers";
import { Entry, GENERIC, grant, policy, setResources } from "../e2e/generic";
import { policyPath } from "../../testkit/tenantApi";
import { Cli, assertNoSecrets, assertStateClean, assertTenantMatches, cliFor, emulatorLog, ok, readTenant } from "./harness";

const TENANTS = ["contoso.example", "fabrikam.example"];
const SECRET = "reliability-faults-client-secret-5c1e";
const FAULTS = { fault429: 0.07, fault503: 0.07, faultReset: 0.06 };
const NO_FAULTS = { fault429: 0, fault503: 0, faultReset: 0 };
const usersOf = (tenantId: string) => Array.from({ length: 30 }, (_, i) => `sip:user${String(i + 1).padStart(5, "0")}@${tenantId}`);

function declared(tenantId: string): Entry[] {
    const u = usersOf(tenantId);
    const tag = tenantId.split(".")[0];
    return [
        policy("global", { identity: "Global", enableIMAutoArchiving: false, displayPhoto: "NoPhoto" }),
        policy("pA", { identity: `Tag:Faults-${tag}-A`, maximumNumberOfContacts: 250 }),
        policy("pB", { identity: `Tag:Faults-${tag}-B`, enableIMAutoArchiving: true, maximumNumberOfContacts: 40 }),
        policy("pC", { identity: `Tag:Faults-${tag}-C`, displayPhoto: "PhotosFromADOnly" }),
        grant("gA", { users: u.slice(0, 12) }, { policyFrom: "pA" }),
        grant("gB", { users: u.slice(12, 25) }, { policyFrom: "pB" }),
    ];
}

describe("reliability: 20 % of requests fail (429, 503, connection reset) while two tenants deploy", function () {
    this.timeout(900_000);
    let tenant: TestTenant;
    let emuLog: () => string;
    const stacks: ExampleStack[] = [];
    const clis: Cli[] = [];
    const log: string[] = [];

    /** Changes fault injection; the admin call itself may be faulted while faults are on, so it is retried. */
    async function setFaults(faults: Record<string, number>): Promise<void> {
        for (let attempt = 1; ; attempt++) {
            try {
                await tenant.setFaults(faults);
                return;
            } catch (err) {
                if (attempt >= 20) throw err;
            }
        }
    }

    before(async () => {
        tenant = await startTenant({
            inProcess: false, clientSecret: SECRET,
            seed: { tenants: TENANTS.map((id) => ({ id, apps: [{ clientId: "demo-client", clientSecret: SECRET }], generatedUsers: 30 })) },
        });
        emuLog = emulatorLog(tenant);
        for (const tenantId of TENANTS) {
            const h = await openStack(tenant, GENERIC, {
                folder: true, stackName: tenantId.split(".")[0],
                connection: { endpoint: tenant.url, tenantId, clientId: "demo-client", clientSecret: SECRET },
            });
            await h.stack.setConfig("clientpolicy:maxAttempts", { value: "10" });
            await setResources(h, declared(tenantId));
            stacks.push(h);
            clis.push(cliFor(h, log));
        }
    });
    after(async () => {
        await tenant?.setFaults(NO_FAULTS).catch(() => undefined);
        for (const h of stacks) await h.dispose();
        await tenant?.stop();
    });

    async function expectDeclared(entriesOf: (tenantId: string) => Entry[], where: string): Promise<void> {
        for (const [i, tenantId] of TENANTS.entries()) {
            const view = await readTenant(tenant, usersOf(tenantId), tenantId);
            assertTenantMatches(view, stacks[i], entriesOf(tenantId), usersOf(tenantId), `${where}, ${tenantId}`);
            assertStateClean(fs.readFileSync(stateFile(stacks[i]), "utf8"), `${where}, ${tenantId}`);
        }
    }

    it("the fault injection is on: raw requests see faults", async () => {
        const token = await tenant.token();
        await setFaults(FAULTS);
        let faults = 0;
        for (let i = 0; i < 60; i++) {
            const res = await fetch(tenant.url + policyPath("Global"), { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
            if (!res || res.status !== 200) faults++;
            await res?.arrayBuffer();
        }
        await setFaults(NO_FAULTS);
        assert.ok(faults >= 2, `${faults} of 60 requests faulted; expected about 12`);
    });

    it("pulumi up of both tenants at once converges to exactly the declared state", async () => {
        await setFaults(FAULTS);
        const results = await Promise.all(clis.map((cli) => cli(["up", "--yes"])));
        results.forEach((r, i) => ok(r, `up of ${TENANTS[i]} under faults`));
        await setFaults(NO_FAULTS);
        await expectDeclared(declared, "after up under faults");
    });

    it("a preview under faults shows no changes", async () => {
        await setFaults(FAULTS);
        const results = await Promise.all(clis.map((cli) => cli(["preview", "--expect-no-changes", "--refresh"])));
        await setFaults(NO_FAULTS);
        results.forEach((r, i) => ok(r, `preview --refresh of ${TENANTS[i]} under faults`));
    });

    it("destroy under faults leaves both tenants with no tag policy, no assignment and Global at its defaults", async () => {
        await setFaults(FAULTS);
        const results = await Promise.all(clis.map((cli) => cli(["destroy", "--yes"])));
        await setFaults(NO_FAULTS);
        results.forEach((r, i) => ok(r, `destroy of ${TENANTS[i]} under faults`));
        await expectDeclared(() => [], "after destroy under faults");
        for (const tenantId of TENANTS) {
            const g = (await readTenant(tenant, [], tenantId)).policies.get("Global")!;
            assert.deepEqual([g.EnableIMAutoArchiving, g.DisplayPhoto], [true, "AllPhotos"], `${tenantId}: Global reset`);
        }
    });

    it("no secret in state, workspace, CLI output or the emulator's log", () => {
        assertNoSecrets([SECRET], stacks, log, emuLog());
    });
});
