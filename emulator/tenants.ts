/**
 * The set of tenants hosted by one emulator and their provisioning: the
 * built-in demo tenants, `--seed` files and `POST /_emulator/tenants`.
 * Provisioning never touches a tenant that already exists in the data
 * directory's database, so restarting with the same directory keeps all state.
 */
import { randomBytes } from "node:crypto";
import { isTenantId } from "../api/contract";
import { foldIdentity, isIdentityError, parsePolicyIdentity } from "../api/identity";
import { Errors } from "../server/errors";
import { execute, parseScriptOrFail, type PsResult } from "./powershell";
import type { AppRecord, TenantStore } from "./store";
import { Tenant } from "./tenant";
import { parseIdentityOrFail, validatePolicyBody } from "../server/policyBody";

/** A user as given to provisioning. */
export interface UserSpec {
    displayName: string;
    sipAddress: string;
    userPrincipalName: string;
    logon: string;
    id?: string;
    /** FQDN of one of the tenant's pools ({@link TenantSpec.sites}); absent: not homed on a pool. */
    registrarPool?: string;
}

/** A site of a tenant spec: its name (identity `Site:<name>`) and its Registrar pools' FQDNs. */
export interface SiteSpec {
    name: string;
    pools: string[];
}

/** One tenant of a seed file or of `POST /_emulator/tenants`. */
export interface TenantSpec {
    id: string;
    apps?: AppRecord[];
    users?: UserSpec[];
    /** The topology: sites and their Registrar pools (a pool belongs to one site; names and FQDNs are unique). */
    sites?: SiteSpec[];
    /** Adds users `User 00001` … with sip `user00001@<id>`, homed round-robin on the pools of {@link sites} in order. */
    generatedUsers?: number;
    /** Policy bodies in wire form, each with its `Identity`; Global is updated, others created. */
    policies?: Array<Record<string, unknown>>;
    /** Cmdlet lines run after users and policies exist. */
    script?: string | string[];
}

/** The seed file: `{"tenants":[TenantSpec…]}`. */
export interface SeedFile {
    tenants: TenantSpec[];
}

const MAX_GENERATED = 200000;

function isObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

function requireString(obj: Record<string, unknown>, key: string, where: string): void {
    if (typeof obj[key] !== "string" || obj[key] === "") throw Errors.invalidParameter(`${where}.${key}`, `${where}.${key} must be a non-empty string.`);
}

/** Validates untrusted JSON as a TenantSpec (400 naming the offending path). */
export function checkTenantSpec(input: unknown, where = "tenant"): TenantSpec {
    if (!isObject(input)) throw Errors.invalidRequestContent(`${where} must be a JSON object.`);
    const known = ["id", "apps", "users", "sites", "generatedUsers", "policies", "script"];
    for (const k of Object.keys(input)) if (!known.includes(k)) throw Errors.invalidParameter(`${where}.${k}`, `${where}.${k} is not a tenant field; expected ${known.join(", ")}.`);
    if (typeof input.id !== "string" || !isTenantId(input.id)) {
        throw Errors.invalidParameter(`${where}.id`, `${where}.id must be a GUID or domain name (letters, digits, ".", "-").`);
    }
    const list = (key: string, fields: string[], optional: string[] = []) => {
        const v = input[key];
        if (v === undefined) return;
        if (!Array.isArray(v)) throw Errors.invalidParameter(`${where}.${key}`, `${where}.${key} must be an array.`);
        v.forEach((item, i) => {
            const at = `${where}.${key}[${i}]`;
            if (!isObject(item)) throw Errors.invalidParameter(at, `${at} must be an object.`);
            for (const f of fields) requireString(item, f, at);
            for (const f of optional) if (item[f] !== undefined) requireString(item, f, at);
        });
    };
    list("apps", ["clientId", "clientSecret"]);
    list("users", ["displayName", "sipAddress", "userPrincipalName", "logon"], ["id", "registrarPool"]);
    checkSites(input, where);
    list("policies", ["Identity"]);
    const n = input.generatedUsers;
    if (n !== undefined && (!Number.isInteger(n) || (n as number) < 0 || (n as number) > MAX_GENERATED)) {
        throw Errors.invalidParameter(`${where}.generatedUsers`, `${where}.generatedUsers must be an integer 0–${MAX_GENERATED}.`);
    }
    const s = input.script;
    if (s !== undefined && typeof s !== "string" && !(Array.isArray(s) && s.every((l) => typeof l === "string"))) {
        throw Errors.invalidParameter(`${where}.script`, `${where}.script must be a string or an array of strings.`);
    }
    return input as unknown as TenantSpec;
}

/** The `sites` of a tenant spec: names usable in `site:<name>`, pools unique across sites, users' pools known. */
function checkSites(input: Record<string, unknown>, where: string): void {
    const sites = input.sites;
    const pools = new Map<string, string>();
    if (sites !== undefined) {
        if (!Array.isArray(sites)) throw Errors.invalidParameter(`${where}.sites`, `${where}.sites must be an array of {"name", "pools"}.`);
        const names = new Set<string>();
        sites.forEach((site, i) => {
            const at = `${where}.sites[${i}]`;
            if (!isObject(site)) throw Errors.invalidParameter(at, `${at} must be an object {"name", "pools"}.`);
            for (const k of Object.keys(site)) if (k !== "name" && k !== "pools") throw Errors.invalidParameter(`${at}.${k}`, `${at}.${k} is not a site field; expected name, pools.`);
            requireString(site, "name", at);
            const id = parsePolicyIdentity(`site:${site.name as string}`);
            if (isIdentityError(id)) throw Errors.invalidParameter(`${at}.name`, `${at}.name ${id.error}`);
            if (names.has(id.key)) throw Errors.invalidParameter(`${at}.name`, `${at}.name: site "${site.name as string}" is listed twice.`);
            names.add(id.key);
            if (!Array.isArray(site.pools) || site.pools.length === 0) throw Errors.invalidParameter(`${at}.pools`, `${at}.pools must be a non-empty array of pool FQDNs.`);
            site.pools.forEach((pool, j) => {
                if (typeof pool !== "string" || !POOL_FQDN.test(pool)) throw Errors.invalidParameter(`${at}.pools[${j}]`, `${at}.pools[${j}] must be a pool FQDN (labels of letters, digits and hyphens joined by dots).`);
                const key = foldIdentity(pool);
                if (pools.has(key)) throw Errors.invalidParameter(`${at}.pools[${j}]`, `${at}.pools[${j}]: pool ${pool} is already in site ${pools.get(key)}; a pool belongs to one site.`);
                pools.set(key, site.name as string);
            });
        });
    }
    const users = input.users;
    if (!Array.isArray(users)) return;
    users.forEach((u, i) => {
        const pool = (u as Record<string, unknown>).registrarPool;
        if (pool !== undefined && !pools.has(foldIdentity(pool as string))) {
            throw Errors.invalidParameter(`${where}.users[${i}].registrarPool`, `${where}.users[${i}].registrarPool ${pool as string} is not a pool of ${where}.sites.`);
        }
    });
}

/** A pool FQDN: DNS labels joined by dots. */
const POOL_FQDN = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** Validates a whole seed file. */
export function checkSeed(input: unknown): SeedFile {
    if (!isObject(input) || !Array.isArray(input.tenants)) throw Errors.invalidRequestContent('A seed file is {"tenants": [ … ]}.');
    input.tenants.forEach((t, i) => checkTenantSpec(t, `tenants[${i}]`));
    return input as unknown as SeedFile;
}

/** `User 00001`… for a tenant whose id is (or looks like) a domain. */
export function generatedUsers(tenantId: string, count: number, pools: readonly string[] = []): UserSpec[] {
    const domain = tenantId.toLowerCase();
    const netbios = domain.split(".")[0].toUpperCase();
    const width = Math.max(5, String(count).length);
    const out: UserSpec[] = [];
    for (let i = 1; i <= count; i++) {
        const n = String(i).padStart(width, "0");
        out.push({
            displayName: `User ${n}`, sipAddress: `sip:user${n}@${domain}`, userPrincipalName: `user${n}@${domain}`, logon: `${netbios}\\user${n}`,
            ...(pools.length > 0 ? { registrarPool: pools[(i - 1) % pools.length] } : {}),
        });
    }
    return out;
}

/** A user spec from a display name, following the tenant's naming convention. */
export function namedUser(tenantId: string, displayName: string, alias = displayName.toLowerCase().replace(/\s+/g, ".")): UserSpec {
    const domain = tenantId.toLowerCase();
    return { displayName, sipAddress: `sip:${alias}@${domain}`, userPrincipalName: `${alias}@${domain}`, logon: `${domain.split(".")[0].toUpperCase()}\\${alias}` };
}

/** The tenants provisioned when no seed file is given. */
export function defaultSeed(clientSecret: string, users: number): SeedFile {
    const apps = [{ clientId: "demo-client", clientSecret }];
    const contoso = "contoso.example";
    const fabrikam = "fabrikam.example";
    const northwind = "northwind.example";
    const ambiguous = "ambiguous.example";
    return {
        tenants: [
            {
                // Two sites (so a site policy reaches part of the tenant): Tony Smith and Ken Myer are homed in Redmond,
                // the others in Dublin; generated users alternate between the two pools.
                id: contoso, apps, generatedUsers: users,
                sites: [{ name: "Redmond", pools: [`red-cs-001.${contoso}`] }, { name: "Dublin", pools: [`dub-cs-001.${contoso}`] }],
                users: ["Tony Smith", "Ken Myer", "Pilar Ackerman", "Kim Akers", "Jeff Hay"]
                    .map((n, i) => ({ ...namedUser(contoso, n), registrarPool: i < 2 ? `red-cs-001.${contoso}` : `dub-cs-001.${contoso}` })),
            },
            { id: fabrikam, apps, users: ["Tony Smith", "Ann Beebe"].map((n) => namedUser(fabrikam, n)) },
            // The multi-tenant example's third tenant.
            { id: northwind, apps, users: ["Tony Smith", "Kiosk Lobby"].map((n) => namedUser(northwind, n)) },
            { id: ambiguous, apps, users: [namedUser(ambiguous, "Tony Smith"), namedUser(ambiguous, "Tony Smith", "tony.smith2"), namedUser(ambiguous, "Ken Myer")] },
        ],
    };
}

/** The hosted tenants, keyed case-insensitively by id. */
export class TenantRegistry {
    private readonly tenants = new Map<string, Tenant>();

    constructor(readonly store: TenantStore) {}

    /** Loads every stored tenant and resumes unfinished batches. */
    async load(): Promise<void> {
        await this.store.open();
        for (const state of await this.store.loadAll()) {
            const t = new Tenant(state, this.store);
            this.tenants.set(state.id.toLowerCase(), t);
            t.service.batches.resume();
        }
    }

    get(id: string): Tenant | undefined {
        return this.tenants.get(id.toLowerCase());
    }

    all(): Tenant[] {
        return [...this.tenants.values()];
    }

    /** Creates a tenant; 409 when it exists. Returns the script's per-line results. */
    async provision(spec: TenantSpec): Promise<{ tenant: Tenant; script: PsResult[] }> {
        if (this.get(spec.id)) throw Errors.tenantAlreadyExists(spec.id);
        const commands = parseScriptOrFail(Array.isArray(spec.script) ? spec.script.join("\n") : spec.script ?? "");
        // Validate every policy up front: a rejected spec must not leave a half-provisioned tenant file behind.
        const seen = new Set<string>([parseIdentityOrFail("Global").key]);
        for (const p of spec.policies ?? []) {
            const id = parseIdentityOrFail(String(p.Identity));
            validatePolicyBody(p, id);
            if (id.scope !== "global" && seen.has(id.key)) throw Errors.policyAlreadyExists(id.canonical);
            seen.add(id.key);
        }
        const tenant = Tenant.provisioned(spec.id, this.store, spec.apps ?? []);
        tenant.setSites(spec.sites ?? []);
        const pools = (spec.sites ?? []).flatMap((x) => x.pools);
        tenant.addUsers([...(spec.users ?? []), ...generatedUsers(spec.id, spec.generatedUsers ?? 0, pools)]);
        for (const p of spec.policies ?? []) {
            const identity = String(p.Identity);
            if (parseIdentityOrFail(identity).scope === "global") await tenant.service.updatePolicy(identity, p, "patch");
            else await tenant.service.createPolicy(identity, p);
        }
        this.tenants.set(spec.id.toLowerCase(), tenant);
        const script = await execute(tenant, commands);
        await tenant.commit();
        // Provisioning is set-up, not tenant activity.
        tenant.stats.writes = 0;
        return { tenant, script };
    }

    /** Provisions each tenant of a seed that does not exist yet; a failing script line aborts. */
    async ensure(seed: SeedFile): Promise<void> {
        for (const spec of seed.tenants) {
            if (this.get(spec.id)) continue;
            const { script } = await this.provision(spec);
            const failed = script.find((r) => r.status === "Failed");
            if (failed) throw new Error(`seed tenant ${spec.id}, script line ${failed.line}: ${failed.error!.message}`);
        }
    }

    /** Sets an app's secret (e.g. `--client-secret` on a restart), persisting only if it changed. */
    async setSecret(tenantId: string, clientId: string, secret: string): Promise<void> {
        const tenant = this.get(tenantId);
        const app = tenant?.state.apps.find((a) => a.clientId === clientId);
        if (!tenant || !app || app.clientSecret === secret) return;
        app.clientSecret = secret;
        tenant.appsChanged();
        await tenant.commit(false);
    }

    /** Stops batch processing of every tenant, then waits for pending saves. */
    async close(): Promise<void> {
        await Promise.all(this.all().map((t) => t.close()));
        await this.store.close();
    }
}

/** A fresh random client secret. */
export function randomSecret(): string {
    return randomBytes(24).toString("base64url");
}
