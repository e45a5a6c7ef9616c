import * as assert from "node:assert/strict";
import { resolveConfig } from "../../provider/config";
import { ClientPolicyError, ConfigError, ValidationError, redact } from "../../provider/errors";

const cfg = (values: Record<string, string>) => ({ get: (k: string) => values[k] });
const FULL = {
    "clientpolicy:endpoint": "https://tenant.example/", "clientpolicy:tenantId": "contoso.example",
    "clientpolicy:clientId": "app-1", "clientpolicy:clientSecret": "s3cret-value",
};

describe("configuration", () => {
    it("reads the clientpolicy namespace", () => {
        assert.deepEqual(resolveConfig(cfg(FULL), {}), {
            endpoint: "https://tenant.example", tenantId: "contoso.example", clientId: "app-1", clientSecret: "s3cret-value", maxAttempts: 8,
        });
    });

    it("falls back to the environment, stack config first", () => {
        const env = { CLIENTPOLICY_ENDPOINT: "http://127.0.0.1:8080", CLIENTPOLICY_TENANT_ID: "t", CLIENTPOLICY_CLIENT_ID: "c", CLIENTPOLICY_CLIENT_SECRET: "x", CLIENTPOLICY_MAX_ATTEMPTS: "3" };
        const c = resolveConfig(cfg({ "clientpolicy:tenantId": "from-stack" }), env);
        assert.equal(c.tenantId, "from-stack");
        assert.equal(c.endpoint, "http://127.0.0.1:8080");
        assert.equal(c.maxAttempts, 3);
    });

    it("lists every missing key, with exact pulumi config set lines, in one error", () => {
        assert.throws(() => resolveConfig(cfg({ "clientpolicy:endpoint": "https://x" }), {}), (err: unknown) => {
            assert.ok(err instanceof ConfigError);
            assert.match(err.message, /missing clientpolicy:tenantId, clientpolicy:clientId, clientpolicy:clientSecret/);
            assert.match(err.message, /pulumi config set clientpolicy:tenantId <tenant id or domain> {3}# or CLIENTPOLICY_TENANT_ID/);
            assert.match(err.message, /pulumi config set clientpolicy:clientId /);
            assert.match(err.message, /pulumi config set clientpolicy:clientSecret --secret /);
            assert.ok(!/config set clientpolicy:endpoint/.test(err.message));
            return true;
        });
    });

    it("rejects a non-http endpoint and a bad maxAttempts", () => {
        assert.throws(() => resolveConfig(cfg({ ...FULL, "clientpolicy:endpoint": "ftp://x" }), {}), /endpoint must be an http\(s\) URL/);
        assert.throws(() => resolveConfig(cfg({ ...FULL, "clientpolicy:maxAttempts": "0" }), {}), /maxAttempts must be an integer 1–50/);
    });
});

describe("configuration validation (the rules docs/configuration.md states)", () => {
    const BAD: Array<[string, string, RegExp]> = [
        ["endpoint", "ftp://api.example", /clientpolicy:endpoint must be an http\(s\) URL/],
        ["endpoint", "https://api.example/v1", /without a path, query or fragment/],
        ["endpoint", "https://api.example?x=1", /without a path, query or fragment/],
        ["endpoint", "https://api.example/#top", /without a path, query or fragment/],
        ["endpoint", "not a url", /not a URL/],
        ["tenantId", "contoso/../x", /clientpolicy:tenantId must be a tenant GUID or domain/],
        ["tenantId", "contoso?x=1#", /tenant GUID or domain/],
        ["tenantId", "-contoso", /tenant GUID or domain/],
        ["clientId", "my app", /clientpolicy:clientId must be an app \(client\) id/],
        ["clientId", "a/b", /clientpolicy:clientId/],
        ["maxAttempts", "0", /integer 1–50/],
        ["maxAttempts", "51", /integer 1–50/],
        ["maxAttempts", "3.5", /integer 1–50/],
    ];
    for (const [key, value, message] of BAD) {
        it(`rejects clientpolicy:${key} = ${JSON.stringify(value)}, naming the key`, () => {
            assert.throws(() => resolveConfig(cfg({ ...FULL, [`clientpolicy:${key}`]: value }), {}), (err: unknown) => {
                assert.ok(err instanceof ConfigError);
                assert.equal(err.code, "InvalidConfiguration");
                assert.equal(err.target, `clientpolicy:${key}`);
                assert.match(err.message, message);
                return true;
            });
        });
    }

    it("rejects credentials in the endpoint without echoing them", () => {
        assert.throws(() => resolveConfig(cfg({ ...FULL, "clientpolicy:endpoint": "https://user:hunter2-pw@api.example" }), {}), (err: unknown) => {
            assert.ok(err instanceof ConfigError);
            assert.match(err.message, /must not contain a user name or password/);
            assert.ok(!err.message.includes("hunter2-pw") && !err.message.includes("user:"), err.message);
            return true;
        });
    });

    it("accepts a base URL with a trailing slash, a GUID tenant and maxAttempts 1 and 50", () => {
        const guid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        assert.equal(resolveConfig(cfg({ ...FULL, "clientpolicy:endpoint": "http://127.0.0.1:8080/" }), {}).endpoint, "http://127.0.0.1:8080");
        assert.equal(resolveConfig(cfg({ ...FULL, "clientpolicy:tenantId": guid }), {}).tenantId, guid);
        for (const n of [1, 50]) assert.equal(resolveConfig(cfg({ ...FULL, "clientpolicy:maxAttempts": String(n) }), {}).maxAttempts, n);
    });
});

describe("redaction", () => {
    it("removes client_secret form fields, bearer tokens and JSON secrets", () => {
        assert.equal(redact("grant_type=client_credentials&client_secret=abc123&client_id=x"), "grant_type=client_credentials&client_secret=[REDACTED]&client_id=x");
        assert.equal(redact("Authorization: Bearer eyJhbGciOi.J9.x-y_z"), "Authorization: Bearer [REDACTED]");
        assert.equal(redact('{"access_token":"abc","client_secret":"def"}'), '{"access_token":"[REDACTED]","client_secret":"[REDACTED]"}');
    });

    it("removes known secret values wherever they appear", () => {
        assert.equal(redact("secret is hunter2-long here", ["hunter2-long"]), "secret is [REDACTED] here");
        assert.equal(redact("a b c", ["b"]), "a b c", "too short to be a secret");
    });

    it("applies to every error message, including the tenant's own text", () => {
        const err = new ValidationError("bad request: client_secret=abc", { secrets: ["topsecret-1"], tenantMessage: "got topsecret-1", requestId: "r1" });
        assert.equal(err.message, "bad request: client_secret=[REDACTED] (request-id r1)");
        assert.equal(err.tenantMessage, "got [REDACTED]");
        assert.ok(err instanceof ClientPolicyError);
        assert.equal(err.name, "ValidationError");
        assert.equal(err.retryable, false);
    });
});
