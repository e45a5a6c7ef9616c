/**
 * Generator of api/openapi.yaml (OpenAPI 3.1), the authoritative description
 * of the tenant API. Setting schemas come from the zod catalogue, so the
 * document cannot drift from the emulator's validation; a test checks that
 * the committed yaml equals {@link renderOpenApiYaml}'s output.
 *
 * Regenerate: `node -r ts-node/register/transpile-only api/openapi.ts --write`
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { SETTINGS, wireJsonSchema } from "./catalogue";

type Obj = Record<string, unknown>;

const ref = (kind: string, name: string): Obj => ({ $ref: `#/components/${kind}/${name}` });
const schemaRef = (name: string) => ref("schemas", name);
const json = (schema: Obj) => ({ "application/json": { schema } });
const REQUEST_ID = { "request-id": ref("headers", "RequestId") };

function ok(description: string, schema?: Obj, headers: Obj = {}): Obj {
    return { description, headers: { ...REQUEST_ID, ...headers }, ...(schema ? { content: json(schema) } : {}) };
}

/** Error responses by status, shared through components/responses. */
const ERRORS: Record<string, [string, string]> = {
    "400": ["BadRequest", "InvalidParameter (target names the property), InvalidRequestContent, NotAUserPolicy, ParseError."],
    "401": ["Unauthorized", "Unauthorized: missing, malformed or expired bearer token."],
    "403": ["Forbidden", "Forbidden: the token's tenant differs from the /{tenantId} prefix."],
    "404": ["NotFound", "PolicyNotFound, UserNotFound, OperationNotFound, TenantNotFound or ResourceNotFound."],
    "409": ["Conflict", "PolicyAlreadyExists, PolicyInUse (details[0].count = granted users), AmbiguousIdentity (details list the matches)."],
    "412": ["PreconditionFailed", "PreconditionFailed: the If-Match ETag is stale."],
    "413": ["PayloadTooLarge", "PayloadTooLarge: body over 8 MiB."],
    "415": ["UnsupportedMediaType", "UnsupportedMediaType: wrong Content-Type."],
    "428": ["PreconditionRequired", "PreconditionRequired: PUT without If-None-Match: * or If-Match."],
    "429": ["Throttled", "Throttled: per-tenant budget exceeded (or injected fault); honour Retry-After."],
    "500": ["InternalServerError", "InternalServerError (also injected faults)."],
    "501": ["NotImplemented", "NotImplemented: a route, method or policy type the emulator does not model."],
    "503": ["ServiceUnavailable", "ServiceUnavailable (injected faults); honour Retry-After."],
};
const RETRY_STATUSES = new Set(["429", "503"]);
const COMMON = ["401", "429", "500", "501", "503"];

function responses(success: Record<string, Obj>, errors: string[]): Obj {
    const out: Obj = { ...success };
    for (const code of [...errors, ...COMMON].sort()) out[code] = ref("responses", ERRORS[code][0]);
    return out;
}

function op(operationId: string, summary: string, extra: Obj, success: Record<string, Obj>, errors: string[] = []): Obj {
    return { operationId, summary, ...extra, responses: responses(success, errors) };
}

const P = (name: string) => ref("parameters", name);
const jsonBody = (schema: Obj, types = ["application/json"]): Obj =>
    ({ requestBody: { required: true, content: Object.fromEntries(types.map((t) => [t, { schema }])) } });
const ETAG = { ETag: ref("headers", "ETag") };
const policyOk = (d: string, status = "200", extra: Obj = {}) => ({ [status]: ok(d, schemaRef("Policy"), { ...ETAG, ...extra }) });

/** Tenant-API paths (tenant-less: they act on the token's tenant). */
function tenantPaths(): Record<string, Obj> {
    const policy = [P("PolicyType"), P("PolicyIdentity")];
    return {
        "/Skype.Policy/configurations/{policyType}": {
            get: op("listPolicies", "List client policies (paged).", { parameters: [P("PolicyType"), P("Top"), P("SkipToken")] },
                { "200": ok("A page of policies.", schemaRef("PolicyList")) }, ["400"]),
        },
        "/Skype.Policy/configurations/{policyType}/configuration/{identity}": {
            get: op("getPolicy", "Get-CsClientPolicy.", { parameters: policy }, policyOk("The policy."), ["400", "404"]),
            put: op("putPolicy", "New-CsClientPolicy (If-None-Match: *) or replace all settings (If-Match).",
                { parameters: [...policy, P("IfMatch"), P("IfNoneMatch")], ...jsonBody(schemaRef("Policy")) },
                { ...policyOk("Replaced.", "200"), ...policyOk("Created.", "201", { Location: ref("headers", "Location") }) },
                ["400", "404", "409", "412", "413", "415", "428"]),
            patch: op("patchPolicy", "Set-CsClientPolicy: JSON merge patch, null unsets.",
                { parameters: [...policy, P("IfMatch")], ...jsonBody(schemaRef("Policy"), ["application/merge-patch+json", "application/json"]) },
                policyOk("Updated (unchanged ETag when nothing changed)."), ["400", "404", "412", "413", "415"]),
            delete: op("deletePolicy", "Remove-CsClientPolicy; Global is reset to its documented defaults.",
                { parameters: [...policy, P("IfMatch"), P("Force")] },
                { "200": ok("Global was reset (not removed).", schemaRef("Policy"), { ...ETAG, Warning: ref("headers", "Warning") }), "204": ok("Removed.") },
                ["400", "404", "409", "412"]),
        },
        "/Skype.Policy/configurations/{policyType}/configuration/{identity}/assignments": {
            get: op("listAssignments", "Users directly granted the policy (paged).", { parameters: [...policy, P("Top"), P("SkipToken")] },
                { "200": ok("A page of users.", schemaRef("UserList")) }, ["400", "404"]),
        },
        "/Skype.Policy/batchAssignments": {
            post: op("startBatchAssignment", "Grant (or unassign) a policy for up to 5000 users, asynchronously.", jsonBody(schemaRef("BatchRequest")),
                { "202": ok("Accepted; poll Location.", schemaRef("BatchAccepted"), { Location: ref("headers", "Location") }) }, ["400", "404", "413", "415"]),
        },
        "/Skype.Policy/batchAssignments/{operationId}": {
            get: op("getBatchAssignment", "Status and per-user results of a batch.",
                { parameters: [{ name: "operationId", in: "path", required: true, schema: { type: "string" } }] },
                { "200": ok("The operation.", schemaRef("BatchOperation")) }, ["404"]),
        },
        "/users/{userIdentity}": {
            get: op("getUser", "Resolve a user identity.", { parameters: [P("UserIdentity")] }, { "200": ok("The user.", schemaRef("User")) }, ["400", "404", "409"]),
        },
        "/users/{userIdentity}/policyAssignments/{policyType}": {
            put: op("grantPolicy", "Grant-CsClientPolicy; PolicyName null unassigns.", { parameters: [P("UserIdentity"), P("PolicyType")], ...jsonBody(schemaRef("GrantRequest")) },
                { "200": ok("The user after the grant.", schemaRef("User")) }, ["400", "404", "409", "415"]),
            delete: op("unassignPolicy", "Remove the user's direct assignment.", { parameters: [P("UserIdentity"), P("PolicyType")] },
                { "204": ok("Unassigned (or was not assigned).") }, ["400", "404", "409"]),
        },
    };
}

/** The same operations under an optional `/{tenantId}` prefix, answering 403 for another tenant's token. */
function prefixed(paths: Record<string, Obj>): Record<string, Obj> {
    const out: Record<string, Obj> = {};
    for (const [p, ops] of Object.entries(paths)) {
        out[`/{tenantId}${p}`] = Object.fromEntries(Object.entries(ops).map(([method, o]) => {
            const x = o as Obj;
            return [method, {
                ...x, operationId: `${x.operationId}InTenant`,
                parameters: [P("TenantId"), ...((x.parameters as Obj[] | undefined) ?? [])],
                responses: { ...(x.responses as Obj), "403": ref("responses", "Forbidden") },
            }];
        }));
    }
    return out;
}

function emulatorPaths(): Record<string, Obj> {
    const tenantParam = { name: "tenantId", in: "path", required: true, schema: { type: "string" } };
    const admin = { tags: ["emulator"], security: [] };
    return {
        "/{tenantId}/oauth2/v2.0/token": {
            post: {
                operationId: "getToken", summary: "OAuth2 client-credentials grant.", security: [], parameters: [tenantParam],
                requestBody: { required: true, content: { "application/x-www-form-urlencoded": { schema: schemaRef("TokenRequest") } } },
                responses: {
                    "200": ok("A bearer token.", schemaRef("TokenResponse")),
                    "400": ok("invalid_request, unsupported_grant_type, invalid_scope.", schemaRef("OAuthError")),
                    "401": ok("invalid_client.", schemaRef("OAuthError")),
                    "429": ref("responses", "Throttled"),
                },
            },
        },
        "/_emulator/tenants": {
            get: { ...admin, operationId: "listTenants", summary: "Hosted tenants.", responses: { "200": ok("Tenant ids and user counts.", { type: "object" }) } },
            post: {
                ...admin, operationId: "provisionTenant", summary: "Provision a tenant (seed-file tenant format).", ...jsonBody(schemaRef("TenantSpec")),
                responses: { "201": ok("Created; results of its script.", { type: "object" }), "400": ref("responses", "BadRequest"), "409": ref("responses", "Conflict") },
            },
        },
        "/_emulator/faults": {
            get: { ...admin, operationId: "getFaults", summary: "Current fault injection.", responses: { "200": ok("Faults.", schemaRef("Faults")) } },
            put: {
                ...admin, operationId: "setFaults", summary: "Change fault injection (partial update).", ...jsonBody(schemaRef("Faults")),
                responses: { "200": ok("Faults now in force.", schemaRef("Faults")), "400": ref("responses", "BadRequest") },
            },
        },
        "/_emulator/{tenantId}/stats": {
            get: {
                ...admin, operationId: "getStats", summary: "Authenticated requests and state-changing writes of a tenant since start.", parameters: [tenantParam],
                responses: { "200": ok("Counters.", schemaRef("Stats")), "404": ref("responses", "NotFound") },
            },
        },
        "/_emulator/{tenantId}/powershell": {
            post: {
                ...admin, operationId: "runPowerShell", summary: "Run New/Set/Get/Remove/Grant-CsClientPolicy lines out of band (drift).", parameters: [tenantParam],
                requestBody: { required: true, content: { "text/plain": { schema: { type: "string" } } } },
                responses: {
                    "200": ok("Per-line results (a failing line does not stop later ones).", schemaRef("PowerShellResults")),
                    "400": ref("responses", "BadRequest"), "404": ref("responses", "NotFound"), "415": ref("responses", "UnsupportedMediaType"),
                },
            },
        },
    };
}

function schemas(): Obj {
    const str = { type: "string" };
    const nullableStr = { type: ["string", "null"] };
    const user = {
        type: "object", required: ["Id", "SipAddress", "UserPrincipalName", "DisplayName", "ClientPolicy"],
        properties: { Id: str, SipAddress: str, UserPrincipalName: str, DisplayName: str, ClientPolicy: { ...nullableStr, description: "Direct assignment's PolicyName (without Tag:)." } },
    };
    const page = (item: string) => ({ type: "object", required: ["value"], properties: { value: { type: "array", items: schemaRef(item) }, "@nextLink": { type: "string", format: "uri" } } });
    const settingProps = Object.fromEntries(SETTINGS.map((d) => [d.name, wireJsonSchema(d)]));
    const frac = { type: "number", minimum: 0, maximum: 1 };
    return {
        Error: {
            type: "object", required: ["error"],
            properties: {
                error: {
                    type: "object", required: ["code", "message"],
                    properties: { code: str, message: str, target: str, details: { type: "array", items: { type: "object", required: ["code", "message"], properties: { code: str, message: str, target: str } } } },
                },
            },
        },
        OAuthError: { type: "object", required: ["error"], properties: { error: str, error_description: str } },
        TokenRequest: {
            type: "object", required: ["grant_type", "client_id", "client_secret"],
            properties: { grant_type: { const: "client_credentials" }, client_id: str, client_secret: str, scope: { type: "string", pattern: "/\\.default$" } },
        },
        TokenResponse: { type: "object", required: ["access_token", "token_type", "expires_in"], properties: { access_token: str, token_type: { const: "Bearer" }, expires_in: { type: "integer" } } },
        Policy: {
            type: "object", additionalProperties: false, description: "Responses carry every setting (null when unset); requests may omit any.",
            properties: { Identity: { type: "string", description: "Global, site:<name> or Tag:<name>; must match the URL when present." }, ...settingProps },
        },
        PolicyList: page("Policy"),
        User: user,
        UserList: page("User"),
        GrantRequest: { type: "object", additionalProperties: false, required: ["PolicyName"], properties: { PolicyName: { ...nullableStr, description: "Tag policy name (Tag: prefix optional) or null." } } },
        BatchRequest: {
            type: "object", additionalProperties: false, required: ["PolicyType", "PolicyName", "Users"],
            properties: { PolicyType: { const: "ClientPolicy" }, PolicyName: nullableStr, Users: { type: "array", minItems: 1, maxItems: 5000, items: { type: "string", minLength: 1 } } },
        },
        BatchAccepted: { type: "object", required: ["OperationId"], properties: { OperationId: str } },
        BatchOperation: {
            type: "object", required: ["OperationId", "Status", "Results"],
            properties: {
                OperationId: str, PolicyType: str, PolicyName: nullableStr, CreatedDateTime: { type: "string", format: "date-time" },
                Status: { enum: ["NotStarted", "InProgress", "Completed"] },
                Results: {
                    type: "array", items: {
                        type: "object", required: ["User", "Status"],
                        properties: { User: str, Status: { enum: ["Succeeded", "Failed"] }, Id: { ...str, description: "Resolved user id (Succeeded only)." }, Error: { type: "object", properties: { code: str, message: str } } },
                    },
                },
            },
        },
        Stats: { type: "object", required: ["requests", "writes"], properties: { requests: { type: "integer" }, writes: { type: "integer" } } },
        Faults: { type: "object", additionalProperties: false, properties: { fault429: frac, fault500: frac, fault503: frac, faultReset: frac, latencyMs: { type: "number", minimum: 0, maximum: 60000 } } },
        PowerShellResults: {
            type: "object", required: ["succeeded", "results"],
            properties: {
                succeeded: { type: "boolean" },
                results: { type: "array", items: { type: "object", required: ["line", "command", "status"], properties: { line: { type: "integer" }, command: str, status: { enum: ["Succeeded", "Failed"] }, output: {}, error: { type: "object" } } } },
            },
        },
        TenantSpec: {
            type: "object", required: ["id"], additionalProperties: false,
            properties: {
                id: str,
                apps: { type: "array", items: { type: "object", required: ["clientId", "clientSecret"], properties: { clientId: str, clientSecret: str } } },
                users: { type: "array", items: { type: "object", required: ["displayName", "sipAddress", "userPrincipalName", "logon"], properties: { displayName: str, sipAddress: str, userPrincipalName: str, logon: str, id: str } } },
                generatedUsers: { type: "integer", minimum: 0 },
                policies: { type: "array", items: schemaRef("Policy") },
                script: { oneOf: [str, { type: "array", items: str }] },
            },
        },
    };
}

/** The whole OpenAPI document. */
export function buildOpenApi(): Obj {
    const paths = tenantPaths();
    const errorResponses = Object.fromEntries(Object.entries(ERRORS).map(([code, [name, description]]) =>
        [name, ok(description, schemaRef("Error"), RETRY_STATUSES.has(code) ? { "Retry-After": ref("headers", "RetryAfter") } : {})]));
    return {
        openapi: "3.1.0",
        info: {
            title: "CsClientPolicy tenant API", version: "1.0.0",
            description: "Client policies (CsClientPolicy) and their grants, as driven by the clientpolicy-as-code provider and served by its emulator. Generated by api/openapi.ts from the settings catalogue: do not edit by hand.",
        },
        servers: [{ url: "http://127.0.0.1:{port}", variables: { port: { default: "8080" } } }],
        security: [{ bearer: [] }],
        tags: [{ name: "emulator", description: "Emulator-only routes; never used by the provider; not subject to faults." }],
        paths: { ...paths, ...prefixed(paths), ...emulatorPaths() },
        components: {
            securitySchemes: {
                bearer: { type: "http", scheme: "bearer", description: "Token from POST /{tenantId}/oauth2/v2.0/token; bound to one tenant; expires." },
            },
            parameters: {
                TenantId: { name: "tenantId", in: "path", required: true, description: "Optional tenant prefix; must be the token's tenant (else 403).", schema: { type: "string" } },
                PolicyType: { name: "policyType", in: "path", required: true, description: "Only ClientPolicy is implemented (others: 501).", schema: { type: "string", examples: ["ClientPolicy"] } },
                PolicyIdentity: { name: "identity", in: "path", required: true, description: "Global, site:<name>, Tag:<name> or a bare tag name (case-insensitive).", schema: { type: "string" } },
                UserIdentity: { name: "userIdentity", in: "path", required: true, description: "Object id, sip:address, UPN, DOMAIN\\logon or display name (case-insensitive, no wildcards).", schema: { type: "string" } },
                Top: { name: "$top", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
                SkipToken: { name: "$skiptoken", in: "query", description: "Opaque; copy from @nextLink.", schema: { type: "string" } },
                Force: { name: "force", in: "query", description: "Remove a granted policy together with its grants.", schema: { type: "boolean", default: false } },
                IfMatch: { name: "If-Match", in: "header", description: "ETag of the version being changed; stale → 412.", schema: { type: "string" } },
                IfNoneMatch: { name: "If-None-Match", in: "header", description: "* to create; the policy must not exist (else 409).", schema: { const: "*" } },
            },
            headers: {
                RequestId: { description: "Unique id of this request (on every response).", schema: { type: "string" } },
                ETag: { description: "Version of the policy; changes on every write.", schema: { type: "string" } },
                RetryAfter: { description: "Seconds to wait before retrying.", schema: { type: "integer" } },
                Location: { description: "URL of the created resource or operation.", schema: { type: "string", format: "uri" } },
                Warning: { description: "299 warning: Global was reset, not removed.", schema: { type: "string" } },
            },
            responses: errorResponses,
            schemas: schemas(),
        },
    };
}

/** The YAML text committed as api/openapi.yaml. */
export function renderOpenApiYaml(): string {
    return "# Generated by api/openapi.ts from api/catalogue.ts; do not edit by hand.\n" + stringify(buildOpenApi(), { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Where the document is committed. */
export const OPENAPI_YAML_PATH = path.join(__dirname, "openapi.yaml");

if (require.main === module) {
    if (process.argv.includes("--write")) writeFileSync(OPENAPI_YAML_PATH, renderOpenApiYaml());
    else process.stdout.write(renderOpenApiYaml());
}
