/**
 * `clientpolicy cmdlets` never hands a change board a false plan (real Pulumi CLI, real command, real emulator): it
 * reads the tenant by default, so a tenant changed by hand since the last `up` gets the lines that put it back; with
 * `--no-refresh` the script says the tenant was not read; after a secret rotation it reads with today's config.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { startTestEmulator, type TestTenant } from "../../testkit/emulator";
import { clientpolicy, createFleet, fleetSeed, fleetTenantId, setSecret, type Fleet } from "../../testkit/reportFleet";

const SECRET = "cmdlets-secret-" + crypto.randomBytes(6).toString("hex");
const ROTATED = "cmdlets-rotated-" + crypto.randomBytes(6).toString("hex");

describe("clientpolicy cmdlets reads the tenant (real CLI)", function () {
    this.timeout(900_000);
    let emu: TestTenant;
    let fleet: Fleet;

    before(async () => {
        emu = await startTestEmulator({ seed: fleetSeed(1, SECRET), clientSecret: SECRET });
        fleet = await createFleet([{ stack: "s1", endpoint: emu.url, tenantId: fleetTenantId(1), clientId: "demo-client", clientSecret: SECRET }]);
        // Drift: an administrator turns Global's archiving on; the program says off.
        await emu.powershell("Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $True", fleetTenantId(1));
    });
    after(async () => {
        fleet?.dispose();
        await emu?.stop();
    });

    const cmdlets = (...args: string[]) => clientpolicy(["cmdlets", "--stack", "s1", "--dir", fleet.workDir, ...args], fleet.env);
    const repair = /^Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving \$false$/mi;

    it("on a drifted tenant prints the lines that put it back; --no-refresh says the tenant was not read", async () => {
        const r = await cmdlets();
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, repair, r.stdout);
        assert.ok(!/no changes/.test(r.stdout), r.stdout);
        const stale = await cmdlets("--no-refresh");
        assert.equal(stale.code, 0, stale.stderr);
        assert.match(stale.stdout, /^# compared with the stack's recorded state; the tenant was not read/m, stale.stdout);
        assert.match(stale.stdout, /^# no changes compared with the stack's recorded state \(the tenant was not read\)$/m);
        assert.ok(!/the tenant already matches/.test(stale.stdout), stale.stdout);
    });

    it("after a secret rotation it reads the tenant with today's config", async () => {
        await emu.handle!.registry.setSecret(fleetTenantId(1), "demo-client", ROTATED);
        await setSecret(fleet, "s1", "clientpolicy:clientSecret", ROTATED);
        const r = await cmdlets();
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, repair, r.stdout);
        for (const text of [r.stdout, r.stderr]) assert.ok(!text.includes(ROTATED) && !text.includes(SECRET), "no secret in any output");
    });
});
