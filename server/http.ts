/**
 * HTTP plumbing shared by the handlers: the request context, body parsing
 * with content-type checks, paging and replies.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { DEFAULT_PAGE_SIZE, MAX_BODY_BYTES, MAX_PAGE_SIZE } from "../api/contract";
import { ApiError, Errors, OAuthError } from "./errors";

/** What a handler answers. */
export interface Reply {
    status: number;
    body?: unknown;
    headers?: Record<string, string>;
}

/** One request as the handlers see it. */
export class RequestContext {
    /** Path parameters of the matched route, decoded. */
    params: Record<string, string> = {};
    private bodyPromise?: Promise<Buffer>;

    constructor(readonly req: IncomingMessage, readonly url: URL) {}

    /** A request header (repeated headers joined with ", "). */
    header(name: string): string | undefined {
        const v = this.req.headers[name.toLowerCase()];
        return Array.isArray(v) ? v.join(", ") : v;
    }

    /** The raw body, read once, at most {@link MAX_BODY_BYTES}. */
    rawBody(): Promise<Buffer> {
        this.bodyPromise ??= new Promise((resolve, reject) => {
            const chunks: Buffer[] = [];
            let size = 0;
            this.req.on("data", (c: Buffer) => {
                size += c.length;
                if (size > MAX_BODY_BYTES) reject(Errors.payloadTooLarge(MAX_BODY_BYTES));
                else chunks.push(c);
            });
            this.req.on("end", () => resolve(Buffer.concat(chunks)));
            this.req.on("error", reject);
        });
        return this.bodyPromise;
    }

    /** The media type of the body, lower-cased, without parameters. */
    mediaType(): string | undefined {
        return this.header("content-type")?.split(";")[0].trim().toLowerCase() || undefined;
    }

    /** Text body after checking its media type against `accepted`. */
    async bodyText(accepted: string[]): Promise<string> {
        const type = this.mediaType();
        if (!type || !accepted.includes(type)) throw Errors.unsupportedMediaType(this.header("content-type"), accepted);
        return (await this.rawBody()).toString("utf8");
    }

    /** Parsed JSON body; 415 for another media type, 400 for malformed JSON. */
    async json(accepted: string[] = ["application/json"]): Promise<unknown> {
        const text = await this.bodyText(accepted);
        if (text.trim() === "") throw Errors.invalidRequestContent("The request body is empty; a JSON document is required.");
        try {
            return JSON.parse(text);
        } catch (e) {
            throw Errors.invalidRequestContent(`The request body is not valid JSON: ${(e as Error).message}`);
        }
    }

    /** A JSON object body with only `allowed` keys; `required` must be present (may be null). */
    async jsonObject(allowed: string[], required: string[] = []): Promise<Record<string, unknown>> {
        const body = await this.json();
        if (body === null || typeof body !== "object" || Array.isArray(body)) throw Errors.invalidRequestContent("The request body must be a JSON object.");
        const obj = body as Record<string, unknown>;
        for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw Errors.invalidParameter(k, `${k} is not a property of this request; expected ${allowed.join(", ")}.`);
        for (const k of required) if (!(k in obj)) throw Errors.invalidParameter(k, `${k} is required.`);
        return obj;
    }

    /**
     * One page of `items` as `{"value", "@nextLink"?}`, honouring `$top` and `$skiptoken`. Paging is by key, not
     * offset: the token holds the last key served, so a client walking the pages while others add or remove items
     * (a batch unassigning users, say) never skips an item that stays in the list. `@nextLink` is relative (this
     * request's path and query): it never names a host, so a client resolves it against the base URL it already
     * trusts, whatever `Host` header the request carried.
     */
    page<T, V>(items: T[], view: (item: T) => V, key: (item: T) => string): Reply {
        const top = this.intParam("$top", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
        const after = this.skipToken();
        const sorted = items.map((item) => ({ item, k: key(item) })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
        const rest = after === undefined ? sorted : sorted.filter((x) => x.k > after);
        const pageItems = rest.slice(0, top);
        const body: Record<string, unknown> = { value: pageItems.map((x) => view(x.item)) };
        if (rest.length > top) {
            const query = new URLSearchParams(this.url.search);
            query.delete("$top");
            query.delete("$skiptoken");
            // `$` is legal in a query (RFC 3986), so the OData names stay readable; the token is base64url.
            const token = "k." + Buffer.from(pageItems[pageItems.length - 1].k).toString("base64url");
            body["@nextLink"] = `${this.url.pathname}?${query.size > 0 ? `${query}&` : ""}$top=${top}&$skiptoken=${token}`;
        }
        return { status: 200, body };
    }

    /** The last key of the previous page, from an opaque `$skiptoken` this server issued. */
    private skipToken(): string | undefined {
        const raw = this.url.searchParams.get("$skiptoken");
        if (raw === null) return undefined;
        if (!/^k\.[A-Za-z0-9_-]+$/.test(raw)) {
            throw Errors.invalidParameter("$skiptoken", "$skiptoken must be copied unchanged from an @nextLink.");
        }
        return Buffer.from(raw.slice(2), "base64url").toString();
    }

    private intParam(name: string, fallback: number, min: number, max: number): number {
        const raw = this.url.searchParams.get(name);
        if (raw === null) return fallback;
        const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
        if (!(n >= min && n <= max)) throw Errors.invalidParameter(name, `${name} must be an integer ${min}–${max}, got ${JSON.stringify(raw)}.`);
        return n;
    }

    /** A boolean query flag (`true`/`false`, absent = false). */
    flag(name: string): boolean {
        const raw = this.url.searchParams.get(name);
        if (raw === null) return false;
        if (raw.toLowerCase() === "true") return true;
        if (raw.toLowerCase() === "false") return false;
        throw Errors.invalidParameter(name, `${name} must be true or false, got ${JSON.stringify(raw)}.`);
    }
}

/** UTF-8 JSON of frozen reply bodies (a backend's shared, immutable views), serialized once per object. */
const serializedBodies = new WeakMap<object, Buffer>();

function jsonBytes(body: unknown): Buffer {
    const cacheable = typeof body === "object" && body !== null && Object.isFrozen(body);
    const cached = cacheable ? serializedBodies.get(body) : undefined;
    if (cached) return cached;
    const bytes = Buffer.from(JSON.stringify(body), "utf8");
    if (cacheable) serializedBodies.set(body, bytes);
    return bytes;
}

/** Writes a reply (JSON when there is a body). */
export function send(res: ServerResponse, reply: Reply): void {
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    if (reply.body === undefined) {
        res.writeHead(reply.status);
        res.end();
        return;
    }
    const bytes = jsonBytes(reply.body);
    res.writeHead(reply.status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": bytes.length });
    res.end(bytes);
}

/** The reply for a thrown error; anything unexpected becomes a 500 with the same error shape. */
export function errorReply(e: unknown): Reply {
    if (e instanceof ApiError || e instanceof OAuthError) {
        return { status: e.status, body: e.toBody(), headers: e instanceof ApiError ? e.headers : {} };
    }
    const internal = Errors.internal(`Unexpected error: ${(e as Error)?.message ?? String(e)}`);
    return { status: 500, body: internal.toBody() };
}
