/**
 * Generator of api/openapi.yaml (OpenAPI 3.1), the authoritative description of the tenant API. Routes and limits come
 * from the wire contract (api/contract.ts), error codes and their notes from the error table (api/errors.ts), setting
 * schemas from the zod catalogue, so the document cannot drift from them. `npm run generate` writes it (and
 * test/unit/generated.test.ts fails when the committed yaml is not {@link renderOpenApiYaml}'s output); the contract
 * tests validate every response the integration suite receives against it.
 */
import * as path from "node:path";
import { stringify } from "yaml";
import { SETTINGS, wireJsonSchema } from "./catalogue";
import {
    BATCH_MAX_USERS, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, OWNER_ANNOTATION, OWNER_MAX_LENGTH,
    OPERATION_ID_MAX_LENGTH, RESOLVE_MAX_IDENTITIES, ROUTE_PATTERNS,
} from "./contract";
import { ERROR_CODES, ERROR_TABLE, RETRYABLE_STATUSES, type ErrorCode } from "./errors";

type Obj = Record<string, unknown>;

const ref = (kind: string, name: string): Obj => ({ $ref: `#/components/${kind}/${name}` });
const schemaRef = (name: string) => ref("schemas", name);
const json = (schema: Obj) => ({ "application/json": { schema } });
const REQUEST_ID = { "request-id": ref("headers", "RequestId") };

function ok(description: string, schema?: Obj, headers: Obj = {}): Obj {
    return { description, headers: { ...REQUEST_ID, ...headers }, ...(schema ? { content: json(schema) } : {}) };
}

/** Component name of each error status's shared response. */
const ERROR_RESPONSE_NAMES: Record<string, string> = {
    "400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound", "409": "Conflict",
    "412": "PreconditionFailed", "413": "PayloadTooLarge", "415": "UnsupportedMediaType", "428": "PreconditionRequired",
    "429": "Throttled", "500": "InternalServerError", "501": "NotImplemented", "503": "ServiceUnavailable",
    "504": "GatewayTimeout",
};


/**
 * The tenant error codes whose HTTP status has no shared response, each as a message naming what to add: such a code
 * would be left out of the document without a word. Empty when every status is listed.
 */
export function unlistedErrorStatuses(codes: Readonly<Record<string, number>>): string[] {
    return Object.entries(codes).filter(([, status]) => !(String(status) in ERROR_RESPONSE_NAMES)).map(([code, status]) =>
        `api/errors.ts: ${code} answers HTTP ${status}, which no route of the OpenAPI document answers yet: add "${status}" to ` +
        `ERROR_RESPONSE_NAMES in api/openapi.ts and to the error statuses of each route (op()) that answers it`);
}

/** Error responses by status, shared through components/responses: every contract code of that status. */
const ERRORS: Record<string, [string, string]> = Object.fromEntries(Object.entries(ERROR_RESPONSE_NAMES).map(([status, name]) => {
    const codes = (Object.keys(ERROR_CODES) as ErrorCode[]).filter((c) => String(ERROR_CODES[c]) === status);
    return [status, [name, codes.map((c) => { const note = ERROR_TABLE[c].note; return note ? `${c} (${note})` : c; }).join(", ") + "."]];
}));
/** Error responses that carry Retry-After: the retryable statuses of the error table. */
const RETRY_STATUSES = new Set([...RETRYABLE_STATUSES].map(String).filter((s) => s in ERROR_RESPONSE_NAMES));
const COMMON = ["401", "429", "500", "501", "503", "504"];

function responses(success: Record<string, Obj>, errors: string[]): Obj {
    const out: Obj = { ...success };
    for (const code of [...errors, ...COMMON].sort()) out[code] = ref("responses", ERRORS[code][0]);
    return out;
}

function op(operationId: string, summary: string, extra: Obj, success: Record<string, Obj>, errors: string[] = []): Obj {
    return { operationId, summary, ...extra, responses: responses(success, errors) };
}

const P = (name: string) => ref("parameters", name);

/** OpenAPI path template of a contract route pattern (`:identity` → `{identity}`, or `{userIdentity}` under /users). */
export function openApiPath(pattern: string): string {
    const users = pattern.startsWith("/users/");
    const names: Record<string, string> = { type: "policyType", id: "operationId", identity: users ? "userIdentity" : "identity", tenant: "tenantId" };
    return pattern.replace(/:(\w+)/g, (_, n: string) => `{${names[n] ?? n}}`);
}

/**
 * What the server answers for a GET or HEAD on a modelled path that has no such operation: 501 (after authentication,
 * throttling and faults, like every tenant route), never a made-up success.
 */
function unmodelled(paths: Record<string, Obj>, methods = ["get", "head"]): Record<string, Obj> {
    for (const [p, ops] of Object.entries(paths)) {
        for (const m of methods) {
            if (ops[m]) continue;
            const id = p.replace(/[^A-Za-z0-9]+/g, " ").trim().split(" ").map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1))).join("");
            ops[m] = op(`${m}${id[0].toUpperCase()}${id.slice(1)}Unmodelled`, `Not modelled: ${m.toUpperCase()} answers 501 NotImplemented.`, {}, {});
        }
    }
    return paths;
}
const jsonBody = (schema: Obj, types = ["application/json"]): Obj =>
    ({ requestBody: { required: true, content: Object.fromEntries(types.map((t) => [t, { schema }])) } });
const ETAG = { ETag: ref("headers", "ETag") };
const policyOk = (d: string, status = "200", extra: Obj = {}) => ({ [status]: ok(d, schemaRef("Policy"), { ...ETAG, ...extra }) });

/** Tenant-API paths (tenant-less: they act on the token's tenant). */
function tenantPaths(): Record<string, Obj> {
    const policy = [P("PolicyType"), P("PolicyIdentity")];
    const path = (name: keyof typeof ROUTE_PATTERNS) => openApiPath(ROUTE_PATTERNS[name]);
    return unmodelled({
        [path("policies")]: {
            get: op("listPolicies", "List client policies (paged).", { parameters: [P("PolicyType"), P("Top"), P("SkipToken")] },
                { "200": ok("A page of policies.", schemaRef("PolicyList")) }, ["400"]),
        },
        [path("policy")]: {
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
        [path("assignments")]: {
            get: op("listAssignments", "Users directly granted the policy (paged).", { parameters: [...policy, P("Top"), P("SkipToken")] },
                { "200": ok("A page of users.", schemaRef("UserList")) }, ["400", "404"]),
        },
        [path("batchAssignments")]: {
            post: op("startBatchAssignment", `Grant (or unassign) a policy for up to ${BATCH_MAX_USERS} users, asynchronously; Owner is recorded on each assignment.`, jsonBody(schemaRef("BatchRequest")),
                { "202": ok("Accepted; poll Location.", schemaRef("BatchAccepted"), { Location: ref("headers", "Location") }) }, ["400", "404", "409", "413", "415"]),
        },
        [path("batchAssignment")]: {
            get: op("getBatchAssignment", "Status and per-user results of a batch.",
                { parameters: [{ name: "operationId", in: "path", required: true, schema: { type: "string" } }] },
                { "200": ok("The operation.", schemaRef("BatchOperation")) }, ["404"]),
        },
        [path("userResolutions")]: {
            post: op("resolveUsers", `Resolve up to ${RESOLVE_MAX_IDENTITIES} user identities in one call (read-only): each answered, in request order, with the user or its own error (UserNotFound, AmbiguousIdentity with the matching SIP addresses, InvalidParameter).`,
                jsonBody(schemaRef("ResolveRequest")), { "200": ok("One result per identity, in request order.", schemaRef("ResolveResponse")) }, ["400", "413", "415"]),
        },
        [path("users")]: {
            get: op("listUsers", "List users (paged), each with its Registrar pool and site; optionally only one site's, one grant's, or one effective policy's users.",
                { parameters: [P("Top"), P("SkipToken"), P("SiteFilter"), P("ClientPolicyFilter"), P("EffectivePolicyFilter")] },
                { "200": ok("A page of users.", schemaRef("UserList")) }, ["400"]),
        },
        [path("sites")]: {
            get: op("listSites", "Sites of the topology (Get-CsSite) with their pools (Get-CsPool), paged.", { parameters: [P("Top"), P("SkipToken")] },
                { "200": ok("A page of sites.", schemaRef("SiteList")) }, ["400"]),
        },
        [path("userCounts")]: {
            get: op("countUsers", "Users counted by site and direct grant, each group with the client policy that applies to it (per-user grant, else the site's policy, else Global): how many users any change reaches, without listing them.",
                { parameters: [P("PolicyType")] }, { "200": ok("Every group and the total.", schemaRef("UserCounts")) }, ["400"]),
        },
        [path("user")]: {
            get: op("getUser", "Resolve a user identity.", { parameters: [P("UserIdentity")] }, { "200": ok("The user.", schemaRef("User")) }, ["400", "404", "409"]),
        },
        [path("userAssignment")]: {
            put: op("grantPolicy", "Grant-CsClientPolicy, recording Owner on the assignment; PolicyName null unassigns (and clears the owner).", { parameters: [P("UserIdentity"), P("PolicyType")], ...jsonBody(schemaRef("GrantRequest")) },
                { "200": ok("The user after the grant.", schemaRef("User")) }, ["400", "404", "409", "413", "415"]),
            delete: op("unassignPolicy", "Remove the user's direct assignment.", { parameters: [P("UserIdentity"), P("PolicyType")] },
                { "204": ok("Unassigned (or was not assigned).") }, ["400", "404", "409"]),
        },
    });
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
    // Emulator-only routes answer any client error in the error shape (unknown tenant, bad JSON, wrong media type…).
    const adminErrors = { "4XX": ref("responses", "ClientError"), "500": ref("responses", "InternalServerError") };
    const token = unmodelled({ [openApiPath(ROUTE_PATTERNS.token)]: {} });
    const tokenPath = Object.keys(token)[0];
    for (const m of ["get", "head"]) Object.assign((token[tokenPath] as Obj)[m] as Obj, { security: [], parameters: [tenantParam] });
    return {
        [tokenPath]: {
            ...token[tokenPath],
            post: {
                operationId: "getToken", summary: "OAuth2 client-credentials grant.", security: [], parameters: [tenantParam],
                requestBody: { required: true, content: { "application/x-www-form-urlencoded": { schema: schemaRef("TokenRequest") } } },
                responses: {
                    "200": ok("A bearer token.", schemaRef("TokenResponse")),
                    "400": ok("invalid_request, unsupported_grant_type, invalid_scope.", schemaRef("OAuthError")),
                    "401": ok("invalid_client.", schemaRef("OAuthError")),
                    "413": ref("responses", "PayloadTooLarge"),
                    "429": ref("responses", "Throttled"),
                    "500": ref("responses", "InternalServerError"),
                    "503": ref("responses", "ServiceUnavailable"),
                },
            },
        },
        "/_emulator/tenants": {
            get: { ...admin, operationId: "listTenants", summary: "Hosted tenants.", responses: { "200": ok("Tenant ids and user counts.", { type: "object" }), ...adminErrors } },
            post: {
                ...admin, operationId: "provisionTenant", summary: "Provision a tenant (seed-file tenant format).", ...jsonBody(schemaRef("TenantSpec")),
                responses: { "201": ok("Created; results of its script.", { type: "object" }), "400": ref("responses", "BadRequest"), "409": ref("responses", "Conflict"), ...adminErrors },
            },
        },
        "/_emulator/faults": {
            get: { ...admin, operationId: "getFaults", summary: "Current fault injection.", responses: { "200": ok("Faults.", schemaRef("Faults")), ...adminErrors } },
            put: {
                ...admin, operationId: "setFaults", summary: "Change fault injection (partial update).", ...jsonBody(schemaRef("Faults")),
                responses: { "200": ok("Faults now in force.", schemaRef("Faults")), "400": ref("responses", "BadRequest"), ...adminErrors },
            },
        },
        "/_emulator/{tenantId}/stats": {
            get: {
                ...admin, operationId: "getStats", summary: "Authenticated requests and state-changing writes of a tenant since start.", parameters: [tenantParam],
                responses: { "200": ok("Counters.", schemaRef("Stats")), "404": ref("responses", "NotFound"), ...adminErrors },
            },
        },
        "/_emulator/{tenantId}/powershell": {
            post: {
                ...admin, operationId: "runPowerShell", summary: "Run New/Set/Get/Remove/Grant-CsClientPolicy and Move-CsUser lines out of band (drift).", parameters: [tenantParam],
                requestBody: { required: true, content: { "application/x-powershell": { schema: { type: "string" } } } },
                responses: {
                    "200": ok("Per-line results (a failing line does not stop later ones).", schemaRef("PowerShellResults")),
                    "400": ref("responses", "BadRequest"), "404": ref("responses", "NotFound"), "413": ref("responses", "PayloadTooLarge"),
                    "415": ref("responses", "UnsupportedMediaType"), ...adminErrors,
                },
            },
        },
    };
}

function schemas(): Obj {
    const str = { type: "string" };
    const nullableStr = { type: ["string", "null"] };
    const owner = (description: string) => ({ type: ["string", "null"], minLength: 1, maxLength: OWNER_MAX_LENGTH, description });
    const user = {
        type: "object", required: ["Id", "SipAddress", "UserPrincipalName", "DisplayName", "ClientPolicy"],
        properties: {
            Id: str, SipAddress: str, UserPrincipalName: str, DisplayName: str,
            ClientPolicy: { ...nullableStr, description: "Direct assignment's PolicyName (without Tag:)." },
            ClientPolicyOwner: owner("Owner recorded on the direct assignment by the grant that made it (null: none, e.g. Grant-CsClientPolicy)."),
            RegistrarPool: { ...nullableStr, description: "FQDN of the user's Registrar pool (Get-CsUser RegistrarPool); null: none. Absent when the backend does not report it." },
            Site: { ...nullableStr, description: "Site:<name> of the site hosting that pool (Get-CsPool Site); null: none. Its site:<name> client policy applies unless a per-user policy is granted." },
        },
    };
    const nextLink = { type: "string", format: "uri-reference", description: "Next page, relative to the API base URL (never another origin)." };
    const page = (item: string) => ({ type: "object", required: ["value"], properties: { value: { type: "array", items: schemaRef(item) }, "@nextLink": nextLink } });
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
            properties: {
                Identity: { type: "string", description: "Global, site:<name> or Tag:<name>; must match the URL when present." },
                [OWNER_ANNOTATION]: owner("Owner of the policy (project/stack/resource). Responses always carry it (null: none). PUT records it (absent on a replace: kept); PATCH and the cmdlets never change it; resetting Global clears it."),
                ...settingProps,
            },
        },
        PolicyList: page("Policy"),
        User: user,
        UserList: page("User"),
        Site: {
            type: "object", required: ["Identity", "Pools"],
            properties: { Identity: { ...str, description: "Site:<name>." }, Pools: { type: "array", items: str, description: "FQDNs of the site's pools." } },
        },
        SiteList: page("Site"),
        UserCounts: {
            type: "object", required: ["value", "Total"],
            properties: {
                Total: { type: "integer", minimum: 0 },
                value: {
                    type: "array", items: {
                        type: "object", required: ["Site", "ClientPolicy", "EffectivePolicy", "Reason", "Count"],
                        properties: {
                            Site: { ...nullableStr, description: "Site:<name>, or null for users without a site." },
                            ClientPolicy: { ...nullableStr, description: "Granted tag policy name, or null." },
                            EffectivePolicy: { ...str, description: "The client policy that applies to these users now." },
                            Reason: { enum: ["Granted", "Site", "Global"] },
                            Count: { type: "integer", minimum: 1 },
                        },
                    },
                },
            },
        },
        GrantRequest: {
            type: "object", additionalProperties: false, required: ["PolicyName"],
            properties: { PolicyName: { ...nullableStr, description: "Tag policy name (Tag: prefix optional) or null." }, Owner: owner("Owner to record on the assignment (absent: none).") },
        },
        BatchRequest: {
            type: "object", additionalProperties: false, required: ["PolicyType", "PolicyName", "Users"],
            properties: {
                PolicyType: { const: "ClientPolicy" }, PolicyName: nullableStr,
                Users: { type: "array", minItems: 1, maxItems: BATCH_MAX_USERS, items: { type: "string", minLength: 1 } },
                Owner: owner("Owner to record on every assignment the batch makes (absent: none)."),
                OperationId: {
                    type: "string", pattern: `^[A-Za-z0-9-]{1,${OPERATION_ID_MAX_LENGTH}}$`,
                    description: "Client-generated id of this logical batch, repeated unchanged on every retry: a known id with the same body answers 202 with the original batch (nothing new starts); with a different body 409 OperationIdConflict. Absent: the service picks the id.",
                },
            },
        },
        ResolveRequest: {
            type: "object", additionalProperties: false, required: ["Identities"],
            properties: { Identities: { type: "array", minItems: 1, maxItems: RESOLVE_MAX_IDENTITIES, items: str } },
        },
        ResolveResponse: {
            type: "object", required: ["value"],
            properties: {
                value: {
                    type: "array", items: {
                        type: "object", additionalProperties: false, required: ["Identity"],
                        properties: {
                            Identity: { ...str, description: "The identity as given." },
                            User: schemaRef("User"),
                            Error: {
                                type: "object", required: ["code", "message"],
                                properties: { code: str, message: str, matches: { type: "array", items: str, description: "AmbiguousIdentity: SIP addresses of the matching users." } },
                            },
                        },
                        oneOf: [{ required: ["User"] }, { required: ["Error"] }],
                    },
                },
            },
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
                users: { type: "array", items: { type: "object", required: ["displayName", "sipAddress", "userPrincipalName", "logon"], properties: { displayName: str, sipAddress: str, userPrincipalName: str, logon: str, id: str, registrarPool: { ...str, description: "FQDN of one of the tenant's pools (sites)." } } } },
                sites: {
                    type: "array", description: "The topology: sites and their Registrar pools. Generated users are spread over the pools in order.",
                    items: { type: "object", required: ["name", "pools"], properties: { name: { ...str, description: "Site name (identity Site:<name>)." }, pools: { type: "array", items: str } } },
                },
                generatedUsers: { type: "integer", minimum: 0 },
                policies: { type: "array", items: schemaRef("Policy") },
                script: { oneOf: [str, { type: "array", items: str }] },
            },
        },
    };
}

/** The whole OpenAPI document. */
export function buildOpenApi(): Obj {
    const unlisted = unlistedErrorStatuses(ERROR_CODES);
    if (unlisted.length > 0) throw new Error(unlisted.join("\n"));
    const paths = tenantPaths();
    const errorResponses = Object.fromEntries(Object.entries(ERRORS).map(([code, [name, description]]) =>
        [name, ok(description, schemaRef("Error"), RETRY_STATUSES.has(code) ? { "Retry-After": ref("headers", "RetryAfter") } : {})]));
    errorResponses.ClientError = ok("Any client error of an emulator-only route, in the error shape.", schemaRef("Error"));
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
                Top: { name: "$top", in: "query", schema: { type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE } },
                SkipToken: { name: "$skiptoken", in: "query", description: "Opaque; copy from @nextLink.", schema: { type: "string" } },
                SiteFilter: { name: "site", in: "query", description: "Only users of this site (Site:<name> or <name>); empty: users without a site.", schema: { type: "string" } },
                ClientPolicyFilter: { name: "clientPolicy", in: "query", description: "Only users granted this tag policy; empty: users without a grant.", schema: { type: "string" } },
                EffectivePolicyFilter: { name: "effectivePolicy", in: "query", description: "Only users to whom this client policy applies (Global, site:<name>, Tag:<name>).", schema: { type: "string" } },
                Force: { name: "force", in: "query", description: "Remove a granted policy together with its grants.", schema: { type: "boolean", default: false } },
                IfMatch: { name: "If-Match", in: "header", description: "ETag of the version being changed; stale → 412.", schema: { type: "string" } },
                IfNoneMatch: { name: "If-None-Match", in: "header", description: "* to create; the policy must not exist (else 409).", schema: { const: "*" } },
            },
            headers: {
                RequestId: { description: "Unique id of this request (on every response).", schema: { type: "string" } },
                ETag: { description: "Version of the policy; changes on every write.", schema: { type: "string" } },
                RetryAfter: { description: "Seconds to wait before retrying.", schema: { type: "integer" } },
                Location: { description: "The created resource or operation, relative to the API base URL.", schema: { type: "string", format: "uri-reference" } },
                Warning: { description: "299 warning: Global was reset, not removed.", schema: { type: "string" } },
            },
            responses: errorResponses,
            schemas: schemas(),
        },
    };
}

/** The YAML text committed as api/openapi.yaml. */
export function renderOpenApiYaml(): string {
    return "# Generated by npm run generate (api/openapi.ts) from api/contract.ts, api/errors.ts and api/catalogue.ts; do not edit by hand.\n" + stringify(buildOpenApi(), { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Where the document is committed. */
export const OPENAPI_YAML_PATH = path.join(__dirname, "openapi.yaml");

if (require.main === module) process.stdout.write(renderOpenApiYaml());
