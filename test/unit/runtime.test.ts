import * as assert from "node:assert/strict";
import { ConfigError } from "../../provider/errors";
import { configure, setClientOverridesForTesting, tenantClient, tenantClientIfConfigured } from "../../provider/runtime";

const config = (values: Record<string, string>) => ({ get: (k: string) => values[k] });
const FULL = {
    "clientpolicy:endpoint": "http://127.0.0.1:1", "clientpolicy:tenantId": "t", "clientpolicy:clientId": "c", "clientpolicy:clientSecret": "secret-1",
};

describe("per-process provider state", () => {
    let saved: NodeJS.ProcessEnv;
    beforeEach(() => {
        saved = { ...process.env };
        for (const k of Object.keys(process.env)) if (k.startsWith("CLIENTPOLICY_")) delete process.env[k];
        setClientOverridesForTesting({});
    });
    afterEach(() => { process.env = saved; setClientOverridesForTesting({}); });

    it("builds no client until configure() (nothing at import time)", () => {
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
