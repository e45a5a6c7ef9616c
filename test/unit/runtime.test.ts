import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { ConfigError } from "../../provider/errors";
import { configure, setClientOverridesForTesting, tenantClient, tenantClientIfConfigured } from "../../provider/runtime";

const config = (values: Record<string, string>) => ({ get: (k: string) => values[k] });
const FULL = {
    "clientpolicy:endpoint": "http://127.0.0.1:1", "clientpolicy:tenantId": "t", "clientpolicy:clientId": "c", "clientpolicy:clientSecret": "secret-1",
};

const ROOT = path.resolve(__dirname, "..", "..");
/** A complete configuration: an eager client would be built from it without error. */
const ENV_CONFIG = {
    CLIENTPOLICY_ENDPOINT: "http://127.0.0.1:1", CLIENTPOLICY_TENANT_ID: "env-t", CLIENTPOLICY_CLIENT_ID: "c", CLIENTPOLICY_CLIENT_SECRET: "secret-env",
};

/**
 * Runs `script` in a fresh Node process (fresh module cache, so nothing this test process loaded or reset counts) with
 * a complete configuration in the environment, so a client built at import time would succeed and be seen. Counts
 * TenantClient constructions by replacing the class on its module before anything else loads it.
 */
function freshProcess(script: string): { atImport: number; afterCall: number; fetches: number } {
    const probe = `
        const tc = require("./provider/client/tenantClient");
        let built = 0;
        const Real = tc.TenantClient;
        tc.TenantClient = class extends Real { constructor(...a) { super(...a); built++; } };
        let fetches = 0;
        const realFetch = globalThis.fetch;
        globalThis.fetch = (...a) => { fetches++; return realFetch(...a); };
        ${script}
        const atImport = built;
        require("./provider/runtime").tenantClient(); // the probe must see a client once one is built
        process.stdout.write(JSON.stringify({ atImport, afterCall: built, fetches }));`;
    const env: NodeJS.ProcessEnv = { ...process.env, ...ENV_CONFIG };
    const res = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", probe], { cwd: ROOT, env, encoding: "utf8" });
    assert.equal(res.status, 0, res.stderr);
    return JSON.parse(res.stdout);
}

describe("nothing at import time (fresh process)", function () {
    this.timeout(60_000);

    it("requiring provider/runtime builds no client and sends nothing", () => {
        const r = freshProcess(`require("./provider/runtime");`);
        assert.deepEqual(r, { atImport: 0, afterCall: 1, fetches: 0 });
    });

    it("requiring the package entry (both resources and provider objects) builds no client", () => {
        const r = freshProcess(`require("./provider"); require("./provider/resources/clientPolicy.provider"); require("./provider/resources/policyGrant.provider");`);
        assert.deepEqual(r, { atImport: 0, afterCall: 1, fetches: 0 });
    });
});

describe("per-process provider state", () => {
    let saved: NodeJS.ProcessEnv;
    beforeEach(() => {
        saved = { ...process.env };
        for (const k of Object.keys(process.env)) if (k.startsWith("CLIENTPOLICY_")) delete process.env[k];
        setClientOverridesForTesting({});
    });
    afterEach(() => { process.env = saved; setClientOverridesForTesting({}); });

    it("without configure() or environment, needs-the-tenant calls fail with ConfigError", () => {
        assert.throws(() => tenantClient(), ConfigError, "no config, no environment");
        assert.equal(tenantClientIfConfigured(), undefined);
    });

    it("shares one client (and token cache) between both providers' configure() calls", async () => {
        await configure({ config: config(FULL) });
        const a = tenantClient();
        await configure({ config: config(FULL) });
        assert.equal(tenantClient(), a);
        await configure({ config: config({ ...FULL, "clientpolicy:tenantId": "other" }) });
        assert.notEqual(tenantClient(), a);
        assert.equal(tenantClient().tenantId, "other");
    });

    it("defers a configuration error to the first call that needs the tenant", async () => {
        await configure({ config: config({}) });
        assert.equal(tenantClientIfConfigured(), undefined, "check() and diff() still work");
        assert.throws(() => tenantClient(), /missing clientpolicy:endpoint, clientpolicy:tenantId, clientpolicy:clientId, clientpolicy:clientSecret/);
    });

    it("falls back to the environment when configure() was never called", () => {
        Object.assign(process.env, { CLIENTPOLICY_ENDPOINT: "http://127.0.0.1:2", CLIENTPOLICY_TENANT_ID: "env-t", CLIENTPOLICY_CLIENT_ID: "c", CLIENTPOLICY_CLIENT_SECRET: "s" });
        assert.equal(tenantClient().tenantId, "env-t");
    });
});
