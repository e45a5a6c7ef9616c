/**
 * The set of tenants hosted by one emulator and their provisioning: the
 * built-in demo tenants, `--seed` files and `POST /_emulator/tenants`.
 * Provisioning never touches a tenant that already exists in the data
 * directory's database, so restarting with the same directory keeps all state.
 */
import { randomBytes } from "node:crypto";
import { isTenantId } from "../api/contract";
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
}

/** One tenant of a seed file or of `POST /_emulator/tenants`. */
export interface TenantSpec {
    id: string;
    apps?: AppRecord[];
    users?: UserSpec[];
    /** Adds users `User 00001` … with sip `user00001@<id>`. */
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
    const known = ["id", "apps", "users", "generatedUsers", "policies", "script"];
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
    list("users", ["displayName", "sipAddress", "userPrincipalName", "logon"], ["id"]);
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

/** Validates a whole seed file. */
export function checkSeed(input: unknown): SeedFile {
    if (!isObject(input) || !Array.isArray(input.tenants)) throw Errors.invalidRequestContent('A seed file is {"tenants": [ … ]}.');
    input.tenants.forEach((t, i) => checkTenantSpec(t, `tenants[${i}]`));
    return input as unknown as SeedFile;
}

/** `User 00001`… for a tenant whose id is (or looks like) a domain. */
export function generatedUsers(tenantId: string, count: number): UserSpec[] {
    const domain = tenantId.toLowerCase();
    const netbios = domain.split(".")[0].toUpperCase();
    const width = Math.max(5, String(count).length);
    const out: UserSpec[] = [];
    for (let i = 1; i <= count; i++) {
        const n = String(i).padStart(width, "0");
        out.push({ displayName: `User ${n}`, sipAddress: `sip:user${n}@${domain}`, userPrincipalName: `user${n}@${domain}`, logon: `${netbios}\\user${n}` });
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
                id: contoso, apps, generatedUsers: users,
                users: ["Tony Smith", "Ken Myer", "Pilar Ackerman", "Kim Akers", "Jeff Hay"].map((n) => namedUser(contoso, n)),
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
        tenant.addUsers([...(spec.users ?? []), ...generatedUsers(spec.id, spec.generatedUsers ?? 0)]);
        for (const p of spec.policies ?? []) {
            const identity = String(p.Identity);
            if (parseIdentityOrFail(identity).scope === "global") await tenant.service.updatePolicy(identity, p, "patch");
            else await tenant.service.createPolicy(identity, p);
        }
        this.tenants.set(spec.id.toLowerCase(), tenant);
        const script = await execute(tenant.service, commands);
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
