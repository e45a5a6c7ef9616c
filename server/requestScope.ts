/**
 * The scope of the request being handled ({@link currentRequest}): the API server (server/api.ts) runs each request
 * inside it, so code below the routes (the tenant service, a backend) can attribute its work to the request without
 * the request being passed down.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** What one request did, for an audit log: filled in as the request runs, final when {@link ApiServerOptions.onDone} sees it. */
export interface RequestRecord {
    requestId: string;
    /** The client's network address as the socket saw it (no proxy headers are trusted); undefined once the socket is gone. */
    remoteAddress?: string;
    method: string;
    /** The matched route pattern (e.g. `/users/:identity`), or the raw path when none matched. */
    route: string;
    tenantId?: string;
    clientId?: string;
    /** Commands the backend ran for this request (the gateway's cmdlet lines), in order. */
    commands: string[];
    status?: number;
    /** Error code of a failed request. */
    error?: string;
    durationMs?: number;
    /**
     * Unauthenticated requests from this record's address that were refused (429) since its previous record and not
     * recorded one by one: under a flood only the first refusal is recorded, and the next recorded request carries the
     * count, so the audit log grows with the allowed budget, not with the flood.
     */
    suppressed?: number;
}

export const requestScope = new AsyncLocalStorage<RequestRecord>();

/**
 * The record of the request being handled: undefined outside a request (e.g. in a batch worker) and on a server
 * without an `onDone` option (server/api.ts), where nothing would read it.
 */
export function currentRequest(): RequestRecord | undefined {
    return requestScope.getStore();
}

