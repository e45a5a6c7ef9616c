/**
 * Tenant domain model shared by the HTTP handlers and the PowerShell endpoint: policies and their owners, the user
 * directory, grants and batch assignments. Every method validates fully before mutating, so a rejected request
 * changes nothing; mutating methods mark the rows they changed (a {@link ChangeSet}) and resolve only once the store
 * made those rows durable (through the {@link TenantStore}).
 * Wire shapes live in the handler layer (emulator/views.ts); batch processing in emulator/batchWorker.ts.
 */
import { randomUUID } from "node:crypto";
import { documentedDefaults, type WireValue } from "../api/catalogue";
import { OWNER_ANNOTATION } from "../api/contract";
import { foldIdentity, sameIdentity, type PolicyIdentity } from "../api/identity";
import { BatchWorker } from "./batchWorker";
import { ApiError, Errors } from "./errors";
import { ChangeSet, type AppRecord, type BatchOperation, type BatchResult, type PolicyRecord, type SiteRecord, type TenantState, type TenantStore, type UserRecord } from "./store";
import { replayedBatch, sameOperationId, type BatchReplayKey } from "../server/batch";
import { checkIfMatch, checkUserIdentity, parseIdentityOrFail, parseOwner, validatePolicyBody, type PolicyChanges } from "../server/policyBody";

export type { PolicyChanges };

/** Finished batch operations kept for polling; older ones are dropped to bound the stored state. */
const BATCH_HISTORY = 20;

/** Per-tenant counters for `/_emulator/{tenant}/stats`; in memory only. */
export interface TenantStats {
    requests: number;
    writes: number;
}


function newEtag(): string {
    // randomUUID draws from a pooled random buffer (randomBytes(8) is a syscall per call); 60 random bits.
    return `"${randomUUID().replace(/-/g, "").slice(0, 16)}"`;
}

/** Equality of two JSON wire values: primitives by identity, lists by element, records (PolicyEntry) by key. */
function sameValue(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    if (Array.isArray(a) || Array.isArray(b)) {
        return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
    }
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** A single-tenant view over the persisted state with in-memory lookup indexes. */
export class Tenant {
    readonly stats: TenantStats = { requests: 0, writes: 0 };
    /** Processes accepted batch assignments in the background. */
    readonly batches: BatchWorker;
    private byId = new Map<string, UserRecord>();
    private byKey = new Map<string, UserRecord>();
    private byDisplay = new Map<string, UserRecord[]>();
    /** Rows changed since the last {@link commit}. */
    private changes = new ChangeSet();

    constructor(readonly state: TenantState, private readonly store: TenantStore) {
        for (const u of state.users) this.index(u);
        this.batches = new BatchWorker(this);
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

    /** Marks a batch operation (its status and newly finished users) and commits it; for the batch worker. */
    async commitOperation(op: BatchOperation): Promise<void> {
        this.changes.putOperation(op);
        await this.commit(false);
    }

    /** Stops batch processing after the current chunk and waits for its save. */
    async close(): Promise<void> {
        await this.batches.stop();
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
     * Every user a documented identity form names (object id, SIP address, UPN, DOMAIN\logon, display name),
     * case-insensitively under `foldIdentity`: none, one, or several (display names are not unique). 400 for
     * wildcards or empty text.
     */
    findUsers(identity: string): UserRecord[] {
        const text = foldIdentity(checkUserIdentity(identity).trim());
        const direct = this.byId.get(text) ?? this.byKey.get(text) ?? (text.includes("@") && !text.startsWith("SIP:") ? this.byKey.get(`SIP:${text}`) : undefined);
        if (direct) return [direct];
        return this.byDisplay.get(text) ?? [];
    }

    /** The one user an identity names; 404 UserNotFound or 409 AmbiguousIdentity otherwise. */
    resolveUser(identity: string): UserRecord {
        const found = this.findUsers(identity);
        if (found.length === 1) return found[0];
        if (found.length > 1) throw Errors.ambiguousIdentity(identity, found);
        throw Errors.userNotFound(identity);
    }

    // ------------------------------------------------------------------ policies

    /** Parses a policy identity or answers 400 naming `target` (server/policyBody.ts). */
    static parseIdentity(text: string, target = "Identity"): PolicyIdentity {
        return parseIdentityOrFail(text, target);
    }

    /** An owner id from a body, or 400 naming `target` (server/policyBody.ts). */
    static parseOwner(value: unknown, target: string): string | null {
        return parseOwner(value, target);
    }

    /** All policies in listing order. */
    listPolicies(): PolicyRecord[] {
        return Object.values(this.state.policies);
    }

    /** A policy by identity, or 404. */
    getPolicy(identity: string): PolicyRecord {
        const id = Tenant.parseIdentity(identity);
        const rec = this.state.policies[id.key];
        if (!rec) throw Errors.policyNotFound(id.canonical);
        return rec;
    }

    /** Validates a wire body (settings, optional Identity, optional `@owner`): server/policyBody.ts, shared with the gateway. */
    static validateBody(body: unknown, identity: PolicyIdentity): PolicyChanges {
        return validatePolicyBody(body, identity);
    }

    private static apply(settings: Record<string, WireValue>, changes: Record<string, WireValue | null>): boolean {
        let changed = false;
        for (const [k, v] of Object.entries(changes)) {
            if (sameValue(settings[k] ?? null, v)) continue;
            changed = true;
            if (v === null) delete settings[k];
            else settings[k] = v;
        }
        return changed;
    }

    /** New-CsClientPolicy (the HTTP create also records the body's `@owner`; absent means none). */
    async createPolicy(identity: string, body: unknown): Promise<PolicyRecord> {
        const id = Tenant.parseIdentity(identity);
        const changes = Tenant.validateBody(body, id);
        if (this.state.policies[id.key]) throw Errors.policyAlreadyExists(id.canonical);
        const settings: Record<string, WireValue> = {};
        Tenant.apply(settings, changes.settings);
        const rec: PolicyRecord = { identity: id.canonical, etag: newEtag(), owner: changes.owner ?? null, settings };
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

    /**
     * Replace (`mode: "replace"`: settings absent from the body become unset; `@owner` is recorded when given and kept
     * when absent) or merge-patch / Set-CsClientPolicy (`"patch"`: never changes the owner, so `@owner` may only
     * repeat the current one). A change-free request keeps the ETag and writes nothing.
     */
    async updatePolicy(identity: string, body: unknown, mode: "replace" | "patch", ifMatch?: string): Promise<PolicyRecord> {
        const id = Tenant.parseIdentity(identity);
        const changes = Tenant.validateBody(body, id);
        const rec = this.getPolicy(identity);
        checkIfMatch(rec.etag, ifMatch, rec.identity);
        if (mode === "patch" && changes.owner !== undefined && changes.owner !== rec.owner) {
            throw Errors.invalidParameter(OWNER_ANNOTATION, `${OWNER_ANNOTATION} cannot be changed by a merge patch (Set-CsClientPolicy); replace the policy with PUT and If-Match.`);
        }
        // Replace starts from nothing (settings absent from the body become unset), patch from the current settings.
        const next: Record<string, WireValue> = mode === "replace" ? {} : { ...rec.settings };
        Tenant.apply(next, changes.settings);
        const owner = changes.owner === undefined ? rec.owner : changes.owner;
        if (owner === rec.owner && sameValue(rec.settings, next)) return rec;
        rec.settings = next;
        rec.owner = owner;
        rec.etag = newEtag();
        this.changes.putPolicy(id.key, rec);
        await this.commit();
        return rec;
    }

    /**
     * Remove-CsClientPolicy. Global is reset to defaults and loses its owner (returns the reset record); others are
     * removed (returns undefined).
     */
    async removePolicy(identity: string, force: boolean, ifMatch?: string): Promise<PolicyRecord | undefined> {
        const rec = this.getPolicy(identity);
        checkIfMatch(rec.etag, ifMatch, rec.identity);
        const id = Tenant.parseIdentity(identity);
        if (id.scope === "global") {
            rec.settings = documentedDefaults();
            rec.owner = null;
            rec.etag = newEtag();
            this.changes.putPolicy(id.key, rec);
            await this.commit();
            return rec;
        }
        const granted = this.assignedUsers(id);
        if (granted.length > 0 && !force) throw Errors.policyInUse(id.canonical, granted.length);
        for (const u of granted) {
            u.clientPolicy = null;
            u.clientPolicyOwner = null;
        }
        this.changes.putUsers(granted);
        delete this.state.policies[id.key];
        this.changes.deletePolicy(id.key);
        await this.commit();
        return undefined;
    }

    /** Users directly granted a (tag) policy. */
    assignedUsers(id: PolicyIdentity): UserRecord[] {
        if (id.scope !== "tag") return [];
        return this.state.users.filter((u) => u.clientPolicy !== null && sameIdentity(u.clientPolicy, id.name));
    }

    // ------------------------------------------------------------------ grants

    /** Resolves a grant's PolicyName to the stored tag policy's name, or null to unassign. */
    grantTarget(policyName: unknown): string | null {
        if (policyName === null) return null;
        if (typeof policyName !== "string") {
            throw Errors.invalidParameter("PolicyName", `PolicyName must be a string naming a tag policy or null, got ${JSON.stringify(policyName)}.`);
        }
        const id = Tenant.parseIdentity(policyName, "PolicyName");
        if (id.scope !== "tag") throw Errors.notAUserPolicy(id.canonical);
        const rec = this.state.policies[id.key];
        if (!rec) throw Errors.policyNotFound(id.canonical, "PolicyName");
        return Tenant.parseIdentity(rec.identity).name;
    }

    private static assign(user: UserRecord, target: string | null, owner: string | null): boolean {
        const nextOwner = target === null ? null : owner;
        if (user.clientPolicy === target && user.clientPolicyOwner === nextOwner) return false;
        user.clientPolicy = target;
        user.clientPolicyOwner = nextOwner;
        return true;
    }

    /**
     * Grant-CsClientPolicy for one user, recording `owner` on the assignment (an unassignment clears it); writes only
     * when the assignment or its owner changes.
     */
    async grant(userIdentity: string, policyName: unknown, owner: string | null = null): Promise<UserRecord> {
        const target = this.grantTarget(policyName);
        const user = this.resolveUser(userIdentity);
        if (Tenant.assign(user, target, owner)) {
            this.changes.putUsers([user]);
            await this.commit();
        }
        return user;
    }

    // ------------------------------------------------------------------ batch assignments

    /**
     * Validates and records a batch; {@link batches} processes it in the background. With `replay` (the POST named an
     * `OperationId`) the shared replay rule runs first (`replayedBatch`, server/batch.ts): a retried request gets its
     * original batch back and nothing starts.
     */
    async startBatch(policyName: unknown, users: string[], owner: string | null = null, replay?: BatchReplayKey): Promise<BatchOperation> {
        if (replay) {
            const known = this.state.operations.find((o) => sameOperationId(o.id, replay.operationId));
            if (replayedBatch(known, replay) !== undefined) return known!;
        }
        const target = this.grantTarget(policyName);
        const op: BatchOperation = {
            id: replay?.operationId ?? randomUUID(), policyType: "ClientPolicy", policyName: target, owner, status: "NotStarted",
            createdDateTime: new Date().toISOString(), pending: [...users], results: [], requestHash: replay?.requestHash ?? null,
        };
        this.state.operations.push(op);
        this.changes.putOperation(op);
        const done = this.state.operations.filter((o) => o.status === "Completed");
        if (done.length > BATCH_HISTORY) {
            const drop = new Set(done.slice(0, done.length - BATCH_HISTORY));
            this.state.operations = this.state.operations.filter((o) => !drop.has(o));
            for (const o of drop) this.changes.deleteOperation(o.id);
        }
        await this.commit();
        this.batches.resume();
        return op;
    }

    /** A batch operation by id, or 404. */
    getBatch(id: string): BatchOperation {
        const op = this.state.operations.find((o) => sameOperationId(o.id, id));
        if (!op) throw Errors.operationNotFound(id);
        return op;
    }

    /**
     * One user of a batch, in memory (the worker commits per chunk with {@link commitOperation}); failures become the
     * user's result.
     */
    assignBatchUser(op: BatchOperation, user: string): BatchResult {
        try {
            // Re-resolved per user: the policy may have been removed since the batch was accepted.
            const target = op.policyName === null ? null : this.grantTarget(op.policyName);
            const rec = this.resolveUser(user);
            if (Tenant.assign(rec, target, op.owner)) this.changes.putUsers([rec]);
            return { User: user, Status: "Succeeded", Id: rec.id };
        } catch (e) {
            if (!(e instanceof ApiError)) throw e;
            return { User: user, Status: "Failed", Error: { code: e.code, message: e.message } };
        }
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
     * another site, whose site policy then applies). Grants are untouched. 400 for a pool the topology lacks.
     */
    async moveUser(userIdentity: string, targetPool: unknown): Promise<UserRecord> {
        if (typeof targetPool !== "string" || targetPool.trim() === "") throw Errors.invalidParameter("Target", "Move-CsUser needs -Target <Registrar pool FQDN>.");
        const site = this.siteOfPool(targetPool, "Target");
        const user = this.resolveUser(userIdentity);
        const pool = this.poolSpelling(targetPool);
        if (user.registrarPool === pool && user.site === site) return user;
        user.registrarPool = pool;
        user.site = site;
        this.changes.putUsers([user]);
        await this.commit();
        return user;
    }
}
