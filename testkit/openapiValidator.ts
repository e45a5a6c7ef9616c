/**
 * Checks recorded HTTP exchanges against api/openapi.yaml: the path and method must be an operation of the document,
 * the status one of its responses (or a `4XX`/`5XX` range), the body valid against the response's schema for its
 * media type, and every contract header the server sent (ETag, Location, Retry-After, Warning) documented for that
 * response with a valid value. Schemas are JSON Schema 2020-12 (OpenAPI 3.1's dialect), checked with Ajv's 2020
 * validator and ajv-formats (`uri-reference`, `date-time`).
 */
import { readFileSync } from "node:fs";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { OPENAPI_YAML_PATH } from "../api/openapi";
import type { Exchange } from "./recorder";

type Obj = Record<string, any>;

/** Response headers the contract describes; sending one the document does not list for that response is drift. */
const CONTRACT_HEADERS = ["etag", "location", "retry-after", "warning", "request-id"];
const SCHEMA_URN = "urn:openapi:schemas:";

/** Rewrites `#/components/schemas/X` references to ids registered with Ajv. */
function rewriteRefs(node: unknown): unknown {
    if (Array.isArray(node)) return node.map(rewriteRefs);
    if (node === null || typeof node !== "object") return node;
    const out: Obj = {};
    for (const [k, v] of Object.entries(node)) {
        out[k] = k === "$ref" && typeof v === "string" && v.startsWith("#/components/schemas/") ? SCHEMA_URN + v.slice("#/components/schemas/".length) : rewriteRefs(v);
    }
    return out;
}

/** Validates exchanges against one OpenAPI document. */
export class OpenApiResponseValidator {
    private readonly doc: Obj;
    private readonly ajv: Ajv2020;
    private readonly compiled = new Map<string, ValidateFunction>();
    private readonly templates: Array<{ path: string; segments: string[]; literals: number }>;

    constructor(doc: Obj = parse(readFileSync(OPENAPI_YAML_PATH, "utf8"))) {
        this.doc = doc;
        // Unknown keywords are errors (a typo in the generator would otherwise validate nothing); type and required
        // pedantry is off: `enum` without `type` and `required` inside `oneOf` branches are valid JSON Schema.
        this.ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true });
        addFormats(this.ajv);
        // OpenAPI annotations and this document's vendor extensions: known, not validation keywords.
        this.ajv.addVocabulary(["example", "x-min-seconds", "x-max-seconds", "x-case-insensitive"]);
        for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
            this.ajv.addSchema(rewriteRefs(schema) as Obj, SCHEMA_URN + name);
        }
        this.templates = Object.keys(doc.paths).map((path) => {
            const segments = path.split("/").filter(Boolean);
            return { path, segments, literals: segments.filter((s) => !s.startsWith("{")).length };
        });
    }

    /** The document's path template for a concrete path (most literal segments win, as OpenAPI prescribes). */
    matchPath(path: string): string | undefined {
        const segments = path.split("?")[0].split("/").filter(Boolean);
        let best: { path: string; literals: number } | undefined;
        for (const t of this.templates) {
            if (t.segments.length !== segments.length) continue;
            if (!t.segments.every((s, i) => s.startsWith("{") || s === segments[i])) continue;
            if (!best || t.literals > best.literals) best = t;
        }
        return best?.path;
    }

    private resolve(node: Obj): Obj {
        let cur = node;
        while (typeof cur?.$ref === "string") {
            cur = cur.$ref.slice(2).split("/").reduce((o: Obj, k: string) => o?.[k], this.doc);
        }
        return cur;
    }

    private validator(key: string, schema: Obj): ValidateFunction {
        let v = this.compiled.get(key);
        if (!v) this.compiled.set(key, (v = this.ajv.compile(rewriteRefs(schema) as Obj)));
        return v;
    }

    private checkSchema(key: string, schema: Obj, value: unknown): string | undefined {
        const v = this.validator(key, schema);
        if (v(value)) return undefined;
        return this.ajv.errorsText(v.errors, { dataVar: "body" });
    }

    /** Problems with one exchange (empty when it matches the document). */
    check(x: Exchange): string[] {
        const where = `${x.method} ${x.path.length > 120 ? x.path.slice(0, 120) + "…" : x.path} → ${x.status}`;
        let body: unknown;
        try {
            body = x.text === "" ? undefined : JSON.parse(x.text);
        } catch {
            return [`${where}: body is not JSON`];
        }
        if (x.offContract) {
            const err = x.status >= 400 ? this.checkSchema("offContract", { $ref: "#/components/schemas/Error" }, body) : `status ${x.status} for an off-contract request`;
            return err ? [`${where}: ${err}`] : [];
        }
        const template = this.matchPath(x.path);
        if (!template) return [`${where}: path is not in the document`];
        const method = x.method.toLowerCase();
        const operation = this.doc.paths[template][method];
        if (!operation) return [`${where}: ${template} has no ${method} operation`];
        const status = String(x.status);
        const raw = operation.responses[status] ?? operation.responses[`${status[0]}XX`] ?? operation.responses.default;
        if (!raw) return [`${where}: status not documented for ${method} ${template} (has ${Object.keys(operation.responses).join(", ")})`];
        const response = this.resolve(raw);
        const problems: string[] = [];

        const documented = new Map(Object.entries(response.headers ?? {}).map(([k, v]) => [k.toLowerCase(), this.resolve(v as Obj)]));
        for (const name of CONTRACT_HEADERS) {
            const value = x.headers[name];
            if (value === undefined) {
                if (documented.get(name)?.required) problems.push(`${where}: required header ${name} missing`);
                continue;
            }
            const doc = documented.get(name);
            if (!doc) {
                problems.push(`${where}: header ${name} sent but not documented for this response`);
                continue;
            }
            const schema = doc.schema ?? {};
            const typed = schema.type === "integer" && /^\d+$/.test(value) ? Number(value) : value;
            const err = this.checkSchema(`header:${name}:${JSON.stringify(schema)}`, schema, typed);
            if (err) problems.push(`${where}: header ${name}: ${err}`);
        }

        const type = x.headers["content-type"]?.split(";")[0].trim();
        const content = response.content as Obj | undefined;
        if (method === "head") return problems;
        if (!content) {
            if (x.text !== "") problems.push(`${where}: body sent but the response documents none`);
            return problems;
        }
        if (x.text === "") return [...problems, `${where}: no body, documented ${Object.keys(content).join(", ")}`];
        const media = type && content[type];
        if (!media) return [...problems, `${where}: content-type ${type} not documented (${Object.keys(content).join(", ")})`];
        const err = this.checkSchema(`${template}:${method}:${status}:${type}`, media.schema ?? {}, body);
        if (err) problems.push(`${where}: ${err}`);
        return problems;
    }
}
