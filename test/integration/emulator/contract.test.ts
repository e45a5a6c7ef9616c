/**
 * The contract cannot drift: every response the integration suite receives through the shared client (call(), token
 * and admin requests of the test helper) is validated against api/openapi.yaml once all tests have run (a root
 * `after` hook, so it sees the exchanges of every file in the run).
 */
import * as assert from "node:assert/strict";
import { OPENAPI_YAML_PATH } from "../../../api/openapi";
import { OpenApiResponseValidator } from "../../../testkit/openapiValidator";
import { recordedExchanges, type Exchange } from "../../../testkit/recorder";

const validator = new OpenApiResponseValidator();

const json = (body: unknown) => JSON.stringify(body);
const base = { headers: { "request-id": "r", "content-type": "application/json; charset=utf-8" } };
const GLOBAL = "/Skype.Policy/configurations/ClientPolicy/configuration/Global";

describe("contract: responses match api/openapi.yaml", () => {
    it("the document is valid OpenAPI 3.1 (official schema)", async () => {
        // An ES module: loaded with import() from this CommonJS test.
        const { Validator } = await import("@seriousme/openapi-schema-validator");
        const result = await new Validator().validate(OPENAPI_YAML_PATH);
        assert.equal(result.valid, true, JSON.stringify(result.errors));
    });

    it("the check rejects responses that break the contract", () => {
        const bad: Array<[string, Exchange]> = [
            ["unknown policy property", { method: "GET", path: GLOBAL, status: 200, ...base, headers: { ...base.headers, etag: '"e"' }, text: json({ Identity: "Global", Bogus: 1 }) }],
            ["undocumented status", { method: "GET", path: GLOBAL, status: 418, ...base, text: json({ error: { code: "Teapot", message: "m" } }) }],
            ["undocumented header", { method: "GET", path: "/users/x", status: 200, headers: { ...base.headers, etag: '"e"' }, text: json({ Id: "1", SipAddress: "s", UserPrincipalName: "u", DisplayName: "d", ClientPolicy: null }) }],
            ["@nextLink that is not a string", { method: "GET", path: "/Skype.Policy/configurations/ClientPolicy", status: 200, ...base, text: json({ value: [], "@nextLink": 5 }) }],
            ["unknown path", { method: "GET", path: "/nowhere/at/all/really", status: 404, ...base, text: json({ error: { code: "ResourceNotFound", message: "m" } }) }],
            ["resolution with neither User nor Error", { method: "POST", path: "/Skype.Policy/userResolutions", status: 200, ...base, text: json({ value: [{ Identity: "x" }] }) }],
            ["owner too long", { method: "GET", path: "/users/x", status: 200, ...base, text: json({ Id: "1", SipAddress: "s", UserPrincipalName: "u", DisplayName: "d", ClientPolicy: "P", ClientPolicyOwner: "o".repeat(513) }) }],
        ];
        for (const [name, x] of bad) assert.notDeepEqual(validator.check(x), [], name);
        const good: Exchange = { method: "GET", path: "/contoso.example/users/Tony%20Smith", status: 200, ...base, text: json({ Id: "1", SipAddress: "s", UserPrincipalName: "u", DisplayName: "d", ClientPolicy: null, ClientPolicyOwner: null }) };
        assert.deepEqual(validator.check(good), []);
    });
});

after(function () {
    const exchanges = recordedExchanges();
    if (exchanges.length === 0) return;
    this.timeout(60000);
    const problems = exchanges.flatMap((x) => validator.check(x));
    const unique = [...new Set(problems)];
    assert.deepEqual(unique.slice(0, 25), [], `${unique.length} contract violation(s) in ${exchanges.length} responses`);
});
