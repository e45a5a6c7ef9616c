/**
 * The emulator-only admin surface under `/_emulator` (provisioning, faults, stats, the PowerShell endpoint). The
 * tenant API itself is the shared layer's (server/routes.ts), over emulator/backend.ts.
 */
import { Errors } from "../server/errors";
import type { FaultConfig } from "./faults";
import { checkFaults } from "./faults";
import { POWERSHELL_MEDIA_TYPE, execute, parseScriptOrFail } from "./powershell";
import { route, type Route } from "../server/router";
import type { Tenant } from "./tenant";
import { checkTenantSpec, type TenantRegistry } from "./tenants";

/** What the admin routes act on. */
export interface AdminContext {
    registry: TenantRegistry;
    faults: FaultConfig;
}

function adminTenant(a: AdminContext, id: string): Tenant {
    const t = a.registry.get(id);
    if (!t) throw Errors.tenantNotFound(id);
    return t;
}

/** The emulator-only surface (no authentication: the server listens on loopback only). */
export const adminRoutes: Route<AdminContext>[] = [
    route("GET", "/_emulator/tenants", async (_ctx, a) => ({ status: 200, body: { value: a.registry.all().map((t) => ({ id: t.id, users: t.state.users.length })) } })),
    route("POST", "/_emulator/tenants", async (ctx, a) => {
        const { tenant, script } = await a.registry.provision(checkTenantSpec(await ctx.json()));
        return { status: 201, body: { id: tenant.id, users: tenant.state.users.length, results: script } };
    }),
    route("GET", "/_emulator/faults", async (_ctx, a) => ({ status: 200, body: a.faults })),
    route("PUT", "/_emulator/faults", async (ctx, a) => {
        const checked = checkFaults(await ctx.json());
        if ("error" in checked) throw Errors.invalidParameter(checked.target, `${checked.target} ${checked.error}.`);
        Object.assign(a.faults, checked.ok);
        return { status: 200, body: a.faults };
    }),
    route("GET", "/_emulator/:tenant/stats", async (ctx, a) => ({ status: 200, body: { ...adminTenant(a, ctx.params.tenant).stats } })),
    route("POST", "/_emulator/:tenant/powershell", async (ctx, a) => {
        const tenant = adminTenant(a, ctx.params.tenant);
        // A media type a cross-site HTML form or no-cors fetch cannot send (CORS "simple" types are text/plain,
        // multipart/form-data and application/x-www-form-urlencoded): a web page the developer visits cannot post
        // cmdlets to a local emulator, because a browser must ask first (preflight), and the emulator allows no origin.
        const script = await ctx.bodyText([POWERSHELL_MEDIA_TYPE]);
        const results = await execute(tenant, parseScriptOrFail(script));
        return { status: 200, body: { succeeded: results.every((r) => r.status === "Succeeded"), results } };
    }),
];
