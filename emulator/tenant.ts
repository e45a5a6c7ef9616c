/**
 * One emulated tenant: its state in memory (with lookup indexes) as the {@link TenantDirectory} of the tenant service
 * (server/tenant.ts), which holds every tenant rule. What the emulator adds is storage and what the emulated server
 * itself does: a random ETag per policy version, Global reset to the documented defaults on removal, identity look-up
 * in the user directory. Each write marks the rows it changed (a {@link ChangeSet}) and resolves only once the store
 * made them durable (through the {@link TenantStore}); the rows a batch step changes are made durable with the step.
 */
import { randomUUID } from "node:crypto";
import { documentedDefaults, type WireValue } from "../api/catalogue";
import type { WireSite, WireUser } from "../api/contract";
import { foldIdentity, sameIdentity, type PolicyIdentity } from "../api/identity";
import { currentBatch, sameOperationId } from "../server/batch";
import type { AssignmentWrite, BatchLog, BatchRecord, DirectoryPolicy, PolicyWrite, TenantDirectory } from "../server/directory";
import { ApiError, Errors } from "../server/errors";
import { parseIdentityOrFail } from "../server/policyBody";
import { TenantService } from "../server/tenant";
import { ChangeSet, type AppRecord, type BatchOperation, type PolicyRecord, type SiteRecord, type TenantState, type TenantStore, type UserRecord } from "./store";

/** Per-tenant counters for `/_emulator/{tenant}/stats`; in memory only. */
export interface TenantStats {
    requests: number;
    writes: number;
}

/** Users a batch step processes between two durable saves. */
const BATCH_CHUNK = 500;

function newEtag(): string {
    // randomUUID draws from a pooled random buffer (randomBytes(8) is a syscall per call); 60 random bits.
    return `"${randomUUID().replace(/-/g, "").slice(0, 16)}"`;
}

/** A user with its direct assignment and the assignment's owner, in wire form. */
function userView(u: UserRecord): WireUser {
    return {
        Id: u.id, SipAddress: u.sipAddress, UserPrincipalName: u.userPrincipalName, DisplayName: u.displayName,
        ClientPolicy: u.clientPolicy, ClientPolicyOwner: u.clientPolicyOwner, RegistrarPool: u.registrarPool, Site: u.site,
    };
}

/** A single-tenant directory over the persisted state. */
export class Tenant implements TenantDirectory, BatchLog {
    readonly stats: TenantStats = { requests: 0, writes: 0 };
    /** The tenant API over this tenant (HTTP routes, the PowerShell endpoint, provisioning). */
    readonly service: TenantService;
    readonly batchChunk = BATCH_CHUNK;
    private byId = new Map<string, UserRecord>();
    private byKey = new Map<string, UserRecord>();
    private byDisplay = new Map<string, UserRecord[]>();
    /** Rows changed since the last {@link commit}. */
    private changes = new ChangeSet();

    constructor(readonly state: TenantState, private readonly store: TenantStore) {
        for (const u of state.users) this.index(u);
        this.service = new TenantService(this);
    }

    /** Builds a new tenant's state with Global at its documented defaults and no owner. */
    static initialState(id: string): TenantState {
        return {
            version: 1, id, apps: [], sites: [], users: [], operations: [],
            policies: { [parseIdentityOrFail("Global").key]: { identity: "Global", etag: newEtag(), owner: null, settings: documentedDefaults() } },
        };
    }

    /**
     * A new tenant (Global at its defaults, the given apps, no users yet); its first {@link commit} creates it in the
     * store with every row.
     */
    static provisioned(id: string, store: TenantStore, apps: AppRecord[] = []): Tenant {
        const state = Tenant.initialState(id);
        state.apps.push(...apps);
        const tenant = new Tenant(state, store);
        tenant.changes.mergeFrom(ChangeSet.wholeTenant(state));
        return tenant;
    }

    /** Tenant id as provisioned. */
    get id(): string {
        return this.state.id;
    }

    get batches(): BatchLog {
        return this;
    }

    // ------------------------------------------------------------------ persistence

    /**
     * Makes every change so far durable: hands the rows marked since the last commit to the store (one transaction
     * with whatever else is queued) and resolves once they are committed. `countsAsWrite` feeds the stats.
     */
    async commit(countsAsWrite = true): Promise<void> {
        if (countsAsWrite) this.stats.writes++;
        const changes = this.changes;
        this.changes = new ChangeSet();
        await this.store.write(this.id, changes);
    }

    /** Marks `state.apps` as changed (replaced as a whole at the next commit). */
    appsChanged(): void {
        this.changes.putApps(this.state.apps);
    }

    /** Stops batch processing after the current step and waits for its save. */
    async close(): Promise<void> {
        await this.service.batches.stop();
    }

    // ------------------------------------------------------------------ users

    /** Indexes a user under each identity form, folded by the one identity rule (`foldIdentity`, api/identity.ts). */
    private index(u: UserRecord): void {
        this.byId.set(foldIdentity(u.id), u);
        for (const k of [u.sipAddress, u.userPrincipalName, u.logon]) if (k) this.byKey.set(foldIdentity(k), u);
        const d = foldIdentity(u.displayName);
        const list = this.byDisplay.get(d);
        if (list) list.push(u);
        else this.byDisplay.set(d, [u]);
    }

    /** Adds users (provisioning); ids are generated when absent. */
    addUsers(users: Array<Omit<UserRecord, "id" | "clientPolicy" | "clientPolicyOwner" | "registrarPool" | "site"> & { id?: string; registrarPool?: string | null }>): void {
        for (const u of users) {
            const pool = u.registrarPool ?? null;
            const rec: UserRecord = { ...u, id: u.id ?? randomUUID(), clientPolicy: null, clientPolicyOwner: null, registrarPool: pool, site: pool === null ? null : this.siteOfPool(pool) };
            this.state.users.push(rec);
            this.index(rec);
            this.changes.putUsers([rec]);
        }
    }

    /**
     * The users a documented identity form names (object id, SIP address, UPN, DOMAIN\logon, display name), compared
     * under `foldIdentity`; a bare address also matches a SIP address (`sip:` is optional, as Get-CsUser accepts).
     */
    private lookUp(identity: string): UserRecord[] {
        const text = foldIdentity(identity);
        const direct = this.byId.get(text) ?? this.byKey.get(text) ?? (text.includes("@") && !text.startsWith("SIP:") ? this.byKey.get(`SIP:${text}`) : undefined);
        if (direct) return [direct];
        return this.byDisplay.get(text) ?? [];
    }

    async findUsers(identities: readonly string[]): Promise<Array<WireUser[] | ApiError>> {
        return identities.map((identity) => this.lookUp(identity).map(userView));
    }

    async listUsers(): Promise<WireUser[]> {
        return this.state.users.map(userView);
    }

    async listSites(): Promise<WireSite[]> {
        return this.state.sites.map((site) => ({ Identity: `Site:${site.name}`, Pools: [...site.pools] }));
    }

    async usersWithPolicy(identity: string): Promise<WireUser[]> {
        const name = parseIdentityOrFail(identity).name;
        return this.state.users.filter((u) => u.clientPolicy !== null && sameIdentity(u.clientPolicy, name)).map(userView);
    }

    /** Applies assignments in memory; durable with the next commit, which is this call's unless a batch step runs. */
    async setAssignments(writes: readonly AssignmentWrite[]): Promise<Array<WireUser | ApiError>> {
        if (writes.length === 0) return [];
        const out = writes.map((w) => {
            const rec = this.byId.get(foldIdentity(w.user.Id));
            if (!rec) return Errors.userNotFound(w.user.Id);
            rec.clientPolicy = w.policy;
            rec.clientPolicyOwner = w.owner;
            this.changes.putUsers([rec]);
            return userView(rec);
        });
        if (!currentBatch()) await this.commit();
        return out;
    }

    // ------------------------------------------------------------------ policies

    async listPolicies(): Promise<PolicyRecord[]> {
        return Object.values(this.state.policies);
    }

    async readPolicy(id: PolicyIdentity): Promise<PolicyRecord | undefined> {
        return this.state.policies[id.key];
    }

    async writePolicy(id: PolicyIdentity, write: PolicyWrite): Promise<DirectoryPolicy> {
        const prev = this.state.policies[id.key];
        const settings: Record<string, WireValue> = write.create || !prev ? {} : { ...prev.settings };
        for (const [k, v] of Object.entries(write.settings)) {
            if (v === null) delete settings[k];
            else settings[k] = v;
        }
        if (!write.create && prev) {
            prev.settings = settings;
            prev.owner = write.owner;
            prev.etag = newEtag();
            this.changes.putPolicy(id.key, prev);
            await this.commit();
            return prev;
        }
        const rec: PolicyRecord = { identity: id.canonical, etag: newEtag(), owner: write.owner, settings };
        this.state.policies[id.key] = rec;
        this.changes.putPolicy(id.key, rec);
        try {
            await this.commit();
        } catch (e) {
            // A create that was not made durable did not happen: neither the policy nor its owner may stay (the store
            // keeps a failed write's marks for the next one, so the removal is marked too and nets out there).
            if (this.state.policies[id.key] === rec) {
                delete this.state.policies[id.key];
                this.changes.deletePolicy(id.key);
            }
            throw e;
        }
        return rec;
    }

    async deletePolicy(id: PolicyIdentity): Promise<PolicyRecord | undefined> {
        const rec = this.state.policies[id.key];
        if (id.scope === "global" && rec) {
            rec.settings = documentedDefaults();
            rec.owner = null;
            rec.etag = newEtag();
            this.changes.putPolicy(id.key, rec);
            await this.commit();
            return rec;
        }
        delete this.state.policies[id.key];
        this.changes.deletePolicy(id.key);
        await this.commit();
        return undefined;
    }

    // ------------------------------------------------------------------ batch operations

    async add(batch: BatchRecord, keepCompleted: number): Promise<void> {
        const op: BatchOperation = {
            id: batch.id, policyType: "ClientPolicy", policyName: batch.policyName, owner: batch.owner, status: batch.status,
            createdDateTime: batch.createdDateTime, pending: batch.pending, results: batch.results, requestHash: batch.requestHash,
        };
        this.state.operations.push(op);
        this.changes.putOperation(op);
        const done = this.state.operations.filter((o) => o.status === "Completed");
        if (done.length > keepCompleted) {
            const drop = new Set(done.slice(0, done.length - keepCompleted));
            this.state.operations = this.state.operations.filter((o) => !drop.has(o));
            for (const o of drop) this.changes.deleteOperation(o.id);
        }
        await this.commit();
    }

    /** Saves a step: the operation row, its newly finished users and the assignments the step made, one transaction. */
    async save(batch: BatchRecord): Promise<void> {
        const op = this.state.operations.find((o) => o.id === batch.id);
        if (!op) return;
        if (op !== batch) Object.assign(op, { status: batch.status, pending: batch.pending, results: batch.results });
        this.changes.putOperation(op);
        await this.commit(false);
    }

    async find(id: string): Promise<BatchOperation | undefined> {
        return this.state.operations.find((o) => sameOperationId(o.id, id));
    }

    async nextUnfinished(): Promise<BatchOperation | undefined> {
        return this.state.operations.find((o) => o.status !== "Completed");
    }

    // ------------------------------------------------------------------ topology (sites and pools)

    /** Sets the topology (provisioning only, before users are added): sites with their pools. */
    setSites(sites: SiteRecord[]): void {
        this.state.sites = sites.map((x) => ({ name: x.name, pools: [...x.pools] }));
        this.changes.sites = this.state.sites;
    }

    /** `Site:<name>` of the site a pool belongs to; 400 naming `target` when the topology has no such pool. */
    siteOfPool(pool: string, target = "registrarPool"): string {
        const key = foldIdentity(pool.trim());
        for (const site of this.state.sites) {
            if (site.pools.some((p) => foldIdentity(p) === key)) return `Site:${site.name}`;
        }
        const known = this.state.sites.flatMap((x) => x.pools);
        throw Errors.invalidParameter(target, `${pool} is not a Registrar pool of this tenant; expected one of: ${known.length ? known.join(", ") : "(the tenant has no pools)"}.`);
    }

    /** The pool's FQDN as the topology spells it. */
    private poolSpelling(pool: string): string {
        const key = foldIdentity(pool.trim());
        return this.state.sites.flatMap((x) => x.pools).find((p) => foldIdentity(p) === key) ?? pool;
    }

    /**
     * Move-CsUser -Identity <user> -Target <pool FQDN>: rehomes a user on another Registrar pool (and so, possibly, in
     * another site, whose site policy then applies). Grants are untouched. 400 for a pool the topology lacks. The
     * emulator's own drift cmdlet: the topology is not part of the directory port.
     */
    async moveUser(userIdentity: string, targetPool: unknown): Promise<WireUser> {
        if (typeof targetPool !== "string" || targetPool.trim() === "") throw Errors.invalidParameter("Target", "Move-CsUser needs -Target <Registrar pool FQDN>.");
        const site = this.siteOfPool(targetPool, "Target");
        const found = await this.service.getUser(userIdentity);
        const user = this.byId.get(foldIdentity(found.Id));
        if (!user) throw Errors.userNotFound(userIdentity);
        const pool = this.poolSpelling(targetPool);
        if (user.registrarPool === pool && user.site === site) return userView(user);
        user.registrarPool = pool;
        user.site = site;
        this.changes.putUsers([user]);
        await this.commit();
        return userView(user);
    }
}
