import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { SETTINGS, wireJsonSchema } from "../../../api/catalogue";
import { OWNER_ANNOTATION } from "../../../api/contract";
import { OPENAPI_YAML_PATH, openApiPath, unlistedErrorStatuses } from "../../../api/openapi";
import { adminRoutes } from "../../../emulator/routes";
import { tenantRoutes } from "../../../server/routes";

/** The committed document (test/unit/generated.test.ts checks that it is the generator's output). */
describe("OpenAPI document", () => {
    const committed = readFileSync(OPENAPI_YAML_PATH, "utf8");
    const doc = parse(committed);

    it("describes every catalogue setting with the catalogue's schema", () => {
        const props = doc.components.schemas.Policy.properties;
        assert.deepEqual(Object.keys(props), ["Identity", OWNER_ANNOTATION, ...SETTINGS.map((d) => d.name)]);
        for (const d of SETTINGS) assert.deepEqual(props[d.name], JSON.parse(JSON.stringify(wireJsonSchema(d))), d.name);
    });

    it("has a path and method for every emulator route", () => {
        for (const r of [...tenantRoutes, ...adminRoutes]) {
            const p = openApiPath(r.path);
            assert.ok(doc.paths[p]?.[r.method.toLowerCase()], `${r.method} ${p} missing`);
            if (r.pattern[0] !== "_emulator") assert.ok(doc.paths[`/{tenantId}${p}`]?.[r.method.toLowerCase()], `prefixed ${p} missing`);
        }
        assert.ok(doc.paths["/{tenantId}/oauth2/v2.0/token"].post);
    });

    it("a tenant error code whose HTTP status no route answers yet fails the build, naming what to add", () => {
        assert.deepEqual(unlistedErrorStatuses({ Conflict: 409, InvalidParameter: 400 }), []);
        const [message] = unlistedErrorStatuses({ Conflict: 409, PolicyLocked: 423 });
        assert.match(message, /PolicyLocked answers HTTP 423/);
        assert.match(message, /ERROR_RESPONSE_NAMES in api\/openapi\.ts/);
    });

    it("documents the headers and every error code", () => {
        assert.deepEqual(Object.keys(doc.components.headers).sort(), ["ETag", "Location", "RequestId", "RetryAfter", "Warning"]);
        const used = new Set<string>();
        for (const ops of Object.values(doc.paths) as any[]) for (const o of Object.values(ops) as any[]) for (const s of Object.keys(o.responses)) used.add(s);
        for (const status of ["400", "401", "403", "404", "409", "412", "413", "415", "428", "429", "500", "501", "503"]) assert.ok(used.has(status), status);
        for (const code of ["InvalidParameter", "PolicyInUse", "AmbiguousIdentity", "NotAUserPolicy", "PolicyNotFound", "UserNotFound", "Throttled", "NotImplemented"]) {
            assert.ok(Object.values(doc.components.responses).some((r: any) => r.description.includes(code)), code);
        }
        assert.ok(doc.components.responses.Throttled.headers["Retry-After"]);
        const put = doc.paths["/Skype.Policy/configurations/{policyType}/configuration/{identity}"].put;
        for (const s of ["200", "201", "400", "409", "412", "428", "429"]) assert.ok(put.responses[s], `PUT ${s}`);
        assert.deepEqual(put.parameters.map((p: any) => p.$ref.split("/").pop()), ["PolicyType", "PolicyIdentity", "IfMatch", "IfNoneMatch"]);
    });
});
