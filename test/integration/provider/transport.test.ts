/**
 * Provider transport security with real HTTP servers on loopback: `https` is required except to loopback addresses
 * (an error at configuration, before any call, naming `clientpolicy:endpoint`); the client secret is never sent over
 * http to another host; credentials never follow a redirect to another origin (a server on a second port is another
 * origin), while same-origin redirects still work.
 */
import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { TenantClient } from "../../../provider/client/tenantClient";
import { isLoopbackHost, resolveConfig } from "../../../provider/config";
import { ConfigError, TransportError } from "../../../provider/errors";

const SECRET = "transport-test-client-secret-91c2";

interface Seen { method: string; url: string; authorization?: string; body: string }

/** A loopback server recording what reached it; `handle` answers. */
async function server(handle: (req: http.IncomingMessage, body: string, res: http.ServerResponse, origin: string) => void) {
    const seen: Seen[] = [];
    const srv = http.createServer(async (req, res) => {
        let body = "";
        for await (const c of req) body += c;
        seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
        handle(req, body, res, origin);
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const origin = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    return { origin, seen, close: () => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }) };
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));

function client(endpoint: string) {
    return new TenantClient({ endpoint, tenantId: "contoso.example", clientId: "app-1", clientSecret: SECRET, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
}

describe("provider transport: https except to loopback", () => {
    const base = { "clientpolicy:tenantId": "contoso.example", "clientpolicy:clientId": "app-1", "clientpolicy:clientSecret": SECRET };
    const cfg = (endpoint: string) => resolveConfig({ get: (k) => ({ ...base, "clientpolicy:endpoint": endpoint } as Record<string, string>)[k] }, {});

    it("accepts https anywhere and http to loopback only", () => {
        for (const ok of ["https://tenant.example", "https://10.0.0.5:8443", "http://127.0.0.1:8080", "http://127.8.9.10", "http://localhost:3000", "http://[::1]:8080"]) {
            assert.equal(typeof cfg(ok).endpoint, "string", ok);
        }
        for (const bad of ["http://tenant.example", "http://10.0.0.5:8080", "http://128.0.0.1", "http://localhost.evil.example", "http://[::2]", "http://127.0.0.1.nip.io"]) {
            assert.throws(() => cfg(bad), (e: unknown) => e instanceof ConfigError && e.message.startsWith("clientpolicy:endpoint must use https") && !e.message.includes(SECRET), bad);
        }
        assert.equal(isLoopbackHost("127.0.0.256"), false);
    });

    it("never sends the client secret over http to a non-loopback host, even when the client is built directly", async () => {
        // Refused before any connection: the host need not exist.
        const c = client("http://tenant.invalid");
        await assert.rejects(c.token(), (e: unknown) => e instanceof TransportError && /refusing to send the client secret over http/.test(e.message) && !e.retryable);
    });
});

describe("provider transport: credentials never follow a redirect to another origin", () => {
    it("a cross-origin 307/308 on an API call and on the token call reaches the other origin with nothing", async () => {
        const other = await server((_req, _body, res) => json(res, 200, { access_token: "stolen", expires_in: 3600 }));
        const api = await server((req, _body, res) => {
            if (req.url!.endsWith("/oauth2/v2.0/token") && req.url!.startsWith("/redirect-token")) return res.writeHead(307, { location: `${other.origin}/steal` }).end();
            if (req.url!.endsWith("/oauth2/v2.0/token")) return json(res, 200, { access_token: "tok-1", expires_in: 3600 });
            res.writeHead(req.url!.includes("OfflineIM") ? 308 : 307, { location: `${other.origin}/steal${req.url}` }).end();
        });
        try {
            const c = client(api.origin);
            await assert.rejects(c.getPolicy("Tag:OfflineIM"), (e: unknown) =>
                e instanceof TransportError && /redirected \(308\) to http:\/\/127\.0\.0\.1:\d+; credentials are never sent to another origin/.test(e.message) && !e.retryable);
            await assert.rejects(c.assignUser("sip:tony@contoso.example", "OfflineIM"), /redirected \(307\)/);
            assert.equal(other.seen.length, 0, `the other origin was called: ${JSON.stringify(other.seen)}`);
            assert.ok(api.seen.some((s) => s.authorization === "Bearer tok-1"), "the API itself got the token");
            // The token request (client secret in the body) redirected to another origin.
            const redirected = new TenantClient({ endpoint: api.origin, tenantId: "redirect-token.example", clientId: "app-1", clientSecret: SECRET, retry: { maxAttempts: 1 } });
            await assert.rejects(redirected.token(), (e: unknown) => e instanceof Error && /redirected \(307\)/.test(e.message) && !e.message.includes(SECRET));
            assert.equal(other.seen.length, 0, "the token request followed the redirect");
        } finally {
            await api.close();
            await other.close();
        }
    });

    it("follows a same-origin 307 with the same method, body and credentials", async () => {
        const api = await server((req, body, res) => {
            if (req.url!.endsWith("/oauth2/v2.0/token")) return json(res, 200, { access_token: "tok-1", expires_in: 3600 });
            if (req.url!.startsWith("/old/")) return res.writeHead(307, { location: req.url!.slice(4) }).end();
            json(res, 200, { Id: "u-1", SipAddress: "sip:tony@contoso.example", UserPrincipalName: "tony@contoso.example", DisplayName: "Tony", ClientPolicy: JSON.parse(body || "{}").PolicyName ?? null });
        });
        try {
            const c = client(api.origin);
            const res = await c.send<{ ClientPolicy: string }>("PUT", "/old/users/tony/policyAssignments/ClientPolicy", { body: { PolicyName: "OfflineIM" } });
            assert.equal(res.json.ClientPolicy, "OfflineIM");
            const followed = api.seen.filter((s) => s.url === "/users/tony/policyAssignments/ClientPolicy");
            assert.equal(followed.length, 1);
            assert.equal(followed[0].method, "PUT");
            assert.equal(followed[0].authorization, "Bearer tok-1");
        } finally {
            await api.close();
        }
    });
});
